"""Safety over the product's whole range (issue 13): each row of the issue's table, the named
double faults, the settings at the ends of their ranges, and a CI-sized family of baths."""

import dataclasses
import json
import subprocess
import sys

import pytest

from stoneheat.firmware import faults as codes
from stoneheat.firmware.errors import SettingError
from stoneheat.firmware.settings import Settings
from stoneheat.sim import fault_envelope as fe
from stoneheat.sim.family import RANGES, bath_family, parse_bath
from stoneheat.sim.faults import parse_fault
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS, Event

LIMIT_C = 61.0  # the cutoff + 1 C at the defaults
SMALL_POWERFUL = "water_l=3,stones_kg=5,heater_w=1500,mains=1.1,probe_tau_s=1,mixing_s=5"


def _run(bath=None, faults=(), events=(), duration_s=3600.0, settings=None):
    params = parse_bath(bath) if bath else SCENARIOS["heatup"].plant
    scenario = dataclasses.replace(SCENARIOS["heatup"], plant=params, events=tuple(events),
                                   duration_s=duration_s)
    result, _ = run(scenario, faults=[parse_fault(f) for f in faults],
                    settings=Settings(settings) if settings else None)
    return result


def _ends_safe(r, *expected):
    assert r["code"] in expected, r["faults"]
    assert r["heater_off"]
    assert r["max_water_after_fault_c"] <= LIMIT_C


def test_probe_out_on_a_small_powerful_bath_is_caught_before_the_cutoff():
    # Was 64.7 C with HEATING_WATCH after 98 s: the watch window fitted the reference bath.
    at = 1.5 * fe.full_power_s(parse_bath(SMALL_POWERFUL)) + 900
    _ends_safe(_run(SMALL_POWERFUL, ["probe-out@%d" % at], duration_s=at + 1200),
               codes.HEATING_WATCH)


def test_probe_out_with_the_longest_watch_window_allowed_is_still_caught():
    # Was 62.0 C at watch_s 240 and 100 C past 300: a probe in air creeps up with the bath.
    _ends_safe(_run(None, ["probe-out@1800"], duration_s=3000, settings={"watch_s": 240}),
               codes.HEATING_WATCH)


def test_a_watch_window_that_could_not_catch_a_fast_bath_is_refused():
    with pytest.raises(SettingError):
        Settings({"watch_s": 300})


def test_low_water_on_a_big_bare_powerful_bath_stays_below_the_limit():
    # Was 62.5 C.
    _ends_safe(_run("water_l=17,stones_kg=0,heater_w=1500,mains=1.1", ["low-water@300"],
                    duration_s=1500), codes.LOW_WATER)


@pytest.mark.parametrize("at_s", [300, 1800])
def test_one_leak_that_leaves_the_probe_dry_ends_safe(at_s):
    # Was 63.9-70.4 C: low water and the probe out of the water at once.
    _ends_safe(_run(None, ["low-water@%d" % at_s, "probe-out@%d" % at_s],
                    duration_s=at_s + 1200), codes.HEATING_WATCH, codes.LOW_WATER)


def test_a_chip_frozen_at_ready_latches_within_frozen_s():
    # Was READY for hours, the water down to 36 C, no fault: the check needed the SSR on.
    r = _run(None, ["frozen@1800"], duration_s=3000)
    _ends_safe(r, codes.SENSOR_FROZEN)
    assert r["detect_latency_s"] <= Settings()["frozen_s"] + 1


@pytest.mark.parametrize("weld_after_s", [10, 311])
def test_a_chip_frozen_at_ready_then_a_welded_ssr_ends_safe(weld_after_s):
    # Was 100 C with status READY 54.47 C and no fault ever.
    _ends_safe(_run(None, ["frozen@889", "ssr-welded@%d" % (889 + weld_after_s)],
                    duration_s=3000), codes.SENSOR_FROZEN)


@pytest.mark.parametrize("temp_c", [70, 80, 90])
def test_hot_water_topped_up_at_hold_is_not_a_welded_ssr(temp_c):
    r = _run(None, events=[Event(1800, "water_in", 1.0, temp_c)])
    assert r["faults"] == []


@pytest.mark.parametrize("temp_c", [56, 58, 60, 62, 65])
def test_water_just_above_the_target_topped_up_is_not_a_welded_ssr(temp_c):
    # Was SSR_WELDED at 60 C: water a little hotter than the bath rises as slowly as a weld
    # heats. The weld check now hands over to the water level test, whose probe (relay closed,
    # SSR off) sees the SSR obey. On the reference bath and on the CI family.
    r = _run(None, events=[Event(1800, "water_in", 1.0, temp_c)])
    assert r["faults"] == []
    for i, bath in enumerate(bath_family(CI_BATHS)):
        scenario = dataclasses.replace(SCENARIOS["heatup"], plant=bath, duration_s=3 * 3600.0,
                                       events=(Event(7200.0, "water_in", 1.0, temp_c),))
        result, _ = run(scenario, seed=i)
        assert result["faults"] == [], (bath, temp_c)


