"""The heater's event log: faults, resets, boots, calibrations and setting changes, as a ring.

Each event is ``[seq, boot, uptime_s, code, value, note]``: a sequence number that never
repeats (a host pages by it), the boot it happened in and the seconds since that boot (the ESP32
has no clock of its own), a stable code, the reading in C or None, and a short note (what
changed, a calibration's date, a reset cause).

With a path the ring is kept in a checked file (``checked_file.py``). A fault is written at once,
since the next thing that may happen is a pulled plug; other events wait up to
``min_interval_ms`` so a burst of setting changes costs one write. A fault latches until a
person resets it, so faults alone cannot wear the flash out.
"""

from . import checked_file, faults, settings_store
from .ticks import ticks_diff

KIND = "stoneheat-events"
SIZE = 48
NOTE_MAX = 40

BOOT = "BOOT"
SETTINGS_CHANGED = "SETTINGS_CHANGED"
CALIBRATED = "CALIBRATED"
PIN_CHANGED = "PIN_CHANGED"
UNLOCK_FAILED = "UNLOCK_FAILED"
EVENTS_LOST = "EVENTS_CORRUPT"  # the stored log was unreadable and started anew
FLASH_ERROR = "FLASH_ERROR"  # a write to the flash failed; it is tried again later
TUNE_DONE = "TUNE_DONE"
TUNE_ABORTED = "TUNE_ABORTED"
# Events that are not faults; every other code is written to the flash at once.
ROUTINE = (BOOT, SETTINGS_CHANGED, CALIBRATED, PIN_CHANGED, UNLOCK_FAILED, EVENTS_LOST, FLASH_ERROR,
           TUNE_DONE, TUNE_ABORTED, faults.RESET, faults.AUTO_OFF, settings_store.MISSING,
           settings_store.CORRUPT, settings_store.INVALID, settings_store.MOVED)


class EventLog:
    def __init__(self, path=None, min_interval_ms=10000):
        self.path = path
        self.min_interval_ms = min_interval_ms
        self.events = []
        self.boot = 0
        self.next_seq = 0
        self.uptime_s = 0  # kept current by the main loop
        self._dirty = False
        self._urgent = False
        self._last_write_ms = None
        self.writes = 0

    def load(self, reset_cause=None):
        """Read the stored ring and count this boot; returns the reason if it was unreadable."""
        reason = None
        if self.path is not None:
            body, reason = checked_file.read(self.path, KIND)
            if reason is None and _valid(body):
                self.events = body["events"]
                self.boot = body["boot"]
                self.next_seq = body["seq"]
            elif reason is None:
                reason = checked_file.CORRUPT
        self.boot += 1
        if reason == checked_file.CORRUPT:
            self.add(EVENTS_LOST, None, "the stored log was unreadable")
        self.add(BOOT, None, reset_cause or "")
        return None if reason == checked_file.MISSING else reason

    def add(self, code, value=None, note=""):
        self.events.append([self.next_seq, self.boot, self.uptime_s, code,
                            None if value is None else round(value, 2), str(note)[:NOTE_MAX]])
        self.next_seq += 1
        if len(self.events) > SIZE:
            self.events.pop(0)
        self._dirty = True
        if code not in ROUTINE:
            self._urgent = True

    def allow_now(self):
        self._last_write_ms = None

    def codes(self):
        return [e[3] for e in self.events]

    def page(self, first, count):
        """Up to ``count`` events with ``seq >= first``, oldest first."""
        out = []
        for e in self.events:
            if e[0] >= first:
                out.append(e)
                if len(out) >= count:
                    break
        return out

    def flush(self, now_ms):
        """Write the ring if it changed and a write is allowed now; returns whether it wrote."""
        if not self._dirty:
            return False
        if (not self._urgent and self._last_write_ms is not None
                and ticks_diff(now_ms, self._last_write_ms) < self.min_interval_ms):
            return False
        # Marked done first: a write that fails waits its interval before the next try.
        self._dirty = self._urgent = False
        self._last_write_ms = now_ms
        if self.path is not None:
            checked_file.write(self.path, KIND, {"boot": self.boot, "seq": self.next_seq,
                                                  "events": self.events})
        self.writes += 1
        return True


def _valid(body):
    if not isinstance(body, dict):
        return False
    boot, seq, events = body.get("boot"), body.get("seq"), body.get("events")
    if not (isinstance(boot, int) and isinstance(seq, int) and isinstance(events, list)):
        return False
    if boot < 0 or seq < 0 or len(events) > SIZE:
        return False
    for e in events:
        if not (isinstance(e, list) and len(e) == 6 and isinstance(e[0], int) and e[0] < seq
                and isinstance(e[3], str) and isinstance(e[5], str)):
            return False
    return True
