"""The firmware's main loop, unchanged, in the real `micropython` interpreter, in lockstep with the
CPython plant: the same figures as in process, driven by the same CLI, stopping safely."""

import json
import time

import pytest
import serial

from micropython_tools import require_tool
from stoneheat.link import HeaterLink
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS
from stoneheat.sim.serve import MicroPythonHeater
from test_cli_device import start_serve, stop_serve


@pytest.fixture(autouse=True)
def _interpreter():
    require_tool("micropython")


@pytest.mark.parametrize("scenario", ["heatup", "stones"])
def test_micropython_runtime_agrees_with_cpython(scenario):
    cp, _ = run(SCENARIOS[scenario], "firmware", seed=0)
    mp, _ = run(SCENARIOS[scenario], "firmware", seed=0, runtime="micropython")
    assert mp["runtime"] == "micropython" and cp["runtime"] == "cpython"
    assert abs(mp["ready_s"] - cp["ready_s"]) <= 0.02 * cp["ready_s"]
    assert abs(mp["overshoot_c"] - cp["overshoot_c"]) <= 0.05
    assert mp["faults"] == [] and mp["heater_on_above_cutoff_s"] == 0
    if "recovery_s" in cp:
        assert abs(mp["recovery_s"] - cp["recovery_s"]) <= 0.02 * cp["recovery_s"] + 1.0


def test_baselines_do_not_pretend_to_run_under_micropython():
    with pytest.raises(ValueError, match="only the firmware"):
        run(SCENARIOS["heatup"], "thermostat", runtime="micropython")


def _heating(heater):
    with HeaterLink(heater.path) as link:
        link.request("target 130F")
        link.request("start")
    deadline = time.monotonic() + 20
    while not (heater.board.ssr_on and heater.board.relay_on):
        assert time.monotonic() < deadline, "the firmware never switched the heater on"
        time.sleep(0.01)


def _read_lines(line, count):
    got = []
    while len(got) < count:
        raw = line.readline()
        assert raw.endswith(b"\n"), "no answer from the firmware: %r" % got
        got.append(raw.decode("ascii", "replace"))
    return got


def test_ctrl_c_on_the_console_is_a_byte_that_gets_bad_line():
    """The board stands in for the ESP32's USB console, which raises KeyboardInterrupt for a
    0x03 until the firmware holds interrupts; the firmware holds them before its first tick."""
    heater = MicroPythonHeater(speed=20).start_thread()
    try:
        _heating(heater)
        with serial.Serial(heater.path, timeout=10) as line:
            line.write(b"\r\x03\x03")  # what mpremote sends to interrupt a program
            line.write(b"\n\x03\nsta\x03tus\n")  # alone on a line, inside one
            replies = _read_lines(line, 3)
        assert [r.split()[:2] for r in replies] == [["err", "BAD_LINE"]] * 3, replies
        with HeaterLink(heater.path) as link:
            assert link.request("status")["state"] == "HEATING"
        assert heater.stopped_by is None and heater.board.ssr_on
    finally:
        heater.stop()
    assert heater.stopped_by is None  # stopped by the test, not by a byte


def test_a_megabyte_of_noise_with_ctrl_c_in_it_stops_nothing():
    """Also the simulated board's bounded console buffer: the noise flows at the pace the
    firmware reads it, as over USB, instead of piling up in the interpreter's heap."""
    import random
    import threading

    noise = bytearray(random.Random(0).randbytes(1 << 20))
    noise[1000::4096] = b"\x03" * len(noise[1000::4096])
    heater = MicroPythonHeater(speed=20).start_thread()
    try:
        _heating(heater)
        with serial.Serial(heater.path, timeout=0.2) as line:
            drained = []
            writer = threading.Thread(target=line.write, args=(bytes(noise) + b"\n",))
            writer.start()
            while writer.is_alive():
                drained.append(len(line.read(65536)))
                assert heater.stopped_by is None, heater.stopped_by
            writer.join()
        with HeaterLink(heater.path) as link:
            status = link.request("status")
            assert status["state"] in ("HEATING", "READY") and status["fault"] is None
            assert link.request("info")["console"]["errors"] > 100  # the noise was answered
        assert sum(drained) > 0 and heater.stopped_by is None
    finally:
        heater.stop()


def test_an_exception_inside_the_loop_leaves_the_heater_off():
    heater = MicroPythonHeater(speed=20).start_thread()
    try:
        _heating(heater)
        heater.crash()
        heater.join(timeout=20)
        assert heater.stopped_by == "RuntimeError"
        assert not heater.board.ssr_on and not heater.board.relay_on
    finally:
        heater.stop()


def test_the_cli_drives_the_micropython_hosted_firmware(tmp_path):
    served = start_serve(tmp_path, "--runtime", "micropython")
    try:
        assert served.cli("set", "130F").returncode == 0
        s = served.status()
        assert abs(s["target_c"] - 54.4) <= 0.05 and s["state"] == "HEATING"
        refused = served.cli("set", "200F")
        assert refused.returncode == 1 and "57.0 C" in refused.stderr
        assert served.cli("wait-ready", "--timeout", "90", "--interval", "0.2").returncode == 0
        info = json.loads(served.cli("info", "--json").stdout)
        assert info["board"] == "micropython-sim"
    finally:
        stop_serve(served)


def test_settings_reach_the_micropython_firmware_through_its_console():
    from stoneheat.firmware.settings import Settings

    changed = Settings({"kp": 0.9, "ti_s": 1500.0, "ready_band_c": 0.3, "auto_off_h": 12.0,
                        "watch_s": 200.0, "cal_offset_c": 0.25, "derivative_filter_s": 20.0})
    cp, _ = run(SCENARIOS["heatup"], "firmware", seed=1, settings=changed)
    mp, _ = run(SCENARIOS["heatup"], "firmware", seed=1, settings=changed, runtime="micropython")
    assert abs(mp["ready_s"] - cp["ready_s"]) <= 0.02 * cp["ready_s"]
    assert abs(mp["overshoot_c"] - cp["overshoot_c"]) <= 0.05
    default, _ = run(SCENARIOS["heatup"], "firmware", seed=1)
    assert cp["offset_c"] != default["offset_c"]  # the settings did change something


def test_config_lines_stay_within_the_console_line_limit():
    from stoneheat.firmware.protocol import MAX_LINE
    from stoneheat.firmware.settings import SETTINGS, WHOLE, Settings
    from stoneheat.sim.runner import _config_lines

    def middle(name, low, high):
        return round((low + high) / 2) if name in WHOLE else (low + high) / 2

    every = Settings({n: middle(n, low, high) for n, (_, low, high, _) in SETTINGS.items()
                      if n not in ("setpoint_min_c", "setpoint_max_c", "cutoff_c", "min_pulse_s")})
    lines = _config_lines(every)
    assert len(lines) > 1 and all(len(line) <= MAX_LINE for line in lines)
    sent = " ".join(line[len("config set "):] for line in lines).split()
    assert len(sent) == 2 * sum(1 for n in SETTINGS if every[n] != Settings()[n])
