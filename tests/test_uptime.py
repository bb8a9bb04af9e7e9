"""Months of uptime: the firmware's deadlines stay right whatever the wrapping tick counter did.

The ESP32's ``time.ticks_ms`` wraps at 2**30 ms (12.4 days), and a difference of two ticks is only
right within half of that (6.2 days). The firmware keeps every stored time on its own uptime
(``HeaterController.uptime_ms``, summed tick by tick), which never wraps. These tests run the
main loop, in this process and in the real ``micropython``, from three points of its uptime (just
before 2**29 ms, just before 2**30 ms, and 60 days), with the virtual clock jumping up to an hour
at a time across days, as the console would see it.
"""

import json

import pytest

from frames import max31855_frame
from micropython_tools import require_tool
from stoneheat.firmware.controller import HeaterController
from stoneheat.firmware.main_loop import MainLoop
from stoneheat.firmware.storage import Storage
from stoneheat.firmware.ticks import TICKS_PERIOD
from stoneheat.sim.micropython_runtime import MicroPythonFirmware
from stoneheat.sim.runner import DAY_MS, ticks_start

MINUTE = 60000
HOUR = 60 * MINUTE
STARTS = {"2^29 ms": (1 << 29) - 5 * MINUTE, "2^30 ms": (1 << 30) - 5 * MINUTE,
          "60 days": 60 * DAY_MS}


class _Board:
    """The main loop's board with the time, the frame and the console in the test's hands."""

    def __init__(self):
        self.now = 0
        self.frame = None
        self.inbox = b""
        self.outbox = bytearray()

    def ticks_ms(self):
        return self.now

    def read_frame(self):
        return self.frame

    def read_frame2(self):
        return None

    def set_outputs(self, heater_on, relay_on):
        self.heater_on = heater_on

    def read_console(self, n):
        data, self.inbox = self.inbox[:n], self.inbox[n:]
        return data

    def write_console(self, data):
        self.outbox += bytes(data)
        return len(data)

    def wait_ms(self, ms):
        pass  # the test moves the clock

    def tick_done(self):
        pass


class Heater:
    """One firmware main loop, ``uptime_ms`` into its uptime, on either runtime."""

    def __init__(self, runtime, uptime_ms, state_dir=None, water_c=30.0):
        self.now = ticks_start(uptime_ms)
        self.water_c = water_c
        self._n = 0
        self.runtime = runtime
        if runtime == "micropython":
            require_tool("micropython")
            self.fw = MicroPythonFirmware(state_dir=state_dir, uptime_ms=uptime_ms)
        else:
            storage = Storage(state_dir)
            ctrl = HeaterController(storage.boot("POWER_ON"), events=storage.log)
            ctrl.uptime_ms = uptime_ms
            self.board = _Board()
            self.loop = MainLoop(self.board, ctrl, storage=storage)
        self._pass(b"")

    def _frame(self):
        self._n += 1  # a reading that moves a little, as a real one does
        return max31855_frame(self.water_c + (0.25 if self._n % 2 else 0.0))

    def _pass(self, console):
        if self.runtime == "micropython":
            self.fw.step(self.now, self._frame(), console)
            out = bytes(self.fw.console_out)
            self.fw.console_out.clear()
            return out
        board = self.board
        board.now, board.frame = self.now, self._frame()
        board.inbox += console
        self.loop.step()
        out = bytes(board.outbox)
        board.outbox.clear()
        return out

    def advance(self, ms, step_ms=250):
        """Let ``ms`` go by, a tick every ``step_ms`` (up to an hour: a loop stalled that long
        is what a jump of the clock looks like to the firmware)."""
        while ms > 0:
            dt = min(ms, step_ms)
            self.now = (self.now + dt) % TICKS_PERIOD
            self._pass(b"")
            ms -= dt

    def ask(self, command):
        """The reply to a hand-typed console line: ``(True, payload)`` or ``(False, code)``."""
        out = self._pass(command.encode() + b"\n")
        for _ in range(20):
            if b"\n" in out:
                break
            out += self._pass(b"")
        line = out.decode().splitlines()[0]
        if line.startswith("ok "):
            return True, json.loads(line[3:])
        return False, line.split()[1]

    def close(self):
        if self.runtime == "micropython":
            self.fw.close()


