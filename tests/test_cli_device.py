"""End to end, as a user runs it: `stoneheat sim serve` in its own process, the `stoneheat` CLI
in others, talking over a real pseudo-terminal."""

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import serial

from stoneheat.firmware import protocol

SPEED = 200  # heat-up (about 1000 simulated s) in about 5 s


class Served:
    def __init__(self, proc, port, port_file):
        self.proc, self.port, self.port_file = proc, port, port_file

    def cli(self, *args, timeout=60, env=None):
        return run_cli("--port", self.port, *args, timeout=timeout, env=env)

    def status(self):
        proc = self.cli("status", "--json")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)


def _env(extra=None):
    env = dict(os.environ)
    for name in ("STONEHEAT_PORT", "STONEHEAT_UNIT", "STONEHEAT_PIN", "STONEHEAT_NEW_PIN"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def run_cli(*args, timeout=60, env=None):
    return subprocess.run([sys.executable, "-m", "stoneheat", *args], capture_output=True,
                          text=True, timeout=timeout, env=_env(env))


def start_serve(tmp_path, *extra):
    port_file = tmp_path / "port"
    proc = subprocess.Popen(
        [sys.executable, "-m", "stoneheat", "sim", "serve", "--speed", str(SPEED),
         "--port-file", str(port_file), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    first = proc.stdout.readline()  # the contract: `port: /dev/pts/N` once the device answers
    assert first.startswith("port: /dev/"), (first, proc.stderr.read() if proc.poll() else "")
    port = first.split(": ", 1)[1].strip()
    assert port_file.read_text().strip() == port
    return Served(proc, port, port_file)


def wait_state(served, state, timeout_s=60):
    """The served heater's status once it is in ``state``."""
    deadline = time.monotonic() + timeout_s
    while True:
        s = served.status()
        if s["state"] == state:
            return s
        assert time.monotonic() < deadline, s
        time.sleep(0.2)


def stop_serve(served):
    if served.proc.poll() is None:
        served.proc.send_signal(signal.SIGINT)
        try:
            served.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            served.proc.kill()
            served.proc.wait()
    served.proc.stdout.close()
    served.proc.stderr.close()


@pytest.fixture
def served(tmp_path):
    s = start_serve(tmp_path)
    yield s
    stop_serve(s)


def test_set_130f_heats_to_ready_and_200f_is_refused(served):
    """Issue 4's acceptance, as a therapist would type it."""
    proc = served.cli("set", "130F")
    assert proc.returncode == 0, proc.stderr
    assert "130.0 \u00b0F" in proc.stdout
    s = served.status()
    assert abs(s["target_c"] - 54.4) <= 0.05
    assert s["state"] == "HEATING" and s["fault"] is None and s["heater_duty"] > 0.5

    refused = served.cli("set", "200F")
    assert refused.returncode == 1
    assert "40.0 and 57.0 C" in refused.stderr and "104.0 and 134.6 F" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert abs(served.status()["target_c"] - 54.4) <= 0.05  # unchanged

    waited = served.cli("wait-ready", "--timeout", "60", "--interval", "0.2")
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout.startswith("Ready")
    s = served.status()
    assert s["state"] == "READY" and abs(s["temp_c"] - 54.4) < 0.5


def test_garbage_on_the_line_changes_nothing_and_the_heater_keeps_answering(served):
    assert served.cli("set", "120F", "--no-start").returncode == 0
    before = served.status()
    rng = random.Random(4)
    with serial.Serial(served.port, timeout=0.2) as line:
        line.write(bytes(rng.randrange(256) for _ in range(5000)))  # random bytes
        line.write(b"target 57C" * 10000 + b"\n")  # a 100 kB line
        line.write(b"#12 targ")  # half a command ...
        line.write(b"\n")  # ... cut off
        line.write(b"target nan\ntarget NaNF\nconfig set kp nan\n")
        damaged = protocol.encode_request(13, "target 41C").replace(b"41C", b"42C")
        line.write(damaged)  # bad checksum
        line.write(b"#14 start\n")  # a program's state change without a checksum
        line.write(b"#15 stop*ZZZZ\n")
        line.flush()
        time.sleep(0.5)
    after = served.status()
    for key in ("state", "target_c", "fault"):
        assert after[key] == before[key], key
    assert after["state"] == "IDLE"
    config = json.loads(served.cli("config", "get", "kp", "--json").stdout)
    assert config["value"] == 0.6


def test_a_bare_number_is_in_the_users_unit(served):
    assert served.cli("--unit", "F", "set", "125", "--no-start").returncode == 0
    assert abs(served.status()["target_c"] - 51.67) < 0.01
    wrong = served.cli("set", "125")  # 125 C: refused, with the likely meaning
    assert wrong.returncode == 1 and "did you mean 125F" in wrong.stderr


def test_json_errors_are_one_object_and_exit_codes_are_documented(served):
    proc = served.cli("set", "200F", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"ok": False, "error": "OUT_OF_RANGE",
                                       "message": json.loads(proc.stdout)["message"]}
    assert served.cli("reset").returncode == 1  # nothing to reset
    assert served.cli("set", "hot").returncode == 2  # usage
    assert run_cli("--port", "/dev/no-such-port", "status").returncode == 3


def test_config_history_watch_info(served):
    assert served.cli("set", "130F").returncode == 0
    time.sleep(1.0)  # 200 simulated seconds: 20 history samples
    locked = served.cli("config", "set", "ready_band_c", "0.4")  # no PIN, no terminal
    assert locked.returncode == 1 and "stoneheat unlock" in locked.stderr
    got = served.cli("config", "set", "ready_band_c", "0.4", "--json",
                     env={"STONEHEAT_PIN": "0000"})
    assert got.returncode == 0 and json.loads(got.stdout) == {"values": {"ready_band_c": 0.4}}
    refused = served.cli("config", "set", "ready_band_c", "0.3", "cutoff_c", "99",
                         env={"STONEHEAT_PIN": "0000"})  # locked again after the last one
    assert refused.returncode == 1 and "Nothing was changed" in refused.stderr
    assert json.loads(served.cli("config", "get", "ready_band_c", "--json").stdout)["value"] == 0.4

    rows = list(csv.DictReader(io.StringIO(served.cli("history", "--csv").stdout)))
    assert len(rows) >= 15
    assert set(rows[0]) == {"time", "uptime_s", "temp_c", "target_c", "heater_duty", "state"}
    temps = [float(r["temp_c"]) for r in rows]
    assert temps[-1] > temps[0] + 3  # it is heating

    watch = served.cli("watch", "--count", "3", "--interval", "0.1", "--json")
    lines = watch.stdout.strip().splitlines()
    assert watch.returncode == 0 and len(lines) == 3
    # Heating, or already ready on a loaded machine (the heat-up takes 5 s here).
    assert all(json.loads(x)["state"] in ("HEATING", "READY") for x in lines)
    human = served.cli("watch", "--count", "2", "--interval", "0.1")
    assert human.stdout.count("HEATING") + human.stdout.count("READY") == 2

    info = json.loads(served.cli("info", "--json").stdout)
    assert info["board"] == "sim" and info["loop"]["period_ms"] == 250
    assert served.cli("stop").returncode == 0
    assert served.status()["state"] == "IDLE"


def test_a_fault_is_reported_with_advice_and_reset_waits_until_safe(tmp_path):
    served = start_serve(tmp_path, "--fault", "tc-open@600")
    try:
        assert served.cli("set", "130F").returncode == 0
        waited = served.cli("wait-ready", "--timeout", "60", "--interval", "0.1")
        assert waited.returncode == 4
        assert "TC_OPEN" in waited.stderr and "probe" in waited.stderr
        status = served.cli("status")
        assert "FAULT TC_OPEN" in status.stdout and "Check the probe plug" in status.stdout
        s = served.status()
        assert s["state"] == "FAULT" and not s["heater_on"] and not s["relay_on"]
        reset = served.cli("reset")
        assert reset.returncode == 1 and "no valid reading" in reset.stderr  # still open
        assert "cool" not in reset.stderr  # advice about the probe, not the water
        again = served.cli("set", "130F")
        assert again.returncode == 1 and "cannot start" in again.stderr
    finally:
        stop_serve(served)


def test_ctrl_c_stops_the_simulated_heater_cleanly(tmp_path):
    served = start_serve(tmp_path)
    assert served.cli("set", "130F").returncode == 0
    served.proc.send_signal(signal.SIGINT)
    out, err = served.proc.communicate(timeout=10)
    assert served.proc.returncode == 0, err
    assert "stopped: heater off" in out and "Traceback" not in err
    assert not served.port_file.exists()


def test_no_heater_anywhere_is_exit_3_with_advice():
    proc = run_cli("status")
    if proc.returncode == 0:
        pytest.skip("a heater is plugged into this machine")
    assert proc.returncode == 3 and "--port" in proc.stderr


@pytest.mark.parametrize("where", ["after", "before"])
def test_ports_lists_as_json(where):
    # `stoneheat --json ports` as every other command takes it (it printed the table).
    args = ("ports", "--json") if where == "after" else ("--json", "ports")
    proc = run_cli(*args)
    assert proc.returncode == 0 and isinstance(json.loads(proc.stdout)["ports"], list)


def test_ports_and_settings_tables_have_column_headers(served):
    ports = json.loads(run_cli("ports", "--json").stdout)["ports"]
    text = run_cli("ports").stdout.splitlines()
    if ports:
        assert text[0].split() == ["port", "USB", "id", "bridge", "or", "description"], text
        assert len(text) == len(ports) + 1 + (not any(p["heater"] for p in ports))
    else:
        assert text == ["No serial ports found. Plug in the heater's USB cable, or try a "
                        "simulated heater: `stoneheat sim serve`."]
    table = served.cli("config", "get").stdout.splitlines()
    assert table[0].split()[:3] == ["setting", "value", "allowed"], table[:2]
    assert len(table) == 1 + len(json.loads(served.cli("config", "get", "--json").stdout))


def test_an_argument_cannot_slip_a_command_onto_the_line(served):
    r = served.cli("config", "get", "kp\nstart\n")
    assert r.returncode == 2 and "0x0A" in r.stderr and "Nothing was sent" in r.stderr, r
    assert json.loads(served.cli("status", "--json").stdout)["state"] == "IDLE"


def test_a_command_that_unlocked_for_itself_locks_again(tmp_path):
    """STONEHEAT_PIN unlocks one command, not the console for 10 minutes: after it, a line
    typed by anything else that can write to the port was a technician's (hostile tester:
    `config set cutoff_c 65` by hand after `STONEHEAT_PIN=... stoneheat config set kp 0.6`).
    At real speed, so the heater's own 10 minutes cannot end the unlock first."""
    served = start_serve(tmp_path, "--speed", "1")
    try:
        pin = {"STONEHEAT_PIN": "0000"}
        assert served.cli("config", "set", "kp", "0.6", env=pin).returncode == 0
        info = json.loads(served.cli("info", "--json").stdout)
        assert info["unlocked_s"] == 0, info
        typed = served.cli("config", "set", "cutoff_c", "58")  # no PIN, no terminal
        assert typed.returncode == 1 and "locked" in typed.stderr
        # `stoneheat unlock` is for a session of commands: it stays unlocked
        assert served.cli("unlock", env=pin).returncode == 0
        assert json.loads(served.cli("info", "--json").stdout)["unlocked_s"] > 500
        assert served.cli("config", "set", "kp", "0.5").returncode == 0  # no PIN needed
        assert json.loads(served.cli("info", "--json").stdout)["unlocked_s"] > 500
    finally:
        stop_serve(served)


def test_info_says_when_the_pin_is_locked_out(served):
    for _ in range(5):
        served.cli("unlock", env={"STONEHEAT_PIN": "1111"})
    r = served.cli("info")
    assert r.returncode == 0 and "LOCKED OUT" in r.stdout, r.stdout


@pytest.mark.parametrize("option", ["--uptime-days", "--speed"])
def test_nan_for_a_sim_option_is_a_usage_error(option):
    r = run_cli("sim", "serve", option, "nan")
    assert r.returncode == 2 and "not NaN" in r.stderr, r.stderr
