"""The water level check (firmware/water_level.py) through the whole firmware, as the simulator
runs it: a bath with little water latches LOW_WATER; a full one is tested and passes; a welded
SSR is still a welded SSR."""

import dataclasses

import pytest

from stoneheat.firmware import faults as codes
from stoneheat.firmware.limits import DEFAULT_CUTOFF_C
from stoneheat.firmware.settings import Settings
from stoneheat.firmware.water_level import WaterLevel
from stoneheat.sim.faults import parse_fault
from stoneheat.sim.runner import run
from stoneheat.sim.family import parse_bath
from stoneheat.sim.scenarios import SCENARIOS, Event

LIMIT_C = DEFAULT_CUTOFF_C + 1.0


EVERY_MIN = 10


def _envelope_run(bath, moment, fault, seed=0):
    """One run of the fault matrix (``stoneheat sim faults``) on a bath of the family."""
    from stoneheat.sim import fault_envelope as fe

    spec = [s for s in fe.single_specs() if s[0] == fault][0]
    return fe.one_run((parse_bath(bath), moment, spec, None, seed))


def _run(faults=(), duration_s=5400.0, scenario="heatup", every_min=0):
    sc = dataclasses.replace(SCENARIOS[scenario], duration_s=duration_s)
    settings = Settings({"level_test_min": every_min}) if every_min else None
    return run(sc, faults=[parse_fault(f) for f in faults], settings=settings)[0]


def test_by_default_a_healthy_hold_is_never_tested():
    r = _run(duration_s=3 * 3600.0)
    assert r["faults"] == [] and r["level_tests"] == 0


def test_asked_for_a_full_bath_at_hold_is_tested_now_and_then_and_passes():
    r = _run(duration_s=3 * 3600.0, every_min=EVERY_MIN)
    assert r["faults"] == []
    # READY after about 15 minutes; then a test every 10 minutes of calm hold.
    assert r["level_tests"] >= (3 * 3600 - 1800) // (EVERY_MIN * 60) - 1
    # Each pulse costs the hold a little: peak to peak within 0.25 C (0.07 C without).
    assert r["band_c"] <= 0.25 and r["overshoot_c"] <= 0.2


def test_asked_for_low_water_at_hold_latches_low_water_within_two_tests():
    r = _run(["low-water@1800"], every_min=EVERY_MIN)
    assert r["code"] == codes.LOW_WATER
    assert r["detect_latency_s"] <= EVERY_MIN * 60 + 600
    assert r["heater_off"] and r["max_water_after_fault_c"] <= LIMIT_C


def test_low_water_at_hold_is_judged_when_the_weld_check_fires_on_its_swing():
    # Without the periodic test: a bath with little water swings, the weld check fires, and
    # the test it hands over to finds the bath answering heat several times too strongly.
    r = _run(["low-water@1800"])
    assert r["code"] == codes.LOW_WATER
    assert r["heater_off"] and r["max_water_after_fault_c"] <= LIMIT_C


def test_low_water_mid_heat_up_is_caught_by_its_climb():
    r = _run(["low-water@300"])
    assert r["code"] == codes.LOW_WATER
    assert r["heater_off"] and r["max_water_after_fault_c"] <= LIMIT_C


def test_a_welded_ssr_at_hold_opens_the_relay_at_once_and_latches_ssr_welded():
    r = _run(["ssr-welded@1800"])
    assert r["code"] == codes.SSR_WELDED
    assert r["heater_off"] and r["max_water_after_fault_c"] <= LIMIT_C


def test_a_welded_ssr_during_a_level_test_is_still_caught():
    # Tests every 10 minutes from READY (about 15 minutes in) on: welds at moments all
    # through the first two.
    for at in range(1500, 2700, 150):
        r = _run(["ssr-welded@%d" % at], every_min=EVERY_MIN)
        assert r["code"] == codes.SSR_WELDED, at
        assert r["heater_off"] and r["max_water_after_fault_c"] <= LIMIT_C, at


def test_without_a_heat_up_there_is_no_reference_and_no_test():
    level = WaterLevel()
    assert level.duty() is None
    assert level.suspect_weld(54.0) == codes.SSR_WELDED  # nothing to judge a weld by


def test_the_reference_is_the_first_ramp_s_not_a_later_faster_one():
    level = WaterLevel()
    level.learn(0.040, 30.0, 90.0)
    level.learn(0.045, 30.0, 100.0)
    level.learn(0.044, 30.0, 125.0)  # 30 s after the first estimate: frozen
    level.learn(0.300, 30.0, 100.0)  # a later ramp on a leaking bath
    assert level.ref_k == 0.045


