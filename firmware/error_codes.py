"""The one list of the console's error codes: the host's advice keys on these names, and
docs/protocol.md's table lists exactly these (a test holds both to it). Fault codes, which
`status` and `events` carry, are firmware/faults.py's.

The heater never imports this module. Each code is a string literal where it is raised (or a
name in the module that owns it): 25 more module globals cost about 3 KB of a 64-bit heap at
import, measured with the built firmware's main loop, and the heap is what a plain ESP32 lacks.
A test holds every code the firmware raises to this list.
"""

from .access import BAD_PIN, LOCKED, LOCKED_OUT, WRONG_PIN  # noqa: F401 - part of the list
from .calibration import BAD_CALIBRATION  # noqa: F401
from .faults import INTERNAL_ERROR  # noqa: F401 - a bug in a command (also a fault code)
from .protocol import (BAD_ARGUMENT, BAD_CHECKSUM, BAD_ID, BAD_LINE,  # noqa: F401
                       CHECKSUM_REQUIRED, LINE_TOO_LONG, UNKNOWN_COMMAND)

# A request refused: nothing was changed.
BAD_VALUE = "BAD_VALUE"
OUT_OF_RANGE = "OUT_OF_RANGE"
UNKNOWN_SETTING = "UNKNOWN_SETTING"
FAULT_LATCHED = "FAULT_LATCHED"
TUNING = "TUNING"
UNSAFE = "UNSAFE"
NO_FAULT = "NO_FAULT"
NO_READING = "NO_READING"
NO_RESULT = "NO_RESULT"


def all_codes():
    return {v for k, v in globals().items() if k.isupper() and isinstance(v, str)}
