"""The ESP32 board layer's own logic, on a stand-in for the `machine` module that records what
the pins are told (the real API is checked by the type check in test_firmware_build.py)."""

import importlib
import json
import sys
import types

import pytest

from frames import max31855_frame


class _Pin:
    OUT = 1
    log = []

    def __init__(self, n, mode=None, value=None):
        self.n = n
        if value is not None:
            _Pin.log.append((n, value))

    def value(self, v=None):
        if v is not None:
            _Pin.log.append((self.n, v))


class _SPI:
    frame = 0

    def __init__(self, *args, **kwargs):
        pass

    def readinto(self, buf):
        buf[:] = _SPI.frame.to_bytes(4, "big")[:len(buf)]


class _WDT:
    fed = 0

    def __init__(self, timeout):
        self.timeout = timeout

    def feed(self):
        _WDT.fed += 1


class _Poll:
    def register(self, *args):
        pass

    def poll(self, ms=0):
        return []


@pytest.fixture
def board_module(monkeypatch):
    machine = types.SimpleNamespace(
        Pin=_Pin, SPI=_SPI, WDT=_WDT, PWRON_RESET=1, HARD_RESET=2, WDT_RESET=3,
        DEEPSLEEP_RESET=4, SOFT_RESET=5, reset_cause=lambda: 3, freq=lambda: 240000000,
        reset=lambda: _Pin.log.append(("machine.reset",)))
    monkeypatch.setattr("time.ticks_ms", lambda: 1000, raising=False)
    monkeypatch.setitem(sys.modules, "machine", machine)
    monkeypatch.setitem(sys.modules, "micropython", types.SimpleNamespace(
        kbd_intr=lambda c: _Pin.log.append(("kbd_intr", c))))
    monkeypatch.setattr("select.poll", _Poll)
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=None))
    _Pin.log = []
    sys.modules.pop("stoneheat.firmware.board_esp32", None)
    module = importlib.import_module("stoneheat.firmware.board_esp32")
    yield module
    sys.modules.pop("stoneheat.firmware.board_esp32", None)


def test_the_outputs_are_driven_off_before_anything_else(board_module):
    board_module.Esp32Board(dict(board_module.BOARD_DEFAULTS))
    assert _Pin.log[:2] == [(26, 0), (27, 0)]


def test_the_relay_closes_first_and_opens_last(board_module):
    board = board_module.Esp32Board(dict(board_module.BOARD_DEFAULTS))
    _Pin.log = []
    board.set_outputs(True, True)
    board.set_outputs(False, True)
    board.set_outputs(False, False)
    assert _Pin.log == [(27, 1), (26, 1), (26, 0), (27, 1), (26, 0), (27, 0)]


def test_frames_are_read_whole_and_the_watchdog_fed_per_tick(board_module):
    board = board_module.Esp32Board(dict(board_module.BOARD_DEFAULTS))
    _SPI.frame = max31855_frame(54.0)
    assert board.read_frame() == max31855_frame(54.0)
    fed = _WDT.fed
    board.tick_done()
    board.tick_done()
    assert _WDT.fed == fed + 2 and board._wdt.timeout == 5000
    assert board.info()["reset_cause"] == "WATCHDOG"


def test_board_settings_override_defaults_and_refuse_nonsense(board_module, tmp_path):
    path = tmp_path / "board.json"
    assert board_module.load_board_settings(str(path)) == board_module.BOARD_DEFAULTS
    path.write_text(json.dumps({"ssr": 32, "sensor": "max6675"}))
    pins = board_module.load_board_settings(str(path))
    assert pins["ssr"] == 32 and pins["sensor"] == "max6675" and pins["relay"] == 27
    for bad in ({"ssr": "26"}, {"heater": 4}):
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match="board.json"):
            board_module.load_board_settings(str(path))


def test_switching_off_at_the_end_holds_back_a_second_ctrl_c(board_module):
    board = board_module.Esp32Board(dict(board_module.BOARD_DEFAULTS))
    board.set_outputs(True, True)
    _Pin.log = []
    board.all_off()
    assert _Pin.log == [("kbd_intr", -1), (26, 0), (27, 0), ("kbd_intr", 3)]


def test_run_ends_with_the_outputs_off_whatever_stops_it(board_module, monkeypatch, tmp_path):
    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(board_module.MainLoop, "run", interrupted)
    _Pin.log = []
    with pytest.raises(KeyboardInterrupt):
        board_module.run("no-such-board.json", str(tmp_path))
    assert _Pin.log[-3:] == [(26, 0), (27, 0), ("kbd_intr", 3)]
    # What waited for the flash was written once the outputs were off: this boot's event.
    assert b"BOOT" in (tmp_path / "events.json").read_bytes()


def test_maintenance_restarts_without_the_firmware_once(board_module, monkeypatch, tmp_path):
    """The console's maintenance command ends the loop; run() leaves the flag and resets, and
    main.py then stays at the REPL, without the watchdog, for that one boot."""
    def maintenance(self):
        self.request_maintenance()
        self.outputs_off()

    monkeypatch.setattr(board_module.MainLoop, "run", maintenance)
    monkeypatch.chdir(tmp_path)
    _Pin.log = []
    board_module.run("no-such-board.json", "")
    assert _Pin.log[-4:] == [(26, 0), (27, 0), ("kbd_intr", 3), ("machine.reset",)]
    assert (tmp_path / board_module.MAINTENANCE_FLAG).exists()
