"""What a new user hit (issue 15), each as they ran it: a degree sign, a target below the water,
a disconnected probe, a unit for `sim run`, the trend of a fast simulated heater, `--json` on
every error, and port errors that name the real cause."""

import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from stoneheat.cli import main
from stoneheat.firmware import protocol
from stoneheat.firmware.console import Console
from stoneheat.firmware.controller import HeaterController
from stoneheat.temperature import read_temperature
from test_cli_device import _env, run_cli, start_serve, stop_serve, wait_state


@pytest.fixture
def served(tmp_path):
    s = start_serve(tmp_path)
    yield s
    stop_serve(s)


# -- a degree sign ------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["130°F", "130 °F", "130 F", "130f"])
def test_a_temperature_copied_from_the_guide_is_read_as_typed(typed):
    t = read_temperature(typed, "C")
    assert t.device_text == "130F" and t.celsius == pytest.approx(54.444, abs=1e-3)
    assert protocol.is_printable_ascii(t.device_text.encode())


@pytest.mark.parametrize("typed,advice", [("54,4C", "decimal point"), ("130X", "like 130F"),
                                          ("°", "plain digits"), ("", "like 130F")])
def test_what_is_not_a_temperature_says_how_to_write_one(typed, advice):
    with pytest.raises(ValueError, match=advice):
        read_temperature(typed, "C")


def test_a_line_with_a_degree_sign_is_refused_with_its_id():
    """The heater's refusal carries the request's id, so that the host shows it instead of
    waiting 5 s and blaming the cable."""
    console = Console(HeaterController())
    reply = console.handle_line("#12 target 130\u00b0F".encode())
    assert protocol.parse_reply(reply, 12) == (False, ("BAD_LINE", reply.split(" ", 3)[3]
                                                        .rsplit("*", 1)[0]))
    assert console.ctrl.state == "IDLE"
    assert console.handle_line(b"\xb0#12 status").startswith("err BAD_LINE")  # no id to give


def test_set_with_a_degree_sign_and_a_negative_number(served):
    proc = served.cli("set", "130 °F")
    assert proc.returncode == 0, proc.stderr
    assert served.status()["target_c"] == pytest.approx(54.44, abs=0.01)
    proc = served.cli("set", "-5C")  # a number, not an option
    assert proc.returncode == 1 and "between" in proc.stderr, proc.stderr


# -- a target below the water -------------------------------------------------------------------

def test_lowering_the_target_below_the_water_says_cooling(served):
    assert served.cli("set", "130F").returncode == 0
    wait_state(served, "READY")
    proc = served.cli("set", "45C")
    assert proc.returncode == 0, proc.stderr
    assert "below the water" in proc.stdout and "Heating" not in proc.stdout
    # It promised "status shows how long it may take", and status has no such figure yet.
    assert "how long" not in proc.stdout and "`stoneheat watch`" in proc.stdout
    s = served.status()
    assert s["state"] == "HEATING" and s["cooling"] is True and s["heater_duty"] == 0.0
    assert s["ready_in_s"] is None  # not "ready in under a minute": no honest figure yet
    text = served.cli("status").stdout
    assert text.startswith("Cooling:") and "hotter than asked for" in text
    watch = served.cli("watch", "--count", "1").stdout
    assert "COOLING" in watch


# -- a probe disconnected -----------------------------------------------------------------------

def test_with_the_probe_disconnected_there_is_no_temperature_and_reset_says_why(tmp_path):
    served = start_serve(tmp_path, "--fault", "tc-open@30")
    try:
        s = wait_state(served, "FAULT")
        assert s["fault"] == "TC_OPEN" and s["temp_c"] is None
        proc = served.cli("reset")
        assert proc.returncode == 1
        assert "probe" in proc.stderr and "cool" not in proc.stderr, proc.stderr
    finally:
        stop_serve(served)


# -- units for the simulator --------------------------------------------------------------------

def test_sim_run_reads_a_bare_target_in_the_users_unit():
    for args, env in ((["--unit", "F"], {}), ([], {"STONEHEAT_UNIT": "F"})):
        proc = run_cli(*args, "sim", "run", "heatup", "--target", "125", env=env)
        assert proc.returncode == 0, proc.stderr
        assert "51.7 C (125.0 F)" in proc.stdout
    proc = run_cli("sim", "run", "heatup", "--target", "125")
    assert proc.returncode == 2 and "did you mean 125F?" in proc.stderr, proc.stderr


# -- the trend on the heater's clock ------------------------------------------------------------

def test_the_trend_of_a_fast_simulated_heater_is_per_minute_of_the_bath(served):
    assert served.cli("set", "130F").returncode == 0
    proc = served.cli("watch", "--count", "6", "--interval", "0.5", "--json")
    rates = [json.loads(line)["rate_c_per_min"] for line in proc.stdout.splitlines()]
    rates = [r for r in rates if r is not None]
    assert rates, proc.stdout
    # The reference bath heats about 2.4 C a minute; on the host's clock at 200x it read
    # hundreds.
    assert all(0.5 < r < 6.0 for r in rates), rates


