"""The controller's states and its essential safety: off and latched on any doubt."""

import math
import pytest
from hypothesis import given
from hypothesis import strategies as st
from thermocouple_its90 import TypeK

from frames import BOARD_C, faulty_frame, max31855_frame
from stoneheat.firmware import faults
from stoneheat.firmware.controller import (
    FAULT,
    HEATING,
    IDLE,
    INTERNAL_ERROR,
    MAX6675,
    READY,
    CommandError,
    HeaterController,
)
from stoneheat.firmware.limits import SETPOINT_CEILING_C
from stoneheat.firmware.settings import SettingError, Settings
from stoneheat.firmware.thermocouple import CHIP_SEEBECK_MV_PER_C, decode_max31855
from stoneheat.firmware.ticks import TICKS_PERIOD, ticks_add
from stoneheat.sim.sensor import encode_max31855, encode_max6675


def _feed(ctrl, temps, start=0, period=250):
    now = start
    for t in temps:
        ctrl.tick(now, max31855_frame(t))
        now = ticks_add(now, period)
    return now


def test_idle_never_heats():
    ctrl = HeaterController()
    _feed(ctrl, [20.0] * 100)
    assert ctrl.state == IDLE and not ctrl.heater_on and not ctrl.relay_on


def test_heating_then_ready_after_hold_in_band():
    ctrl = HeaterController()
    ctrl.set_target_c(54.4)
    now = _feed(ctrl, [30.0] * 4)
    ctrl.start()
    now = _feed(ctrl, [30.0] * 4, now)
    assert ctrl.state == HEATING and ctrl.heater_on and ctrl.relay_on
    # Water rises as water does (0.04 C/s), closes in on the target as the heater backs off,
    # then holds 40 s in the band.
    now = _feed(ctrl, [30.0 + 0.01 * i for i in range(4 * 500)], now)
    now = _feed(ctrl, [54.3 - 4.3 * math.exp(-i / 4 / 100.0) + 0.25 * (i % 2)
                       for i in range(4 * 400)], now)  # with a live chip's noise
    _feed(ctrl, [54.3 + 0.25 * (i % 2) for i in range(40 * 4)], now)  # a live chip's noise
    assert ctrl.state == READY and ctrl.fault is None


def test_ready_falls_back_to_heating_when_water_cools():
    ctrl = HeaterController()
    now = _feed(ctrl, [54.4] * 4)
    ctrl.start()
    now = _feed(ctrl, [54.4 + 0.25 * (i % 2) for i in range(200)], now)  # a live chip's noise
    assert ctrl.state == READY
    _feed(ctrl, [52.5] * 40, now)
    assert ctrl.state == HEATING


def test_over_temperature_latches_and_reset_needs_cool_water():
    ctrl = HeaterController()
    now = _feed(ctrl, [54.0] * 4)
    ctrl.start()
    now = _feed(ctrl, [60.2], now)
    assert ctrl.state == FAULT and ctrl.fault == faults.OVER_TEMP
    assert not ctrl.heater_on and not ctrl.relay_on
    assert ctrl.fault_value >= 60.0
    with pytest.raises(CommandError):
        ctrl.start()
    now = _feed(ctrl, [58.0] * 10, now)
    assert ctrl.state == FAULT  # latched even though the reading dropped
    with pytest.raises(CommandError) as e:
        ctrl.reset_fault()
    assert e.value.code == "UNSAFE"
    now = _feed(ctrl, [50.0] * 10, now)
    ctrl.reset_fault()
    assert ctrl.state == IDLE and ctrl.fault is None


def test_over_temperature_trips_even_when_idle():
    # A welded SSR heats an idle bath: the cutoff must still latch.
    ctrl = HeaterController()
    _feed(ctrl, [61.0])
    assert ctrl.state == FAULT and ctrl.fault == faults.OVER_TEMP


