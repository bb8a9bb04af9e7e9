"""The host's side of the serial link: requests with ids and checksums, replies picked out of
whatever else is on the line, retries for requests that are safe to repeat.

The line format is the firmware's (``stoneheat.firmware.protocol``); nothing of it is
re-implemented here.
"""

import contextlib
import json
import os
import random
import time

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

import serial

from .firmware import protocol
from .ports import PortError

BAUDRATE = 115200
REPLY_TIMEOUT_S = 1.0
RETRIES = 2
LONGEST_LINE = 4096  # a reply is far shorter; a longer line is noise
RESYNC = protocol.CANCEL + b"\n"
LOCK_WAIT_S = 10.0  # how long a command waits for another one to free the port


class LinkError(Exception):
    """No usable answer: the port cannot be opened, or the heater does not answer."""


class BadCommand(ValueError):
    """A command that must not go on the line: a control character (a newline would end the
    line and start another command), anything not printable ASCII, or too long."""


class DeviceRefused(Exception):
    """The heater answered with an error: ``code`` and its ``message``."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


class HeaterLink:
    def __init__(self, port, timeout_s=REPLY_TIMEOUT_S, retries=RETRIES, lock_wait_s=LOCK_WAIT_S):
        self.port = port
        self.timeout_s = timeout_s
        self.retries = retries
        self._serial = serial.Serial()
        self._serial.port = port
        self._serial.baudrate = BAUDRATE
        # DTR and RTS drive the ESP32's reset and boot pins on most USB bridges: asserting them
        # on open would reboot the heater, so they are released before the port opens.
        self._serial.dtr = False
        self._serial.rts = False
        self.lock_wait_s = lock_wait_s
        self._lock_fd = None
        if fcntl is not None:
            # The lock lives on a descriptor of its own, taken before pyserial opens the port:
            # its open flushes the line's input, which another command's reply may be in.
            try:
                self._lock_fd = os.open(port, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
            except OSError as e:
                raise PortError(_why_unusable(port, e))
        try:
            with self._turn():
                try:
                    self._serial.open()
                except (serial.SerialException, OSError, ValueError) as e:
                    raise PortError(_why_unusable(port, e))
                self._resync()
        except BaseException:
            self._close_lock()
            raise
        self._next_id = random.randint(1, protocol.MAX_ID // 2)

    def _close_lock(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @contextlib.contextmanager
    def _turn(self):
        """One request at a time on a port, across processes: a second command (a `set` while
        `calibrate` waits for the technician) waits for the request under way, whose reply it
        would otherwise read, then takes its turn; after ``lock_wait_s`` the port is busy.
        An advisory lock on the open port, taken per request, not per command."""
        if self._lock_fd is None:  # Windows: a port has one owner there anyway
            yield
            return
        fd = self._lock_fd
        deadline = time.monotonic() + self.lock_wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise PortError("%s is busy: another stoneheat command or the hub is "
                                    "using it; try again when it is done" % self.port)
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _resync(self):
        """Forget what is waiting on the line, and end any half line the device holds. The
        CAN byte (0x18) first: whatever half line sits in the device's buffer then holds a
        control character and is refused (BAD_LINE) instead of run; a bare newline would
        complete it, and a stray `start` would heat. Never 0x03: on a board without the
        firmware's guard that is Ctrl-C."""
        try:
            self._serial.reset_input_buffer()
            self._serial.write(RESYNC)
        except Exception as e:  # noqa: BLE001 - also termios.error, for a port gone away
            raise LinkError("cannot use %s: %s" % (self.port, e))

    def close(self):
        self._serial.close()
        self._close_lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, command):
        """The reply payload (a dict) to ``command``; ``DeviceRefused`` for an error reply,
        ``LinkError`` for no answer. A lost request or reply is sent again when the command is
        one that can be repeated safely, and always when the device saw it damaged."""
        check_command(command)
        name = command.split()[0].lower() if command.split() else ""
        attempts = 1 + (self.retries if protocol.flags_of(name) & protocol.REPEATABLE else 0)
        # One id for every try: a device that did run it answers the same line again from
        # its cache of replies, instead of running it twice.
        request_id = self._take_id()
        with self._turn():
            try:  # what waited on the line was for no one still asking: another's, or stale
                self._serial.reset_input_buffer()
            except Exception as e:  # noqa: BLE001 - also termios.error, for a port gone away
                raise LinkError("cannot use %s: %s" % (self.port, e))
            return self._exchange(command, request_id, attempts)

    def _exchange(self, command, request_id, attempts):
        damaged = 0
        attempt = 0
        while attempt < attempts:
            attempt += 1
            self._write(protocol.encode_request(request_id, command))
            reply = self._await_reply(request_id)
            if reply is None:
                continue
            ok, body = reply
            if ok:
                return json.loads(body)
            code, message = body
            if code == protocol.BAD_CHECKSUM and damaged < self.retries:
                damaged += 1  # damaged on the way in: the device did nothing, so send it again
                attempt -= 1
                continue
            raise DeviceRefused(code, message)
        if attempts == 1:
            raise LinkError("no answer from the heater on %s to %r; it may or may not have done it: "
                            "check with `stoneheat status`" % (self.port, command))
        raise LinkError("no answer from the heater on %s after %d tries" % (self.port, attempts))

    def _take_id(self):
        """A new id for each request (a device caches the last few replies by their line)."""
        request_id = self._next_id
        self._next_id = 1 if request_id >= protocol.MAX_ID else request_id + 1
        return request_id

    def _write(self, data):
        try:
            self._serial.write(data)
        except (serial.SerialException, OSError) as e:
            raise LinkError("cannot write to %s: %s" % (self.port, e))

    def _await_reply(self, request_id):
        deadline = time.monotonic() + self.timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._serial.timeout = left
            try:
                raw = self._serial.read_until(b"\n", LONGEST_LINE)
            except (serial.SerialException, OSError) as e:
                raise LinkError("cannot read from %s: %s" % (self.port, e))
            if not raw.endswith(b"\n"):
                continue  # a timeout mid-line, or an endless line of noise
            reply = protocol.parse_reply(raw.decode("ascii", "replace"), request_id)
            if reply is not None:
                return reply


