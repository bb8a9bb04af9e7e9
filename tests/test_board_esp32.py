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


@pytest.mark.parametrize("given, why", [
    ({"led": 26}, "ssr and led both on GPIO 26"),
    ({"buzzer": 27}, "relay and buzzer both on GPIO 27"),
    ({"cs2": 5}, "cs and cs2 both on GPIO 5"),
    ({"ssr": 34}, "ssr on GPIO 34"),  # input only
    ({"relay": 7}, "relay on GPIO 7"),  # the flash
    ({"led": 1}, "led on GPIO 1"),  # the console's UART
    ({"watchdog_ms": 0}, "watchdog_ms must be"),
    ({"watchdog_ms": 600000}, "watchdog_ms must be"),
    ({"sensor": "max9999"}, "sensor must be one of"),
    ({"spi": 3}, "spi must be 1 or 2"),
])
def test_board_settings_that_could_heat_or_blind_the_heater_are_refused(board_module, tmp_path,
                                                                        given, why):
    path = tmp_path / "board.json"
    path.write_text(json.dumps(given))
    with pytest.raises(board_module.BoardSettingsError, match=why):
        board_module.load_board_settings(str(path))


@pytest.mark.parametrize("content", [b"[]", b"\xff\xfe", b"[" * 5000, b"{" + b" " * 5000 + b"}",
                                     b'{"ssr": 1' + b"0" * 400 + b"}"])
def test_any_board_json_content_refuses_with_a_reason_never_a_crash(board_module, tmp_path,
                                                                     content, capsys):
    """run() prints why and returns (the REPL, for whoever wrote the file), outputs off, the
    watchdog never started."""
    path = tmp_path / "board.json"
    path.write_bytes(content)
    with pytest.raises(board_module.BoardSettingsError):
        board_module.load_board_settings(str(path))
    _Pin.log = []
    board_module.run(str(path), str(tmp_path))
    assert "not started, heater off: board.json" in capsys.readouterr().out
    assert _Pin.log == []  # no pin touched after boot.py drove the outputs low, no reset


def test_ctrl_c_is_held_from_the_outputs_off_and_never_given_back(board_module):
    """Held right after the outputs are driven off, before anything that could take time; the
    end of the firmware (all_off) does not give it back."""
    board = board_module.Esp32Board(dict(board_module.BOARD_DEFAULTS))
    assert _Pin.log[:3] == [(26, 0), (27, 0), ("kbd_intr", -1)]
    board.set_outputs(True, True)
    board.all_off()
    assert ("kbd_intr", 3) not in _Pin.log


def test_run_restarts_the_board_whatever_stops_it_never_the_repl(board_module, monkeypatch,
                                                                 tmp_path):
    for error in (KeyboardInterrupt, MemoryError, RuntimeError):
        def failing(self, error=error):
            raise error

        monkeypatch.setattr(board_module.MainLoop, "run", failing)
        _Pin.log = []
        board_module.run("no-such-board.json", str(tmp_path))  # returns only through the reset
        assert _Pin.log[-3:] == [(26, 0), (27, 0), ("machine.reset",)]
        assert ("kbd_intr", 3) not in _Pin.log
    # What waited for the flash was written once the outputs were off: this boot's event.
    assert b"BOOT" in (tmp_path / "events.json").read_bytes()
    assert not (tmp_path / board_module.MAINTENANCE_FLAG).exists()


def test_a_ctrl_c_on_the_console_is_a_byte_that_gets_bad_line(board_module, monkeypatch,
                                                              tmp_path):
    """The board's own console methods, on a stand-in stdin that raises KeyboardInterrupt for a
    0x03 as MicroPython's USB console does, unless kbd_intr(-1) was called."""
    held = []
    monkeypatch.setitem(sys.modules, "micropython", types.SimpleNamespace(
        kbd_intr=lambda c: held.append(c)))
    sys.modules.pop("stoneheat.firmware.board_esp32", None)
    module = importlib.import_module("stoneheat.firmware.board_esp32")
    incoming = bytearray(b"st\x03atus\n\x03\n#1 ping\n")
    written = bytearray()

    class Stdin:
        def read(self, n):
            byte = bytes(incoming[:n])
            del incoming[:n]
            if byte == b"\x03" and (not held or held[-1] != -1):
                raise KeyboardInterrupt
            return byte

    class Poll(_Poll):
        def poll(self, ms=0):
            return [1] if incoming else []

    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=Stdin()))
    monkeypatch.setattr(sys, "stdout", types.SimpleNamespace(
        buffer=types.SimpleNamespace(write=lambda d: written.extend(d) or len(d))))
    monkeypatch.setattr("select.poll", Poll)
    board = module.Esp32Board(dict(module.BOARD_DEFAULTS))
    from stoneheat.firmware.controller import HeaterController
    ctrl = HeaterController()
    loop = module.MainLoop(board, ctrl, board_name="esp32")
    board.ctrl = ctrl
    monkeypatch.setattr(board, "tick_done", lambda: None)
    for _ in range(8):
        loop.step()
    lines = bytes(written).decode().splitlines()
    assert [line.split()[1] for line in lines[:2]] == ["BAD_LINE", "BAD_LINE"], lines
    assert lines[2].startswith("#1 ok") and loop.running


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
    assert _Pin.log[-3:] == [(26, 0), (27, 0), ("machine.reset",)]
    assert (tmp_path / board_module.MAINTENANCE_FLAG).exists()
