"""Fault codes: stable names that the console, the host, the docs and the logs share."""

OVER_TEMP = "OVER_TEMP"
TC_OPEN = "TC_OPEN"
TC_SHORT_GND = "TC_SHORT_GND"
TC_SHORT_VCC = "TC_SHORT_VCC"
SENSOR_BUS_HIGH = "SENSOR_BUS_HIGH"
SENSOR_BUS_LOW = "SENSOR_BUS_LOW"
SENSOR_FRAME = "SENSOR_FRAME"
SENSOR_RANGE = "SENSOR_RANGE"
COLD_JUNCTION_RANGE = "COLD_JUNCTION_RANGE"
SENSOR_STALE = "SENSOR_STALE"
SENSOR_INTERMITTENT = "SENSOR_INTERMITTENT"
SENSOR_FROZEN = "SENSOR_FROZEN"
INTERNAL_ERROR = "INTERNAL_ERROR"
HEATING_WATCH = "HEATING_WATCH"
SSR_WELDED = "SSR_WELDED"
LOW_WATER = "LOW_WATER"
SENSOR_DISAGREE = "SENSOR_DISAGREE"
SENSOR2_FAULT = "SENSOR2_FAULT"
AUTO_OFF = "AUTO_OFF"  # not a fault: the heater went back to IDLE by itself
RESET = "RESET"  # not a fault: an event, a latched fault reset while safe

# What a therapist reads when the heater stops: what happened and what to do.
MESSAGES = {
    OVER_TEMP: "Water reached the over-temperature cutoff. Heater off. Do not use the stones; "
    "let the bath cool, then reset.",
    TC_OPEN: "Temperature probe disconnected or broken. Heater off. Check the probe plug.",
    TC_SHORT_GND: "Temperature probe wire shorted to ground. Heater off. Call a technician.",
    TC_SHORT_VCC: "Temperature probe wire shorted to supply. Heater off. Call a technician.",
    SENSOR_BUS_HIGH: "Temperature chip not answering (line stuck high). Heater off. "
    "Call a technician.",
    SENSOR_BUS_LOW: "Temperature chip not answering (line stuck low). Heater off. "
    "Call a technician.",
    SENSOR_FRAME: "Temperature chip sent a malformed reading. Heater off. Call a technician.",
    SENSOR_RANGE: "Temperature reading impossible for a water bath. Heater off. "
    "Check the probe sits in the water.",
    COLD_JUNCTION_RANGE: "Controller board temperature out of range. Heater off. "
    "Move the controller away from heat.",
    SENSOR_STALE: "No fresh temperature reading. Heater off. Call a technician.",
    SENSOR_INTERMITTENT: "Temperature probe connection is unreliable. Heater off. "
    "Check the probe plug; call a technician if it happens again.",
    SENSOR_FROZEN: "Temperature reading stopped changing while heating. Heater off. "
    "Call a technician.",
    INTERNAL_ERROR: "Controller software error. Heater off. Note the time and call a technician.",
    HEATING_WATCH: "Heating at full power but the reading does not rise as it should. "
    "Heater off. Check the probe is in the water; if it is, the element may be broken. "
    "A new or bigger bath: reset, have a technician declare it anew, and the next "
    "heat-up learns it.",
    SSR_WELDED: "Water keeps heating with the heater switched off. Safety relay opened. "
    "Unplug the heater: the power switch (SSR) has failed, or the bath is nearly empty. "
    "Check the water, then call a technician.",
    LOW_WATER: "Water heats far too fast: the bath is low or dry. Heater off. "
    "Unplug, let it cool, and fill the bath.",
    SENSOR_DISAGREE: "The two temperature probes disagree. Heater off. "
    "Check both probes sit in the water; call a technician.",
    SENSOR2_FAULT: "The second temperature probe has failed. Heater off. Call a technician.",
    AUTO_OFF: "Heater switched itself off: nobody touched it for hours. Press start to heat again.",
}