@pytest.mark.parametrize("frame, code", [
    (0xFFFFFFFF, faults.SENSOR_BUS_HIGH),
    (0x00000000, faults.SENSOR_BUS_LOW),
    (faulty_frame(1), faults.TC_OPEN),
    (faulty_frame(2), faults.TC_SHORT_GND),
    (faulty_frame(4), faults.TC_SHORT_VCC),
    (max31855_frame(54.0) | (1 << 16), faults.SENSOR_FRAME),  # fault flag without a cause
    (max31855_frame(54.0) | (1 << 17), faults.SENSOR_FRAME),  # reserved bit
    (max31855_frame(54.0) | (1 << 3), faults.SENSOR_FRAME),  # reserved bit
    (encode_max31855(54.0, 120.0), faults.COLD_JUNCTION_RANGE),
    (encode_max31855(300.0, BOARD_C), faults.SENSOR_RANGE),
    (encode_max31855(-40.0, BOARD_C), faults.SENSOR_RANGE),
    (1 << 32 | max31855_frame(54.0), faults.SENSOR_FRAME),  # wider than the chip's frame
    (-1, faults.SENSOR_FRAME),
])
def test_untrusted_frames_turn_heater_off_and_latch(frame, code):
    ctrl = HeaterController()
    now = _feed(ctrl, [40.0] * 4)
    ctrl.start()
    now = _feed(ctrl, [40.0] * 4, now)
    assert ctrl.heater_on
    ctrl.tick(now, frame)
    # One bad read: off for this period, not latched (a lone glitch is tolerated).
    assert not ctrl.heater_on and ctrl.state == HEATING and ctrl.fault is None
    for _ in range(3):
        now = ticks_add(now, 250)
        ctrl.tick(now, frame)
    # Four in a row: latched, 0.75 s after the first.
    assert ctrl.state == FAULT and ctrl.fault == code
    assert not ctrl.heater_on and not ctrl.relay_on
    _feed(ctrl, [40.0] * 20, ticks_add(now, 250))
    assert ctrl.state == FAULT and not ctrl.heater_on  # latched
    ctrl.reset_fault()
    assert ctrl.state == IDLE
    assert ctrl.events.codes() == [code, "RESET"]


def _heating(ctrl=None):
    ctrl = ctrl or HeaterController()
    now = _feed(ctrl, [40.0] * 4)
    ctrl.start()
    return ctrl, _feed(ctrl, [40.0] * 4, now)


def _holding():
    """A controller holding a bath at its target: little power, so the heating watch is quiet."""
    ctrl = HeaterController()
    ctrl.set_target_c(40.0)
    now = _feed(ctrl, [40.0] * 4)
    ctrl.start()
    return ctrl, _feed(ctrl, [40.0, 40.25] * 2, now)


def test_glitches_shorter_than_the_limit_never_latch():
    ctrl, now = _holding()
    for _ in range(50):
        for frame in [0, 0, 0, max31855_frame(40.0)] + [max31855_frame(40.0 + 0.25 * (i % 2)) for i in range(40)]:
            on = ctrl.tick(now, frame)
            if frame == 0:
                assert not on
            now = ticks_add(now, 250)
    assert ctrl.fault is None and ctrl.state in (HEATING, READY)


def test_a_loose_connector_failing_one_read_in_ten_latches():
    ctrl, now = _holding()
    for i in range(400):
        ctrl.tick(now, faulty_frame(1) if i % 10 == 0 else max31855_frame(40.0 + (i % 2) * 0.25))
        now = ticks_add(now, 250)
        if ctrl.state == FAULT:
            break
    assert ctrl.fault == faults.SENSOR_INTERMITTENT
    assert i <= 120  # within the 30 s window


def test_healthy_wire_with_half_a_percent_glitches_does_not_trip_in_a_workday():
    import random

    rng = random.Random(1)
    ctrl, now = _holding()
    for i in range(8 * 3600 * 4):
        bad = rng.random() < 0.005
        ctrl.tick(now, faulty_frame(1) if bad else max31855_frame(40.0 + (i % 2) * 0.25))
        now = ticks_add(now, 250)
    assert ctrl.fault is None


def test_no_fresh_frame_is_stale():
    ctrl, now = _heating()
    for _ in range(4):
        assert ctrl.tick(now, None) is False
        now = ticks_add(now, 250)
    assert ctrl.fault == faults.SENSOR_STALE


def test_a_frozen_reading_while_heating_latches():
    ctrl, now = _heating()
    frozen = max31855_frame(40.0)
    for i in range(4 * 120):
        ctrl.tick(now, frozen)
        now = ticks_add(now, 250)
        if ctrl.state == FAULT:
            break
    assert ctrl.fault == faults.SENSOR_FROZEN
    # frozen_s (30 s) after the first of the identical frames (8 of them were fed before).
    assert 29.5 <= (i + 8) / 4 <= 30.5


