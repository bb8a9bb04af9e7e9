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
