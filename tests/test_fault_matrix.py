"""Every fault of the matrix, injected into the simulated heat-up: detected, and ended safe."""

import dataclasses
import json
import subprocess
import sys

import pytest

from stoneheat.firmware.limits import DEFAULT_CUTOFF_C
from stoneheat.sim.fault_envelope import DOUBLE_FAULTS
from stoneheat.sim.faults import FAULT_KINDS, parse_fault
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS

def _scenario(at_s):
    return dataclasses.replace(SCENARIOS["heatup"], duration_s=at_s + 1200.0)


SCENARIO = _scenario(1800.0)

# How fast each fault must latch (issue 3): sensor faults within 1 s, but a rate needs its
# window and a frozen reading its 60 s; a dead element or a probe out of the water within 5
# minutes. A welded SSR opens the relay within 60 s (as issue 3 asked), but latches once the
# water level test has told it from low water and from heat poured in (issue 13: a probe with
# the SSR off, then a pulse): within 10 minutes; low water, from its climb and that test,
# within 15. Both were 8 and 10 before the power cap (issue 13): a rise steeper than the
# bath's heater makes now holds the heat off below the target while it settles, so the
# level test's pulses come later (the water on the reference bath stays under 42 C).
LATENCY_S = {"intermittent": 60.0, "frozen": 65.0, "ssr-welded": 600.0, "probe-out": 300.0,
             "element-open": 300.0, "low-water": 900.0}
NOT_BUILT = {}


def _params():
    for name in FAULT_KINDS:
        marks = [pytest.mark.xfail(reason=NOT_BUILT[name], strict=True)] if name in NOT_BUILT else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_fault_is_detected_and_ends_safe(name):
    kind = FAULT_KINDS[name]
    r, _ = run(_scenario(kind.matrix_at_s), "firmware", seed=0, faults=[(kind, kind.matrix_at_s)])
    assert r["code"] == r["expected_code"]
    assert r["detect_latency_s"] <= LATENCY_S.get(name, 1.0)
    assert r["heater_off"]
    assert r["max_water_after_fault_c"] <= DEFAULT_CUTOFF_C + 1.0


@pytest.mark.parametrize("spec, message", [
    ("bogus@10", "unknown fault"), ("tc-open", "say when"), ("tc-open@soon", "not a number"),
    ("tc-open@-5", "between 0 and"), ("tc-open@nan", "between 0 and"),
    ("tc-open@1e9", "between 0 and"),
])
def test_bad_fault_specs_are_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_fault(spec)


def test_fault_before_the_run_ends_only_when_due():
    r, _ = run(SCENARIO, "firmware", faults=[parse_fault("tc-open@99999")])
    assert r["code"] is None and r["detect_latency_s"] is None and r["faults"] == []


def test_sim_faults_json_lists_every_fault_with_the_contract_fields():
    proc = subprocess.run([sys.executable, "-m", "stoneheat", "sim", "faults", "--moment", "ready",
                           "--json"], capture_output=True, text=True, timeout=600)
    rows = json.loads(proc.stdout)
    doubles = [d[0] for d in DOUBLE_FAULTS]
    assert [r["fault"] for r in rows] == list(FAULT_KINDS) + doubles
    for r in rows:
        assert {"fault", "code", "detect_latency_s", "max_water_c", "heater_off"} <= set(r)
        assert r["heater_off"] and r["max_water_c"] <= DEFAULT_CUTOFF_C + 1.0
    # Every fault at hold on the reference bath ends safe (low water did not, before its hold
    # swing was tested): the command exits 0 (1 when one does not: test_safety_envelope's
    # test_sim_faults_plants_json_gives_one_worst_case_row_per_fault).
    assert all(r["safe"] for r in rows)
    assert proc.returncode == 0 and "NOT SAFE" not in proc.stderr
