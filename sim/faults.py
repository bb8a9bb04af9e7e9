"""Faults to inject into a simulated run: what breaks, when, and the code it should raise.

Sensor faults change the frames the simulated chip sends; plant faults change the bath or the
heater's wiring. ``NAME@SECONDS`` on the command line names one and when it happens.
"""

from dataclasses import dataclass

from ..firmware import faults as codes


@dataclass(frozen=True)
class FaultKind:
    name: str
    description: str
    expected_code: str
    layer: str  # "sensor", "plant" or "wiring"
    # When the matrix injects it, in s of a heat-up: at hold (1800 s) unless only heating shows it.
    matrix_at_s: float = 1800.0


FAULT_KINDS = {
    f.name: f
    for f in (
        FaultKind("tc-open", "thermocouple open circuit (broken or unplugged probe)", codes.TC_OPEN, "sensor"),
        FaultKind("short-gnd", "thermocouple shorted to GND", codes.TC_SHORT_GND, "sensor"),
        FaultKind("short-vcc", "thermocouple shorted to VCC", codes.TC_SHORT_VCC, "sensor"),
        FaultKind("spi-high", "SPI MISO stuck high: every frame all ones", codes.SENSOR_BUS_HIGH, "sensor"),
        FaultKind("spi-low", "SPI MISO stuck low: every frame all zeros (reads 0.00 C, no fault bit)",
                  codes.SENSOR_BUS_LOW, "sensor"),
        FaultKind("intermittent", "loose connector: 1 read in 10 reports an open circuit",
                  codes.SENSOR_INTERMITTENT, "sensor"),
        FaultKind("frozen", "chip stuck: the same frame for ever", codes.SENSOR_FROZEN, "sensor"),
        FaultKind("cold-junction", "the chip's cold-junction sensor fails, reading 127.9 C",
                  codes.COLD_JUNCTION_RANGE, "sensor"),
        FaultKind("probe-out", "probe lifted out of the water: it reads the air above the bath",
                  "HEATING_WATCH", "plant"),
        FaultKind("ssr-welded", "SSR welded on: the element heats whenever the safety relay is closed",
                  "SSR_WELDED", "wiring"),
        # A dead element or a low bath shows only while the heater works: injected mid heat-up.
        FaultKind("element-open", "heating element open: no heat whatever the output", "HEATING_WATCH",
                  "wiring", 300.0),
        FaultKind("low-water", "a leak leaves 1 L of water in the bath", "LOW_WATER", "plant", 300.0),
    )
}


def plain_number(text):
    """A number as a person types it: ASCII digits, a sign, a point, an exponent. Python's
    float() also takes '1_0' (10) and other scripts' digits, which no one means here."""
    text = str(text).strip()
    if not text or not all(ch in "0123456789+-.eE" for ch in text) and text.lower() not in (
            "nan", "inf", "-inf", "+inf"):
        raise ValueError("not a number: %r" % text)
    return float(text)


def parse_fault(spec):
    """``'ssr-welded@1800'`` to ``(FaultKind, 1800.0)``; ValueError with the choices otherwise."""
    name, sep, when = str(spec).partition("@")
    if name not in FAULT_KINDS:
        raise ValueError("unknown fault %r; choose from %s" % (name, ", ".join(FAULT_KINDS)))
    if not sep:
        raise ValueError("say when the fault happens: %s@SECONDS" % name)
    try:
        t_s = plain_number(when)
    except ValueError:
        raise ValueError("%r is not a number of seconds" % when)
    if not (0.0 <= t_s < 1e7):  # also refuses NaN
        raise ValueError("the fault time must be between 0 and 10000000 seconds")
    return FAULT_KINDS[name], t_s


def inject(kind, plant, chip):
    """Break what ``kind`` names in the simulated bath or chip. Returns the wiring fault's name
    (``ssr-welded`` or ``element-open``), which the caller applies to the heater's power, or None."""
    if kind.layer == "sensor":
        chip.fault = kind.name
    elif kind.name == "probe-out":
        plant.probe_in_water = False
    elif kind.name == "low-water":
        plant.leak(1.0)
    elif kind.layer == "wiring":
        return kind.name
    return None


def element_powered(wiring, ssr_on, relay_on):
    """Whether the element heats, given the wiring fault (or None) and the two outputs."""
    if wiring == "ssr-welded":
        return relay_on
    if wiring == "element-open":
        return False
    return ssr_on and relay_on