@pytest.fixture(params=["cpython", "micropython"])
def runtime(request):
    return request.param


@pytest.mark.parametrize("start", STARTS.values(), ids=list(STARTS))
def test_an_expired_unlock_stays_expired_for_months(runtime, start):
    h = Heater(runtime, start)
    try:
        assert h.ask("unlock 0000")[0]
        assert h.ask("config set kp 1.0")[0]
        h.advance(9 * MINUTE, step_ms=MINUTE)
        assert h.ask("config set kp 1.1")[0]  # a technician command extends the unlock
        h.advance(10 * MINUTE + 1000, step_ms=MINUTE)
        assert h.ask("config set kp 1.2") == (False, "LOCKED")
        for days in (6.25, 6.25, 0.25):  # across half the tick period, a whole one, and beyond
            h.advance(int(days * DAY_MS), step_ms=HOUR)
            assert h.ask("config set kp 1.3") == (False, "LOCKED")
            assert h.ask("info")[1]["unlocked_s"] == 0
        ok, status = h.ask("status")
        assert status["uptime_s"] == (start + 19 * MINUTE + 1000 + int(12.75 * DAY_MS)) // 1000
    finally:
        h.close()


@pytest.mark.parametrize("start", STARTS.values(), ids=list(STARTS))
def test_a_lockout_ends_on_time_and_says_how_long_is_left(runtime, start):
    h = Heater(runtime, start)
    try:
        h.advance(7 * DAY_MS, step_ms=HOUR)  # a long time without a PIN: nothing stale
        codes = [h.ask("unlock 9999")[1] for _ in range(5)]
        assert codes == ["WRONG_PIN"] * 4 + ["LOCKED_OUT"]
        h.advance(299 * 1000, step_ms=1000)
        ok, code = h.ask("unlock 0000")
        assert (ok, code) == (False, "LOCKED_OUT")
        h.advance(2000, step_ms=1000)
        assert h.ask("unlock 0000")[0]
    finally:
        h.close()


@pytest.mark.parametrize("start", STARTS.values(), ids=list(STARTS))
def test_a_setting_change_reaches_the_flash_within_its_limit_after_days(runtime, start,
                                                                        tmp_path):
    h = Heater(runtime, start, state_dir=str(tmp_path))
    try:
        assert h.ask("unlock 0000")[0]
        assert h.ask("config set kp 1.0")[0]
        h.advance(61 * 1000, step_ms=1000)
        assert '"kp": 1.0' in (tmp_path / "settings.json").read_text()
        h.advance(int(6.3 * DAY_MS), step_ms=HOUR)  # the last write's time is 6.3 days old
        assert h.ask("unlock 0000")[0]
        assert h.ask("config set kp 1.25")[0]
        h.advance(61 * 1000, step_ms=1000)  # the settings' rate limit is 60 s
        assert '"kp": 1.25' in (tmp_path / "settings.json").read_text()
    finally:
        h.close()


@pytest.mark.parametrize("start", STARTS.values(), ids=list(STARTS))
def test_auto_off_and_the_heat_watch_fire_on_time(runtime, start):
    h = Heater(runtime, start, water_c=30.0)
    try:
        assert h.ask("unlock 0000")[0]
        assert h.ask("config set auto_off_h 0.5")[0]
        assert h.ask("target 40C")[0]
        # A reading that never rises at full power: the watch's window (120 s), then the relay
        # opens to judge, as from boot (test_heat_watch.py): latched within 300 s.
        assert h.ask("start")[0]
        h.advance(200 * 1000)
        assert h.ask("status")[1]["fault"] is None
        h.advance(100 * 1000)
        ok, status = h.ask("status")
        assert status["fault"] == "HEATING_WATCH", status
        assert h.ask("reset")[0]
        # Water at the target: READY, and back to idle after half an hour without a command.
        h.water_c = 40.0
        assert h.ask("start")[0]
        h.advance(29 * MINUTE)
        assert h.ask("status")[1]["state"] in ("HEATING", "READY")
        h.advance(int(1.5 * MINUTE))  # the start was the last command, 30.5 min ago
        ok, status = h.ask("status")
        assert status["state"] == "IDLE" and status["stopped_by"] == "AUTO_OFF", status
    finally:
        h.close()
