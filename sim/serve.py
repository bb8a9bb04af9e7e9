"""A simulated heater: the firmware's main loop on the simulated board, console on a pty.

``stoneheat sim serve`` runs one in the foreground; tests run one in a thread. Either way the
host reaches it only through the pseudo-terminal, exactly as it reaches an ESP32 over USB. The
loop runs in this process (``SimulatedHeater``) or in the real ``micropython`` interpreter
(``MicroPythonHeater``); both have the same methods, so the serve command takes either.
"""

import os
import threading

from ..firmware.controller import HeaterController
from ..firmware.main_loop import MainLoop
from ..firmware.storage import Storage
from .board import ScaledClock, SimulatedBoard
from .micropython_runtime import FirmwareStopped, MicroPythonFirmware
from .pty_port import PseudoTerminal
from .runner import PERIOD_MS
from .sensor import SimulatedMax31855


class _Served:
    """What both kinds share: the port, the board, a background thread for tests."""

    def __init__(self, speed, seed, fault, port, probe_bias_c=0.0, state_dir=None, uptime_ms=0):
        """``probe_bias_c``: a probe that reads this much too high (calibration's job).
        ``state_dir``: the folder that stands for the device's flash (settings and events);
        None keeps them in memory only. ``uptime_ms``: how long the heater has been up when
        it starts (its clock and its wrapping tick counter start there)."""
        self.port = port if port is not None else PseudoTerminal()
        self.uptime_ms = uptime_ms
        self.board = SimulatedBoard(self.port, ScaledClock(speed),
                                    chip=SimulatedMax31855(seed, bias_c=probe_bias_c), fault=fault,
                                    uptime_ms=uptime_ms)
        self.state_dir = state_dir
        if state_dir:
            os.makedirs(state_dir, exist_ok=True)
        self.stopped_by = None  # why the firmware's loop ended, if it ended by itself
        self._thread = None

    @property
    def path(self):
        return self.port.path

    def run(self):
        """Run until ``stop()``, an interrupt, or the firmware's end; outputs off after."""
        try:
            self._run()
        finally:
            self.shutdown()

    def shutdown(self):
        self.board.set_outputs(False, False)
        self.port.close()

    def start_thread(self):
        """Run in the background (tests): the first tick is done when this returns."""
        self.first_tick()
        self._thread = threading.Thread(target=self.run, name="simulated-heater", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout=10):
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def __enter__(self):
        return self.start_thread()

    def __exit__(self, *exc):
        self.stop()


class SimulatedHeater(_Served):
    runtime = "cpython"

    def __init__(self, speed=1.0, seed=0, fault=None, controller=None, port=None,
                 probe_bias_c=0.0, state_dir=None, uptime_ms=0):
        """``port``: the console's port (default a new pseudo-terminal); tests wrap one to
        add line noise."""
        super().__init__(speed, seed, fault, port, probe_bias_c, state_dir, uptime_ms)
        storage = Storage(state_dir)
        settings = storage.boot("POWER_ON")
        self.controller = (controller if controller is not None
                           else HeaterController(settings, events=storage.log))
        if controller is not None:
            storage.log = controller.events
        self.controller.uptime_ms = uptime_ms
        self.loop = MainLoop(self.board, self.controller, PERIOD_MS, board_name="sim",
                             storage=storage)

    def first_tick(self):
        self.loop.step()

    def _run(self):
        try:
            self.loop.run()
        finally:  # outputs off (the loop's own end), then what waited for the flash
            self.loop.storage.flush_all(self.controller.uptime_ms)
        if self.loop.maintenance:
            self.stopped_by = "maintenance requested"

    def stop(self):
        self.loop.stop()
        self.join()

    def status(self):
        c = self.controller
        return {"sim_s": self.board.sim_s, "state": c.state, "fault": c.fault,
                "target_c": c.target_c, "temp_c": c.temp_c}


class MicroPythonHeater(_Served):
    """The firmware's main loop in ``micropython``; this process relays its console to the pty
    and paces its clock: each time the firmware waits, it gets the time again when its wait is
    over or when console input arrives, whichever comes first."""

    runtime = "micropython"

    def __init__(self, speed=1.0, seed=0, fault=None, port=None, probe_bias_c=0.0,
                 state_dir=None, uptime_ms=0):
        super().__init__(speed, seed, fault, port, probe_bias_c, state_dir, uptime_ms)
        self.firmware = MicroPythonFirmware(state_dir=state_dir, uptime_ms=uptime_ms)
        self.running = True
        self._pending_out = b""
        self._crash = False

    def first_tick(self):
        self._step(b"")

    def crash(self):
        """Make the board raise inside the firmware's loop at its next step (a test)."""
        self._crash = True

    def _step(self, console):
        fw, board = self.firmware, self.board
        crash, self._crash = self._crash, False
        try:
            fw.step(board.ticks_ms(), board.read_frame(), console, crash)
        finally:  # the outputs as the firmware last set them, even when it stopped
            board.set_outputs(fw.heater_on, fw.relay_on)
            self._pending_out += bytes(fw.console_out)
            fw.console_out.clear()
            self._flush()
        if fw.state is not None and board.on_tick is not None:
            board.on_tick()

    def _flush(self):
        if self._pending_out:
            n = self.port.write(self._pending_out)
            self._pending_out = self._pending_out[n:]

    def _run(self):
        try:
            while self.running:
                room = self.firmware.rx_room
                # With the board's buffer full, the bytes wait in the pty (flow control)
                # while the firmware's next wait goes by.
                if room > 0:
                    self.port.wait_readable(self.firmware.wait_ms / 1000.0
                                            / self.board.clock.speed)
                else:
                    self.port.wait_readable(0)
                self._step(self.port.read(min(256, room)) if room > 0 else b"")
        except FirmwareStopped as e:
            self.stopped_by = e.reason
        finally:
            self.firmware.close()

    def stop(self):
        self.running = False
        self.join()

    def status(self):
        fw = self.firmware
        return {"sim_s": self.board.sim_s, "state": fw.state, "fault": fw.fault,
                "target_c": fw.target_c, "temp_c": fw.temp_c}


def make_heater(runtime="cpython", **kwargs):
    if runtime == "micropython":
        return MicroPythonHeater(**kwargs)
    return SimulatedHeater(**kwargs)
