"""What the controller learns about its bath during each heat-up, and what it does with it.

A bath heated at full power from rest behaves, seen from the probe, as an integrator behind a
lag: after the first moments the reading climbs on a straight line ``y0 + k (t - t0 - L)``.

- ``k`` (C/s at full power) is the line's slope: heater power over the heat capacity of water,
  insert and stones. It is fitted over the recent past (exponentially weighted least squares,
  a memory of ``MEMORY_S``), so it follows the slow changes along the ramp: the stones that
  fall behind at first, the losses that grow with the temperature.
- ``L`` (s) is how far the line lags the moment the power went on: mixing dead time, probe and
  element lags, less the lead of the stones. For an integrator it is also the coast: cut the
  power now and the reading still climbs ``k * L``.

Both are measured only while the heater runs flat out, and frozen once the controller backs
off, so an approach, a hold or a disturbance never blurs them.

Uses:

- **Gain scheduling** (``scheduled_gains``). The loop gain ``k * L`` (C of rise per dead time
  at full power) decides how hard a PID may push: a small bath on a big element behind a slow
  probe has 2-3 times the reference bath's. The set gains are for the reference bath; a bath
  with a higher loop gain gets ``kp`` scaled down by (nearly) the ratio, and its time constants
  stretched by its longer lag, so it sees about the loop the reference sees. A bath with a lower loop gain
  keeps the set gains: they are already gentle there.
- **Time to ready** (``ready_in_s``): the rest of the climb at the slope ``k``, the approach
  that the PID makes in the last ``k * L``, and the hold the ready state asks for.

MicroPython: floats and no allocation per update.
"""

import math

MEMORY_S = 120.0  # how far back the slope fit looks (weighted)
MIN_RISE_C = 1.0  # past the dead time and the lags' curve: the line is fitted from here on
MIN_FIT_S = 30.0  # samples on the line before the estimate is used
# The slope falls along the ramp as the losses grow with the temperature. It is measured
# between an anchor, taken once the stones have caught up with the water (a few of their
# 63 s time constants), and the present, once the two lie LOSS_SPAN_C apart.
ANCHOR_AFTER_S = 240.0
LOSS_SPAN_C = 3.0
# The PID's approach: inside its proportional band (1 / kp below the target) the reading
# closes in on the target roughly exponentially, at the rate k * kp. The coast behind the probe
# shortens that; this share of the exponential's time matches the heat-ups of the bath family
# (measured with the time-to-ready column of ``stoneheat sim bench --plants``).
APPROACH_SHARE = 0.7
FULL = 0.999  # the output counts as full power from here
MAX_STEP_S = 5.0  # a longer step between ticks is a stalled loop, not a sample of the ramp

# kp follows the loop gain's ratio to this power. 1 would keep the loop exactly as the
# reference sees it, but the climb to a target is the same 34 C on every bath, not scaled with
# it: at 1 a small bath full of stones lands under the band as its stones draw heat after the
# cut (ready 1.22 x full power), at 0.5 it overshoots 0.3 C; 0.75 keeps both in bounds.
SCHEDULE_POWER = 0.75

# The reference bath of DOMAIN.md as this model identifies it (``benchmarks/bath_model.py``):
# the set gains were tuned on it.
REFERENCE_K_C_PER_S = 0.0406
REFERENCE_LAG_S = 29.6