@pytest.mark.parametrize("mains", [1.0, 1.1])
def test_a_small_bare_bath_heating_fast_is_not_low_water(mains):
    # Was LOW_WATER on every heat-up.
    r = _run("water_l=3,stones_kg=0,heater_w=1500,mains=%s" % mains)
    assert r["faults"] == []


@pytest.mark.parametrize("at_s", [1800, 2400])
def test_low_water_at_hold_latches_low_water(at_s):
    # Was SSR_WELDED after up to 1814 s, then LOW_WATER after 962 s once a weld check fired on
    # the swing. With the periodic test off (the default), a hold that swings is tested: about
    # 530 s, two low answers.
    r = _run(None, ["low-water@%d" % at_s], duration_s=at_s + 1200)
    assert r["code"] == codes.LOW_WATER and r["detect_latency_s"] <= 600
    assert r["heater_off"] and r["max_water_after_fault_c"] <= LIMIT_C


@pytest.mark.parametrize("name, low, high", [
    ("watch_s", 60, 240), ("frozen_s", 10, 30), ("watch_rise_c", 0.05, 1.0),
    ("max_heat_rate_c_s", 0.05, 0.25), ("coast_s", 30, 120), ("weld_base_c", 0.1, 1.0)])
def test_safety_settings_have_ranges_that_keep_their_check(name, low, high):
    assert Settings({name: low})[name] == low and Settings({name: high})[name] == high
    for outside in (low - 1e-3 if low > 0 else -1.0, high * 1.01 + 1e-3):
        with pytest.raises(SettingError):
            Settings({name: outside})


def _setting_ends():
    from stoneheat.firmware.settings import SETTINGS

    for name in fe.GOVERNS:
        for end in (SETTINGS[name][1], SETTINGS[name][2]):
            yield pytest.param(name, end, id="%s=%g" % (name, end))


@pytest.mark.parametrize("name, value", list(_setting_ends()))
def test_every_safety_setting_at_each_end_of_its_range_keeps_its_faults_safe(name, value):
    # The reference bath at hold, and mid heat-up, with the faults the setting's check governs
    # (benchmarks/fault_envelope.py walks the same on 4 baths at every moment). A probe that
    # opens latches TC_OPEN even at sensor_bad_reads=15: ten bad in a row are a run, not a
    # loose connector (it latched SENSOR_INTERMITTENT).
    specs = [s for s in fe.single_specs() + list(fe.DOUBLE_FAULTS) if s[0] in fe.GOVERNS[name]]
    jobs = fe.jobs_for([SCENARIOS["heatup"].plant], ("heatup", "ready"), specs=specs,
                       settings={name: value}, doubles=False)
    rows = fe.run_jobs(jobs, workers=2)
    assert len(rows) == 2 * len(specs)
    assert [(r["fault"], r["moment"], r["code"], r["max_water_c"]) for r in rows
            if not r["safe"]] == []


# A CI-sized family: every fault and double fault at every moment on 3 baths of the range
# (the 50-bath sweep is `stoneheat sim faults --plants 50`, in docs/benchmarks.md).
CI_BATHS = 3


# Faults not yet safe at every moment on every bath (issue 13 stays open for them; the figures
# are in docs/safety.md): strict, so the day one of them is fixed this list must shrink. Low
# water left it when a weld check firing on a test's pulse stopped replacing the test, and the
# matrix watched low water for an hour (sim/fault_envelope.py: LOW_WATER_WATCH_S).
OPEN = {}


def _family_params():
    for name in [k for k in fe.FAULT_KINDS] + [d[0] for d in fe.DOUBLE_FAULTS]:
        marks = [pytest.mark.xfail(strict=True, reason=OPEN[name])] if name in OPEN else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_family_params()))
def test_every_moment_on_a_small_family_ends_safe(name):
    specs = [s for s in fe.single_specs() + list(fe.DOUBLE_FAULTS) if s[0] == name]
    jobs = fe.jobs_for(bath_family(CI_BATHS, seed=0), specs=specs, doubles=False)
    rows = fe.run_jobs(jobs, workers=2)
    assert len(rows) == CI_BATHS * len(fe.MOMENTS)
    unsafe = [(r["moment"], r["code"], r["max_water_c"], r["plant"]) for r in rows if not r["safe"]]
    assert unsafe == []


