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

# The fastest a *full* bath of the product's range heats at full power (3 L of water, no stones,
# 1500 W at mains +10 %: 1815 W / 13 040 J/K = 0.139 C/s), rounded up. The heating watch sizes
# its window from it, so no bath, setting or learnt model can make that check slower than the
# fastest bath the product is sold for needs (issue 13).
FASTEST_FULL_BATH_C_S = 0.15
# The true water may pass the cutoff by this much at most, whatever fails: the heating watch
# keeps this much of the headroom between the reading and the cutoff for heat already on its
# way to the probe.
WATCH_MARGIN_C = 1.0
# The fastest a bath heats with 1 L of water left after a leak (1815 W into 1 L and the
# element: about 0.39 C/s): the heating watch's window after a fall it cannot explain.
FASTEST_LOW_BATH_C_S = 0.39
# The power cap near the cutoff that a leak late in a heat-up needs (controller._leak_cap):
# the share of the identified lag that 1 L's heat stays unseen: all of it. The mixing is a dead
# time no check on the reading can see into; measured on the range's corners, 0.6 let 10 L
# with 2 kg on 1815 W behind 30 s of mixing and an 8 s probe pass 61 C, and 0.8, with the
# highest target (57 C: the PID stays at the cap longest), 3 L bare behind 8 s + 30 s reach
# 61.26 C (1.0: 60.16 C, benchmarks/late_leaks.py --target 57C), the rise the element's
# stored heat adds at full power,
# the lag taken while this bath's is not known (the range's longest, identified: 56 s), and
# the least lag the cap believes: a fit broken by holds found 0 s on a 38 s bath, and the
# shortest bath of the range (1 s probe, 5 s mixing, the element's 12 s) shows about 15.
LEAK_LAG_SHARE = 1.0
LEAK_COAST_C = 1.5
LEAK_LAG_UNKNOWN_S = 60.0
LEAK_LAG_FLOOR_S = 15.0
