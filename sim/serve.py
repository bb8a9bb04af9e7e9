"""A simulated heater: the firmware's main loop on the simulated board, console on a pty.

``stoneheat sim serve`` runs one in the foreground; tests run one in a thread. Either way the
host reaches it only through the pseudo-terminal, exactly as it reaches an ESP32 over USB.
"""

import threading

from ..firmware.controller import HeaterController
from ..firmware.main_loop import MainLoop
from .board import ScaledClock, SimulatedBoard
from .pty_port import PseudoTerminal
from .runner import PERIOD_MS
from .sensor import SimulatedMax31855


class SimulatedHeater:
    def __init__(self, speed=1.0, seed=0, fault=None, controller=None, port=None):
        """``port``: the console's port (default a new pseudo-terminal); tests wrap one to
        add line noise."""
        self.port = port if port is not None else PseudoTerminal()
        self.board = SimulatedBoard(self.port, ScaledClock(speed), chip=SimulatedMax31855(seed),
                                    fault=fault)
        self.controller = controller if controller is not None else HeaterController()
        self.loop = MainLoop(self.board, self.controller, PERIOD_MS, board_name="sim")
        self._thread = None

    @property
    def path(self):
        return self.port.path

    def run(self):
        """Run until ``stop()`` or an interrupt; the outputs are off when it returns."""
        try:
            self.loop.run()
        finally:
            self.port.close()

    def start_thread(self):
        """Run in the background (tests): the first tick is done when this returns."""
        self.loop.step()
        self._thread = threading.Thread(target=self.run, name="simulated-heater", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.loop.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self):
        return self.start_thread()

    def __exit__(self, *exc):
        self.stop()
