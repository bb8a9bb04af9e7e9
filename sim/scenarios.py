"""Named scenarios: a bath, a setpoint, a duration and the disturbances of a therapist's day."""

from dataclasses import dataclass, field

from ..firmware.units import c_to_f, f_to_c
from .plant import PlantParams

HOUR = 3600.0
MINUTE = 60.0
SETPOINT_130F_C = f_to_c(130.0)  # 54.44 C


@dataclass(frozen=True)
class Event:
    t_s: float
    kind: str  # stones_in, stones_out, water_in, lid_off, lid_on
    amount: float = 0.0  # kg of stones or litres of water
    temp_c: float = 0.0

    def apply(self, plant):
        if self.kind == "stones_in":
            plant.add_stones(self.amount, self.temp_c)
        elif self.kind == "stones_out":
            plant.remove_stones(self.amount)
        elif self.kind == "water_in":
            plant.add_water(self.amount, self.temp_c)
        elif self.kind == "lid_off":
            plant.set_lid(False)
        elif self.kind == "lid_on":
            plant.set_lid(True)
        else:
            raise ValueError("unknown event %r" % self.kind)

    def describe(self, unit="C"):
        """The event in words, its temperature in ``unit`` (C or F)."""
        temp = "%.0f %s" % (c_to_f(self.temp_c) if unit == "F" else self.temp_c, unit)
        if self.kind == "stones_in":
            return "%.1f kg stones in at %s" % (self.amount, temp)
        if self.kind == "stones_out":
            return "%.1f kg stones out" % self.amount
        if self.kind == "water_in":
            return "%.1f L water in at %s" % (self.amount, temp)
        return self.kind.replace("_", " ")


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    duration_s: float
    events: tuple = ()
    setpoint_c: float = SETPOINT_130F_C
    # (start, end) of the window where the hold is judged; default: the last hour
    steady_window_s: tuple = None
    plant: PlantParams = field(default_factory=PlantParams)

    @property
    def steady_window(self):
        if self.steady_window_s is not None:
            return self.steady_window_s
        return (max(0.0, self.duration_s - HOUR), self.duration_s)


def _session(start_s):
    """One treatment: half the stones out (lid open a minute), used stones back 50 min later."""
    return (
        Event(start_s, "lid_off"),
        Event(start_s, "stones_out", 1.5),
        Event(start_s + MINUTE, "lid_on"),
        Event(start_s + 50 * MINUTE, "lid_off"),
        Event(start_s + 50 * MINUTE, "stones_in", 1.5, 35.0),
        Event(start_s + 51 * MINUTE, "lid_on"),
    )


def _workday_events():
    events = []
    for hour in (1, 2, 3, 5, 6):
        events.extend(_session(hour * HOUR))
    # Lunch: the lid stays off ten minutes while the bath is cleaned, then a litre is topped up.
    events.append(Event(4 * HOUR, "lid_off"))
    events.append(Event(4 * HOUR + 10 * MINUTE, "water_in", 1.0, 20.0))
    events.append(Event(4 * HOUR + 10 * MINUTE, "lid_on"))
    # The afternoon's fresh set: 1.5 kg of room-temperature stones into the hot bath.
    events.append(Event(6 * HOUR + 55 * MINUTE, "stones_in", 1.5, 22.0))
    return tuple(sorted(events, key=lambda e: e.t_s))


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("heatup", "heat the reference bath from 20 C to 130 F and hold it", 3 * HOUR),
        Scenario(
            "stones",
            "hold at 130 F, then drop in 1.5 kg of room-temperature stones",
            3.5 * HOUR,
            (Event(2 * HOUR, "stones_in", 1.5, 22.0),),
        ),
        Scenario(
            "lid",
            "hold at 130 F, then leave the lid off for 10 minutes",
            3.5 * HOUR,
            (Event(2 * HOUR, "lid_off"), Event(2 * HOUR + 10 * MINUTE, "lid_on")),
        ),
        Scenario(
            "workday",
            "8 hours of a therapist's day: heat-up, five sessions of stone exchanges, "
            "a lunch break with the lid off and a top-up, a fresh set of cold stones",
            8 * HOUR,
            _workday_events(),
        ),
    )
}
