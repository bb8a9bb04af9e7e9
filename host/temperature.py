"""The one temperature parameter of the command line: what a person types for a temperature
(`set`, `sim run --target`, the calibration's reference), read in the session's unit.

It accepts exactly what the firmware's ``units.parse_temperature`` accepts, plus the ways a
person copies a temperature from a guide (``130 °F``, ``130°F``), and hands the heater the one
spelling its console takes (``130F``): a degree sign on the serial line is not ASCII, and the
heater would refuse the whole line.
"""

import click

from .firmware.units import parse_temperature

DEGREE = "\u00b0"


class Temperature:
    """A temperature as typed: ``celsius``; ``device_text``, the console's spelling; ``bare``,
    whether it had no unit (so that the session's unit was taken)."""

    def __init__(self, celsius, device_text, bare, typed):
        self.celsius = celsius
        self.device_text = device_text
        self.bare = bare
        self.typed = typed

    def other_unit_hint(self, unit, low_c, high_c):
        """For a bare number refused in ``unit``: the other unit, if that would be allowed."""
        if not self.bare:
            return ""
        other = "C" if unit == "F" else "F"
        number = self.device_text[:-1]
        if low_c <= parse_temperature(number, other) <= high_c:
            return " (%s is taken as %s; did you mean %s%s?)" % (number, unit, number, other)
        return ""


def read_temperature(text, unit):
    """``text`` in ``unit`` (C or F) for bare numbers, as a ``Temperature``; ValueError with
    advice for people otherwise."""
    typed = str(text)
    compact = typed.strip().replace(" ", "")
    if compact[-2:-1] == DEGREE:  # 130°F: the sign only just before the unit
        compact = compact[:-2] + compact[-1:]
    if not all(" " < ch <= "~" for ch in compact):  # a tab, a newline, a no-break space
        raise ValueError("%r: write a temperature with plain digits, e.g. 130F or 54.4C"
                         % typed)
    if "," in compact:
        raise ValueError("%r: write the decimal point as a point, e.g. 54.4C" % typed)
    if not compact:
        raise ValueError("write a temperature like 130F or 54.4C")
    bare = compact[-1:].upper() not in ("C", "F")
    device_text = compact + unit if bare else compact[:-1] + compact[-1].upper()
    try:
        celsius = parse_temperature(device_text, unit)
    except ValueError:
        raise ValueError("%r is not a temperature: write one like 130F or 54.4C" % typed)
    return Temperature(celsius, device_text, bare, typed)


def session_unit(ctx):
    """The unit of the command line's session (``--unit``, STONEHEAT_UNIT), C without one."""
    obj = ctx.find_root().obj if ctx is not None else None
    return getattr(obj, "unit", None) or "C"


class TemperatureType(click.ParamType):
    """A click parameter for a temperature in the session's unit."""

    name = "temperature"

    def convert(self, value, param, ctx):
        if isinstance(value, Temperature):
            return value
        try:
            return read_temperature(value, session_unit(ctx))
        except ValueError as e:
            self.fail(str(e), param, ctx)


TEMPERATURE = TemperatureType()

