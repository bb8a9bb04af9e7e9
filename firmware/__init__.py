"""stoneheat firmware (the code that runs on the heater)."""
