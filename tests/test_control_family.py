"""Issue 7's figures: the reference bath, a family of 50 baths, the time-to-ready estimate, and
the firmware against both baselines, run as `stoneheat sim bench` runs them."""

import dataclasses
import json
import subprocess
import sys

import pytest

from stoneheat.sim.family import RANGES, bath_family
from stoneheat.sim.family_bench import INF, run_family, verdict, worst_cases
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS

FAMILY = 50


@pytest.fixture(scope="module")
def reference():
    return {name: run(SCENARIOS[name])[0] for name in ("heatup", "stones")}


def test_reference_heatup_is_near_full_power_and_holds_tight(reference):
    r = reference["heatup"]
    # 1.05 before the power cap near the cutoff (issue 13), which holds the last degrees under
    # full power behind the reference bath's 18 s of lag: 1.071 (docs/benchmarks.md).
    assert r["ready_s"] <= 1.10 * r["full_power_s"]
    assert r["overshoot_c"] <= 0.2
    assert abs(r["offset_c"]) <= 0.05 and r["band_c"] <= 0.2
    assert r["faults"] == []


def test_reference_time_to_ready_is_within_10_percent_from_a_quarter_on(reference):
    # At a quarter, a half and three quarters of the heat-up (runner.ESTIMATE_CHECKS), against
    # the moment the firmware itself said READY.
    r = reference["heatup"]
    assert r["ready_state_s"] is not None
    assert abs(r["ready_estimate_error"]) <= 0.10


def test_reference_stones_recover_without_overshoot(reference):
    r = reference["stones"]
    assert r["overshoot_c"] <= 0.2 and r["faults"] == []
    # benchmarks/recovery_floor.py: an oracle that sees the probe, then the true water, is
    # back in the band after 43 s; full power from the very instant would need 19 s. What
    # the firmware does is recorded in docs/benchmarks.md; this bounds it.
    assert r["recovery_s"] <= 75.0


def test_the_family_spans_every_range():
    baths = bath_family(FAMILY, 0)
    for name, low, high in RANGES:
        values = sorted(getattr(b, name) for b in baths)
        width = (high - low) / FAMILY
        assert low <= values[0] <= low + width and high - width <= values[-1] <= high, name
    assert bath_family(FAMILY, 0) == baths and bath_family(FAMILY, 1) != baths


def test_a_family_of_none_is_refused():
    with pytest.raises(ValueError):
        bath_family(0)


@pytest.fixture(scope="module")
def family():
    return run_family(FAMILY, 0, controllers=("firmware",), workers=2)


def test_every_bath_of_the_family_is_ready_near_full_power_without_overshoot(family):
    assert len(family) == FAMILY
    for r in family:
        # 1.2 before the power cap (issue 13): behind 28 s of mixing it holds the last degrees
        # under full power, 1.322 at worst (docs/benchmarks.md); a leak there passed 61 C.
        assert r["ready_s"] is not None and r["ready_s"] <= 1.35 * r["full_power_s"], r["plant"]
        assert r["overshoot_c"] <= 0.5, r["plant"]
        assert r["faults"] == [], r["plant"]
        assert abs(r["offset_c"]) <= 0.05 and r["band_c"] <= 0.2, r["plant"]


def test_the_estimate_is_known_on_every_bath_of_the_family(family):
    # The figure itself (worst 21 % on the family, 4 % on the reference) is in the benchmarks.
    for r in family:
        assert r["ready_estimate_error"] is not None, r["plant"]
        assert abs(r["ready_estimate_error"]) <= 0.3, r["plant"]


def test_the_firmware_beats_both_baselines_on_every_worst_case():
    results = run_family(12, 3, workers=2)
    table = worst_cases(results)
    assert set(table) == {"firmware", "thermostat", "zn-pid"}
    lines = verdict(table)
    assert len(lines) == 2 and all("better on every figure" in line for line in lines), lines
    assert table["firmware"]["ready/fp"][0] < INF


CLI = [sys.executable, "-m", "stoneheat", "sim", "bench"]


def test_bench_plants_prints_one_table_with_the_worst_cases():
    proc = subprocess.run(CLI + ["--plants", "3", "--seed", "5"], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "worst case over 3 baths" in out
    for name in ("firmware", "thermostat", "zn-pid", "ready/fp", "overshoot", "recovery/fp",
                 "ready in"):
        assert name in out
    assert "firmware vs zn-pid" in out and "firmware vs thermostat" in out


def test_bench_plants_json_names_each_bath():
    proc = subprocess.run(CLI + ["--plants", "2", "--controller", "firmware", "--json"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == 2
    for r, bath in zip(results, bath_family(2, 0)):
        assert r["plant"] == {name: getattr(bath, name) for name, _, _ in RANGES}
        assert r["scenario"] == "stones" and "recovery_s" in r


@pytest.mark.parametrize("args", [["--plants", "0"], ["--plants", "x"],
                                  ["--plants", "2", "--scenario", "heatup"], ["--jobs", "2"]])
def test_bench_refuses_bad_family_options_clearly(args):
    proc = subprocess.run(CLI + args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "Error" in proc.stderr


def test_the_same_seed_gives_the_same_family_run():
    a = run_family(2, 7, controllers=("firmware",), workers=1)
    b = run_family(2, 7, controllers=("firmware",), workers=2)
    strip = lambda rs: [dict(r, wall_s=0) for r in rs]  # noqa: E731
    assert strip(a) == strip(b)


def test_a_bath_keeps_its_own_full_power_reference():
    small, big = bath_family(FAMILY, 0)[:2]
    runs = [run(dataclasses.replace(SCENARIOS["heatup"], plant=p, duration_s=600))[0]
            for p in (small, big)]
    assert runs[0]["full_power_s"] != runs[1]["full_power_s"]
