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
