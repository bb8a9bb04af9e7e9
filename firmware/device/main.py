# main.py: runs the heater's firmware after boot.py. Whatever ends it (Ctrl-C, an error) leaves
# the SSR and the safety relay off; a hung loop stops feeding the watchdog, which resets the
# board into boot.py, which switches them off.
#
# Maintenance mode: the console's "maintenance" command ends the firmware (outputs off), leaves
# a "maintenance" file and resets the board. This boot then removes the file and stays at the
# REPL, without the watchdog, so that a technician can update the firmware; the next reset runs
# it again. The file is removed first, so a power cut in maintenance still boots the firmware.
import os

try:
    os.remove("maintenance")
    print("stoneheat: maintenance mode: firmware not started, heater off. "
          "Reset the board to run it.")
except OSError:
    from stoneheat_fw.board_esp32 import run

    run()
