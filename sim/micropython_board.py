# Run by the `micropython` interpreter, never imported by CPython: the firmware's main loop,
# unchanged, on a board whose clock, sensor and console belong to the CPython simulator, which
# drives it in lockstep over this process's stdin and stdout.
#
# argv: the folder holding the firmware package, the package's name, and optionally the folder
# that stands for the device's flash (settings and events survive a restart there).
#
# Lines from the simulator (stdin):
#   S <hex> <uptime_ms>           setup: console bytes handled before the loop starts; how long
#                                 the firmware has been up already
#   N <now_ms> <frame> <hex> <x>  the time is now; the sensor's frame (or -); console bytes
#                                 that arrived; x = 1 makes the board raise (a crash test)
# Lines to the simulator (stdout):
#   R <hex>                       the console's replies to the setup
#   O <heater> <relay>            the outputs were set
#   X <hex>                       console bytes written
#   W <ms> <state> <fault> <temp_c> <duty> <target_c> <room>
#                                 waiting up to ms; the controller's state for the record; how
#                                 many console bytes the board can take (flow control)
#   E <exception>                 the loop ended; the outputs are already off
import sys
from binascii import hexlify, unhexlify

sys.path.insert(0, sys.argv[1])
_pkg = sys.argv[2]
MainLoop = __import__(_pkg + ".main_loop", None, None, ["x"]).MainLoop
HeaterController = __import__(_pkg + ".controller", None, None, ["x"]).HeaterController
Storage = __import__(_pkg + ".storage", None, None, ["x"]).Storage

_in = sys.stdin
_out = sys.stdout
_flush = getattr(_out, "flush", None)

CTRL_C = 3  # as on the ESP32's USB console: Ctrl-C interrupts the program, until held
RX_HOLD = 1024  # the console bytes the board holds unread, as the ESP32's USB buffer would


def _send(line):
    _out.write(line + "\n")


class LockstepBoard:
    def __init__(self):
        self.now = 0
        self.frame = None
        self.console = b""
        self.ctrl = None
        self.interrupt_char = CTRL_C  # what MicroPython starts a script with

    def hold_interrupts(self):
        # The ESP32's board calls micropython.kbd_intr(-1) here. The unix port reads this
        # board's console from a pipe, where 0x03 is a byte anyway: what the ESP32 would do
        # with it is emulated on arrival (wait_ms).
        self.interrupt_char = -1

    def _receive(self):
        line = _in.readline()
        if not line:
            raise SystemExit(0)  # the simulator went away
        return line.split()

    def setup(self):
        words = self._receive()
        self.uptime_ms = int(words[2]) if len(words) > 2 else 0
        return unhexlify(words[1]) if len(words) > 1 and words[1] != "-" else b""

    def ticks_ms(self):
        return self.now

    def read_frame(self):
        return self.frame

    def read_frame2(self):
        return None

    def set_outputs(self, heater_on, relay_on):
        _send("O %d %d" % (heater_on, relay_on))

    def read_console(self, n):
        data, self.console = self.console[:n], self.console[n:]
        return data

    def write_console(self, data):
        _send("X " + hexlify(data).decode())
        return len(data)

    def wait_ms(self, ms):
        c = self.ctrl
        _send("W %d %s %s %s %s %s %d" % (ms, c.state, c.fault or "-",
                                          "-" if c.temp_c is None else repr(c.temp_c),
                                          repr(c.duty), repr(c.target_c),
                                          RX_HOLD - len(self.console)))
        if _flush:
            _flush()
        words = self._receive()
        self.now = int(words[1])
        self.frame = None if words[2] == "-" else int(words[2])
        if words[3] != "-":
            data = unhexlify(words[3])
            if self.interrupt_char >= 0 and self.interrupt_char in data:
                raise KeyboardInterrupt  # the USB console's handler, as the byte arrives
            # Beyond what the buffer holds is lost, as on a real UART (the simulator honours
            # the room it was told, so only a sender that does not is cut short).
            self.console = (self.console + data)[:RX_HOLD]
        if words[4] == "1":
            raise RuntimeError("crash requested by the simulator")

    def tick_done(self):
        pass


def main():
    board = LockstepBoard()
    storage = Storage(sys.argv[3] if len(sys.argv) > 3 else None)
    ctrl = HeaterController(storage.boot("POWER_ON"), events=storage.log)
    board.ctrl = ctrl
    setup = board.setup()
    ctrl.uptime_ms = board.uptime_ms  # first: the console's lockout starts from it
    loop = MainLoop(board, ctrl, board_name="micropython-sim", storage=storage)
    if setup:
        loop.console.feed(setup)
        loop.console.service(100)
    replies = b""
    while loop.console.pending_output() is not None:
        chunk = bytes(loop.console.pending_output())
        loop.console.output_written(len(chunk))
        replies += chunk
    _send("R " + (hexlify(replies).decode() or "-"))
    board.wait_ms(0)  # the first time and frame
    try:
        loop.run()
    except BaseException as e:  # the loop has already switched the outputs off
        try:  # then what waited for the flash, as the ESP32's run() does
            storage.flush_all(ctrl.uptime_ms)
        except Exception:  # noqa: BLE001 - the reason below matters more
            pass
        _send("E " + type(e).__name__)
        if _flush:
            _flush()
        return
    _send("E stopped")


main()
