"""The bath model: identification from a full-power ramp, gain scheduling, time to ready."""

import math
import random

import pytest
from hypothesis import given, settings, strategies as st

from stoneheat.firmware.bath_model import (
    MIN_RISE_C,
    REFERENCE_K_C_PER_S,
    REFERENCE_LAG_S,
    SCHEDULE_POWER,
    BathModel,
)
from stoneheat.firmware.controller import HeaterController
from stoneheat.firmware.settings import Settings
from stoneheat.sim.plant import BathPlant, PlantParams
from stoneheat.sim.runner import DT_S, PERIOD_MS, TICKS_MASK, TICKS_START
from stoneheat.sim.sensor import SimulatedMax31855


def ramp(model, k, lag_s, seconds, noise_c=0.0, step_c=0.0, seed=0, duty=1.0, y0=20.0):
    """Feed an integrator-with-dead-time ramp, read through optional noise and quantisation."""
    rng = random.Random(seed)
    for i in range(int(seconds / DT_S)):
        t = (i + 1) * DT_S
        y = y0 + (k * (t - lag_s) if t > lag_s else 0.0) + rng.gauss(0.0, noise_c)
        if step_c:
            y = round(y / step_c) * step_c
        model.update(DT_S, y, duty)


@pytest.mark.parametrize("k, lag_s", [(0.0086, 18.0), (0.042, 30.0), (0.139, 50.0)])
def test_an_exact_ramp_gives_its_slope_and_lag(k, lag_s):
    model = BathModel()
    ramp(model, k, lag_s, lag_s + 200.0 / k * 0.1 + 120.0)
    assert model.k_c_per_s == pytest.approx(k, rel=1e-3)
    assert model.lag_s == pytest.approx(lag_s, abs=0.5)


@pytest.mark.parametrize("seed", range(5))
def test_a_noisy_quantised_ramp_still_gives_slope_and_lag(seed):
    # The MAX31855's 0.25 C steps and 0.1 C of noise, through no filter at all.
    model = BathModel()
    ramp(model, 0.042, 30.0, 600.0, noise_c=0.1, step_c=0.25, seed=seed)
    assert model.k_c_per_s == pytest.approx(0.042, rel=0.03)
    assert model.lag_s == pytest.approx(30.0, abs=6.0)


def test_nothing_is_learnt_below_full_power_or_before_the_rise():
    model = BathModel()
    ramp(model, 0.042, 30.0, 600.0, duty=0.8)
    assert not model.known()
    ramp(model, 0.042, 0.0, (MIN_RISE_C - 0.1) / 0.042)  # full power, but not risen enough
    assert not model.known()


def test_a_stalled_loop_restarts_the_ramp_instead_of_breaking_the_fit():
    # A 3-minute gap between ticks would give the fit a negative forgetting factor.
    model = BathModel()
    ramp(model, 0.042, 30.0, 400.0)
    k = model.k_c_per_s
    assert not model.update(180.0, 40.0, 1.0)
    assert not model.update(DT_S, 40.0, 1.0)  # a new ramp's origin, not a sample of the old
    assert model.k_c_per_s == k


def test_a_hold_after_the_ramp_does_not_blur_the_model():
    model = BathModel()
    ramp(model, 0.042, 30.0, 400.0)
    k, lag = model.k_c_per_s, model.lag_s
    for _ in range(4 * 600):  # ten minutes of hold: partial power, flat reading
        model.update(DT_S, 54.4, 0.05)
    assert (model.k_c_per_s, model.lag_s) == (k, lag)


def test_the_reference_bath_keeps_the_set_gains():
    model = BathModel()
    model.k_c_per_s, model.lag_s = REFERENCE_K_C_PER_S, REFERENCE_LAG_S
    assert model.scheduled_gains(0.6, 1800.0, 10.0, 30.0) == pytest.approx((0.6, 1800.0, 10.0, 30.0))


def test_a_faster_bath_behind_a_longer_lag_gets_gentler_slower_gains():
    model = BathModel()
    model.k_c_per_s, model.lag_s = 2 * REFERENCE_K_C_PER_S, 1.5 * REFERENCE_LAG_S
    kp, ti, td, filt = model.scheduled_gains(0.6, 1800.0, 10.0, 30.0)
    assert kp == pytest.approx(0.6 / 3.0 ** SCHEDULE_POWER)
    assert (ti, td, filt) == pytest.approx((2700.0, 15.0, 45.0))


