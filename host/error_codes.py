"""The error codes only the CLI gives: what a `--json` error object's `error` may be when the
heater did not refuse the request itself (a bad command line, a port that is not there, a
step of a long command that did not end well). The heater's own refusals are the console's
list, firmware/error_codes.py; a `wait-ready` ended by a fault carries the fault's code
(firmware/faults.py). docs/protocol.md's table of CLI codes names exactly these (a test holds
the table, this list and every `Failure` the CLI raises to each other)."""

# The command line or the terminal.
USAGE = "USAGE"  # click refused the command line (exit 2)
BAD_INPUT = "BAD_INPUT"  # a value the link cannot send as typed (exit 2)
INTERRUPTED = "INTERRUPTED"  # Ctrl-C (exit 130)

# The port and the link.
NO_PORT = "NO_PORT"  # the port cannot be opened, or none/several heaters were found
NO_ANSWER = "NO_ANSWER"  # the port opened, but no heater answered

# A long command that did not end as asked.
TIMEOUT = "TIMEOUT"  # wait-ready ran out of time
NOT_HEATING = "NOT_HEATING"  # wait-ready on a heater that is idle
STOPPED = "STOPPED"  # autotune stopped from elsewhere (`stoneheat stop`)
TUNE_ABORTED = "TUNE_ABORTED"  # autotune gave up (the firmware's event names why)
NOT_SETTLED = "NOT_SETTLED"  # calibrate: the probe did not settle
NOT_SAVED = "NOT_SAVED"  # calibrate/autotune: the technician said no to saving

# Firmware on the device.
SIMULATED = "SIMULATED"  # deploy/flash to `stoneheat sim serve`, which has no flash
BUILD_FAILED = "BUILD_FAILED"  # the firmware bundle could not be built
DEPLOY_FAILED = "DEPLOY_FAILED"  # mpremote could not copy or verify it
FLASH_FAILED = "FLASH_FAILED"  # esptool could not write MicroPython


def all_codes():
    return {v for k, v in globals().items() if k.isupper() and isinstance(v, str)}