class BathModel:
    def __init__(self):
        self.k_c_per_s = None  # slope at full power, once known
        self.lag_s = None  # the apparent dead time L, once known
        self.loss_per_s = 0.0  # how much the slope falls per C of rise (1/s)
        self.restart()

    def restart(self):
        """Forget the ramp (a new heat-up starts); a model already identified is kept until a
        new one is ready, so the gains do not jump back and forth."""
        self._y0 = None  # the reading when full power began; None: not on a ramp
        self.ramp_s = 0.0  # seconds since then: a ramp is hours at most, exact in float32
        self._w = 0.0
        self._mt = 0.0
        self._my = 0.0
        self._ctt = 0.0
        self._cty = 0.0
        self._fit_s = 0.0
        self._anchor_c = None
        self._anchor_k = 0.0

    def update(self, dt_s, temp_c, duty):
        """One tick while heating: the filtered reading now and the output applied until now.
        Returns True when the estimate changed."""
        if duty < FULL or not 0.0 < dt_s <= MAX_STEP_S:
            # Off the ramp; a stalled loop (a long step) would also break the fit's weights.
            self._y0 = None
            return False
        if self._y0 is None:  # full power starts now: the ramp's origin
            self.restart()
            self._y0 = temp_c
            return False
        self.ramp_s += dt_s
        t = self.ramp_s
        if temp_c - self._y0 < MIN_RISE_C:
            return False
        # Exponentially weighted least squares of temp on time (West's update: stable in
        # single precision, which the ESP32's floats are).
        forget = 1.0 - dt_s / MEMORY_S
        self._w = self._w * forget + 1.0
        self._ctt *= forget
        self._cty *= forget
        dt_mean = t - self._mt
        self._mt += dt_mean / self._w
        self._my += (temp_c - self._my) / self._w
        self._ctt += dt_mean * (t - self._mt)
        self._cty += dt_mean * (temp_c - self._my)
        self._fit_s += dt_s
        if self._fit_s < MIN_FIT_S or self._ctt <= 0.0:
            return False
        k = self._cty / self._ctt
        if k <= 0.0:
            return False
        self.k_c_per_s = k
        if self._anchor_c is None:
            # The fitted line through (mean t, mean y) reaches y0 L seconds after the power
            # went on. Growing losses bend the ramp and pull that crossing earlier as it goes
            # on, so L is taken up to the anchor and then kept.
            lag = self._mt - (self._my - self._y0) / k
            self.lag_s = lag if lag > 0.0 else 0.0
            if t >= ANCHOR_AFTER_S:
                self._anchor_c, self._anchor_k = self._my, k
        elif self._my - self._anchor_c >= LOSS_SPAN_C:
            fall = (self._anchor_k - k) / (self._my - self._anchor_c)
            self.loss_per_s = fall if fall > 0.0 else 0.0
        return True

    def known(self):
        return self.k_c_per_s is not None

    def scheduled_gains(self, kp, ti_s, td_s, derivative_filter_s):
        """The set gains (for the reference bath) adapted to this bath's loop gain and lag."""
        if not self.known():
            return kp, ti_s, td_s, derivative_filter_s
        lag = self.lag_s if self.lag_s > REFERENCE_LAG_S else REFERENCE_LAG_S
        ratio = (REFERENCE_K_C_PER_S * REFERENCE_LAG_S) / (self.k_c_per_s * lag)
        stretch = lag / REFERENCE_LAG_S
        if ratio > 1.0:
            ratio = 1.0
        return kp * ratio ** SCHEDULE_POWER, ti_s * stretch, td_s * stretch, derivative_filter_s * stretch

    def ready_in_s(self, temp_c, target_c, band_c, hold_s, in_band_s, kp, cap=None):
        """Seconds until the ready state, or None while nothing is known of this bath.

        The climb to the band's edge at a slope that falls with the losses, the PID's
        approach, and what is left of the hold in the band. ``cap``: (limit C, span C) of the
        controller's power cap, whose share of full power is (limit - temp) / span where it
        is under 1: the climb there goes at that share of the slope."""
        if temp_c >= target_c - band_c:
            left = hold_s - in_band_s
            return left if left > 0.0 else 0.0
        if not self.known():
            return None
        # A kp of (nearly) 0 has no proportional band: the approach is then bounded as if it
        # were 100 C wide.
        k, g, kp = self.k_c_per_s, self.loss_per_s, kp if kp > 0.01 else 0.01
        # Flat out up to the PID's proportional band (1 / kp below the target), then an
        # exponential approach into the ready band at the loop's rate k * kp.
        knee = target_c - 1.0 / kp
        if knee < target_c - band_c and temp_c < knee:
            k_knee = k - g * (knee - temp_c)
            if g > 0.0 and k_knee > 0.1 * k:
                climb = math.log(k / k_knee) / g
            else:
                climb = (knee - temp_c) / k
            gap = 1.0 / kp
        else:
            climb = 0.0
            gap = target_c - temp_c
        approach = APPROACH_SHARE * math.log(gap / band_c) / (k * kp) if gap > band_c else 0.0
        if cap is not None:
            # Above limit - span the cap holds the heater under full power: dT/dt = k (limit
            # - T) / span, so the climb from a to b takes span / k * ln((limit - a) / (limit - b)).
            limit, span = cap
            edge = target_c - band_c
            lo = limit - span
            if lo < edge and limit > edge:
                top = knee if knee < edge else edge
                a = temp_c if temp_c > lo else lo
                capped = 0.0
                if a < top:
                    capped = span / k * math.log((limit - a) / (limit - top))
                    climb -= (top - a) / k  # that part of the climb, at full power before
                    if climb < 0.0:
                        climb = 0.0
                b = a if a > top else top
                if b < edge:
                    slow = span / k * math.log((limit - b) / (limit - edge))
                    if slow > approach:
                        approach = slow
                climb += capped
        return climb + approach + hold_s

