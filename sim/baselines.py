"""Models of what peers ship, run on the same plant, sensor and seed as the firmware.

- ``Thermostat``: a dial thermostat with 1 C of hysteresis, as in roaster-oven stone heaters.
- ``ZieglerNicholsPID``: relay autotune, then classic Ziegler-Nichols PID, as Marlin's M303 does
  it (a relay about the target whose bias is adapted until heating and cooling halves match),
  and a PID with a smoothed derivative on the measurement and the integral frozen while the
  output is clipped, as Klipper and Marlin run it. Klipper's own relay (full power between the
  target and 5 C below) gives a period of about 47 minutes on a water bath and a derivative
  time so long that quantisation noise drives the bath to boiling, so the better peer method
  is the one compared.

Both read the same MAX31855 frames through the firmware's decoder and drive the same
time-proportioning output, so only the control law differs.
"""

import math

from ..firmware.controller import read_max31855
from ..firmware.heater_output import TimeProportioningOutput
from ..firmware.ticks import ticks_diff


class _Baseline:
    state = "HEATING"
    fault = None

    def __init__(self, target_c):
        self.target_c = target_c
        self.temp_c = None
        self.duty = 0.0
        self.heater_on = False
        self.relay_on = True  # peers have no safety relay of their own

    def start(self):
        pass

    def _measure(self, frame):
        hot_c, _, code = read_max31855(frame)
        if code is not None:
            self.heater_on = False
            self.duty = 0.0
            return None
        self.temp_c = hot_c
        return hot_c


class Thermostat(_Baseline):
    name = "thermostat"

    def __init__(self, target_c, hysteresis_c=1.0):
        _Baseline.__init__(self, target_c)
        self.half_band = hysteresis_c / 2.0

    def tick(self, now_ms, frame):
        t = self._measure(frame)
        if t is None:
            return False
        if t <= self.target_c - self.half_band:
            self.heater_on = True
        elif t >= self.target_c + self.half_band:
            self.heater_on = False
        self.duty = 1.0 if self.heater_on else 0.0
        return self.heater_on


RELAY_CYCLES = 8
RELAY_MIN_HALF_S = 5.0  # Marlin ignores crossings within 5 s of a switch (sensor noise)
# The bias stays within these. A powerful bath can drive it so low that the relay's high
# output no longer heats it, and the test times out; then it runs again within Marlin's own
# limits (20 and max - 20 on its 0-255 scale), as a technician would retry.
RELAY_BIAS_LIMITS = (0.02, 0.9)
RELAY_BIAS_LIMITS_RETRY = (20.0 / 255.0, 235.0 / 255.0)
RELAY_HYSTERESIS_C = 0.25  # one sensor step either side, so noise cannot chatter the relay
# Marlin smooths its derivative term by 0.95 per sample; at our 250 ms period that is a
# first-order filter of about 5 s.
DERIVATIVE_SMOOTHING_S = 4.9


def relay_autotune(plant, sensor, target_c, period_s=0.25, limit_s=24 * 3600.0):
    """Marlin-style (M303) relay test on ``plant``; returns (ultimate gain per C, period in s),
    retried once on a copy of the bath as it was with the bias kept within Marlin's limits."""
    fresh = plant.copy()
    try:
        return _relay_test(plant, sensor, target_c, period_s, limit_s, RELAY_BIAS_LIMITS)
    except RuntimeError:
        return _relay_test(fresh, sensor, target_c, period_s, limit_s, RELAY_BIAS_LIMITS_RETRY)


def _relay_test(plant, sensor, target_c, period_s, limit_s, bias_limits):
    """One relay test.

    The output switches between ``bias + d`` and ``bias - d`` as the reading crosses the target
    (0.25 C either side);
    after each cycle the bias moves so that the heating and cooling halves last equally long,
    as Marlin does. The ultimate gain is ``4 d / (pi a)`` with ``a`` half the peak-to-peak swing.
    """
    board_c = plant.ambient_c + plant.params.board_above_ambient_c
    output = TimeProportioningOutput()
    bias = d = 0.5
    heating = True
    t_s = 0.0
    now = 0
    high_since = low_since = 0.0
    t_high = t_low = 0.0
    maximum, minimum = -1e9, 1e9
    cycles = []  # (period, amplitude, d)
    while t_s < limit_s and len(cycles) < RELAY_CYCLES:
        hot_c, _, code = read_max31855(sensor.frame(plant.probe_c, board_c))
        if code is None:
            maximum = max(maximum, hot_c)
            minimum = min(minimum, hot_c)
            settled = t_s - max(high_since, low_since) >= RELAY_MIN_HALF_S
            if heating and settled and hot_c > target_c + RELAY_HYSTERESIS_C:
                heating = False
                low_since = t_s
                t_high = t_s - high_since
                maximum = hot_c
            elif not heating and settled and hot_c < target_c - RELAY_HYSTERESIS_C:
                heating = True
                t_low = t_s - low_since
                if high_since > 0:  # the first cycle holds the heat-up: no measure of the plant
                    cycles.append((t_high + t_low, (maximum - minimum) / 2.0, d))
                    bias += d * (t_high - t_low) / (t_high + t_low)
                    bias = min(bias_limits[1], max(bias_limits[0], bias))
                    d = min(bias, 1.0 - bias)
                high_since = t_s
                minimum = hot_c
        duty = bias + d if heating else bias - d
        plant.step(output.update(duty, now))
        t_s += period_s
        now += int(period_s * 1000)
    if len(cycles) < 3:
        raise RuntimeError("relay autotune did not oscillate")
    last = cycles[-3:]
    ku = sum(4.0 * c[2] / (math.pi * c[1]) for c in last) / len(last)
    return ku, sum(c[0] for c in last) / len(last)


class ZieglerNicholsPID(_Baseline):
    name = "zn-pid"

    def __init__(self, target_c, ku, tu_s, window_ms=2000, smooth_s=DERIVATIVE_SMOOTHING_S):
        _Baseline.__init__(self, target_c)
        self.kp = 0.6 * ku
        self.ki = self.kp / (0.5 * tu_s)
        self.kd = self.kp * 0.125 * tu_s
        self.smooth_s = smooth_s
        self.integral = 0.0
        self.integral_max = 1.0 / self.ki if self.ki > 0 else 0.0
        self._deriv = 0.0
        self._prev_t = None
        self._prev_ms = None
        self.output = TimeProportioningOutput(window_ms)

    def tick(self, now_ms, frame):
        t = self._measure(frame)
        if t is None:
            self.output.force_off()
            return False
        dt = 0.0 if self._prev_ms is None else ticks_diff(now_ms, self._prev_ms) / 1000.0
        if dt > 0:
            if dt >= self.smooth_s:
                self._deriv = (t - self._prev_t) / dt
            else:
                self._deriv = (self._deriv * (self.smooth_s - dt) + (t - self._prev_t)) / self.smooth_s
        err = self.target_c - t
        integ = max(0.0, min(self.integral_max, self.integral + err * dt))
        co = self.kp * err + self.ki * integ - self.kd * self._deriv
        bounded = max(0.0, min(1.0, co))
        if co == bounded:
            self.integral = integ
        self._prev_t = t
        self._prev_ms = now_ms
        self.duty = bounded
        self.heater_on = self.output.update(bounded, now_ms)
        return self.heater_on