def test_sim_faults_plants_json_gives_one_worst_case_row_per_fault(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "stoneheat", "sim", "faults", "--plants", "1", "--moment", "ready",
         "--json"], capture_output=True, text=True, timeout=600)
    rows = json.loads(proc.stdout)
    # Exit 1 exactly when a fault is not safe somewhere.
    assert proc.returncode == (0 if all(r["safe"] for r in rows) else 1), proc.stderr
    names = [r["fault"] for r in rows]
    assert names[-2:] == [d[0] for d in fe.DOUBLE_FAULTS] and len(names) == 14
    for r in rows:
        assert {"fault", "codes", "detect_latency_s", "max_water_c", "heater_off", "safe",
                "misnamed", "max_water_at", "latency_at"} <= set(r)
        assert 0 <= r["misnamed"] <= r["runs"]
        assert set(r["max_water_at"]["plant"]) == {name for name, _, _ in RANGES}
        assert r["max_water_at"]["moment"] == "ready" and r["runs"] == 1
    assert "14/14 runs" in proc.stderr  # progress, for a log as much as for a person


@pytest.mark.parametrize("spec, message", [
    ("water_l=0.1", "between"), ("water_l=abc", "not a number"), ("bogus=1", "unknown"),
    ("water_l", "give water_l a value"), ("water_l=3,water_l=4", "twice"), ("", "say which"),
    ("mains=nan", "between")])
