"""Autotune: identify the bath with a relay experiment, then derive gains with SIMC.

The heater switches between full power and off around the target, with a hysteresis of
``hysteresis_c`` so that sensor noise cannot chatter the relay. A water bath is a large heat
capacity behind a dead time (mixing, probe lag, filter), so over one relay cycle it behaves as an
integrator with dead time (IPDT): the water rises at ``r_up`` while the heat is on and falls at
``r_dn`` while it is off, and each extreme comes a dead time ``theta`` after the switch that
turns it round. From each full cycle (a minimum, a maximum, the next minimum)::

    r_up  = (max - min) / (t_max - t_min)
    r_dn  = (max - min_next) / (t_min_next - t_max)
    theta = mean of (t_max - switch off, t_min_next - switch on)
    k     = (r_up + r_dn) / (high - low)     C/s per unit of output
    hold  = high - r_up / k                  the output that balances the losses

These are exact for an IPDT plant whatever the hysteresis and whatever the bias: the loss of the
bath makes the cycle lopsided (slow fall, quick rise), and the two slopes measure it rather than
assume it away, so no bias needs adjusting. The relay's ultimate gain and period follow as
``Ku = pi / (2 k theta)`` and ``Pu = 4 theta`` (``tests/test_autotune.py`` checks them against
python-control's margins for first-order-plus-dead-time plants).

Gains (Skogestad's SIMC rule for an integrating process, with the closed-loop time constant
``tau_c = LAMBDA * theta``): ``kp = 1 / (k (tau_c + theta))``, ``ti = 4 (tau_c + theta)``, no
derivative. The controller's setpoint weighting and conditional integration take care of the
heat-up from cold.

Safety: the controller runs the experiment inside its normal tick, so every check (cutoff,
sensor health, heating watch) stays active; a fault ends it. The tune itself aborts if the water
goes ``max_over_c`` above the target or the experiment takes longer than ``timeout_ms``.
"""

LAMBDA = 3.0  # tau_c / theta: smooth and robust rather than fast, for a bath of stones
MAX_CYCLES = 6

APPROACH = "approach"
CYCLING = "cycling"
DONE = "done"
ABORTED = "aborted"


class RelayTune:
    def __init__(self, setpoint_c, hysteresis_c=0.3, cycles=2, max_over_c=3.0,
                 timeout_ms=4 * 3600 * 1000, high=1.0, low=0.0):
        self.setpoint_c = setpoint_c
        self.h = hysteresis_c
        self.cycles = cycles
        self.max_over_c = max_over_c
        self.timeout_ms = timeout_ms
        self.high = high
        self.low = low
        self.phase = APPROACH
        self.elapsed_ms = 0
        self.heating = True
        self.result = None
        self.reason = None
        self._switch_ms = None  # when the relay last switched (elapsed ms)
        self._ext = None  # the extreme being tracked since then: [temp, elapsed ms]
        self._extremes = []  # [kind, temp, t_ms, switch_ms]: 'min' or 'max'
        self.measured = []  # one (r_up, r_dn, theta) per full cycle

    def cycles_done(self):
        return len(self.measured)

    def abort(self, reason):
        if self.phase not in (DONE, ABORTED):
            self.phase = ABORTED
            self.reason = reason

    def update(self, dt_ms, temp_c):
        """One tick with the filtered water temperature; returns the heater output 0..1."""
        if self.phase in (DONE, ABORTED):
            return 0.0
        self.elapsed_ms += dt_ms
        now = self.elapsed_ms
        if temp_c > self.setpoint_c + self.max_over_c:
            self.abort("the water went %.1f C above the target" % self.max_over_c)
            return 0.0
        if now > self.timeout_ms:
            self.abort("no steady cycle within %d min" % (self.timeout_ms // 60000))
            return 0.0
        if self._ext is not None:
            if (self.heating and temp_c < self._ext[0]) or (not self.heating and temp_c > self._ext[0]):
                self._ext = [temp_c, now]
        if self.heating and temp_c > self.setpoint_c + self.h:
            self._switch(False, temp_c, now)
        elif not self.heating and temp_c < self.setpoint_c - self.h:
            self._switch(True, temp_c, now)
        return self.high if self.heating else self.low

    def _switch(self, heating, temp_c, now):
        if self._ext is not None:
            # Heating ends the search for a minimum, cooling that for a maximum.
            kind = "max" if heating else "min"
            self._extremes.append([kind, self._ext[0], self._ext[1], self._switch_ms])
            self._measure()
        elif self.phase == APPROACH:
            self.phase = CYCLING
        self.heating = heating
        self._switch_ms = now
        self._ext = [temp_c, now]

    def _measure(self):
        ex = self._extremes
        if len(ex) < 3 or ex[-1][0] != "min":
            return
        (_, lo, t_lo, _), (_, hi, t_hi, sw_off), (_, lo2, t_lo2, sw_on) = ex[-3:]
        if t_hi <= t_lo or t_lo2 <= t_hi or hi - lo <= 0 or hi - lo2 <= 0:
            return
        r_up = (hi - lo) / ((t_hi - t_lo) / 1000.0)
        r_dn = (hi - lo2) / ((t_lo2 - t_hi) / 1000.0)
        theta = ((t_hi - sw_off) + (t_lo2 - sw_on)) / 2000.0
        self.measured.append((r_up, r_dn, theta))
        del ex[:-1]
        if len(self.measured) >= self.cycles:
            self._finish()
        elif len(self.measured) >= MAX_CYCLES:
            self.abort("the cycles did not settle")

    def _finish(self):
        n = self.cycles
        last = self.measured[-n:]
        r_up = sum(m[0] for m in last) / n
        r_dn = sum(m[1] for m in last) / n
        theta = max(sum(m[2] for m in last) / n, 1.0)
        k = (r_up + r_dn) / (self.high - self.low)
        self.result = model_and_gains(k, theta, self.high - r_up / k)
        self.phase = DONE


def model_and_gains(k, theta_s, hold):
    """The identified model, the relay's ultimate gain and period, and SIMC gains."""
    tau_c = LAMBDA * theta_s
    return {
        "k_c_per_s": k, "dead_time_s": theta_s, "hold_duty": hold,
        "ku": 3.141592653589793 / (2 * k * theta_s), "pu_s": 4 * theta_s,
        "kp": 1.0 / (k * (tau_c + theta_s)), "ti_s": 4.0 * (tau_c + theta_s), "td_s": 0.0,
    }
