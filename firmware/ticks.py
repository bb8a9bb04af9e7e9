"""Arithmetic on wrapping millisecond tick counters.

MicroPython's ``time.ticks_ms()`` on the ESP32 wraps at 2**30. The core never reads a clock: the
board layer hands it tick values, and every duration is computed here so a wrap-around in the
middle of a heat-up is harmless. Periods must be powers of two.
"""

TICKS_PERIOD = 1 << 30


def ticks_diff(new, old, period=TICKS_PERIOD):
    """Signed difference ``new - old`` of two tick values, correct across one wrap."""
    d = (new - old) & (period - 1)
    if d >= period >> 1:
        d -= period
    return d


def ticks_add(ticks, delta, period=TICKS_PERIOD):
    """The tick value ``delta`` milliseconds after ``ticks``."""
    return (ticks + delta) & (period - 1)


def next_on_grid(next_ms, now_ms, period_ms):
    """The deadline after ``next_ms`` on a grid of ``period_ms``, for an event done at
    ``now_ms``: on the grid, so that events keep their cadence; but from ``now_ms`` after a stall
    of a period or more, so that missed events are skipped rather than run in a burst."""
    late = ticks_diff(now_ms, next_ms)
    return ticks_add(now_ms if late >= period_ms else next_ms, period_ms)
