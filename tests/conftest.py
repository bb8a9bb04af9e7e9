import os

from hypothesis import HealthCheck, settings

# The machine is shared: never fail a property test on time.
settings.register_profile("stoneheat", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("stoneheat")

# CI sets this so that a missing MicroPython interpreter or mpy-cross fails instead of skipping.
REQUIRE_TOOLS = os.environ.get("STONEHEAT_REQUIRE_TOOLS") == "1"
