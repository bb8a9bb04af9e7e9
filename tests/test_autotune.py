"""Autotune: the relay identification against python-control's analytical values, the gains it
gives on baths across the product's range, and its aborts."""

import dataclasses
import math

import pytest

from stoneheat.firmware.autotune import RelayTune
from stoneheat.firmware.controller import FAULT, HEATING, IDLE, TUNING
from stoneheat.firmware.settings import Settings
from stoneheat.sim.faults import parse_fault
from stoneheat.sim.plant import PlantParams
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS
from stoneheat.sim.family import bath_family, describe
from stoneheat.sim.tuning import STARTS, tune_bath


def _relay_on_fopdt(gain, tau_s, theta_s, hold_share, hysteresis_c, dt_s=0.25):
    """The firmware's relay experiment on an exact discrete first-order-plus-dead-time plant,
    in deviation from ambient: y' = (gain * u(t - theta) - y) / tau."""
    setpoint = hold_share * gain  # the share of full power that holds it: the relay's bias
    tune = RelayTune(setpoint, hysteresis_c=hysteresis_c, max_over_c=gain,
                     timeout_ms=10 ** 10)
    a = math.exp(-dt_s / tau_s)
    in_transit = [0.0] * int(round(theta_s / dt_s))
    y = 0.0
    for _ in range(10 ** 7):
        if tune.phase in ("done", "aborted"):
            break
        in_transit.append(tune.update(int(dt_s * 1000), y))
        y = a * y + (1 - a) * gain * in_transit.pop(0)
    assert tune.phase == "done", tune.reason
    return tune.result


def _ultimate_by_python_control(gain, tau_s, theta_s):
    """Ku and Pu of K e^(-theta s) / (tau s + 1): the first phase crossover (-180 degrees) of
    python-control's frequency response, the delay as a 10th-order Pade approximant."""
    import control

    plant = control.tf([gain], [tau_s, 1]) * control.tf(*control.pade(theta_s, 10))
    freqs, gains = control.phase_crossover_frequencies(plant)
    w, g = min((w, g) for w, g in zip(freqs, gains) if w > 0 and g < 0)
    return -1.0 / g, 2 * math.pi / w


# Water baths: a heat capacity of hours behind a dead time of tens of seconds (tau/theta >= 30),
# with the relay's bias (hold share) from a lossy to a well-lagged bath, and a hysteresis.
FOPDT = [
    (200.0, 3000.0, 30.0, 0.3, 0.2),
    (300.0, 6000.0, 20.0, 0.15, 0.3),
    (150.0, 900.0, 30.0, 0.4, 0.1),
    (100.0, 1000.0, 10.0, 0.1, 0.0),
    (400.0, 20000.0, 60.0, 0.2, 0.5),
]


@pytest.mark.parametrize("gain,tau_s,theta_s,hold_share,hysteresis_c", FOPDT)
def test_relay_ultimate_gain_and_period_agree_with_python_control(gain, tau_s, theta_s,
                                                                   hold_share, hysteresis_c):
    result = _relay_on_fopdt(gain, tau_s, theta_s, hold_share, hysteresis_c)
    ku, pu = _ultimate_by_python_control(gain, tau_s, theta_s)
    assert result["ku"] == pytest.approx(ku, rel=0.05)
    assert result["pu_s"] == pytest.approx(pu, rel=0.05)
    assert result["dead_time_s"] == pytest.approx(theta_s, rel=0.05)
    assert result["k_c_per_s"] == pytest.approx(gain / tau_s, rel=0.05)


# The product's range: 3 to 17 L of water, 800 to 1500 W (DOMAIN.md's reference is 6 L, 1200 W).
BATHS = [(3.0, 800.0), (3.0, 1500.0), (17.0, 800.0), (17.0, 1500.0), (6.0, 1200.0)]


@pytest.mark.parametrize("water_l,heater_w", BATHS)
def test_tuned_gains_reach_ready_fast_without_overshoot(water_l, heater_w):
    params = PlantParams(water_l=water_l, heater_w=heater_w)
    scenario = dataclasses.replace(SCENARIOS["heatup"], plant=params)
    ctrl, _ = tune_bath(params, scenario.setpoint_c)
    assert ctrl.tune.phase == "done", ctrl.tune.reason
    assert ctrl.state == HEATING and ctrl.fault is None  # back to holding the target
    r = ctrl.tune.result
    # As `autotune save` stores them: for this bath, not scaled again.
    result, _ = run(scenario, settings=Settings({"kp": r["kp"], "ti_s": r["ti_s"],
                                                 "td_s": r["td_s"], "adapt": 0}))
    assert result["ready_s"] <= 1.2 * result["full_power_s"]
    assert result["overshoot_c"] <= 0.5
    assert result["faults"] == []


