"""The heat watch on its own: what trips it, what must not."""

from stoneheat.firmware import faults
from stoneheat.firmware.heat_watch import HeatWatch


def _drive(watch, temps, on, dt=250):
    code = None
    for t in temps:
        code = watch.update(dt, t, on) or code
        if code:
            return code
    return code


def test_full_power_with_no_rise_holds_the_heater_then_trips_the_heating_watch():
    w = HeatWatch()
    temps = [40.0 - 0.001 * i for i in range(4 * 400)]
    code, held_at = None, None
    for i, t in enumerate(temps):
        code = w.update(250, t, held_at is None)
        if w.holding and held_at is None:
            held_at = i / 4
        if code:
            break
    assert 120 <= held_at <= 125  # the whole window: at 40 C the cutoff is far
    assert code == faults.HEATING_WATCH
    assert 120 <= i / 4 - held_at <= 125  # nothing showed while held off for watch_s


def test_near_the_cutoff_the_window_is_what_the_fastest_bath_allows():
    # From 54.4 C the fastest full bath of the range (0.15 C/s) reaches the cutoff (60 C) less
    # the margin in (60 - 54.4) / 0.15 = 37 s: the window, whatever watch_s says. It holds
    # once the SSR has been on for 80 % of it.
    w = HeatWatch(watch_s=240)
    _drive(w, [54.4] * (4 * 240), False)
    for i in range(4 * 100):
        w.update(250, 54.4 - 0.01 * i, True)
        if w.holding:
            break
    assert 28 <= i / 4 <= 32


def test_a_rise_while_held_ends_the_hold():
    w = HeatWatch()
    _drive(w, [54.4] * (4 * 240), False)
    t = 54.4
    while not w.holding:
        t -= 0.02
        assert w.update(250, t, True) is None
    for _ in range(4 * 20):  # the heat given shows: up 0.8 C in 20 s
        t += 0.01
        assert w.update(250, t, False) is None
    assert not w.holding


def test_full_power_with_a_normal_rise_is_fine():
    w = HeatWatch()
    assert _drive(w, [20.0 + 0.042 * i / 4 for i in range(4 * 600)], True) is None


def test_rising_with_the_ssr_off_is_a_welded_ssr():
    w = HeatWatch()
    _drive(w, [54.4] * 400, False)
    assert _drive(w, [54.4 + 0.042 * i / 4 for i in range(4 * 60)], False) == faults.SSR_WELDED


def test_coasting_after_full_power_is_not_a_welded_ssr():
    # After heating at 0.042 C/s the reading goes on rising about 1 C once the SSR is off.
    w = HeatWatch()
    _drive(w, [20.0 + 0.042 * i / 4 for i in range(4 * 600)], True)
    top = 20.0 + 0.042 * 600
    coast = [top + 1.1 * (1 - 0.5 ** (i / 4 / 10.0)) for i in range(4 * 120)]
    assert _drive(w, coast, False) is None


def test_heating_far_faster_than_a_full_bath_can_is_low_water():
    w = HeatWatch()
    assert _drive(w, [30.0 + 0.25 * i / 4 for i in range(4 * 200)], True) == faults.LOW_WATER


def test_a_stalled_loop_restarts_the_watch():
    w = HeatWatch()
    _drive(w, [40.0] * 400, True)
    assert w.update(60000, 40.0, True) is None
    assert w._n == 0


def _fall_then_full_power(w, stall_at=None):
    """A steady 54.4 C, then the reading falls 0.5 C/s for 6 s (faster than any bath cools)
    and the SSR goes on at full power. Returns the seconds of full power before the hold."""
    _drive(w, [54.4] * (4 * 240), False)
    t = 54.4
    for _ in range(4 * 6):
        t -= 0.125
        w.update(250, t, False)
    for i in range(4 * 120):
        if i == stall_at:
            w.update(5000, t, True)  # a stalled loop: the watch starts afresh, but not blind
        t -= 0.01
        w.update(250, t, True)
        if w.holding:
            return i / 4
    return None


def test_after_a_fall_the_window_is_sized_for_1_l_left_on_the_strongest_heater():
    # 1 L left on 1.5 kW at mains +10 % heats 0.39 C/s: from 54.4 C it is at the cutoff less the
    # margin in 14 s, so the window is the shortest (16 s) and holds once 80 % of it was on;
    # without the fall the same full power holds after 30 s (the full bath's 37 s window).
    assert _fall_then_full_power(HeatWatch()) <= 14
    # A stalled loop starts the ring afresh, and a new window would need 16 s of samples
    # (25.75 s of full power; forgetting the fall, 59.75 s): in the doubt it holds at once.
    assert _fall_then_full_power(HeatWatch(), stall_at=8) <= 2.25


def test_the_hold_after_a_fall_lasts_two_minutes_at_most_whatever_watch_s():
    # In the air the reading settles after a few minutes, and noise could then release a hold
    # of watch_s = 240 s: the hold after a fall ends at 120 s.
    w = HeatWatch(watch_s=240)
    assert _fall_then_full_power(w) is not None
    code, held_s = None, 0.0
    t = w.smooth_c
    while code is None and held_s < 300:
        t -= 0.005  # the probe in the air: falling on
        code = w.update(250, t, False)
        held_s += 0.25
    assert code == faults.HEATING_WATCH and held_s <= 121


def test_once_the_heat_after_a_fall_shows_the_windows_are_the_full_bath_s_again():
    w = HeatWatch()
    _fall_then_full_power(w)
    t = w.smooth_c
    for _ in range(4 * 30):  # the heat shows: up 0.3 C
        t += 0.0025
        assert w.update(250, t, False) is None
    assert not w.holding and w.window_s() > 30