@given(k=st.floats(1e-4, 1.0), lag=st.floats(0.0, 600.0))
def test_scheduling_never_makes_the_gains_more_aggressive(k, lag):
    model = BathModel()
    model.k_c_per_s, model.lag_s = k, lag
    kp, ti, td, filt = model.scheduled_gains(0.6, 1800.0, 10.0, 30.0)
    assert 0.0 < kp <= 0.6 and ti >= 1800.0 and td >= 10.0 and filt >= 30.0
    assert all(math.isfinite(x) for x in (kp, ti, td, filt))


def test_time_to_ready_needs_a_model_and_counts_down_the_hold():
    model = BathModel()
    assert model.ready_in_s(30.0, 54.4, 0.5, 30.0, 0.0, 0.6) is None
    assert model.ready_in_s(54.2, 54.4, 0.5, 30.0, 12.0, 0.6) == pytest.approx(18.0)
    assert model.ready_in_s(54.2, 54.4, 0.5, 30.0, 45.0, 0.6) == 0.0
    model.k_c_per_s, model.lag_s = 0.04, 30.0
    far, near = (model.ready_in_s(t, 54.4, 0.5, 30.0, 0.0, 0.6) for t in (30.0, 50.0))
    assert far > near > 30.0
    assert far - near == pytest.approx(20.0 / 0.04, rel=0.01)  # the straight climb between


@settings(max_examples=50)
@given(temp=st.floats(-50.0, 150.0), k=st.floats(1e-4, 1.0), g=st.floats(0.0, 1e-2),
       kp=st.floats(0.0, 20.0))
def test_time_to_ready_is_always_a_finite_non_negative_number(temp, k, g, kp):
    model = BathModel()
    model.k_c_per_s, model.lag_s, model.loss_per_s = k, 30.0, g
    eta = model.ready_in_s(temp, 54.4, 0.5, 30.0, 0.0, kp)
    assert eta is not None and math.isfinite(eta) and eta >= 0.0


def _heat(params, settings=None, seconds=1200):
    plant, chip = BathPlant(params, DT_S), SimulatedMax31855(0)
    ctrl = HeaterController(settings)
    ctrl.set_target_c(54.44)
    board_c = plant.ambient_c + params.board_above_ambient_c
    now = TICKS_START
    ctrl.tick(now, chip.frame(plant.probe_c, board_c))
    ctrl.start()
    seen = []
    for _ in range(int(seconds / DT_S)):
        now = (now + PERIOD_MS) & TICKS_MASK
        duty_before, kp_before = ctrl.duty, ctrl.pid.kp
        ctrl.tick(now, chip.frame(plant.probe_c, board_c))
        if ctrl.pid.kp != kp_before:
            seen.append(duty_before)
        plant.step(ctrl.heater_on and ctrl.relay_on)
    return ctrl, seen


SMALL_FAST_SLOW_PROBE = PlantParams(water_l=3.2, stones_kg=1.7, heater_w=1500.0, mains_factor=1.1,
                                    probe_tau_s=8.0, mixing_delay_s=30.0)


def test_a_small_powerful_bath_gets_scaled_gains_while_still_at_full_power():
    ctrl, changes = _heat(SMALL_FAST_SLOW_PROBE)
    assert ctrl.model.known()
    assert ctrl.pid.kp < 0.5 * Settings()["kp"]  # its loop gain is 2-3 times the reference's
    # Only while flat out, the output clipped: nothing to bump. Flat out is full power or, in
    # the last degrees behind this bath's 38 s of lag, the power cap just under it (0.9994).
    assert changes and all(d > 0.99 for d in changes)


def test_adapt_0_keeps_the_gains_as_set():
    ctrl, changes = _heat(SMALL_FAST_SLOW_PROBE, Settings({"adapt": 0}))
    assert ctrl.model.known() and not changes
    assert ctrl.pid.kp == Settings()["kp"]


def test_status_reports_the_estimate_while_heating():
    ctrl, _ = _heat(PlantParams(), seconds=300)
    assert ctrl.state == "HEATING" and 300 < ctrl.ready_in_s() < 900
    ctrl.stop()
    assert ctrl.ready_in_s() is None
