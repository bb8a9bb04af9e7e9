"""A pseudo-terminal for the simulated heater's console: a real serial port as far as the host
knows (``/dev/pts/N``), which pyserial, a terminal program or mpremote open like a USB port."""

import os
import select
import tty


class PseudoTerminal:
    def __init__(self):
        self.master, self._slave = os.openpty()
        # Raw: no echo, no line editing, no CR/LF translation, as a USB serial port behaves.
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
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
            return os.write(self.master, data)
        except (BlockingIOError, InterruptedError):
            return 0

    def wait_readable(self, timeout_s):
        """True as soon as there is input, False after ``timeout_s`` without any."""
        try:
            readable, _, _ = select.select([self.master], [], [], max(0.0, timeout_s))
        except InterruptedError:
            return False
        return bool(readable)

    def close(self):
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