def _why_unusable(port, error):
    """What is wrong with ``port``, for a person: no such port, not a serial port, no
    permission, a folder."""
    errno_ = getattr(error, "errno", None)
    text = str(error)
    if errno_ == 2 or "No such file" in text:
        return "there is no port %s: unplugged? `stoneheat ports` lists those there are" % port
    if errno_ == 25 or "Inappropriate ioctl" in text:
        return "%s is not a serial port" % port
    if errno_ == 13 or "Permission denied" in text:
        return ("no permission to open %s (on Linux, add yourself to the dialout group and log "
                "in again)" % port)
    if errno_ == 21 or "Is a directory" in text:
        return "%s is a folder, not a serial port" % port
    return "cannot open %s: %s" % (port, text)


def check_command(command):
    """Raise ``BadCommand`` unless ``command`` can go on the line as one request: printable
    ASCII only (a newline inside an argument would slip in a second command), and short
    enough for the device's line with its id and checksum."""
    data = command.encode("utf-8", "replace") if isinstance(command, str) else bytes(command)
    if not protocol.is_printable_ascii(data):
        bad = next(b for b in data if b < 0x20 or b > 0x7E)
        raise BadCommand("%r holds the byte 0x%02X: only printable ASCII may go to the heater%s"
                         % (command[:40], bad, " (write 130F, without a degree sign)"
                            if bad > 0x7E else ", on one line"))
    if not data.strip():
        raise BadCommand("an empty command")
    if len(protocol.encode_request(protocol.MAX_ID, command)) - 1 > protocol.MAX_LINE:
        raise BadCommand("command too long for the heater's line (%d bytes at most)"
                         % protocol.MAX_LINE)
