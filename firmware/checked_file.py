"""Files on the device's flash that a power cut cannot corrupt: a header line with the kind, the
format version, the body's CRC-16 and length, then a JSON body::

    stoneheat-settings 1 <CRC-16 of the body, 4 hex digits> <body length in bytes>
    {"values": {"kp": 0.8}}

A write goes to ``<path>.tmp`` first and is renamed over the file, so a power cut leaves the old
file or the new one, never half of one. A read that finds anything wrong says so and returns no
data: the caller falls back to safe defaults and reports why.
"""

import gc
import json
import os

from .protocol import crc16, is_printable_ascii

FORMAT_VERSION = 1
FILE_MAX = 8192  # bytes: the full event log is about 4 KB; anything longer is not ours
_DIRECTORY = 0x4000  # S_IFDIR in os.stat's mode (MicroPython has no stat module)

# Why a file gave no data (None: it was read).
MISSING = "MISSING"
CORRUPT = "CORRUPT"


def encode(kind, body_obj):
    body = json.dumps(body_obj).encode()
    return ("%s %d %04X %d\n" % (kind, FORMAT_VERSION, crc16(body), len(body))).encode() + body


def decode(kind, data):
    """``(object, None)`` from a file's bytes, or ``(None, CORRUPT)``."""
    try:
        return _decode(kind, data)
    except MemoryError:
        return None, CORRUPT


def _decode(kind, data):
    """As decode, but out of memory raises: read() tidies the heap and tries again."""
    end = data.find(b"\n")
    if end < 0:
        return None, CORRUPT
    header = data[:end].decode().split(" ") if is_printable_ascii(data[:end]) else []
    body = data[end + 1:]
    if (len(header) != 4 or header[0] != kind or header[1] != str(FORMAT_VERSION)
            or not header[3].isdigit() or int(header[3]) != len(body)):
        return None, CORRUPT
    try:
        if int(header[2], 16) != crc16(body):
            return None, CORRUPT
        return json.loads(body), None
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - not JSON, nested too deep: not ours
        return None, CORRUPT


def read(path, kind):
    """``(object, None)``, or ``(None, MISSING)`` / ``(None, CORRUPT)``. Whatever is at
    ``path`` (a directory, a huge file, one that cannot be read) gives one of these, never an
    exception: the heater must come up with its defaults and say why."""
    try:
        st = os.stat(path)
    except OSError:
        return None, MISSING
    if st[0] & _DIRECTORY or st[6] > FILE_MAX:
        return None, CORRUPT
    # Out of memory is no proof that the file is bad, and a log read as CORRUPT starts anew
    # and is written over: on a heap the boot's imports left in pieces, the 8 KB buffer this
    # once asked for failed now and then, and 20 wrong PINs' evidence went with the log. So
    # the heap is tidied first, the file's own size asked for, and a MemoryError tried again.
    for attempt in (0, 1):
        gc.collect()
        try:
            with open(path, "rb") as f:
                data = f.read(st[6] + 1)  # one more: a file grown since the stat shows it
            return _decode(kind, data)
        except MemoryError:
            data = None
            if attempt:
                return None, CORRUPT
        except Exception:  # noqa: BLE001 - unreadable: the defaults
            return None, CORRUPT
    return None, CORRUPT


def write(path, kind, body_obj):
    """Replace the file atomically: the new bytes go to a temporary file that is renamed."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(encode(kind, body_obj))
    os.rename(tmp, path)  # atomic on littlefs and POSIX; the ESP32's FAT renames in one step too
