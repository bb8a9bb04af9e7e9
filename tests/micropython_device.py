"""A MicroPython "board" for deploy tests: the real unix-port interpreter at its REPL, in a
folder that stands for the board's flash, reachable on a pseudo-terminal as a USB serial port
would be. Two ptys and a relay thread: the interpreter owns one, mpremote opens the other."""

import os
import pty
import select
import subprocess
import threading
import tty

# The unix port has no machine.reset(); on the board a reset ends the REPL session, and so does
# this stand-in, which the test folder's machine.py provides (files there shadow the builtin).
MACHINE_STANDIN = "import sys\n\ndef reset():\n    sys.exit(0)\n"


class MicroPythonBoard:
    def __init__(self, micropython, root):
        self.root = root
        (root / "machine.py").write_text(MACHINE_STANDIN)
        self._board_master, board_slave = pty.openpty()
        self._host_master, host_slave = pty.openpty()
        for fd in (board_slave, host_slave):
            tty.setraw(fd)
        self.path = os.ttyname(host_slave)
        self._host_slave = host_slave
        self.proc = subprocess.Popen([micropython], stdin=board_slave, stdout=board_slave,
                                     stderr=board_slave, cwd=str(root), close_fds=True)
        os.close(board_slave)
        self._running = True
        self._thread = threading.Thread(target=self._relay, daemon=True)
        self._thread.start()

    def _relay(self):
        ends = {self._board_master: self._host_master, self._host_master: self._board_master}
        while self._running:
            ready, _, _ = select.select(list(ends), [], [], 0.1)
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:  # the interpreter exited: its side of the pty is gone
                    self._running = False
                    return
                os.write(ends[fd], data)

    def wait_exit(self, timeout=10):
        return self.proc.wait(timeout=timeout)

    def close(self):
        self._running = False
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self._thread.join(timeout=5)
        for fd in (self._board_master, self._host_master, self._host_slave):
            try:
                os.close(fd)
            except OSError:
                pass