def test_a_steady_but_live_reading_while_idle_is_not_frozen():
    from stoneheat.sim.sensor import SimulatedMax31855

    chip = SimulatedMax31855(seed=3)  # the chip's own noise, at a temperature that never moves
    ctrl, now = HeaterController(), 0
    for _ in range(4 * 3600):
        ctrl.tick(now, chip.frame(22.0, 25.0))
        now = ticks_add(now, 250)
    assert ctrl.fault is None


def test_an_identical_frame_while_idle_is_frozen_whatever_the_duty():
    # At duty 0 (idle, or a hold just above the target) a stuck chip once hid a welded SSR.
    ctrl = HeaterController()
    _feed(ctrl, [22.0] * (4 * 31))
    assert ctrl.state == FAULT and ctrl.fault == faults.SENSOR_FROZEN


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 200.0, 39.9, 57.1, "hot", None])
def test_bad_targets_are_refused_and_change_nothing(bad):
    ctrl = HeaterController()
    ctrl.set_target_c(50.0)
    with pytest.raises(SettingError):
        ctrl.set_target_c(bad)
    assert ctrl.target_c == 50.0


def test_an_exception_inside_a_tick_turns_everything_off():
    ctrl = HeaterController()
    now = _feed(ctrl, [40.0] * 4)
    ctrl.start()
    now = _feed(ctrl, [40.0] * 4, now)
    assert ctrl.heater_on

    def broken(*args):
        raise ZeroDivisionError("bug")

    ctrl.pid.update = broken
    assert ctrl.tick(now, max31855_frame(40.0)) is False
    assert ctrl.state == FAULT and ctrl.fault == INTERNAL_ERROR and not ctrl.relay_on


def test_max6675_frames():
    ctrl = HeaterController(sensor=MAX6675)
    ctrl.tick(0, encode_max6675(50.0))
    assert abs(ctrl.temp_c - 50.0) < 0.3
    ctrl.start()
    for i in range(4):
        ctrl.tick(250 * (i + 1), encode_max6675(50.0, open_circuit=True))
    assert ctrl.fault == faults.TC_OPEN and not ctrl.heater_on
    for frame, code in ((0xFFFF, faults.SENSOR_BUS_HIGH), (0, faults.SENSOR_BUS_LOW),
                        (encode_max6675(50.0) | 0x8000, faults.SENSOR_FRAME)):
        c = HeaterController(sensor=MAX6675)
        for i in range(4):
            c.tick(250 * i, frame)
        assert c.fault == code


# -- the property: whatever the trace and the commands, never heat on doubt -------------------

def _independent_reading(frame):
    """The water temperature a frame says, by the independent NIST implementation; None if the
    frame carries a fault bit or is one of the stuck-bus patterns."""
    if frame in (0, 0xFFFFFFFF) or not 0 <= frame <= 0xFFFFFFFF:
        return None
    tc_c, cj_c, bits = decode_max31855(frame)
    if bits:
        return None
    emf = (tc_c - cj_c) * CHIP_SEEBECK_MV_PER_C + TypeK.emf(cj_c)
    return TypeK.temperature(emf) if -5.0 < tc_c < 1300 else None


healthy = st.floats(15.0, 70.0).map(max31855_frame)
broken = st.one_of(
    st.sampled_from([0, 0xFFFFFFFF]),
    st.integers(1, 7).map(faulty_frame),
    st.integers(-(1 << 40), 1 << 40),
)
step = st.one_of(
    st.tuples(st.just("frame"), st.one_of(healthy, healthy, healthy, broken), st.integers(1, 3000)),
    st.tuples(st.just("start"), st.none(), st.none()),
    st.tuples(st.just("stop"), st.none(), st.none()),
    st.tuples(st.just("reset"), st.none(), st.none()),
    st.tuples(st.just("target"), st.floats(allow_nan=True, allow_infinity=True), st.none()),
)


