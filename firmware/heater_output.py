"""Time-proportioning output: a duty cycle 0..1 as on/off periods of an SSR or a relay.

The control loop calls ``update`` every tick; the output can only switch at ticks, so each
window's on-time is rounded to the tick. What a window over- or under-delivers is carried into
the next, so the mean power equals the requested duty exactly. A pulse shorter than
``min_pulse_ms`` is not started (its time is carried instead), which spares a mechanical relay.
"""

from .ticks import ticks_diff

SSR_WINDOW_MS = 2000
SSR_MIN_PULSE_MS = 250
RELAY_WINDOW_MS = 60000
RELAY_MIN_PULSE_MS = 5000


class TimeProportioningOutput:
    def __init__(self, window_ms=SSR_WINDOW_MS, min_pulse_ms=SSR_MIN_PULSE_MS):
        self.window_ms = window_ms
        self.min_pulse_ms = min_pulse_ms
        self.on = False
        self.force_off()

    def force_off(self):
        """Off now, and forget any time owed: nothing carries across a stop or a fault."""
        self.on = False
        self._window_ms = 0  # time into the present window
        self._last_ms = None
        self._delivered_ms = 0
        self._requested_ms = 0.0
        self._carry_ms = 0.0

    def update(self, duty, now_ms):
        """Return whether the heater is on from ``now_ms`` until the next call."""
        if not (duty > 0.0):  # zero, negative or NaN
            self.force_off()
            return False
        if duty > 1.0:
            duty = 1.0
        window = self.window_ms
        if self._last_ms is not None:
            dt = ticks_diff(now_ms, self._last_ms)
            if dt < 0 or dt > window:
                self.force_off()
            else:
                self._window_ms += dt
                if self.on:
                    self._delivered_ms += dt
        self._last_ms = now_ms
        if self._window_ms >= window:
            # What was asked of the time the window really lasted: ticks jitter, and a window
            # that takes a ninth tick is longer than ``window``. Counting only ``window`` as
            # asked made full power owe the extra tick and drop one in the next window
            # (0.875 of a 2 s sample), which blinds every check that needs full power.
            carry = self._requested_ms + (self._window_ms - window) * duty - self._delivered_ms
            self._carry_ms = max(-window, min(window, carry))
            self._window_ms = 0
            self._delivered_ms = 0
        target = duty * window + self._carry_ms
        self._requested_ms = target
        if target > window - self.min_pulse_ms:
            target = window  # a gap shorter than a pulse is not worth switching off for
        if self._delivered_ms == 0 and target < self.min_pulse_ms:
            self.on = False
        else:
            self.on = self._delivered_ms < target
        return self.on
