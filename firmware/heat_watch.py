"""Whether the heater does what it is told: it heats when on, stops when off, and the bath
takes the heat as a full bath should.

- Heating watch: with the SSR on for at least ``WATCH_DUTY`` of ``watch_s``, the reading must
  rise ``watch_rise_c`` above its lowest point in that time. A dead element or a probe lifted
  out of the water fails it. The window is short because a probe out of the water makes the
  controller heat at full power, and the reference bath climbs 0.042 C/s.
- Welded SSR: with the SSR off for at least ``WELD_MIN_OFF_MS``, the reading may rise above its
  lowest point since then only by what was already on its way (heat stored in the element, the
  mixing dead time). That is ``weld_base_c`` plus ``coast_s`` times the rate it was rising at
  when the SSR went off, or, if more, the heat of the last ``coast_s`` of SSR on-time at the
  fastest rate full power has shown: a short burst at full power (autotune's relay) still has
  its heat on the way when the reading has barely started to rise.
- Low water: the bath must not heat faster than ``max_rate_c_s`` per unit of duty; with half
  its water gone it heats about twice as fast.

The checks read a slow average of the reading (``SMOOTH_MS``), so that noise cannot trip them.
"""

from .faults import HEATING_WATCH, LOW_WATER, SSR_WELDED

SAMPLE_MS = 2000
SMOOTH_MS = 8000
WATCH_DUTY = 0.8
WELD_MIN_OFF_MS = 10000
RATE_WINDOW_S = 20  # the rate before a switch-off is measured over this
LOW_WATER_MIN_DUTY = 0.5


class HeatWatch:
    def __init__(self, watch_s=120, watch_rise_c=0.3, weld_base_c=0.3, coast_s=60,
                 max_rate_c_s=0.15):
        self.watch_s = watch_s
        self.watch_rise_c = watch_rise_c
        self.weld_base_c = weld_base_c
        self.coast_s = coast_s
        self.max_rate_c_s = max_rate_c_s
        self.reset()

    def reset(self):
        n = max(2, int(self.watch_s * 1000 // SAMPLE_MS))
        self._temps = [0.0] * n  # the smoothed reading every SAMPLE_MS
        self._duties = [0.0] * n  # the SSR's on-fraction over each sample
        self._n = 0  # samples held (up to len)
        self._pos = 0
        self.smooth_c = None
        self._sample_ms = 0
        self._on_ms = 0
        self._off_ms = 0  # how long the SSR has been off without a break
        self._off_min_c = None
        self._allowance_c = 0.0
        self.full_rate_c_s = 0.0  # the fastest rise seen at full power since the reset

    def update(self, dt, temp_c, heater_was_on):
        """Feed the reading after ``dt`` ms and whether the SSR was on during them; returns a
        fault code or None."""
        if self.smooth_c is None:
            self.smooth_c = temp_c
            return None
        if dt <= 0:
            return None
        if dt > SAMPLE_MS:  # a stalled loop: start watching afresh
            self.reset()
            return None
        self.smooth_c += (temp_c - self.smooth_c) * dt / (SMOOTH_MS + dt)
        code = self._weld_check(dt, heater_was_on)
        self._sample_ms += dt
        if heater_was_on:
            self._on_ms += dt
        if self._sample_ms >= SAMPLE_MS:
            code = self._take_sample() or code
        return code

    def _weld_check(self, dt, heater_was_on):
        if heater_was_on:
            self._off_ms = 0
            return None
        if self._off_ms == 0:  # just switched off: how much rise is still on its way
            self._off_min_c = self.smooth_c
            rate = self.rate_c_s(RATE_WINDOW_S)
            on_way = max(rate * self.coast_s, self.full_rate_c_s * self._on_s(self.coast_s))
            self._allowance_c = self.weld_base_c + on_way
        self._off_ms += dt
        if self.smooth_c < self._off_min_c:
            self._off_min_c = self.smooth_c
        if self._off_ms >= WELD_MIN_OFF_MS and self.smooth_c - self._off_min_c > self._allowance_c:
            return SSR_WELDED
        return None

    def _take_sample(self):
        size = len(self._temps)
        self._temps[self._pos] = self.smooth_c
        self._duties[self._pos] = self._on_ms / self._sample_ms
        self._pos = (self._pos + 1) % size
        if self._n < size:
            self._n += 1
        self._sample_ms = 0
        self._on_ms = 0
        if self._n < size:
            return None
        duty = sum(self._duties) / size
        oldest = self._temps[self._pos]  # the ring is full: the next slot holds the oldest
        if duty >= WATCH_DUTY and self.smooth_c - min(self._temps) < self.watch_rise_c:
            return HEATING_WATCH
        if duty >= WATCH_DUTY:
            rate = (self.smooth_c - oldest) / ((size - 1) * SAMPLE_MS / 1000.0) / duty
            if rate > self.full_rate_c_s:
                self.full_rate_c_s = min(rate, self.max_rate_c_s)
        span_s = (size - 1) * SAMPLE_MS / 1000.0  # from the oldest sample to this one
        if duty >= LOW_WATER_MIN_DUTY and (self.smooth_c - oldest) / span_s > self.max_rate_c_s * duty:
            return LOW_WATER
        return None

    def _on_s(self, over_s):
        """Seconds the SSR was on in the last ``over_s`` seconds of samples."""
        back = min(int(over_s * 1000 // SAMPLE_MS), self._n)
        size = len(self._duties)
        on = 0.0
        for i in range(1, back + 1):
            on += self._duties[(self._pos - i) % size]
        return on * SAMPLE_MS / 1000.0 + self._on_ms / 1000.0

    def rate_c_s(self, over_s):
        """How fast the smoothed reading rose over the last ``over_s`` seconds (0 if unknown)."""
        back = int(over_s * 1000 // SAMPLE_MS)
        size = len(self._temps)
        if back < 1 or self._n <= back:
            return 0.0
        then = self._temps[(self._pos - 1 - back) % size]
        return (self._temps[(self._pos - 1) % size] - then) / (back * SAMPLE_MS / 1000.0)
