"""Time-proportioning output: exact mean power, minimum pulse, off means off."""

from hypothesis import given
from hypothesis import strategies as st

from stoneheat.firmware.heater_output import (
    RELAY_MIN_PULSE_MS,
    RELAY_WINDOW_MS,
    TimeProportioningOutput,
)
from stoneheat.firmware.ticks import TICKS_PERIOD, ticks_add


def _drive(out, duty, ticks, period_ms=250, start=0):
    now = start
    states = []
    for _ in range(ticks):
        states.append(out.update(duty, now))
        now = ticks_add(now, period_ms)
    return states


@given(st.floats(0.0, 1.0), st.integers(0, TICKS_PERIOD - 1))
def test_mean_power_equals_duty(duty, start):
    states = _drive(TimeProportioningOutput(), duty, 8 * 400, start=start)  # 400 windows
    mean = sum(states) / len(states)
    assert abs(mean - duty) <= 0.01


def test_small_duty_still_delivered_through_carry():
    # 3 % of a 2 s window is 60 ms, shorter than a tick: it must still average out.
    states = _drive(TimeProportioningOutput(), 0.03, 8 * 1000)
    assert abs(sum(states) / len(states) - 0.03) < 0.002


def test_no_pulse_shorter_than_min_pulse_for_a_relay():
    out = TimeProportioningOutput(RELAY_WINDOW_MS, RELAY_MIN_PULSE_MS)
    states = _drive(out, 0.04, 4 * 60 * 60 * 4)  # 4 h at 4 %: 2.4 s a minute, below 5 s
    runs, n = [], 0
    for s in states + [False]:
        if s:
            n += 1
        elif n:
            runs.append(n * 250)
            n = 0
    assert runs and min(runs) >= RELAY_MIN_PULSE_MS
    assert abs(sum(states) / len(states) - 0.04) < 0.005


def test_zero_duty_is_off_at_once_and_forgets_owed_time():
    out = TimeProportioningOutput()
    _drive(out, 0.5, 3)
    assert out.update(0.0, 750) is False
    assert out.update(float("nan"), 1000) is False
    assert _drive(out, 0.0, 50, start=1250) == [False] * 50


def test_full_duty_is_always_on():
    assert all(_drive(TimeProportioningOutput(), 1.0, 200))


@given(st.lists(st.integers(249, 252), min_size=400, max_size=400),
       st.integers(0, TICKS_PERIOD - 1), st.floats(0.05, 1.0))
def test_a_jittering_tick_keeps_full_duty_on_and_the_mean_exact(periods, start, duty):
    # A real loop's ticks come a millisecond early or late. A window that takes a ninth tick
    # is longer than 2 s: what it owes is the duty of the time it lasted. (Full power used to
    # owe the extra tick and drop one in the next window: 0.875 of a sample, which the heat
    # watch's full-power checks read as not full power.)
    out, now, on_ms, total = TimeProportioningOutput(), start, 0, 0
    on = out.update(duty, now)
    states = []
    for dt in periods:
        now = ticks_add(now, dt)
        on_ms += dt if on else 0
        total += dt
        on = out.update(duty, now)
        states.append(on)
    if duty == 1.0:
        assert all(states)
    assert abs(on_ms / total - duty) <= 0.02


def test_full_duty_with_a_tick_a_millisecond_late_is_always_on():
    out, now, states = TimeProportioningOutput(), 0, []
    for i in range(400):
        states.append(out.update(1.0, now))
        now = ticks_add(now, 251 if i % 3 else 250)
    assert all(states)