def test_bad_bath_specs_are_refused_with_the_reason(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_bath(spec)


def test_sim_run_takes_a_bath_and_two_faults_from_the_command_line():
    proc = subprocess.run(
        [sys.executable, "-m", "stoneheat", "sim", "run", "heatup", "--bath", SMALL_POWERFUL,
         "--fault", "frozen@889", "--fault", "ssr-welded@899", "--json"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["fault"] == "frozen+ssr-welded" and r["code"] == codes.SENSOR_FROZEN
    assert r["heater_off"] and r["max_water_after_fault_c"] <= LIMIT_C
    bad = subprocess.run([sys.executable, "-m", "stoneheat", "sim", "run", "heatup", "--bath",
                          "water_l=0.2"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "water_l must be between" in bad.stderr
    what_if = subprocess.run([sys.executable, "-m", "stoneheat", "sim", "run", "heatup", "--bath",
                              "water_l=1"], capture_output=True, text=True, timeout=120)
    assert what_if.returncode == 0 and "outside the product's range" in what_if.stderr


def test_the_family_spans_the_range_the_checks_are_sized_for():
    baths = bath_family(CI_BATHS)
    assert min(b.water_l for b in baths) < 8 and max(b.heater_w for b in baths) > 1200


@pytest.mark.parametrize("offset_c", [0.5, 1.0, 3.0, -1.0])
def test_a_calibration_changed_at_hold_is_not_a_welded_ssr(offset_c):
    # A probe that reads low, calibrated at hold as the technician guide says: the reading
    # steps up with the SSR off, which once latched SSR_WELDED and opened the safety relay.
    from stoneheat.firmware.controller import HeaterController
    from stoneheat.sim.plant import BathPlant
    from stoneheat.sim.runner import DT_S, PERIOD_MS, TICKS_MASK, TICKS_START
    from stoneheat.sim.sensor import SimulatedMax31855

    plant, chip, ctrl = BathPlant(dt_s=DT_S), SimulatedMax31855(seed=1), HeaterController()
    ctrl.set_target_c(54.4)
    ctrl.start()
    now, board_c = TICKS_START, plant.ambient_c + 3.0
    for i in range(int(3600 / DT_S)):
        if i == int(1800 / DT_S):
            ctrl.update_settings({"cal_offset_c": offset_c})
        if i == int(1815 / DT_S):
            ctrl.update_settings({"cal_offset_c": 0.0})  # a typo undone 15 s later
        if i == int(2400 / DT_S):
            ctrl.update_settings({"cal_offset_c": offset_c})
        plant.step(ctrl.tick(now, chip.frame(plant.probe_c, board_c)) and ctrl.relay_on)
        now = (now + PERIOD_MS) & TICKS_MASK
    assert ctrl.fault is None and ctrl.state in ("READY", "HEATING")


def test_the_reference_table_in_the_safety_case_is_what_the_command_prints():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "safety.md").read_text()
    table = doc.split("<!-- reference-table -->")[1].split("<!-- /reference-table -->")[0]
    documented = {}
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        documented[cells[0]] = (cells[1], cells[3], cells[5].strip("*"))
    proc = subprocess.run([sys.executable, "-m", "stoneheat", "sim", "faults", "--moment", "ready",
                           "--json"], capture_output=True, text=True, timeout=600)
    measured = {r["fault"]: (r["code"] or "none", "%.2f °C" % r["max_water_c"],
                             "yes" if r["safe"] else "no") for r in json.loads(proc.stdout)}
    assert documented == measured


@pytest.mark.parametrize("at_s", [100, 200])
def test_a_probe_out_of_the_water_early_in_a_heat_up_is_caught_before_the_limit(at_s):
    # Was 100 C, HEATING_WATCH after 2338 s: each hold of the slope check ended at once, since
    # the air's reading creeps on with the heater off. Slow minutes now add up and latch.
    _ends_safe(_run(None, ["probe-out@%d" % at_s], duration_s=3600), codes.HEATING_WATCH)


@pytest.mark.parametrize("bath", [None, SMALL_POWERFUL,
                                  "water_l=3,stones_kg=0,heater_w=1500,mains=1.1,probe_tau_s=1,"
                                  "mixing_s=5",
                                  "water_l=17,stones_kg=0,heater_w=1500,mains=1.1,probe_tau_s=8,"
                                  "mixing_s=30"])
def test_a_probe_out_of_the_water_from_the_start_is_caught_on_a_bath_heated_before(bath):
    # Was 100 C. The heater remembers the slope of its last heat-up to READY (docs/safety.md):
    # the air rises a quarter as fast as that.
    params = parse_bath(bath) if bath else SCENARIOS["heatup"].plant
    scenario = dataclasses.replace(SCENARIOS["heatup"], plant=params, duration_s=3600.0)
    yesterday, _ = run(scenario, seed=1)
    assert yesterday["faults"] == [] and yesterday["bath_memory"] is not None
    r, _ = run(scenario, faults=[parse_fault("probe-out@0")],
               bath_memory=yesterday["bath_memory"])
    _ends_safe(r, codes.HEATING_WATCH)
    # Caught with the water far below the limit (46 C at worst, on the fastest bath).
    assert r["max_water_after_fault_c"] <= 50.0 and r["detect_latency_s"] <= 300.0


@pytest.mark.xfail(strict=True, reason="open: on the first heat-up of a heater whose bath was "
                   "not declared, a probe out of the water from the start reads air that rises "
                   "a quarter as fast as the water, as fast as a slow bath in water: nothing "
                   "tells them apart but the hardware layers (issue 13, docs/safety.md; "
                   "declared, tests/test_declared_bath.py)")
def test_a_probe_out_of_the_water_from_the_start_of_the_first_heat_up_ever():
    _ends_safe(_run(None, ["probe-out@0"], duration_s=3600), codes.HEATING_WATCH)


@pytest.mark.parametrize("temp_c", [70, 80])
def test_hot_water_topped_up_on_baths_of_the_family_is_not_a_welded_ssr(temp_c):
    # A big bath's step is slow (1 L at 70 C lifts 13 L by about 1 C, behind a 7 s probe),
    # but still far faster than that bath's own heater, whose slope the heat-up measured.
    for i, bath in enumerate(bath_family(CI_BATHS)):
        scenario = dataclasses.replace(SCENARIOS["heatup"], plant=bath, duration_s=4 * 3600.0,
                                       events=(Event(7200.0, "water_in", 1.0, temp_c),))
        result, _ = run(scenario, seed=i)
        codes_latched = [f["code"] for f in result["faults"]]
        # 1 L at 80 C into a 3 L bath takes the water itself to the cutoff: that trip is right.
        assert codes_latched == [] or (codes_latched == [codes.OVER_TEMP]
                                       and result["max_water_c"] >= 59.5), (bath, codes_latched)


def test_low_water_named_a_weld_in_doubt_is_safe_and_counted_as_named_otherwise():
    # A 3.5 L bath's litre left answers a pulse 2.9 times a full one's: not the 3 times that
    # names low water over a weld. SSR_WELDED opens the relay and its advice names a bath
    # nearly empty; the matrix counts it safe, and reports that it was named otherwise. (Under
    # the power cap this bath's leak at READY is named LOW_WATER; the count must follow.)
    bath = parse_bath("water_l=3.5,stones_kg=0.848,heater_w=869.483,mains=0.945,"
                      "probe_tau_s=3.45,mixing_s=12.942")
    spec = [s for s in fe.single_specs() if s[0] == "low-water"][0]
    r = fe.one_run((bath, "ready", spec, None, 0))
    assert r["code"] in (codes.LOW_WATER, codes.SSR_WELDED), r["code"]
    assert r["heater_off"] and r["max_water_c"] <= LIMIT_C
    assert r["safe"] and r["named_otherwise"] == (r["code"] == codes.SSR_WELDED)
    summary = fe.worst_by_fault([r])[0]
    assert summary["safe"] and summary["misnamed"] == int(r["named_otherwise"])


@pytest.mark.parametrize("fault, moment, code", [
    ("low-water+probe-out", "ready", codes.HEATING_WATCH),
    ("low-water", "topup", codes.LOW_WATER)])
def test_a_leak_after_a_fall_on_a_powerful_bath_behind_long_mixing_ends_safe(fault, moment, code):
    # One leak that leaves the probe dry at the hold: was 62.82 C, HEATING_WATCH after 150 s.
    # The probe in the air falls, the PID answers with full power, and 1 L at 1.5 kW heats
    # 0.36 C/s, past 61 C before the full bath's 37 s window judged. A leak in the recovery
    # from a cold top-up: was 62.80 C, OVER_TEMP, the climb hidden behind 27.5 s of mixing.
    # After a fall that fast the window is sized for 1 L left: 58.10 C in 134 s, and
    # LOW_WATER at 57.91 C.
    bath = parse_bath("water_l=13.918,stones_kg=0.07,heater_w=1494.52,mains=1.038,"
                      "probe_tau_s=2.034,mixing_s=27.477")
    spec = [s for s in fe.single_specs() + list(fe.DOUBLE_FAULTS) if s[0] == fault][0]
    r = fe.one_run((bath, moment, spec, None, 0))
    assert r["code"] == code and r["heater_off"], r
    assert r["max_water_c"] <= LIMIT_C and r["safe"]


def _slow_top_up(bath, at_s, marks=()):
    return pytest.param(bath, at_s, marks=marks, id=bath.split(",")[0])


@pytest.mark.parametrize("bath, at_s", [
    _slow_top_up("water_l=6.0,stones_kg=0.3,heater_w=804,mains=0.93,probe_tau_s=6.5,"
                 "mixing_s=26.0", 7200.0),
    _slow_top_up("water_l=9.196,stones_kg=0.566,heater_w=807.945,mains=0.921,probe_tau_s=3.081,"
                 "mixing_s=11.345", 4012.875)])
def test_a_cold_top_up_on_a_slow_bath_is_not_a_probe_out(bath, at_s):
    # Slow baths whose heat shows late behind a cold top-up. After a fall that fast the heating
    # watch sizes its window for 1 L left (the one leak that leaves the probe dry), and the
    # heat given must show: on the 6.0 L bath it does, and once it has the windows are the
    # full bath's again (holding on, its second window latched HEATING_WATCH at 7296 s). An
    # earlier try of that window tripped 17 of 161 workdays of benchmarks/false_trips.py. On
    # the 9.2 L bath on 808 W the 16 s of heat showed 0.04 C, under the hold's 0.05 C, hidden
    # in the fall: HEATING_WATCH at 4158 s on seeds 0, 3 and 5, until a reading that has
    # stopped falling ended the hold (HeatWatch._settled_in_water).
    scenario = dataclasses.replace(SCENARIOS["heatup"], plant=parse_bath(bath),
                                   duration_s=at_s + 1800.0,
                                   events=(Event(at_s, "water_in", 1.0, 20.0),))
    for seed in (0, 3, 5):
        result, _ = run(scenario, seed=seed, glitch_rate=0.005)
        assert result["faults"] == [], seed
        assert result["recovery_s"] is not None


@pytest.mark.parametrize("bath", [
    "water_l=17,stones_kg=0,heater_w=800,mains=0.9,probe_tau_s=1,mixing_s=5",
    "water_l=17,stones_kg=0,heater_w=800,mains=1.0,probe_tau_s=1,mixing_s=5",
    "water_l=12,stones_kg=2,heater_w=800,mains=0.9,probe_tau_s=1,mixing_s=5",
    "water_l=17,stones_kg=5,heater_w=800,mains=0.9,probe_tau_s=1,mixing_s=5",
])
def test_the_workday_lunch_top_up_on_a_big_bath_on_a_weak_heater_is_not_a_probe_out(bath):
    # The last hostile review: the lunch top-up's fall opens the short window sized for 1 L
    # left; its 16 s of heat into 12-18 L on 720-800 W hid in the fall, the hold never saw
    # its 0.05 C, and HEATING_WATCH latched at 15136-15138 s on every sensor seed 0-5.
    scenario = dataclasses.replace(SCENARIOS["workday"], plant=parse_bath(bath))
    for seed in (0, 3):
        result, _ = run(scenario, seed=seed)
        assert result["faults"] == [], (bath, seed)
        assert result["max_water_c"] <= LIMIT_C


# A leak late in a heat-up on a powerful bath behind long lags: 1 L left on 1815 W heats
# 0.39 C/s, unseen for the lag (mixing + probe: up to 38 s, 15 C), more than the 6.6 C between
# the target and the limit. No check on the reading can see it in time: the controller caps
# its power near the cutoff by the bath's lag (controller._leak_cap), and a rise steeper than
# the bath's heater makes holds the heat below the target (HeatWatch.surging).


@pytest.mark.parametrize("bath, at_s", [
    ("water_l=10,stones_kg=2,heater_w=1500,mains=1.1,probe_tau_s=8,mixing_s=30", 750.0),
    ("water_l=10,stones_kg=2,heater_w=1500,mains=1.1,probe_tau_s=8,mixing_s=30", 800.0),
    ("heater_w=1500,mains=1.1,mixing_s=30", 494.0),
])
def test_low_water_late_in_a_heat_up_on_a_powerful_long_lag_bath_ends_safe(bath, at_s):
    # The matrix's heat-up moment is at half the full-power time, where the reading is still
    # far below the cutoff; the hostile review tried later ones (0.9 of it and on): 65.16 C,
    # 62.70 C. 1 L left on 1815 W heats 0.39 C/s and the reading sees it only after the lag.
    result = _run(bath, faults=["low-water@%g" % at_s], duration_s=at_s + 1800.0)
    assert result["faults"] and result["max_water_c"] <= LIMIT_C


def test_low_water_at_any_moment_of_a_heat_up_on_the_powerful_long_lag_corners_ends_safe():
    # CI-sized: the corners of lag and water on the strongest heater, a leak every 150 s of
    # the heat-up and hold (benchmarks/late_leaks.py walks every 60 s over 24 corners).
    worst = []
    for bath in ("water_l=3,stones_kg=0,heater_w=1500,mains=1.1,probe_tau_s=8,mixing_s=30",
                 "water_l=8,stones_kg=0,heater_w=1500,mains=1.1,probe_tau_s=1,mixing_s=30",
                 "water_l=17,stones_kg=0,heater_w=1500,mains=1.1,probe_tau_s=8,mixing_s=30"):
        for at_s in range(300, 2400, 150):
            result = _run(bath, faults=["low-water@%g" % at_s], duration_s=10800.0)
            worst.append((result["max_water_c"], bath, at_s, result["faults"]))
    assert all(w[3] for w in worst), [w for w in worst if not w[3]]
    assert max(worst)[0] <= LIMIT_C, max(worst)


@pytest.mark.parametrize("at_s", [230.0, 240.0, 245.0, 250.0, 260.0])
def test_a_leak_late_in_a_heat_up_to_the_highest_target_ends_safe_on_the_slowest_small_bath(at_s):
    # The hostile review's corner: 57 C, the highest target, keeps the PID at the power cap
    # longest. 3 L bare on 1815 W behind an 8 s probe and 30 s of mixing reached 61.26 C with
    # 0.8 of the lag counted unseen (the mixing is a dead time: all of it is now).
    scenario = dataclasses.replace(
        SCENARIOS["heatup"], setpoint_c=57.0, duration_s=at_s + 1800.0,
        plant=parse_bath("water_l=3,stones_kg=0,heater_w=1500,mains=1.1,probe_tau_s=8,"
                         "mixing_s=30"))
    result, _ = run(scenario, faults=[parse_fault("low-water@%g" % at_s)])
    assert result["faults"] and result["heater_off"], result["faults"]
    assert result["max_water_c"] <= LIMIT_C, result["max_water_c"]


def test_the_power_cap_holds_the_pid_below_full_power_near_the_target_behind_long_lags():
    # The cap on its own, as a therapist sees it: the same heat-up reaches READY, a little
    # later than at full power, and near the target the heater is never fully on.
    bath = "water_l=17,stones_kg=0,heater_w=1500,mains=1.1,probe_tau_s=8,mixing_s=30"
    scenario = dataclasses.replace(SCENARIOS["heatup"], plant=parse_bath(bath))
    result, trace = run(scenario, record=True)
    assert result["faults"] == [] and result["ready_s"] is not None
    near = [trace.duty[i] for i in range(len(trace.duty)) if trace.measured_c[i] > 53.0]
    assert near and max(near) < 0.9


@pytest.mark.parametrize("bath, moment, fault", [
    # Found while the cap was built: the PID held at the cap (0.6 here) never reached the
    # heating watch's 80 % bar, and a dead element at READY stayed unnamed (69 of 250 runs).
    ("water_l=15.239,stones_kg=1.972,heater_w=1283.68,mains=1.002,probe_tau_s=2.666,"
     "mixing_s=27.888", "ready", "element-open"),
    # ... and a hold of the heat below the target on every noisy step of the reading kept a
    # probe in the air from being judged while 1 L left boiled (100 C).
    ("water_l=12.192,stones_kg=1.774,heater_w=918.923,mains=0.94,probe_tau_s=6.658,"
     "mixing_s=15.238", "heatup", "low-water+probe-out"),
])
def test_what_the_power_cap_once_hid_is_still_caught(bath, moment, fault):
    out = subprocess.run([sys.executable, "-m", "stoneheat", "--json", "sim", "faults",
                          "--bath", bath, "--moment", moment, "--fault", fault],
                         capture_output=True, text=True, check=False)
    (row,) = json.loads(out.stdout)
    assert row["safe"] and row["code"] == "HEATING_WATCH", row


@pytest.mark.parametrize("at_s", [24900.0, 24930.0, 24960.0])
def test_a_weld_in_the_recovery_from_the_afternoon_stones_on_a_small_bare_bath_ends_safe(at_s):
    # The last hostile review: 61.12 C (OVER_TEMP). The stones' fall started a water level
    # test, whose background heat (70 % of the hold's duty) kept the SSR pulsing as the weld
    # lifted the reading past the band: the off-time weld check never saw 10 s off, and the
    # bath's slope with the stones in was under the model check's 70 %. Above the band the
    # test gives no background heat now.
    bath = "water_l=3,stones_kg=0,heater_w=1500,mains=1.1,probe_tau_s=1,mixing_s=5"
    scenario = dataclasses.replace(SCENARIOS["workday"], plant=parse_bath(bath))
    result, _ = run(scenario, faults=[parse_fault("ssr-welded@%g" % at_s)])
    assert result["code"] == codes.SSR_WELDED, result["faults"]
    assert result["heater_off"] and result["max_water_after_fault_c"] <= LIMIT_C


@pytest.mark.parametrize("stall_s", [2.5, 4.5])
def test_a_stall_just_after_one_leak_that_leaves_the_probe_dry_ends_safe(stall_s):
    # The hostile review: a loop stall (under the 5 s watchdog) 10 s after a leak that left
    # the probe dry threw away the heating watch's ring, and with it the short window after
    # the fall: 62.7 C on the reference bath (100 C before that window). The loop keeps the
    # heater as it was during the stall, as a hung loop would.
    from stoneheat.firmware.controller import HeaterController
    from stoneheat.sim.plant import BathPlant
    from stoneheat.sim.runner import DT_S, PERIOD_MS, TICKS_MASK, TICKS_START
    from stoneheat.sim.sensor import SimulatedMax31855

    plant, chip, ctrl = BathPlant(dt_s=DT_S), SimulatedMax31855(seed=1), HeaterController()
    ctrl.set_target_c(54.4)
    ctrl.start()
    now, board_c, on = TICKS_START, plant.ambient_c + 3.0, False
    leak, stall = int(1800 / DT_S), int(1810 / DT_S)
    hottest = 0.0
    for i in range(int(2400 / DT_S)):
        if i == leak:
            plant.leak(1.0)
            plant.probe_in_water = False
        if not stall <= i < stall + int(stall_s / DT_S):
            on = ctrl.tick(now, chip.frame(plant.probe_c, board_c)) and ctrl.relay_on
        plant.step(on)
        now = (now + PERIOD_MS) & TICKS_MASK
        if i >= leak:
            hottest = max(hottest, plant.water_c)
    assert ctrl.fault == codes.HEATING_WATCH and not on
    assert hottest <= LIMIT_C


# Not a named double fault: the hardware layers cover what the firmware does not (docs/safety.md,
# Double faults). 1 L left under a welded SSR rises as fast as a pour, the weld checks wait for
# the "pour" to settle, and the water reached 64.15 C at the hold. From a step on the relay rests
# open while no heat is wanted; but a water level test started on the unexplained rise closes
# it, with the SSR off, and the weld heats the litre past the limit before the probe sees it
# (64.1 C at the hold). Strict: the day the firmware covers these moments, this must change.
_WELD_AND_LEAK_OPEN = ("ready", "topup")


@pytest.mark.parametrize("moment", [
    pytest.param(m, marks=[pytest.mark.xfail(strict=True, reason="docs/safety.md: the weld with "
                                             "the water gone, layer 5")]
                 if m in _WELD_AND_LEAK_OPEN else [])
    for m in fe.MOMENTS])
def test_a_weld_with_the_water_gone_at_the_same_moment_ends_safe_on_the_reference_bath(moment):
    from stoneheat.sim.plant import PlantParams

    spec = [s for s in fe.OTHER_PAIRS if s[0] == "ssr-welded+low-water"][0]
    r = fe.one_run((PlantParams(), moment, spec, None, 0))
    assert r["code"] in spec[2] and r["heater_off"], r
    assert r["max_water_c"] <= LIMIT_C and r["safe"], r


def test_the_other_pairs_benchmark_prints_a_line_per_pair():
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "double_faults.py"
    proc = subprocess.run([sys.executable, str(script), "--plants", "1", "--jobs", "1"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for name, _, _ in fe.OTHER_PAIRS:
        row = [ln for ln in lines if ln.startswith(name + " ")]
        assert len(row) == 1 and row[0].split()[1] == "5", proc.stdout  # 1 bath x 5 moments


def test_the_cold_top_up_benchmark_counts_the_false_trips_per_seed():
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "cold_topups.py"
    proc = subprocess.run([sys.executable, str(script), "--plants", "2", "--seed", "0",
                           "--jobs", "1"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("seed 0: 2 baths, 0 tripped falsely, hottest water "), \
        proc.stdout
    bad = subprocess.run([sys.executable, str(script), "--plants", "0"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "--plants must be at least 1" in bad.stderr


def test_a_weld_the_first_judgement_cleared_is_asked_again_when_it_steps_behind_the_relays_rests():
    # Family seed 1: on a slow bath the first judgement found the SSR obeying; the weld came
    # back as steps after the SSR's last pulse, the relay rested open each time, and after 20
    # minutes there was still no code. A step within REFIRE_S of a cleared judgement now asks
    # the SSR again: SSR_WELDED 1219 s after the weld, the water below the target meanwhile.
    from stoneheat.sim.family import parse_bath

    bath = parse_bath("water_l=9.27,stones_kg=1.911,heater_w=927.595,mains=0.958,"
                      "probe_tau_s=7.372,mixing_s=24.381")
    spec = fe.single_specs(["ssr-welded"])[0]
    r = fe.one_run((bath, "lid", spec, None, 1))
    assert r["code"] == codes.SSR_WELDED and r["heater_off"] and r["safe"], r
    assert r["max_water_c"] <= LIMIT_C


def test_the_envelope_table_in_the_safety_case_has_every_fault_and_no_unsafe_run():
    # The 50-bath sweep is a benchmark (docs/benchmarks.md); what CI can check is that the table
    # names every fault of the matrix once, each with no unsafe run and a worst water under the
    # limit, as the done-when of issue 13 says it must.
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "safety.md").read_text()
    table = doc.split("<!-- envelope-table -->")[1].split("<!-- /envelope-table -->")[0]
    rows = [[c.strip() for c in line.strip("|").split("|")]
            for line in table.strip().splitlines()[2:]]
    assert [r[0] for r in rows] == list(fe.FAULT_KINDS) + [d[0] for d in fe.DOUBLE_FAULTS]
    for r in rows:
        assert r[2] == "0", r
        assert float(r[4].split("**")[1].split()[0]) <= LIMIT_C, r


def test_a_weld_just_after_a_cold_top_up_whose_judgement_cleared_it_is_named_within_the_watch():
    # Family seed 1: the judgement's probe read 0.13 C against a pulse of 0.34 C behind the
    # bath's bend after the weld's climb (asked twice, the same), so the SSR was found
    # obeying; the relay then rested open while no heat was wanted, the water 3.4 C over the
    # target, and no check saw the weld for the run's half hour (no code). After a judgement
    # that found the bath full, the relay stays closed on this slow bath: the weld check
    # fires again and latches.
    bath = parse_bath("water_l=10.024,stones_kg=1.616,heater_w=847.323,mains=0.915,"
                      "probe_tau_s=3.483,mixing_s=21.221")
    spec = [s for s in fe.single_specs() if s[0] == "ssr-welded"][0]
    r = fe.one_run((bath, "topup", spec, None, 1))
    assert r["code"] == codes.SSR_WELDED and r["heater_off"] and r["safe"], r
    assert r["max_water_c"] <= LIMIT_C


@pytest.mark.xfail(strict=True, reason="open (issue 13, docs/safety.md Known limits): one leak "
                   "that leaves the probe dry at the hold at the highest target, behind 23 s of "
                   "mixing, takes the water 0.08 C past cutoff + 1 C before HEATING_WATCH")
def test_one_leak_that_leaves_the_probe_dry_at_the_highest_target_ends_safe():
    # Found by `python benchmarks/fault_envelope.py` (target 57 C, family seed 0): 61.08 C.
    bath = parse_bath("water_l=7.917,stones_kg=1.881,heater_w=1273.4,mains=1.084,"
                      "probe_tau_s=3.108,mixing_s=23.225")
    spec = [s for s in fe.DOUBLE_FAULTS if s[0] == "low-water+probe-out"][0]
    r = fe.one_run((bath, "ready", spec, {"setpoint_min_c": 57.0}, 0))
    assert r["code"] == codes.HEATING_WATCH and r["heater_off"]
    assert r["max_water_c"] <= LIMIT_C
