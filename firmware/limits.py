"""Temperature limits compiled into the firmware.

The ceilings are constants of the code, not settings: no command, settings file or role can
raise them (DOMAIN.md: 55 C water burns in about 17 s, 60 C in 3 s).
"""

SETPOINT_CEILING_C = 60.0  # no setpoint above this, ever
CUTOFF_CEILING_C = 65.0  # no over-temperature cutoff above this, ever
CUTOFF_ABOVE_SETPOINT_C = 2.0  # the cutoff stays at least this far above the highest setpoint

# Defaults for everyday use (bounded settings; see settings.py).
DEFAULT_SETPOINT_MIN_C = 40.0
DEFAULT_SETPOINT_MAX_C = 57.0
DEFAULT_CUTOFF_C = 60.0
DEFAULT_TARGET_C = 54.4  # 130 F, the top of the usual hot stone range

# A latched over-temperature may only be reset once the water is this far below the cutoff.
RESET_BELOW_CUTOFF_C = 5.0

# What a thermocouple in a water bath can plausibly read, and what the chip's cold junction
# (on a board in a treatment room) can plausibly be; anything else is a sensor fault.
PLAUSIBLE_WATER_MIN_C = -5.0
PLAUSIBLE_WATER_MAX_C = 105.0
PLAUSIBLE_BOARD_MIN_C = -10.0
PLAUSIBLE_BOARD_MAX_C = 85.0
