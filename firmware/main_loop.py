"""The firmware's main loop: the same code on the ESP32, under MicroPython on a PC, and in CPython.

Every ``period_ms`` it ticks the controller on a fresh sensor frame and drives the outputs;
between ticks it serves the console a bounded amount at a time and then waits. A flood of
console input therefore delays a tick by at most one bounded console pass, never more.

The board is anything with these methods (the ESP32's pins, or the simulator's plant):

- ``ticks_ms()``: a wrapping millisecond counter (period 2**30, as ``time.ticks_ms``);
- ``read_frame()`` and, with a second probe, ``read_frame2()``: the chip's raw frame, or None;
- ``set_outputs(heater_on, relay_on)``: drive the SSR and the safety relay;
- ``read_console(n)``: up to ``n`` bytes from the console, ``b""`` if none; never blocks;
- ``write_console(data)``: write what fits without blocking, return how many bytes;
- ``wait_ms(ms)``: sleep up to ``ms``, returning early when console input arrives;
- ``tick_done()``: one tick completed (the ESP32 feeds its watchdog here);
- optionally ``hold_interrupts()``: from now on a Ctrl-C on the console is a byte like any other
  (the ESP32's ``micropython.kbd_intr(-1)``); ``run()`` calls it before the first tick.

Whatever ends the loop (an exception, a Ctrl-C, ``stop()``) leaves both outputs off.
"""

from .console import Console
from .controller import STATES
from .history import History, zeros
from .storage import Storage
from .ticks import next_on_grid, ticks_diff

READ_CHUNK = 64  # console bytes read per pass
LINES_PER_PASS = 2  # requests answered per pass
WRITES_PER_PASS = 4
LATE_BUCKETS = 100  # lateness histogram: 1 ms buckets, the last one for 99 ms and more


class MainLoop:
    def __init__(self, board, controller, period_ms=250, board_name="sim", history=None,
                 storage=None):
        """``storage``: the heater's settings file and event log (``Storage``), whose log the
        controller must share; by default both live in memory only."""
        self.board = board
        self.ctrl = controller
        self.period_ms = period_ms
        self.history = history if history is not None else History(STATES)
        self.storage = storage if storage is not None else Storage(None, log=controller.events)
        self.console = Console(controller, self.history, self, board_name, self.storage)
        controller.remember_bath(self.storage.extras.get("bath"))
        self.running = True
        self.maintenance = False  # the loop ended for a technician's update
        self.ticks = 0
        self._next_ms = None
        self._late = zeros("I", LATE_BUCKETS)  # 4 bytes a count on every port
        self.late_max_ms = 0

    def run(self):
        """Tick and serve until ``stop()``; the outputs are off when this returns or raises."""
        try:
            hold = getattr(self.board, "hold_interrupts", None)
            if hold is not None:
                hold()
            while self.running:
                self.step()
        finally:
            self.outputs_off()

    def stop(self):
        self.running = False

    def request_maintenance(self):
        """End the loop once the reply has been written (outputs off, as any end)."""
        self.maintenance = True

    def outputs_off(self):
        self.ctrl.heater_on = False
        self.ctrl.relay_on = False
        self.board.set_outputs(False, False)

    def step(self):
        """One pass: the tick if it is due, a bounded console service, then wait."""
        board = self.board
        now = board.ticks_ms()
        if self._next_ms is None:
            self._next_ms = now
        late = ticks_diff(now, self._next_ms)
        if late >= 0:
            self._tick(now, late)
        self._serve_console()
        wait = ticks_diff(self._next_ms, board.ticks_ms())
        if wait > 0:
            board.wait_ms(wait)

    def _tick(self, now, late):
        board, ctrl = self.board, self.ctrl
        try:
            frame = board.read_frame()
            frame2 = board.read_frame2() if ctrl.second_sensor is not None else None
        except Exception:  # noqa: BLE001 - a failed read is a missing frame: heater off
            frame, frame2 = None, None
        ctrl.tick(now, frame, frame2)
        board.set_outputs(ctrl.heater_on, ctrl.relay_on)
        self.history.record(now, ctrl.trusted_temp_c(), ctrl.target_c, ctrl.duty, ctrl.state)
        board.tick_done()
        self.ticks += 1
        self._late[min(late, LATE_BUCKETS - 1)] += 1
        if late > self.late_max_ms:
            self.late_max_ms = late
        self._next_ms = next_on_grid(self._next_ms, now, self.period_ms)
        self.storage.log.uptime_s = ctrl.uptime_ms // 1000
        if ctrl.learnt_bath is not None:  # a heat-up's slope to remember, or to forget
            learnt, ctrl.learnt_bath = ctrl.learnt_bath, None
            try:
                self.storage.keep(ctrl.settings, "bath", learnt or None)
            except MemoryError:  # kept in memory all the same; the next heat-up stores it
                pass
        self.storage.flush(ctrl.uptime_ms)  # after the outputs are set: a slow flash delays nothing

    def _serve_console(self):
        board, console = self.board, self.console
        if console.wants_input():
            data = board.read_console(READ_CHUNK)
            if data:
                console.feed(data)
        console.service(LINES_PER_PASS)
        for _ in range(WRITES_PER_PASS):
            pending = console.pending_output()
            if pending is None:
                if self.maintenance:
                    self.running = False
                return
            n = board.write_console(pending)
            if not n:
                return
            console.output_written(n)

    def board_info(self):
        """What the board says of itself (the ESP32: its reset cause), for ``info``."""
        info = getattr(self.board, "info", None)
        return info() if info is not None else {}

    def uptime_s(self):
        return self.ctrl.uptime_ms // 1000

    def timing(self):
        """How late ticks came against the period's grid: what a console flood may cost."""
        return {"period_ms": self.period_ms, "ticks": self.ticks,
                "late_p50_ms": self._late_quantile(0.5), "late_p99_ms": self._late_quantile(0.99),
                "late_max_ms": self.late_max_ms}

    def _late_quantile(self, q):
        if not self.ticks:
            return None
        need = q * self.ticks
        seen = 0
        for ms in range(LATE_BUCKETS):
            seen += self._late[ms]
            if seen >= need:
                return ms
        return LATE_BUCKETS - 1