# -- --json is one object, whatever ends the command --------------------------------------------

def _commands(group, prefix=()):
    import click

    for name in group.list_commands(None):
        cmd = group.get_command(None, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))
        elif any(p.name == "as_json" for p in cmd.params):
            yield prefix + (name,)


@pytest.mark.parametrize("path", sorted(_commands(main)))
def test_every_command_with_a_bad_argument_prints_one_json_object(path):
    result = CliRunner().invoke(main, ["--port", "/nonexistent/port", *path, "--no-such-option",
                                       "--json"])
    assert result.exit_code == 2, result.output
    obj = json.loads(result.stdout)
    assert obj["ok"] is False and obj["error"] == "USAGE"


@pytest.mark.parametrize("argv,env,code", [
    (["set", "130X", "--json"], {}, 2),
    (["--json", "set", "-5C"], {}, 3),
    (["status", "--json"], {"STONEHEAT_UNIT": "K"}, 2),
    (["--json", "status", "--unit", "F"], {}, 3),
])
def test_usage_errors_and_port_errors_print_one_json_object(argv, env, code):
    result = CliRunner().invoke(main, ["--port", "/nonexistent/port", *argv], env=env)
    assert result.exit_code == code, result.output
    assert json.loads(result.stdout)["ok"] is False


# -- the port ------------------------------------------------------------------------------------

def test_port_errors_name_the_cause_and_where_the_port_came_from(tmp_path):
    proc = run_cli("status", env={"STONEHEAT_PORT": str(tmp_path / "ttyUSB9")})
    assert proc.returncode == 3
    assert "there is no port" in proc.stderr and "STONEHEAT_PORT" in proc.stderr
    assert "cable" not in proc.stderr
    plain = tmp_path / "file"
    plain.write_text("")
    proc = run_cli("--port", str(plain), "status", "--json")
    assert proc.returncode == 3 and "not a serial port" in proc.stderr
    assert json.loads(proc.stdout)["error"] == "NO_PORT"