@given(st.lists(step, max_size=120), st.integers(0, TICKS_PERIOD - 1))
def test_heater_never_on_for_a_faulty_frame_or_at_the_cutoff(steps, start):
    ctrl = HeaterController()
    cutoff = ctrl.settings["cutoff_c"]
    now = start
    for kind, value, dt in steps:
        if kind == "frame":
            now = ticks_add(now, dt)
            on = ctrl.tick(now, value)
            reading = _independent_reading(value)
            if reading is None:
                # A lone glitch opens the SSR only; the safety relay opens once it latches.
                assert not on
            elif reading >= cutoff - 0.01:
                assert not on and not ctrl.relay_on
            if ctrl.state == FAULT or ctrl.state == IDLE:
                assert not on and not ctrl.relay_on
        else:
            try:
                if kind == "start":
                    ctrl.start()
                elif kind == "stop":
                    ctrl.stop()
                elif kind == "reset":
                    ctrl.reset_fault()
                else:
                    ctrl.set_target_c(value)
            except (CommandError, SettingError):
                pass
        assert ctrl.target_c <= SETPOINT_CEILING_C
        assert ctrl.fault != INTERNAL_ERROR


def test_settings_change_all_or_nothing_and_bumpless():
    ctrl = HeaterController()
    now = _feed(ctrl, [50.0] * 4)
    ctrl.start()
    now = _feed(ctrl, [53.9 + 0.001 * i for i in range(400)], now)
    before = ctrl.duty
    with pytest.raises(SettingError):
        ctrl.update_settings({"kp": 1.0, "cutoff_c": 70.0})  # the cutoff ceiling is 65 C
    assert ctrl.settings["kp"] == 0.6 and ctrl.settings["cutoff_c"] == 60.0
    ctrl.update_settings({"kp": 1.2, "td_s": 20.0})
    assert ctrl.pid.kp == 1.2
    ctrl.tick(now, max31855_frame(54.3))
    assert abs(ctrl.duty - before) < 0.05


@pytest.mark.parametrize("changes", [
    {"setpoint_max_c": 60.5},  # above the compiled ceiling
    {"cutoff_c": 58.0},  # not 2 C above the highest setpoint
    {"setpoint_min_c": 58.0},  # above setpoint_max_c
    {"window_s": float("nan")},
    {"no_such_setting": 1.0},
])
def test_settings_that_would_weaken_safety_are_refused(changes):
    ctrl = HeaterController()
    before = dict(ctrl.settings.values)
    with pytest.raises(SettingError):
        ctrl.update_settings(changes)
    assert ctrl.settings.values == before


def test_narrowing_the_setpoint_range_pulls_the_target_inside():
    ctrl = HeaterController()
    ctrl.set_target_c(56.0)
    ctrl.update_settings({"setpoint_max_c": 54.0})
    assert ctrl.target_c == 54.0


# -- a second, redundant probe ------------------------------------------------------------------

def _feed2(ctrl, pairs, now):
    for t1, f2 in pairs:
        ctrl.tick(now, max31855_frame(t1), f2)
        now = ticks_add(now, 250)
    return now


def _holding_two_probes():
    ctrl = HeaterController(second_sensor="max31855")
    ctrl.set_target_c(40.0)
    now = _feed2(ctrl, [(40.0, max31855_frame(40.0))] * 4, 0)
    ctrl.start()
    return ctrl, _feed2(ctrl, [(40.0 + 0.25 * (i % 2), max31855_frame(40.0 + 0.25 * (i % 2)))
                              for i in range(40)], now)


def test_probes_that_agree_run_normally():
    ctrl, _ = _holding_two_probes()
    assert ctrl.fault is None and ctrl.reading2_c is not None


def test_probes_that_disagree_latch():
    ctrl, now = _holding_two_probes()
    _feed2(ctrl, [(40.0, max31855_frame(43.0))] * 4, now)
    assert ctrl.fault == faults.SENSOR_DISAGREE and not ctrl.relay_on


def test_second_probe_at_the_cutoff_latches_over_temperature():
    ctrl, now = _holding_two_probes()
    _feed2(ctrl, [(40.0, max31855_frame(60.5))], now)
    assert ctrl.fault == faults.OVER_TEMP


