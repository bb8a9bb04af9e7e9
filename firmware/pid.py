"""A PID controller for a heater: output 0..1, time from wrapping tick counters.

- Proportional on ``b * setpoint - measurement`` (setpoint weighting ``b``): a lower ``b`` tames
  the proportional jump on a setpoint change.
- Derivative on the measurement only, through a first-order filter: a setpoint change gives no
  derivative kick, and a 0.25 C sensor step does not slam the output.
- Conditional integration: the integral does not grow while the output is saturated in the
  direction the error pushes, so heat-up does not wind it up.
- Bumpless: ``reset(output)`` starts from a given output, and ``set_gains`` keeps the output
  where it was. For that the integral term may range over -1..1, not only over the output's
  0..1: after a retune it may have to cancel part of a larger proportional term.
"""

from .ticks import ticks_diff


class PID:
    def __init__(self, kp, ti_s, td_s, setpoint_weight=1.0, derivative_filter_s=1.0,
                 max_gap_ms=2000):
        self.kp = kp
        self.ti_s = ti_s
        self.td_s = td_s
        self.setpoint_weight = setpoint_weight
        self.derivative_filter_s = derivative_filter_s
        # A gap longer than this between updates (a stalled loop) restarts the derivative and
        # skips integration rather than applying one huge step.
        self.max_gap_ms = max_gap_ms
        self.integral = 0.0
        self.derivative = 0.0
        self.output = 0.0
        self._last_ms = None
        self._last_y = None
        self._last_sp = None

    def reset(self, output=0.0, setpoint=None, measurement=None):
        """Start afresh so that the next output continues from ``output`` (bumpless enable)."""
        self._last_ms = None
        self.derivative = 0.0
        self._last_y = measurement
        self._last_sp = setpoint
        if setpoint is not None and measurement is not None:
            self.integral = output - self._proportional(setpoint, measurement)
        else:
            self.integral = output
        self.integral = _clamp(self.integral, -1.0)
        self.output = _clamp(output)

    def set_gains(self, kp, ti_s, td_s, setpoint_weight=None):
        """Change the tuning without a bump in the output."""
        old = self.output
        self.kp = kp
        self.ti_s = ti_s
        self.td_s = td_s
        if setpoint_weight is not None:
            self.setpoint_weight = setpoint_weight
        self.derivative = 0.0
        if self._last_sp is not None and self._last_y is not None and 0.0 < old < 1.0:
            # Saturated (full power in a heat-up), the output shows nothing to keep: the
            # integral rebased on it went to -1, and a setting changed mid heat-up left the
            # hold short of the target for an hour.
            self.integral = _clamp(old - self._proportional(self._last_sp, self._last_y), -1.0)

    def _proportional(self, setpoint, y):
        return self.kp * (self.setpoint_weight * setpoint - y)

    def update(self, setpoint, measurement, now_ms, high=1.0):
        """One control step; returns the output in 0..``high`` (a cap below full power counts
        as saturation, so the integral does not wind up behind it)."""
        y = measurement
        if self._last_ms is None:
            dt_ms = 0
        else:
            dt_ms = ticks_diff(now_ms, self._last_ms)
            if dt_ms <= 0:
                return self.output
            if dt_ms > self.max_gap_ms:
                dt_ms = 0
                self.derivative = 0.0
        if dt_ms > 0 and self._last_y is not None:
            dt = dt_ms / 1000.0
            # Backward-Euler first-order filter on the derivative of the measurement.
            raw = -self.kp * self.td_s * (y - self._last_y)
            self.derivative = (self.derivative_filter_s * self.derivative + raw) / (
                self.derivative_filter_s + dt)
        p = self._proportional(setpoint, y)
        error = setpoint - y
        unclamped = p + self.integral + self.derivative
        if dt_ms > 0 and self.ti_s > 0:
            saturated_up = unclamped >= high and error > 0
            saturated_down = unclamped <= 0.0 and error < 0
            if not (saturated_up or saturated_down):
                self.integral = _clamp(
                    self.integral + self.kp * error * (dt_ms / 1000.0) / self.ti_s, -1.0)
                unclamped = p + self.integral + self.derivative
        self.output = _clamp(unclamped, 0.0, high)
        self._last_ms = now_ms
        self._last_y = y
        self._last_sp = setpoint
        return self.output


def _clamp(x, low=0.0, high=1.0):
    if x != x:  # NaN: the safe output
        return low
    if x < low:
        return low
    if x > high:
        return high
    return x
