# main.py: runs the heater's firmware after boot.py. Whatever ends it (Ctrl-C, an error) leaves
# the SSR and the safety relay off; a hung loop stops feeding the watchdog, which resets the
# board into boot.py, which switches them off.
from stoneheat_fw.board_esp32 import run

run()
