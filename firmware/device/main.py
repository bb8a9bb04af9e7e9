# main.py: runs the heater's firmware after boot.py. Whatever ends it (an error, a failed
# flash) leaves the SSR and the safety relay off and resets the board; a hung loop stops feeding
# the watchdog, which resets the board into boot.py, which switches them off.
#
# Ctrl-C (0x03) on the console: MicroPython lets it interrupt each script it runs, so the first
# line here holds it back again (boot.py does the same), and the firmware keeps it held: on this
# console it is just a byte, answered with BAD_LINE, never a way into the REPL.
#
# Maintenance mode: the console's "maintenance" command ends the firmware (outputs off), leaves
# a "maintenance" file and resets the board. This boot then removes the file and stays at the
# REPL, without the watchdog, so that a technician can update the firmware; the next reset runs
# it again. The file is removed first, so a power cut in maintenance still boots the firmware.
import micropython

micropython.kbd_intr(-1)
import os  # noqa: E402 - after the line above, on purpose

try:
    os.remove("maintenance")
    print("stoneheat: maintenance mode: firmware not started, heater off. "
          "Reset the board to run it.")
except OSError:
    from stoneheat_fw.board_esp32 import run

    run()
