"""The PID's properties, each pinned by one test."""

from hypothesis import given
from hypothesis import strategies as st

from stoneheat.firmware.pid import PID
from stoneheat.firmware.ticks import TICKS_PERIOD, ticks_add, ticks_diff


def _pid(**kw):
    args = dict(kp=0.6, ti_s=1800.0, td_s=10.0, derivative_filter_s=30.0)
    args.update(kw)
    return PID(**args)


def _run(pid, setpoint, measurements, start_ms=0, period_ms=250):
    now = start_ms
    out = []
    for y in measurements:
        out.append(pid.update(setpoint, y, now))
        now = ticks_add(now, period_ms)
    return out, now


def test_no_derivative_kick_on_setpoint_change():
    pid = _pid()
    _, now = _run(pid, 50.0, [49.0] * 40)
    d_before = pid.derivative
    pid.update(55.0, 49.0, now)
    assert pid.derivative == d_before  # the derivative sees the measurement only


def test_derivative_opposes_a_rising_measurement():
    pid = _pid()
    _run(pid, 50.0, [40.0 + 0.05 * i for i in range(40)])
    assert pid.derivative < 0


def test_no_windup_after_long_saturation():
    pid = _pid()
    # Two hours far below the setpoint at full output: the integral must not grow.
    _, now = _run(pid, 54.0, [20.0] * (2 * 3600 * 4))
    assert pid.output == 1.0
    assert pid.integral <= 1e-9
    # Once at the setpoint the output falls at once instead of unwinding a huge integral.
    assert pid.update(54.0, 54.0, now) < 0.05


def test_a_retune_at_full_power_leaves_the_integral_alone():
    # A setting changed mid heat-up (any: auto_off_h) rebased the integral on the saturated
    # output, to -1, and the reference hold sat 0.4 C short of the target for an hour.
    pid = _pid()
    _run(pid, 54.0, [20.0] * 400)
    assert pid.output == 1.0
    integral = pid.integral
    pid.set_gains(pid.kp, pid.ti_s, pid.td_s)
    assert pid.integral == integral


def test_integral_removes_steady_offset():
    # A constant 0.1 C error is integrated into extra output.
    pid = _pid()
    _run(pid, 54.0, [53.9] * (3600 * 4))
    assert pid.integral > 0.1 * 0.6 * 3600 / 1800 * 0.9


def test_bumpless_enable_continues_from_the_given_output():
    pid = _pid()
    pid.reset(0.3, setpoint=54.0, measurement=53.8)
    assert abs(pid.update(54.0, 53.8, 1000) - 0.3) < 1e-9


def test_bumpless_retune_keeps_the_output():
    pid = _pid()
    _, now = _run(pid, 54.0, [53.7 + 0.001 * i for i in range(200)])
    before = pid.output
    pid.set_gains(1.2, 900.0, 20.0)
    after = pid.update(54.0, pid._last_y, ticks_add(now, 1))
    assert abs(after - before) < 0.01


@given(st.integers(0, TICKS_PERIOD - 1))
def test_same_result_across_tick_wraparound(start):
    trace = [30.0 + 0.02 * i for i in range(400)] + [54.0 - 0.001 * i for i in range(400)]
    a, _ = _run(_pid(), 54.0, trace, start_ms=start)
    b, _ = _run(_pid(), 54.0, trace, start_ms=0)
    assert a == b


def test_ticks_diff_across_wrap():
    assert ticks_diff(5, TICKS_PERIOD - 5) == 10
    assert ticks_diff(TICKS_PERIOD - 5, 5) == -10
    assert ticks_add(TICKS_PERIOD - 100, 250) == 150


def test_repeated_or_backward_time_changes_nothing():
    pid = _pid()
    _run(pid, 54.0, [50.0] * 10)
    state = (pid.integral, pid.derivative, pid.output)
    pid.update(54.0, 40.0, 0)  # time went backwards: ignored
    assert (pid.integral, pid.derivative, pid.output) == state


def test_a_stalled_loop_does_not_dump_a_huge_step():
    pid = _pid()
    _, now = _run(pid, 54.0, [54.0] * 40)
    integral = pid.integral
    pid.update(54.0, 53.0, ticks_add(now, 60000))  # one minute late
    assert pid.integral == integral


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=60),
       st.floats(40.0, 60.0))
def test_output_always_within_0_and_1(measurements, setpoint):
    out, _ = _run(_pid(), setpoint, measurements)
    assert all(0.0 <= u <= 1.0 for u in out)
