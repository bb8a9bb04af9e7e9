"""A pseudo-terminal for the simulated heater's console: a real serial port as far as the host
knows (``/dev/pts/N``), which pyserial, a terminal program or mpremote open like a USB port."""

import array
import fcntl
import os
import select
import termios
import time
import tty

DRAIN_S = 1.0  # how long a closing port waits for a client to read what was written
# The kernel moves bytes written to the master into the client's queue a moment later (a work
# queue): until then the queue reads empty, and a port closed in that moment loses them.
SETTLE_S = 0.1


class PseudoTerminal:
    def __init__(self):
        self.master, self._slave = os.openpty()
        # Raw: no echo, no line editing, no CR/LF translation, as a USB serial port behaves.
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self._last_write = None  # time.monotonic() of the last bytes written
        # Holding the device side open keeps the port alive between clients: without it, the
        # master reads EIO as soon as the last client closes the port.
        self.path = os.ttyname(self._slave)

    def read(self, n):
        try:
            return os.read(self.master, n)
        except (BlockingIOError, InterruptedError):
            return b""

    def write(self, data):
        try:
            n = os.write(self.master, data)
        except (BlockingIOError, InterruptedError):
            return 0
        if n:
            self._last_write = time.monotonic()
        return n

    def wait_readable(self, timeout_s):
        """True as soon as there is input, False after ``timeout_s`` without any."""
        try:
            readable, _, _ = select.select([self.master], [], [], max(0.0, timeout_s))
        except InterruptedError:
            return False
        return bool(readable)

    def unread(self):
        """Bytes written to the client that it has not read yet."""
        count = array.array("i", [0])
        try:
            fcntl.ioctl(self._slave, termios.FIONREAD, count)
        except OSError:
            return 0
        return count[0]

    def close(self):
        # A real board's last reply (to `maintenance`) leaves its UART before it resets;
        # closing the master at once would throw away what the client has not read.
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline:
            settling = (self._last_write is not None
                        and time.monotonic() - self._last_write < SETTLE_S)
            if not settling and not self.unread():
                break
            time.sleep(0.01)
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
