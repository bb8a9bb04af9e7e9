"""How the CLI shows temperatures and the heater's state to a person, in their own unit."""

from .firmware.faults import AUTO_OFF, MESSAGES
from .firmware.units import c_to_f

UNITS = ("C", "F")


def temp(c, unit, both=True):
    """``'130.0 °F (54.4 °C)'`` in the preferred unit first; ``'-'`` for no reading."""
    if c is None:
        return "-"
    f = c_to_f(c)
    first, second = ((f, "F"), (c, "C")) if unit == "F" else ((c, "C"), (f, "F"))
    if not both:
        return "%.1f \u00b0%s" % first
    return "%.1f \u00b0%s (%.1f \u00b0%s)" % (first + second)


def rate(c_per_min, unit):
    """A rate of change, per minute, in the preferred unit."""
    if c_per_min is None:
        return "no trend yet"  # a second reading gives one
    # a difference, so the offset drops out: the one conversion, not a second factor
    value = c_to_f(c_per_min) - c_to_f(0.0) if unit == "F" else c_per_min
    return "%+.1f \u00b0%s/min" % (value, unit)


def ready_in(seconds):
    """``'ready in about 12 min'`` from the heater's estimate; '' while it has none."""
    if seconds is None:
        return ""
    if seconds < 60:
        return "ready in under a minute"
    return "ready in about %d min" % round(seconds / 60.0)


def state_word(s):
    """The state as a person reads it: COOLING while heating towards a target below the water."""
    return "COOLING" if s.get("cooling") else s["state"]


def fault_message(code):
    return MESSAGES.get(code, "Fault %s. Heater off. Call a technician." % code)


def status_lines(s, unit):
    """What ``stoneheat status`` prints: the state first, then what to do about it."""
    state = s["state"]
    water, target = temp(s["temp_c"], unit), temp(s["target_c"], unit, both=False)
    duty = "heater %d %%" % round(100 * (s.get("heater_duty") or 0.0))
    if state == "READY":
        return ["Ready: water %s, target %s, %s." % (water, target, duty),
                "The stones are at temperature."]
    if state in ("HEATING", "READY") and s.get("cooling"):
        return ["Cooling: water %s, above the target %s; heater off until it is there." % (
            water, target),
            "The stones are hotter than asked for: test them on your own skin first. A bath "
            "cools slowly (often an hour or more); take stones out, or add cold water, to cool "
            "it faster."]
    if state == "HEATING":
        eta = ready_in(s.get("ready_in_s"))
        return ["Heating: water %s, target %s, %s." % (water, target, duty),
                "Not ready yet%s; `stoneheat wait-ready` tells you when it is."
                % (" (%s)" % eta if eta else ", learning how fast this bath heats")]
    if state == "FAULT":
        return ["FAULT %s: water %s." % (s["fault"], water), fault_message(s["fault"])]
    lines = ["Idle, heater off: water %s, target %s." % (water, target)]
    if s.get("stopped_by") == AUTO_OFF:
        lines.append(MESSAGES[AUTO_OFF])  # it says how to heat again: once is enough
    else:
        lines.append("Run `stoneheat start` to heat.")
    return lines
