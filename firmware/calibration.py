"""Thermocouple calibration on top of the NIST type K linearisation.

A point is ``(raw_c, ref_c)``: what the probe read before calibration (``status``'s ``raw_c``)
and what a reference thermometer read in the same water. One point corrects an offset; two (an
ice bath and a hot reference) correct offset and gain. The result is the pair of settings
``cal_gain`` and ``cal_offset_c`` (reading = raw * gain + offset), so it meets their bounds
like any setting.
"""

from .errors import CommandError

BAD_CALIBRATION = "BAD_CALIBRATION"
MIN_SPAN_C = 20.0  # two points closer than this would magnify the reference's own error


def from_points(points):
    """``(gain, offset_c)`` from one or two ``(raw_c, ref_c)`` points."""
    for raw, ref in points:
        if not (-20.0 <= raw <= 120.0 and -20.0 <= ref <= 120.0):  # also NaN
            raise CommandError(BAD_CALIBRATION, "calibration points must be between -20 and "
                               "120 C")
    if len(points) == 1:
        raw, ref = points[0]
        return 1.0, ref - raw
    (raw1, ref1), (raw2, ref2) = points
    if abs(raw2 - raw1) < MIN_SPAN_C or abs(ref2 - ref1) < MIN_SPAN_C:
        raise CommandError(BAD_CALIBRATION, "the two points must be at least %g C apart "
                           "(an ice bath and hot water)" % MIN_SPAN_C)
    gain = (ref2 - ref1) / (raw2 - raw1)
    return gain, ref1 - gain * raw1