def test_a_suspected_weld_opens_the_relay_within_a_minute():
    # The code latches after the test (minutes); the element is unpowered long before: from
    # the suspicion on, but for the test's one pulse (a few seconds).
    sc = dataclasses.replace(SCENARIOS["heatup"], duration_s=2400.0)
    r, trace = run(sc, faults=[parse_fault("ssr-welded@1800")], record=True)
    assert r["code"] == codes.SSR_WELDED
    dt = trace.time_s(1) - trace.time_s(0)
    fault_i = int(1800 / dt)
    off_for = int(30 / dt)  # unpowered for 30 s in a row
    first_off = next(i for i in range(fault_i, len(trace.heater_on) - off_for)
                     if not any(trace.heater_on[i:i + off_for]))
    assert (first_off - fault_i) * dt <= 60.0
    # After that, powered for the judgement's probe and pulse (7 s each here), and, where the
    # probe's answer came out under half the pulse's (its noise is 0.1-0.15 C against 0.3 C:
    # this seed's 0.145 C since the power cap changed the approach), for the weld check that
    # fires again once the relay closes: 41 s, the water at most 57.4 C.
    assert sum(trace.heater_on[first_off:]) * dt <= 60.0
    assert r["max_water_c"] <= 58.0


def test_days_of_calm_hold_keep_the_counters_small():
    # MicroPython's small ints end at 2**30: past it every addition would allocate.
    from stoneheat.firmware.heat_watch import HeatWatch
    from stoneheat.firmware.water_level import COUNT_CAP_MS
    w = HeatWatch(level_test_s=0)
    w.level.ref_k, w.level.lag_s, w.level._frozen = 0.045, 30.0, True
    for _ in range(4 * 120):
        w.update(250, 54.4, False, True, 0.0)
    w.level._calm_ms = w.level._since_ms = (1 << 30) - 1000  # as after 12 days of calm hold
    assert COUNT_CAP_MS < (1 << 30) - 1000
    for _ in range(4 * 60):
        assert w.update(250, 54.4, False, True, 0.0) is None
    assert w.level._calm_ms < 1 << 30 and w.level._since_ms < 1 << 30


def _watch_with(readings):
    from stoneheat.firmware.heat_watch import HeatWatch

    w = HeatWatch()
    for t in readings:  # the slow reading, one sample every 2 s, as the watch keeps it
        w.temps[w.pos] = t
        w.pos = (w.pos + 1) % len(w.temps)
        w._n = min(w._n + 1, len(w.temps))
    w.smooth_c = readings[-1]
    return w


def test_a_hold_that_swings_turns_twice_where_a_step_or_a_recovery_turns_once_at_most():
    import math

    def swings(readings):
        return _watch_with(readings).swings(180, 0.1)

    assert swings([54.4] * 100) == 0
    assert swings([54.4 + 0.04 * math.sin(i) for i in range(100)]) == 0  # noise
    assert swings([54.4] * 50 + [55.2] * 50) == 0  # heat poured in
    assert swings([54.4 + (0.8 * math.exp(-(i - 20) / 20.0) if i > 20 else 0.0)
                   for i in range(100)]) == 1  # a bump that settles back
    # 1 L left of a bath: the PID tuned for the full one swings it, 0.3 C every 2 minutes.
    assert swings([54.4 + 0.3 * math.sin(2 * math.pi * i / 60.0) for i in range(100)]) >= 2


def test_a_weld_the_probe_missed_behind_cold_stones_latches_when_its_check_fires_again():
    # A bath of the 50-bath family (seed 0, bath 3): after cold stones its bend hid the weld
    # from the probe (0.16 C against 0.30), the judgement cleared, and the weld check fired
    # again and again with no code while the water crept up. Firing again within REFIRE_S of
    # a judgement that cleared now latches SSR_WELDED.
    row = _envelope_run("water_l=7.091,stones_kg=3.806,heater_w=965.724,mains=1.008,"
                        "probe_tau_s=2.495,mixing_s=29.251", "stones", "ssr-welded")
    assert row["code"] == codes.SSR_WELDED and row["safe"], row["faults"]
    assert row["max_water_c"] <= LIMIT_C


