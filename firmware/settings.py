"""Controller settings: every value with its default and bounds, checked when it is set.

The compiled ceilings of ``limits.py`` bound the temperature settings themselves, so no value
accepted here can lift a setpoint above 60 C or the cutoff above 65 C.
"""

from .errors import SettingError
from .units import parse_number
from .limits import (
    CUTOFF_ABOVE_SETPOINT_C,
    CUTOFF_CEILING_C,
    DEFAULT_CUTOFF_C,
    DEFAULT_SETPOINT_MAX_C,
    DEFAULT_SETPOINT_MIN_C,
    SETPOINT_CEILING_C,
)

# name: (default, lowest, highest, what it is)
SETTINGS = {
    "setpoint_min_c": (DEFAULT_SETPOINT_MIN_C, 20.0, SETPOINT_CEILING_C, "lowest target allowed"),
    "setpoint_max_c": (DEFAULT_SETPOINT_MAX_C, 20.0, SETPOINT_CEILING_C, "highest target allowed"),
    "cutoff_c": (DEFAULT_CUTOFF_C, 30.0, CUTOFF_CEILING_C, "over-temperature cutoff (latched)"),
    "kp": (0.6, 0.0, 20.0, "proportional gain, output fraction per C"),
    "ti_s": (1800.0, 10.0, 20000.0, "integral time"),
    "td_s": (10.0, 0.0, 600.0, "derivative time"),
    "adapt": (1.0, 0.0, 1.0, "1: scale the gains to the bath found at each heat-up; 0: as set"),
    "setpoint_weight": (1.0, 0.0, 1.0, "share of the setpoint in the proportional term"),
    "derivative_filter_s": (30.0, 0.0, 120.0, "time constant of the derivative filter"),
    "filter_s": (1.0, 0.0, 30.0, "time constant of the measurement filter"),
    "window_s": (2.0, 0.5, 120.0, "time-proportioning window (2 s SSR, 60 s relay)"),
    "min_pulse_s": (0.25, 0.0, 30.0, "shortest heater pulse"),
    "ready_band_c": (0.5, 0.1, 2.0, "ready when within this of the target"),
    "ready_hold_s": (30.0, 0.0, 600.0, "for at least this long"),
    "sensor_bad_reads": (4.0, 1.0, 15.0, "bad reads in a row that fault the sensor"),
    # The safety checks' settings (docs/safety.md): each range ends where the check would
    # stop catching its fault on the fastest bath of the product's range (issue 13).
    "frozen_s": (30.0, 10.0, 30.0, "a reading that does not change at all faults after this"),
    "watch_s": (120.0, 60.0, 240.0, "heating watch: longest window in which full power must show"),
    "watch_rise_c": (0.3, 0.05, 1.0, "heating watch: least rise in that window"),
    "weld_base_c": (0.3, 0.1, 1.0, "welded SSR: rise allowed with the SSR off, at rest"),
    "coast_s": (60.0, 30.0, 120.0, "welded SSR: seconds of the rise rate still on its way"),
    "max_heat_rate_c_s": (0.18, 0.05, 0.25, "low water: fastest heating a full bath can show"),
    "level_test_min": (0.0, 0.0, 120.0, "low water: pulse test at a calm hold every this many "
                       "minutes; 0: off (each costs the hold about 0.1 C)"),
    # The bath as the technician declares it at commissioning (0: not declared). Its slope
    # judges the first heat-up a heater does, before one has been measured (docs/safety.md).
    "bath_water_l": (0.0, 0.0, 25.0, "bath: litres of water when full (0: not declared)"),
    "bath_stones_kg": (0.0, 0.0, 10.0, "bath: kg of stones it usually holds"),
    "bath_heater_w": (0.0, 0.0, 2500.0, "bath: the element's rated power in W (0: not declared)"),
    "sensor_disagree_c": (2.0, 0.5, 10.0, "second sensor: largest difference allowed"),
    "auto_off_h": (10.0, 0.5, 24.0, "back to idle after this long without a command"),
    "cal_offset_c": (0.0, -10.0, 10.0, "calibration: added to the reading"),
    "cal_gain": (1.0, 0.9, 1.1, "calibration: reading scale about 0 C"),
}

# Settings that count (a switch is 0 or 1): a fraction would be cut, silently, by the firmware.
WHOLE = ("sensor_bad_reads", "adapt")


class Settings:
    def __init__(self, values=None):
        self.values = {}
        for name in SETTINGS:
            self.values[name] = SETTINGS[name][0]
        if values:
            self.update(values)

    def __getitem__(self, name):
        return self.values[name]

    def checked(self, name, value):
        """``value`` as a float if ``name`` may take it, else ``SettingError``."""
        if name not in SETTINGS:
            raise SettingError("UNKNOWN_SETTING", "no setting named %r" % (name,))
        if isinstance(value, bool):  # float(True) is 1.0: a stored true is not a number
            raise SettingError("BAD_VALUE", "%s must be a number" % name)
        try:
            value = parse_number(value) if isinstance(value, str) else float(value)
        except (TypeError, ValueError, OverflowError):  # 1e400 as an int overflows a float
            raise SettingError("BAD_VALUE", "%s must be a number" % name)
        low, high = SETTINGS[name][1], SETTINGS[name][2]
        if not (low <= value <= high):  # also refuses NaN
            raise SettingError("OUT_OF_RANGE", "%s must be between %g and %g" % (name, low, high))
        if name in WHOLE and value != int(value):  # 1.5 bad reads would be read as 1
            raise SettingError("BAD_VALUE", "%s must be a whole number" % name)
        return value

    def update(self, changes):
        """Apply several settings at once, all or nothing."""
        new = dict(self.values)
        for name in changes:
            new[name] = self.checked(name, changes[name])
        _check_together(new)
        self.values = new


