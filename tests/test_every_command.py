"""Every console command, in every state of the controller, through the firmware's whole main
loop, under both runtimes, as the CLI's link sends it (issue 15): none ends the loop, none is a
bug (INTERNAL_ERROR), and each answers ok or a refusal docs/protocol.md lists.

Before this, `autotune start` passed its unit tests and crashed the main loop the first time a
user ran it: the history ring did not know the state TUNING."""

import json
import re
import time
from pathlib import Path

import pytest

from micropython_tools import require_tool
from test_cli_device import start_serve, stop_serve
from stoneheat.firmware.faults import INTERNAL_ERROR
from stoneheat.link import DeviceRefused, HeaterLink
from stoneheat.sim.faults import parse_fault
from stoneheat.sim.serve import make_heater

PROTOCOL_MD = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
STATES = ("IDLE", "HEATING", "READY", "TUNING", "FAULT")

# Every command of the console (`help` lists them), each form a host sends. `maintenance`,
# which ends the main loop on purpose, runs last on each heater.
COMMANDS = (
    "status", "ping", "help", "info", "diag", "target", "target 130F", "target 999F",
    "config get", "config get kp", "config get nonsense", "config set kp 2",
    "history", "history 0 5", "events", "events 0 3", "autotune", "autotune status",
    "calibrate 20.0 20.5 2026-12-03", "autotune save", "lock", "unlock 9999", "reset",
    "start", "stop", "autotune start", "pin 4321",
)


def test_every_command_of_the_table_is_driven_here():
    from stoneheat.firmware import protocol
    driven = {c.split()[0] for c in COMMANDS} | {"maintenance"}
    assert set(protocol.COMMANDS[::3]) == driven


def test_the_documented_codes_are_the_one_list_of_error_codes():
    # firmware/error_codes.py is the list; docs/protocol.md's table names exactly those (but
    # INTERNAL_ERROR, a row of its own), the host's advice keys on them, and every code the
    # firmware raises is one of them.
    import ast
    from stoneheat.firmware import error_codes
    from stoneheat.session import ADVICE
    listed = error_codes.all_codes()
    assert listed - {INTERNAL_ERROR} == documented_codes()
    assert set(ADVICE) <= listed
    firmware = Path(error_codes.__file__).parent
    raised = set()
    for path in firmware.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "").endswith("Error") \
                    and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and node.args[0].value.isupper():
                raised.add(node.args[0].value)
    assert raised and raised <= listed, raised - listed
    # and the heater never loads the list (its heap: see the module's docstring)
    assert not [p.name for p in firmware.glob("*.py")
                if re.search(r"import .*error_codes|from \.error_codes", p.read_text("utf-8"))]


def documented_codes():
    """The error codes of docs/protocol.md's table: the only refusals a host may meet."""
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    return codes_of_table(text.split("## Error codes", 1)[1].split("\n## ", 1)[0]) \
        - {INTERNAL_ERROR}


def codes_of_table(table):
    """The codes named in the first column of a markdown table's rows."""
    codes = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            codes.update(re.findall(r"`([A-Z_]+)`", row.split("|")[1]))
    return codes