@pytest.mark.parametrize("bath, moment", [
    # Judged after a weld check fired: the bath's bend after the leak read 0.26 C in the
    # probe, over half a full bath's pulse, and named it SSR_WELDED; its pulse answered 2.8 C.
    ("water_l=15.239,stones_kg=1.972,heater_w=1283.68,mains=1.002,probe_tau_s=2.666,"
     "mixing_s=27.888", "ready"),
    # A hold the loop kept calm with the lid off: nothing was tested in 20 minutes. Below
    # full power the PID's pulses now raise the 1 L left several times more than their heat
    # explains, and that starts a test.
    ("water_l=16.872,stones_kg=2.447,heater_w=1032.569,mains=0.924,probe_tau_s=6.388,"
     "mixing_s=7.708", "lid"),
    ("water_l=7.983,stones_kg=4.012,heater_w=1259.442,mains=1.043,probe_tau_s=4.613,"
     "mixing_s=18.615", "lid"),
    # Cold stones and the leak at once: the swing's test answered 11 times a full bath's
    # pulse, and its second test, under the hold's background duty, went on rising with the
    # 1 L and never settled (no verdict, 58 C). The second test is now a suspicion's.
    ("water_l=5.217,stones_kg=1.407,heater_w=1430.2,mains=1.096,probe_tau_s=1.729,"
     "mixing_s=5.211", "stones"),
    # A hot bath of 1 L cools by itself 1 C in two minutes with the heater off: counted from
    # the test's start, that fall aborted the second test as if cold water had come in, and
    # nothing latched in 20 minutes. A test now aborts on a fall within a minute, or below
    # the drift it measured.
    ("water_l=16.872,stones_kg=2.447,heater_w=1032.57,mains=0.924,probe_tau_s=6.388,"
     "mixing_s=7.708", "topup"),
    ("water_l=12.745,stones_kg=0.944,heater_w=1219.72,mains=0.979,probe_tau_s=2.904,"
     "mixing_s=10.052", "stones"),
    ("water_l=9.786,stones_kg=1.361,heater_w=1404.5,mains=1,probe_tau_s=5.361,"
     "mixing_s=6.168", "topup"),
    ("water_l=10.022,stones_kg=3.146,heater_w=1149.46,mains=0.986,probe_tau_s=2.701,"
     "mixing_s=22.571", "ready"),
])
def test_low_water_on_baths_of_the_family_latches_low_water(bath, moment):
    row = _envelope_run(bath, moment, "low-water")
    assert row["code"] == codes.LOW_WATER and row["safe"], row["faults"]


def test_a_weld_whose_pulse_the_lid_put_back_lifted_is_still_a_weld():
    # Family seed 2: the lid went back on during the weld judgement's pulse, which then
    # answered 2.5 times a full bath's with the probe silent, and latched LOW_WATER (whose
    # advice, fill and start again, closes the relay on the weld). In doubt a weld.
    row = _envelope_run("water_l=9.694,stones_kg=3.7,heater_w=891.68,mains=0.92,"
                        "probe_tau_s=1.675,mixing_s=28.196", "lid", "ssr-welded", seed=2)
    assert row["code"] == codes.SSR_WELDED and row["safe"], row["faults"]


def test_a_weld_judged_on_a_full_bath_is_never_named_low_water():
    # The weld probe's rule, on figures of the 50-bath envelope (seed 0): a weld's probe and
    # pulse answer alike (0.08-0.49 C where a full bath's pulse is 0.3 C), a leak's pulse
    # 0.7-3.7 C with its probe under half of it.
    level = WaterLevel()
    level.ref_k = 0.03
    for probe, pulse, expected in [(0.61, 0.94, codes.SSR_WELDED),  # a probe of 0.65x its pulse
                                   (0.26, 2.79, codes.LOW_WATER),
                                   (0.52, 1.33, codes.LOW_WATER),
                                   (0.21, 0.40, codes.SSR_WELDED),  # a weld after a lid off
                                   (0.36, 0.08, codes.SSR_WELDED),  # a weld behind a bend
                                   (0.21, 0.45, codes.SSR_WELDED),
                                   (0.12, 0.32, None)]:  # the probe missed it: cleared
        level.phase, level._weld, level._refire_ms = 4, True, 0
        level._probe_c, level._base_c, level._early_c = probe, 0.0, pulse
        level.last_rise_c, level.last_full_c = pulse, 0.3
        assert level._judge_weld(pulse) == expected, (probe, pulse)


@pytest.mark.parametrize("bath", [None, "water_l=10,stones_kg=3"])
@pytest.mark.parametrize("gap_s", [180, 600, 900])
def test_two_hot_top_ups_minutes_apart_are_not_a_welded_ssr(bath, gap_s):
    # Each raises the bath more than its heater explains. Judged as a fired weld check, the
    # first armed the weld checks' latch and the second latched SSR_WELDED (3 to 19 minutes
    # apart), or landed in the judgement's probe or pulse (SSR_WELDED, LOW_WATER). Such a rise
    # now starts a plain water level test, which a pour answers normally.
    from stoneheat.sim.family import parse_bath
    from stoneheat.sim.scenarios import Event

    plant = parse_bath(bath) if bath else SCENARIOS["heatup"].plant
    sc = dataclasses.replace(SCENARIOS["heatup"], plant=plant, duration_s=2400 + gap_s + 1500,
                             events=(Event(2400, "water_in", 1.0, 65.0),
                                     Event(2400 + gap_s, "water_in", 1.0, 65.0)))
    assert run(sc)[0]["faults"] == []