WATER_J_PER_L_K = 4186.0
BASALT_J_PER_KG_K = 840.0
# A declared bath must heat within these at its rated power: the range's baths heat at
# 0.01-0.14 C/s, and a figure far outside is a typo (6 kW, 0.6 L), not a bath.
DECLARED_K_MIN = 0.005
DECLARED_K_MAX = 0.25
DECLARED_WATER_MIN_L = 1.0  # and no bath is smaller, nor its element weaker, than these
DECLARED_HEATER_MIN_W = 100.0
# A declared bath is judged after this lag: the range's longest (an 8 s probe behind 30 s of
# mixing) and more, since a lag too long only judges later.
DECLARED_LAG_S = 60.0


def declared_slope(water_l, stones_kg, heater_w):
    """C/s at full power of a bath of ``water_l`` litres and ``stones_kg`` of basalt on a
    ``heater_w`` element, at its rated mains: a little more than it heats (the steel insert
    and the element take their share), and mains -10 % takes a fifth off."""
    return heater_w / (water_l * WATER_J_PER_L_K + stones_kg * BASALT_J_PER_KG_K)


def declared_bath(settings):
    """The declared bath as the heat watch judges a heat-up by it, ``(slope C/s, lag s)``,
    or None when not declared."""
    water, heater = settings["bath_water_l"], settings["bath_heater_w"]
    if water <= 0.0 or heater <= 0.0:
        return None
    return declared_slope(water, settings["bath_stones_kg"], heater), DECLARED_LAG_S

# The settings whose ranges issue 13 narrowed; at either end each check is safe. No other
# value is ever moved: a cutoff of 80 C in a file is refused, never read as 65 C.
NARROWED = ("frozen_s", "watch_s", "watch_rise_c", "weld_base_c", "coast_s",
            "max_heat_rate_c_s")


def from_stored(values):
    """``(Settings, names moved)`` from a settings file. A number that today's bounds refuse
    is moved to the nearest bound: a firmware update that narrows a safety setting's range
    (issue 13) must not throw away the calibration and the PIN stored beside it, nor keep a
    value its check can no longer be safe with. Anything else wrong raises SettingError."""
    moved = []
    fixed = {}
    for name in values:
        value = values[name]
        if (name in NARROWED and isinstance(value, (int, float)) and not isinstance(value, bool)
                and value == value and -1e30 < value < 1e30):  # not NaN, not infinite
            low, high = SETTINGS[name][1], SETTINGS[name][2]
            if value < low or value > high:
                value = low if value < low else high
                moved.append(name)
        fixed[name] = value
    return Settings(fixed), moved


def _check_together(v):
    if v["setpoint_min_c"] > v["setpoint_max_c"]:
        raise SettingError("OUT_OF_RANGE", "setpoint_min_c must not exceed setpoint_max_c")
    if v["cutoff_c"] < v["setpoint_max_c"] + CUTOFF_ABOVE_SETPOINT_C:
        raise SettingError(
            "OUT_OF_RANGE",
            "cutoff_c must be at least %g C above setpoint_max_c" % CUTOFF_ABOVE_SETPOINT_C)
    water, heater = v["bath_water_l"], v["bath_heater_w"]
    if (water > 0.0) != (heater > 0.0):
        raise SettingError("OUT_OF_RANGE", "declare bath_water_l and bath_heater_w in one "
                           "command (both 0: not declared)")
    if water > 0.0 and (water < DECLARED_WATER_MIN_L or heater < DECLARED_HEATER_MIN_W):
        raise SettingError("OUT_OF_RANGE", "a declared bath holds at least %g L on at least %g W"
                           % (DECLARED_WATER_MIN_L, DECLARED_HEATER_MIN_W))
    k = declared_slope(water, v["bath_stones_kg"], heater) if water > 0.0 else None
    if k is not None and not (DECLARED_K_MIN <= k <= DECLARED_K_MAX):
        raise SettingError("OUT_OF_RANGE", "%g L of water and %g kg of stones on %g W heat at "
                           "%.3f C/s: no bath heats like that (%g-%g); check the figures"
                           % (water, v["bath_stones_kg"], heater, k, DECLARED_K_MIN,
                              DECLARED_K_MAX))
    if v["min_pulse_s"] > v["window_s"] / 2:
        raise SettingError("OUT_OF_RANGE", "min_pulse_s must be at most half of window_s")