@pytest.mark.parametrize("spec", ["tc-open@1500", "element-open@1500", "probe-out@1500"])
def test_a_fault_mid_tune_aborts_it_with_the_heater_off(spec):
    kind, _ = parse_fault(spec)
    ctrl, _ = tune_bath(PlantParams(), 54.44, fault=parse_fault(spec))
    assert ctrl.tune.phase == "aborted" and ctrl.tune.reason == "fault " + kind.expected_code
    assert ctrl.state == FAULT and ctrl.fault == kind.expected_code
    assert not ctrl.heater_on and not ctrl.relay_on
    assert ctrl.tune.result is None


def test_a_welded_ssr_mid_tune_ends_it_with_the_relay_open():
    """The relay experiment expects the water to coast on after each burst, so the tune's own
    limit (3 C over the target) may see a welded SSR before the weld check does: either way
    the safety relay opens, which takes the power from a welded SSR."""
    ctrl, _ = tune_bath(PlantParams(), 54.44, fault=parse_fault("ssr-welded@1500"))
    assert ctrl.tune.phase == "aborted" and ctrl.tune.result is None
    assert ctrl.state in (IDLE, FAULT) and not ctrl.relay_on and not ctrl.heater_on
    assert ctrl.reading_c < ctrl.settings["cutoff_c"]


# The corners of the range that coast furthest (small, strong, long mixing and probe lag) and
# the slowest, beside a CI-sized draw of the family (benchmarks/autotune.py --family sweeps 50).
EDGE_BATHS = [
    PlantParams(water_l=3.0, stones_kg=0.0, heater_w=1500.0, mains_factor=1.1,
                probe_tau_s=8.0, mixing_delay_s=30.0),
    PlantParams(water_l=3.2, stones_kg=2.0, heater_w=1191.0, mains_factor=0.95,
                probe_tau_s=6.9, mixing_delay_s=29.6),
    PlantParams(water_l=17.0, stones_kg=5.0, heater_w=800.0, mains_factor=0.9,
                probe_tau_s=1.0, mixing_delay_s=5.0),
] + bath_family(4, seed=3)


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("params", EDGE_BATHS, ids=describe)
def test_autotune_completes_from_every_start_on_baths_across_the_range(params, start):
    """From cold, from READY (the technician guide's order) and from a hot bath just after a
    power-on, at the highest everyday target: the tune finishes, no check mistakes its relay
    for a fault, and the water stays below the cutoff. From READY, the weld check took the
    coast after the first pulse for a welded SSR on every bath (issue 15); from cold, full
    power all the way up took a small bath behind a long mixing delay 3 C past the target."""
    target = Settings()["setpoint_max_c"]
    hottest = []
    ctrl, _ = tune_bath(params, target, start=start, hottest=hottest)
    assert ctrl.tune.phase == "done", (ctrl.tune.reason, ctrl.fault)
    assert ctrl.fault is None and ctrl.state == HEATING
    # Below the cutoff, though not by much at this target: 59.78 C on the first corner (3 L
    # bare, 1815 W, 8 s probe, 30 s mixing), 59.39 C at worst over 50 baths of the family.
    assert hottest[0] < Settings()["cutoff_c"]
    assert ctrl.events.codes().count("TUNE_DONE") == 1


@pytest.mark.parametrize("start", ["ready", "rebooted-hot"])
def test_a_weld_during_a_tune_from_a_hot_bath_still_opens_the_relay(start):
    """What the fix must not cost: the weld check that now allows the coast after a pulse of
    unknown strength still sees an SSR that welds in the tune, before the cutoff."""
    ctrl, _ = tune_bath(PlantParams(), 54.44, start=start,
                        fault=parse_fault("ssr-welded@300"))
    assert ctrl.tune.phase == "aborted" and ctrl.tune.result is None
    assert not ctrl.relay_on and not ctrl.heater_on
    assert ctrl.reading_c < ctrl.settings["cutoff_c"]


def test_stop_and_overshoot_abort_the_tune():
    ctrl, _ = tune_bath(PlantParams(), 54.44, limit_s=600)  # still heating towards the target
    assert ctrl.state == TUNING
    ctrl.stop()
    assert ctrl.state == IDLE and ctrl.tune.phase == "aborted" and not ctrl.heater_on
    assert "TUNE_ABORTED" in ctrl.events.codes()
    tune = RelayTune(50.0, max_over_c=3.0)
    assert tune.update(250, 53.5) == 0.0 and tune.phase == "aborted"
    assert "above the target" in tune.reason
