"""The firmware's main loop on a board of virtual time: cadence under a console flood, and
outputs off whatever ends the loop."""

import pytest

from frames import max31855_frame
from stoneheat.firmware import protocol
from stoneheat.firmware.controller import FAULT, HEATING, HeaterController
from stoneheat.firmware.main_loop import LINES_PER_PASS, READ_CHUNK, MainLoop
from stoneheat.firmware.ticks import TICKS_PERIOD


class VirtualBoard:
    """A board whose clock moves only when the loop waits, or by a set cost per console read
    (a slow serial driver), and whose console input can be endless."""

    def __init__(self, water_c=50.0, read_cost_ms=0, start_ms=TICKS_PERIOD - 5000):
        self.now = start_ms
        self.water_c = water_c
        self.read_cost_ms = read_cost_ms
        self.input = b""
        self.flood = None  # bytes repeated for ever, if set
        self.output = bytearray()
        self.outputs = []  # (heater, relay) as set
        self.tick_times = []
        self.reads = []
        self.fail_read = False
        self.stop_after_ticks = None
        self.loop = None

    def ticks_ms(self):
        return self.now

    def read_frame(self):
        if self.fail_read:
            raise OSError("SPI bus error")
        return max31855_frame(self.water_c)

    def set_outputs(self, heater_on, relay_on):
        self.outputs.append((heater_on, relay_on))

    def read_console(self, n):
        self.now = (self.now + self.read_cost_ms) % TICKS_PERIOD
        if self.flood is not None and len(self.input) < n:
            self.input += self.flood * (n // len(self.flood) + 1)
        data, self.input = self.input[:n], self.input[n:]
        self.reads.append(len(data))
        return data

    def write_console(self, data):
        self.output += bytes(data)
        return len(data)

    def wait_ms(self, ms):
        # As a real board does: waiting ends early when console input is there.
        waiting = self.flood is not None or self.input
        self.now = (self.now + (min(ms, 1) if waiting else ms)) % TICKS_PERIOD

    def tick_done(self):
        self.tick_times.append(self.now)
        if self.stop_after_ticks is not None and len(self.tick_times) >= self.stop_after_ticks:
            self.loop.stop()


def _run(board, ticks, ctrl=None):
    ctrl = ctrl if ctrl is not None else HeaterController()
    loop = MainLoop(board, ctrl)
    board.loop = loop
    board.stop_after_ticks = ticks
    loop.run()
    return loop


def _periods(board):
    t = board.tick_times
    return [(t[i + 1] - t[i]) % TICKS_PERIOD for i in range(len(t) - 1)]


def test_ticks_every_period_across_a_tick_wrap():
    board = VirtualBoard()
    loop = _run(board, 80)  # starts 5 s before the counter wraps
    assert set(_periods(board)) == {250}
    assert loop.timing()["late_max_ms"] == 0 and loop.uptime_s() == 19


def test_a_console_flood_delays_a_tick_by_at_most_one_pass():
    """Each console read costs 3 ms of the loop's time; endless valid requests arrive. The
    loop still ticks on the period's grid, late by at most one pass, and answers meanwhile."""
    board = VirtualBoard(read_cost_ms=3)
    board.flood = b"status\n"
    loop = _run(board, 200)
    assert max(_periods(board)) <= 250 + 4 and min(_periods(board)) >= 250 - 4
    assert loop.timing()["late_max_ms"] <= 4
    assert max(board.reads) <= READ_CHUNK
    assert board.output.count(b"ok {") > 200 * 10 * LINES_PER_PASS  # it kept answering too


def test_garbage_flood_changes_nothing():
    board = VirtualBoard(read_cost_ms=1)
    board.flood = bytes(range(256)) + b"x" * 300 + b"\n#5 start\n#6 target 60*0000\n"
    ctrl = HeaterController()
    _run(board, 100, ctrl)
    assert ctrl.state != HEATING and ctrl.target_c == 54.4
    assert not any(h for h, _ in board.outputs)


def test_commands_reach_the_controller_between_ticks():
    board = VirtualBoard(water_c=30.0)
    board.input = protocol.encode_request(1, "start")
    ctrl = HeaterController()
    _run(board, 8, ctrl)
    assert ctrl.state == HEATING
    assert protocol.parse_reply(bytes(board.output).decode(), 1)[0]
    assert board.outputs[-1] == (False, False)  # the loop ended: off


def test_a_sensor_read_that_raises_is_a_missing_frame_heater_off():
    board = VirtualBoard(water_c=30.0)
    ctrl = HeaterController()
    ctrl.start()
    loop = MainLoop(board, ctrl)
    board.loop = loop
    for _ in range(8):
        loop.step()
    assert board.outputs[-1] == (True, True)
    board.fail_read = True
    loop.step()
    assert board.outputs[-1][0] is False  # off at once
    for _ in range(20):
        loop.step()
    assert ctrl.state == FAULT and board.outputs[-1] == (False, False)


@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError, MemoryError])
def test_whatever_ends_the_loop_leaves_the_outputs_off(exc):
    board = VirtualBoard(water_c=30.0)
    ctrl = HeaterController()
    ctrl.start()
    loop = MainLoop(board, ctrl)
    calls = [0]

    def wait_then_fail(ms):
        calls[0] += 1
        board.now = (board.now + ms) % TICKS_PERIOD
        if calls[0] == 20:
            raise exc()

    board.wait_ms = wait_then_fail
    with pytest.raises(exc):
        loop.run()
    assert any(h for h, _ in board.outputs)  # it was heating
    assert board.outputs[-1] == (False, False)
    assert not ctrl.heater_on and not ctrl.relay_on


def test_a_stall_restarts_the_grid_rather_than_bursting():
    board = VirtualBoard()
    loop = MainLoop(board, HeaterController())
    loop.step()
    board.now += 5000  # the loop was stuck for 5 s
    loop.step()
    loop.step()
    assert _periods(board) == [5250, 250][: len(_periods(board))]
    assert loop.timing()["late_max_ms"] >= 5000