class Driver:
    """A served heater (the firmware's main loop on a simulated bath) and the host's link."""

    def __init__(self, runtime, state):
        # READY needs a whole heat-up: fast there; the other states last long at a slow clock.
        speed = 200.0 if state == "READY" else 5.0
        faults = [parse_fault("tc-open@1")] if state == "FAULT" else []
        self.heater = make_heater(runtime, speed=speed, seed=0, fault=faults).start_thread()
        self.link = HeaterLink(self.heater.path, timeout_s=5.0)
        self.pin = "0000"
        self.state = state

    def ask(self, command):
        try:
            return True, self.link.request(command)
        except DeviceRefused as e:
            return False, e.code

    def status(self):
        ok, s = self.ask("status")
        assert ok, s
        return s

    def wait_for(self, states, seconds=60.0):
        deadline = time.monotonic() + seconds
        while True:
            s = self.status()
            if s["state"] in states:
                return s
            assert time.monotonic() < deadline, "never reached %s: %s" % (states, s)
            time.sleep(0.05)

    def history_shows(self, state, seconds=60.0):
        """Wait for the history ring's next sample, and find the state in it."""
        deadline = time.monotonic() + seconds
        while True:
            ok, page = self.ask("history 0 1")
            assert ok, page
            if page["count"]:
                ok, page = self.ask("history %d 1" % (page["count"] - 1))
                assert ok, page
                if page["samples"][-1][4] == state:
                    return
            assert time.monotonic() < deadline, page
            time.sleep(0.1)

    def enter(self):
        """Back into this driver's state, whatever the last command did."""
        assert self.ask("unlock %s" % self.pin)[0]
        want, now = self.state, self.status()["state"]
        if want == "FAULT":
            assert now == "FAULT"
            return
        if now == "TUNING" and want != "TUNING" or want == "IDLE" and now != "IDLE":
            self.ask("stop")
        if want == "TUNING":
            if self.status()["state"] != "TUNING":
                ok, why = self.ask("autotune start")
                assert ok, why
        elif want in ("HEATING", "READY"):
            self.ask("start")
            self.wait_for((want,))
        assert self.status()["state"] == want

    def close(self):
        self.link.close()
        self.heater.stop()


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
@pytest.mark.parametrize("state", STATES)
def test_every_command_in_every_state_through_the_main_loop(runtime, state):
    if runtime == "micropython":
        require_tool("micropython")
    allowed = documented_codes()
    driver = Driver(runtime, state)
    try:
        if state == "READY":
            driver.ask("start")
            driver.wait_for(("READY",), seconds=120.0)
        if state == "FAULT":
            assert driver.wait_for(("FAULT",))["fault"] == "TC_OPEN"
        driver.enter()
        driver.history_shows(state)  # the loop's every part has run in this state
        for command in COMMANDS:
            driver.enter()
            ok, reply = driver.ask(command)
            assert ok or reply in allowed, (state, command, reply)
            if command.startswith("pin ") and ok:
                driver.pin = command.split()[1]
            assert driver.heater.stopped_by is None, (state, command)
            driver.status()  # the loop still answers
        driver.enter()
        ok, reply = driver.ask("maintenance")  # ends the loop, outputs off
        assert ok and reply == {"maintenance": True}, reply
        driver.heater.join(timeout=20)
        assert not driver.heater.board.ssr_on and not driver.heater.board.relay_on
    finally:
        driver.close()


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_autotune_runs_end_to_end_through_the_cli_and_saves_its_gains(tmp_path, runtime):
    """`stoneheat autotune` as a technician runs it, against `sim serve`: the relay experiment
    to its end inside the main loop (history, console and all), and the gains saved."""
    if runtime == "micropython":
        require_tool("micropython")
    served = start_serve(tmp_path, "--speed", "400", "--runtime", runtime)
    try:
        proc = served.cli("autotune", "--yes", "--json", "--poll", "0.2", timeout=600,
                          env={"STONEHEAT_PIN": "0000"})
        assert proc.returncode == 0, proc.stderr[-2000:]
        reply = json.loads(proc.stdout)
        assert reply["saved"] is True and reply["result"]["kp"] > 0
        saved = json.loads(served.cli("config", "get", "--json").stdout)
        assert saved["kp"]["value"] == pytest.approx(reply["result"]["kp"], rel=1e-4)
        assert saved["adapt"]["value"] == 0  # gains found on this bath are used as they are
        s = served.status()
        assert s["fault"] is None and s["state"] in ("HEATING", "READY")
    finally:
        stop_serve(served)


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_autotune_from_ready_as_the_guide_runs_it(tmp_path, runtime):
    """The guide's order: `set 130F`, `wait-ready`, then `stoneheat autotune`. The approach's
    first full-power pulse from READY coasts on after it, and a weld check that had forgotten
    the heat-up's slope took that coast for a welded SSR: SSR_WELDED on a healthy heater, 3 of
    3 tries by a new user (issue 15)."""
    if runtime == "micropython":
        require_tool("micropython")
    served = start_serve(tmp_path, "--speed", "400", "--runtime", runtime)
    try:
        assert served.cli("set", "130F").returncode == 0
        ready = served.cli("wait-ready", "--timeout", "120", "--interval", "0.2", timeout=180)
        assert ready.returncode == 0, ready.stdout + ready.stderr
        proc = served.cli("autotune", "--yes", "--json", "--poll", "0.2", timeout=600,
                          env={"STONEHEAT_PIN": "0000"})
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        reply = json.loads(proc.stdout)
        assert reply["saved"] is True and reply["result"]["kp"] > 0
        s = served.status()
        assert s["fault"] is None and s["state"] in ("HEATING", "READY"), s
    finally:
        stop_serve(served)


def test_the_cli_s_own_codes_are_one_list_and_documented():
    # host/error_codes.py lists what the CLI's --json error may carry beyond the heater's own
    # refusals; docs/protocol.md's table of CLI codes names exactly those, no code is in both
    # lists, and every Failure the CLI raises names its code by that list, never a literal.
    import ast
    from stoneheat import error_codes as cli_codes
    from stoneheat.firmware import error_codes
    host = Path(cli_codes.__file__).parent
    listed = cli_codes.all_codes()
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    table = text.split("| CLI code | meaning |", 1)[1].split("\n\n", 1)[0]
    assert codes_of_table(table) == listed
    assert not listed & error_codes.all_codes()
    literal = []
    for path in host.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Failure" \
                    and len(node.args) > 2 and isinstance(node.args[2], ast.Constant):
                literal.append("%s:%d" % (path.name, node.lineno))
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "error" \
                            and isinstance(value, ast.Constant):
                        literal.append("%s:%d" % (path.name, node.lineno))
    assert not literal, literal
