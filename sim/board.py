"""The simulated board: what the firmware's main loop sees instead of the ESP32's pins.

The clock runs ``speed`` times faster than the wall clock. Whenever the loop asks for a frame,
the bath is first brought up to the present in the plant's own steps, heated only while the SSR
and the safety relay were both on (or as a wiring fault says), then the simulated chip encodes
what the probe reads. The console is a pseudo-terminal.
"""

import time

from ..firmware.ticks import TICKS_PERIOD
from .faults import element_powered, inject
from .plant import BathPlant
from .runner import DT_S, ticks_start
from .sensor import SimulatedMax31855


class ScaledClock:
    """Simulated seconds since start: the wall clock times ``speed``, but never more than
    ``max_step_s`` further than the last reading. A host too busy to keep up (a loaded CI
    machine at 200x) slows the simulated time down instead of jumping it: the firmware
    would read a jump as its own loop stalling, and restart its watch."""

    def __init__(self, speed=1.0, max_step_s=1.0):
        if not speed > 0:
            raise ValueError("speed must be above 0")
        self.speed = speed
        self.max_step_s = max_step_s
        self._t0 = time.monotonic()
        self._last_s = 0.0
        self._lost_s = 0.0  # simulated time the host was too slow to give

    def now_s(self):
        t = (time.monotonic() - self._t0) * self.speed - self._lost_s
        if t - self._last_s > self.max_step_s:
            self._lost_s += t - self._last_s - self.max_step_s
            t = self._last_s + self.max_step_s
        self._last_s = t
        return t


class SimulatedBoard:
    def __init__(self, port, clock, plant=None, chip=None, fault=(), uptime_ms=0):
        """``fault``: ``(FaultKind, seconds)`` pairs from ``sim.faults.parse_fault``;
        ``uptime_ms``: how long the board has been up (its tick counter starts there)."""
        self.port = port
        self._ticks0 = ticks_start(uptime_ms)
        self.clock = clock
        self.plant = plant if plant is not None else BathPlant(dt_s=DT_S)
        self.chip = chip if chip is not None else SimulatedMax31855()
        self.ssr_on = False
        self.relay_on = False
        self.wiring = None
        self._faults = sorted(fault or (), key=lambda f: f[1])
        self._plant_s = 0.0
        self._board_c = self.plant.ambient_c + self.plant.params.board_above_ambient_c
        self.on_tick = None  # called after every tick (the serve command reports changes)

    # -- what the main loop calls -----------------------------------------------------------

    def ticks_ms(self):
        return (self._ticks0 + int(self.clock.now_s() * 1000)) & (TICKS_PERIOD - 1)

    def read_frame(self):
        self._advance_plant()
        return self.chip.frame(self.plant.probe_c, self._board_c)

    def set_outputs(self, heater_on, relay_on):
        self.ssr_on = heater_on
        self.relay_on = relay_on

    def read_console(self, n):
        return self.port.read(n)

    def write_console(self, data):
        return self.port.write(data)

    def wait_ms(self, ms):
        self.port.wait_readable(ms / 1000.0 / self.clock.speed)

    def tick_done(self):
        if self.on_tick is not None:
            self.on_tick()

    # -- the bath ------------------------------------------------------------------------------

    @property
    def powered(self):
        return element_powered(self.wiring, self.ssr_on, self.relay_on)

    def _advance_plant(self):
        target_s = self.clock.now_s()
        step = self.plant.step
        while self._plant_s + DT_S <= target_s:
            while self._faults and self._plant_s >= self._faults[0][1]:
                self.wiring = inject(self._faults.pop(0)[0], self.plant, self.chip) or self.wiring
            step(self.powered)
            self._plant_s += DT_S

    @property
    def sim_s(self):
        return self._plant_s