def test_a_calm_hold_s_test_never_replaces_a_weld_judgement_under_way():
    # A weld with the lid off on a bath of the envelope: the periodic and swing-triggered test
    # of a calm hold started over the weld judgement under way, the relay closed again, and
    # the weld was judged afresh again and again with no code.
    row = _envelope_run("water_l=15.668,stones_kg=4.467,heater_w=1389.612,mains=1.062,"
                        "probe_tau_s=3.33,mixing_s=14.298", "lid", "ssr-welded")
    assert row["code"] == codes.SSR_WELDED and row["safe"], row["faults"]


@pytest.mark.parametrize("after_s, seed", [
    (150, 0), (150, 1), (150, 2), (300, 0), (300, 1), (300, 2),
])
def test_a_probe_out_after_a_hot_top_up_on_a_slow_long_lag_bath_is_caught(after_s, seed):
    # From the hostile tester: 1 L at 60 C topped up on 12 L with 4 kg on 1000 W at mains
    # -10 %, behind an 8 s probe and 30 s of mixing, then the probe out of the water. The
    # heating watch's short holds (the air creeps up 0.1 C) come every 130 s and the slow
    # minutes never have a full-power span to judge: 83 C and no fault (seed 1, 300 s); and a
    # weld judgement in doubt that asked again with the relay closed ran the heater on air
    # (seeds 0 and 2 at 300 s: now SSR_WELDED, the relay kept open). Seeds 0 and 2 at 150 s
    # and seed 1 at 300 s stayed open until the power cap: under it the PID sits below the
    # heating watch's bar, and the rest at the cap finds the heat changes nothing.
    bath = parse_bath("water_l=12,stones_kg=4,heater_w=1000,mains=0.9,probe_tau_s=8,"
                      "mixing_s=30")
    sc = dataclasses.replace(SCENARIOS["heatup"], plant=bath, duration_s=2600 + after_s + 3000,
                             events=(Event(2600, "water_in", 1.0, 60.0),))
    r = run(sc, seed=seed, faults=[parse_fault("probe-out@%d" % (2600 + after_s))])[0]
    assert r["code"] in (codes.HEATING_WATCH, codes.SSR_WELDED), r["faults"]
    assert r["heater_off"] and r["max_water_c"] <= LIMIT_C


def test_a_weld_check_firing_while_a_test_s_pulse_shows_opens_the_relay_and_lets_it_answer():
    # The pulse's coast in a bath with little water fires the weld check. It used to replace
    # the test by a weld judgement, which lost the test's low answer: low water on a 9.2 L
    # bath went unnamed for the run's 20 minutes. Now the relay opens at once (a real weld
    # cannot heat), the pulse answers first, and a normal answer hands over to the judgement.
    from stoneheat.firmware import water_level as wl

    level = WaterLevel()
    level.learn(0.045, 30.0, 100.0)
    level.learn(0.045, 30.0, 131.0)  # frozen: the full bath's slope
    level._start(54.4, 0.0, wl.PULSE_RISE_C)
    level.phase = wl.SHOW
    assert level.suspect_weld(54.6) is None and level.relay_open()
    assert not level.judging_weld()  # still the plain test: its answer comes first
    for _ in range(int((level.lag_s + wl.SETTLE_S) * 4) + 8):  # the answer: nothing rose
        if level.update(250, 54.4, False) is not None or level.phase != wl.SHOW:
            break
    assert level.judging_weld() and level.relay_open()  # a normal answer: judge the weld


def test_low_water_on_a_bath_whose_test_fired_a_weld_check_latches_low_water():
    # From the 50-bath envelope (family seed 0): low water at READY, a first low answer, then
    # the second test's pulse fired a weld check. No code within 20 minutes before; now
    # LOW_WATER after about 970 s.
    r = _envelope_run("water_l=9.196,stones_kg=0.566,heater_w=807.945,mains=0.921,"
                      "probe_tau_s=3.081,mixing_s=11.345", "ready", "low-water")
    assert r["code"] == codes.LOW_WATER and r["safe"] and not r["named_otherwise"]
    assert r["detect_latency_s"] <= 1200
