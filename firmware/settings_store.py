"""Settings that survive power loss: a versioned file with a checksum, written atomically.

The file is a header line and a JSON body::

    stoneheat-settings 1 <CRC-16 of the body, 4 hex digits> <body length in bytes>
    {"kp": 0.8, "ti_s": 1200.0}

A write goes to ``<path>.tmp`` first and is renamed over the file, so a power cut leaves the old
file or the new one, never half of one. Loading checks the header, the length, the checksum and
every value against the firmware's bounds (all together); anything wrong gives the defaults and
says why, so the heater starts safe and a technician is told.
"""

import json
import os

from .errors import SettingError
from .protocol import crc16, is_printable_ascii
from .settings import Settings
from .ticks import ticks_diff

MAGIC = "stoneheat-settings"
FORMAT_VERSION = 1

# Why the defaults were used (None: the file was read).
MISSING = "SETTINGS_MISSING"
CORRUPT = "SETTINGS_CORRUPT"
INVALID = "SETTINGS_INVALID"


def encode(values):
    """The file's bytes for these settings."""
    body = json.dumps(values).encode()
    return ("%s %d %04X %d\n" % (MAGIC, FORMAT_VERSION, crc16(body), len(body))).encode() + body


def decode(data):
    """``(Settings, None)`` from a file's bytes, or ``(default Settings, reason)``."""
    end = data.find(b"\n")
    if end < 0:
        return Settings(), CORRUPT
    header = data[:end].decode().split(" ") if is_printable_ascii(data[:end]) else []
    body = data[end + 1:]
    if (len(header) != 4 or header[0] != MAGIC or header[1] != str(FORMAT_VERSION)
            or not header[3].isdigit() or int(header[3]) != len(body)):
        return Settings(), CORRUPT
    try:
        if int(header[2], 16) != crc16(body):
            return Settings(), CORRUPT
        values = json.loads(body)
    except ValueError:
        return Settings(), CORRUPT
    if not isinstance(values, dict):
        return Settings(), CORRUPT
    try:
        return Settings(values), None
    except SettingError:  # a value the bounds refuse: the defaults, and say so
        return Settings(), INVALID


class SettingsStore:
    def __init__(self, path="settings.json", min_interval_ms=60000):
        """``min_interval_ms``: the least time between two writes, to spare the flash."""
        self.path = path
        self.tmp_path = path + ".tmp"
        self.min_interval_ms = min_interval_ms
        self._last_write_ms = None
        self._pending = None
        self.writes = 0

    def load(self):
        """``(Settings, reason)``: the stored settings, or the defaults and why."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return Settings(), MISSING
        return decode(data)

    def save(self, settings, now_ms):
        """Store ``settings`` now if the last write was long enough ago, else when ``flush``
        next finds it allowed. Returns whether it was written."""
        self._pending = dict(settings.values)
        return self.flush(now_ms)

    def flush(self, now_ms):
        if self._pending is None:
            return False
        if (self._last_write_ms is not None
                and ticks_diff(now_ms, self._last_write_ms) < self.min_interval_ms):
            return False
        data = encode(self._pending)
        with open(self.tmp_path, "wb") as f:
            f.write(data)
        os.rename(self.tmp_path, self.path)  # atomic on littlefs, FAT's rename and POSIX
        self._pending = None
        self._last_write_ms = now_ms
        self.writes += 1
        return True