def test_second_probe_glitch_then_failure():
    ctrl, now = _holding_two_probes()
    now = _feed2(ctrl, [(40.0, 0)], now)
    assert ctrl.fault is None and not ctrl.heater_on
    _feed2(ctrl, [(40.0, 0)] * 4, now)
    assert ctrl.fault == faults.SENSOR2_FAULT


def test_without_a_second_probe_a_second_frame_is_ignored():
    ctrl, now = _holding()
    ctrl.tick(now, max31855_frame(40.0), 0)
    assert ctrl.fault is None


# -- auto-off -------------------------------------------------------------------------------

def test_heater_left_alone_goes_idle_after_the_auto_off_time():
    ctrl, now = _holding()
    ctrl.update_settings({"auto_off_h": 0.5})
    now = _feed(ctrl, [40.0, 40.25] * (2 * 60 * 14), now)  # 28 minutes
    ctrl.set_target_c(40.0)  # a command restarts the count
    now = _feed(ctrl, [40.0, 40.25] * (2 * 60 * 20), now)
    assert ctrl.state in (HEATING, READY)
    _feed(ctrl, [40.0, 40.25] * (2 * 60 * 11), now)
    assert ctrl.state == IDLE and ctrl.stopped_by == faults.AUTO_OFF and ctrl.fault is None
    assert not ctrl.heater_on and not ctrl.relay_on
    assert ctrl.events.codes()[-1] == faults.AUTO_OFF
    ctrl.start()
    assert ctrl.state == HEATING and ctrl.stopped_by is None


# -- review fixes ---------------------------------------------------------------------------

def test_outputs_read_off_even_if_switching_off_itself_fails():
    ctrl, now = _heating()
    assert ctrl.heater_on

    def broken(*args):
        raise RuntimeError("bug")

    ctrl.pid.update = broken  # the tick fails ...
    ctrl.output.force_off = broken  # ... and so does switching the output off
    with pytest.raises(RuntimeError):
        ctrl.tick(now, max31855_frame(40.0))
    assert not ctrl.heater_on and not ctrl.relay_on  # what the board reads is still off


def test_reset_clears_the_second_probes_memory_too():
    ctrl, now = _holding_two_probes()
    pattern = [(40.0, 0)] * 3 + [(40.0, max31855_frame(40.0))]
    for _ in range(4):  # 12 bad reads of the second probe in 4 s, never 4 in a row
        now = _feed2(ctrl, pattern, now)
    assert ctrl.fault == faults.SENSOR2_FAULT
    ctrl.reset_fault()
    ctrl.start()
    now = _feed2(ctrl, [(40.0, 0)], now)  # one glitch after the reset is only a glitch
    assert ctrl.fault is None and ctrl.events.codes()[-1] == faults.RESET


def test_a_setting_change_keeps_the_heat_watch_history():
    ctrl, now = _heating()
    watch = ctrl.watch
    ctrl.update_settings({"kp": 0.8})
    assert ctrl.watch is watch
    ctrl.update_settings({"watch_s": 150.0})
    assert ctrl.watch is not watch and ctrl.watch.watch_s == 150.0


# -- calibration cannot move the cutoff up ------------------------------------------------------

@pytest.mark.parametrize("offset_c", [-10.0, -2.0])
def test_a_negative_calibration_offset_cannot_lift_the_cutoff(offset_c):
    """The cutoff sees the higher of the raw and the calibrated reading: a calibration that
    lowers the reading makes the heater hold cooler water, but a raw 60 C still trips."""
    ctrl = HeaterController(Settings({"cal_offset_c": offset_c}))
    ctrl.set_target_c(50.0)
    ctrl.start()
    now = _feed(ctrl, [45.0] * 8)
    # Heating (the power cap near the limit takes the raw reading too: under full power at 45 C)
    assert ctrl.state == HEATING and ctrl.duty > 0.0
    _feed(ctrl, [60.1], now)
    assert ctrl.fault == faults.OVER_TEMP and not ctrl.heater_on and not ctrl.relay_on
    assert ctrl.fault_value >= 60.0
    # And a reset waits until the raw reading, too, is 5 C below the cutoff.
    now = _feed(ctrl, [56.0] * 4, now)
    with pytest.raises(CommandError):
        ctrl.reset_fault()
    _feed(ctrl, [54.0] * 4, now)
    ctrl.reset_fault()
    assert ctrl.state == IDLE