def test_commands_at_once_on_one_port_take_turns(served):
    procs = [subprocess.Popen([sys.executable, "-m", "stoneheat", "--port", served.port,
                               "status", "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env())
             for _ in range(6)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert json.loads(out)["state"] in ("IDLE", "HEATING", "READY")


@pytest.mark.parametrize("typed", ["130\nF", "130\tF", "130\u00a0F", "1\u00b03\u00b00F",
                                   "\u00b0130F", "1_30F", "\u0661\u0663\u0660F"])
def test_only_plain_digits_and_one_degree_sign_before_the_unit(typed):
    with pytest.raises(ValueError):
        read_temperature(typed, "C")



# -- Ctrl-C and the fault's advice in watch -----------------------------------------------------

@pytest.mark.parametrize("command,code", [("wait-ready", 130), ("watch", 0)])
def test_ctrl_c_says_the_heater_carries_on(served, command, code):
    import signal

    assert served.cli("set", "130F").returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "stoneheat", "--port", served.port, command,
                             "--interval", "0.2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())
    time.sleep(1.5)  # started, and polled at least once
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "the heater carries on" in err and "Aborted" not in err and "Traceback" not in err


def test_ctrl_c_stops_autotune_with_130_and_the_heater_off(served):
    """Ctrl-C in autotune exits 130 (INTERRUPTED), as every command's Ctrl-C; it exited 1 with
    STOPPED, the code of a `stoneheat stop` from elsewhere. Its progress says it heats up
    first (the tune's clock stood at 0 min 00 s through the heat-up)."""
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "stoneheat", "--port", served.port,
                             "autotune", "--json", "--poll", "0.2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=_env({"STONEHEAT_PIN": "0000"}))
    first = proc.stderr.readline()  # the announcement, then progress lines
    assert first.startswith("Autotune around"), first
    progress = proc.stderr.readline()
    assert progress.startswith("  heating up to the target first, water "), progress
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert json.loads(out)["error"] == "INTERRUPTED" and "Traceback" not in err
    s = served.status()
    assert s["state"] == "IDLE" and s["heater_duty"] == 0.0


def test_autotune_without_a_terminal_to_confirm_saves_nothing(tmp_path):
    served = start_serve(tmp_path, "--speed", "400")
    try:
        before = json.loads(served.cli("config", "get", "kp", "--json").stdout)
        proc = subprocess.run([sys.executable, "-m", "stoneheat", "--port", served.port,
                               "autotune", "--poll", "0.2"], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=600,
                              env=_env({"STONEHEAT_PIN": "0000"}))
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert "Not saved" in proc.stderr and "--yes" in proc.stderr
        assert "Aborted!" not in proc.stderr
        assert json.loads(served.cli("config", "get", "kp", "--json").stdout) == before
    finally:
        stop_serve(served)


def test_watch_gives_a_fault_s_advice_once(tmp_path):
    served = start_serve(tmp_path, "--fault", "tc-open@5")
    try:
        wait_state(served, "FAULT")
        out = served.cli("watch", "--count", "4", "--interval", "0.1").stdout
        assert out.count("Check the probe plug") == 1, out
    finally:
        stop_serve(served)


def test_watch_waits_for_a_heater_that_went_away(tmp_path):
    import signal

    served = start_serve(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "stoneheat", "--port", served.port, "watch",
                             "--interval", "0.2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())
    try:
        # No sleeps to race: the first reading, then the cable pulled, then its first word.
        assert "water" in proc.stdout.readline()
        stop_serve(served)  # the port is gone
        first = proc.stderr.readline()
        assert "still trying" in first, first
        assert proc.poll() is None, proc.communicate()  # still waiting for it
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "still trying" not in err, first + err  # said once, not at every poll


def test_an_auto_off_says_how_to_heat_again_once():
    from stoneheat.display import status_lines
    from stoneheat.firmware.faults import AUTO_OFF

    lines = status_lines({"state": "IDLE", "temp_c": 40.0, "target_c": 54.44,
                          "stopped_by": AUTO_OFF}, "C")
    assert sum("start" in line.lower() for line in lines) == 1, lines
    plain = status_lines({"state": "IDLE", "temp_c": 40.0, "target_c": 54.44,
                          "stopped_by": None}, "C")
    assert plain[-1] == "Run `stoneheat start` to heat."


def test_a_trend_in_f_is_the_same_change_in_f_degrees():
    from stoneheat.display import rate

    assert rate(1.0, "F") == "+1.8 \u00b0F/min" and rate(-2.5, "F") == "-4.5 \u00b0F/min"
    assert rate(1.0, "C") == "+1.0 \u00b0C/min" and rate(None, "F") == "no trend yet"


@pytest.mark.parametrize("command", [["sim", "run", "--help"], ["sim", "faults", "--help"]])
def test_help_examples_stay_whole_on_an_80_column_terminal(command):
    # Wrapped on a hyphen or an '=', `ssr-welded@1800` and `mains=FACTOR` were split in two.
    out = CliRunner().invoke(main, command, terminal_width=80).output
    assert "mains=FACTOR" in out and "ssr- welded" not in out.replace("\n", " ")
    if command[1] == "run":
        assert "--fault frozen@1800 --fault ssr-welded@1800" in out
    else:  # --setting names the settings it is for, with their ranges
        assert "watch_s 60-240" in out and "weld_base_c 0.1-1" in out


def _commands(group, path=()):
    import click

    yield list(path)
    for name, cmd in sorted(getattr(group, "commands", {}).items()):
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path + (name,))
        else:
            yield list(path + (name,))


def test_every_help_fits_an_80_column_terminal():
    # Issue 15: the scenario and fault listings ran to 157 and 172 columns, the --fault
    # choices printed whole on one line.
    wide = []
    for path in _commands(main):
        out = CliRunner().invoke(main, path + ["--help"], terminal_width=80).output
        assert "Usage:" in out, path
        wide += [(" ".join(path), line) for line in out.splitlines() if len(line) > 80]
    assert wide == []


def test_a_pair_given_to_sim_run_says_how_to_give_a_double_fault():
    r = CliRunner().invoke(main, ["sim", "run", "heatup", "--fault", "frozen+ssr-welded@1800"])
    assert r.exit_code == 2
    assert "--fault frozen@1800 --fault ssr-welded@1800" in r.output


def test_ready_is_never_cooling_and_a_far_target_ends_ready_at_once():
    """docs/protocol.md: `cooling` is true while HEATING only. The hostile tester moved the
    target from 55.0 to 54.44 at READY and got READY with `cooling` true; a target far below
    the water ends READY in the reply itself."""
    from frames import max31855_frame
    from stoneheat.firmware.settings import Settings

    # The PID's duty would heat a bath: the reading is held at the target, no heat watch trip
    # (a held reading at a hold is duty near 0); the ready hold is set to none.
    ctrl = HeaterController(Settings({"ready_hold_s": 0.0}))
    ctrl.set_target_c(55.0)
    now = 0
    for _ in range(8):
        ctrl.tick(now, max31855_frame(55.0))
        now += 250
    ctrl.start()
    for _ in range(40):
        ctrl.tick(now, max31855_frame(55.0))
        now += 250
    assert ctrl.state == "READY"
    ctrl.set_target_c(54.44)  # 0.56 C below the water: inside READY's hysteresis
    assert ctrl.state == "READY" and not ctrl.cooling()
    ctrl.set_target_c(45.0)
    assert ctrl.state == "HEATING" and ctrl.cooling()
