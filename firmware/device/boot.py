# boot.py: the first code the ESP32 runs after any reset (power on, watchdog, crash, Ctrl-D).
# Before anything else, the SSR and the safety relay are driven low, so the heater is off
# whatever happened before the reset. The pins are those of board.json when it can be read,
# and the reference wiring's (26 and 27) otherwise; both are pulled down in hardware too.
import machine
import micropython

machine.Pin(26, machine.Pin.OUT, value=0)
machine.Pin(27, machine.Pin.OUT, value=0)
micropython.kbd_intr(-1)  # a Ctrl-C must not stop this script or main.py half way (main.py)
try:
    import json

    with open("board.json") as _f:
        _pins = json.load(_f)
    for _name in ("ssr", "relay"):
        if _name in _pins:
            machine.Pin(_pins[_name], machine.Pin.OUT, value=0)
except Exception:  # noqa: BLE001 - no or broken board.json: the reference pins are off already
    pass
