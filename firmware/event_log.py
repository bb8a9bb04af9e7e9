"""The heater's event log: faults, resets, boots, calibrations and setting changes, as a ring.

Each event is ``[seq, boot, uptime_s, code, value, note]``: a sequence number that never
repeats (a host pages by it), the boot it happened in and the seconds since that boot (the ESP32
has no clock of its own), a stable code, the reading in C or None, and a short note (what
changed, a calibration's date, a reset cause).

With a path the ring is kept in a checked file (``checked_file.py``). A fault is written at once,
since the next thing that may happen is a pulled plug, and so is a security event (a wrong PIN,
a lockout, a new PIN): restarting the heater must not erase the evidence of a guesser. Other
events wait up to ``min_interval_ms`` so a burst of setting changes costs one write. A fault
latches until a person resets it, and wrong PINs are bounded by the lockout, so neither can wear
the flash out.

A full ring drops its oldest routine event first, then its oldest wrong PIN or flash error:
nothing but a fault can push out the record of an over-temperature.

Times (``now_ms``) are the controller's uptime in milliseconds, which never wraps.
"""

from . import checked_file, faults, settings_store

KIND = "stoneheat-events"
SIZE = 48
COUNT_MAX = 1 << 30  # boots and sequence numbers stay small integers on a 32-bit port
NOTE_MAX = 40

BOOT = "BOOT"
SETTINGS_CHANGED = "SETTINGS_CHANGED"
CALIBRATED = "CALIBRATED"
PIN_CHANGED = "PIN_CHANGED"
UNLOCK_FAILED = "UNLOCK_FAILED"
LOCKED_OUT = "LOCKED_OUT"  # five wrong PINs in a row: unlock refused for a while
EVENTS_LOST = "EVENTS_CORRUPT"  # the stored log was unreadable and started anew
FLASH_ERROR = "FLASH_ERROR"  # a write to the flash failed; it is tried again later
TUNE_DONE = "TUNE_DONE"
TUNE_ABORTED = "TUNE_ABORTED"
# Events that are not faults and may wait for the rate limit.
ROUTINE = (BOOT, SETTINGS_CHANGED, CALIBRATED, EVENTS_LOST, FLASH_ERROR,
           TUNE_DONE, TUNE_ABORTED, faults.RESET, faults.AUTO_OFF, settings_store.MISSING,
           settings_store.CORRUPT, settings_store.INVALID, settings_store.MOVED)
# Not faults either, but written at once like them.
SECURITY = (PIN_CHANGED, UNLOCK_FAILED, LOCKED_OUT)


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
            try:
                valid = reason is None and _valid(body)
            except Exception:  # noqa: BLE001 - whatever the body holds
                valid = False
            if valid:
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
            self._drop_one()
        self._dirty = True
        if code not in ROUTINE:
            self._urgent = True
        return self.events[-1]

    def _drop_one(self):
        """The oldest event of the lowest rank goes: routine, then wrong PINs and flash errors
        (the evidence of an attack or of a dying flash), and faults only for faults."""
        events = self.events
        for rank in (0, 1):
            for i in range(len(events)):
                if rank_of(events[i][3]) == rank:
                    events.pop(i)
                    return
        events.pop(0)

    def allow_now(self):
        self._last_write_ms = None

    def dirty(self):
        return self._dirty

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
                and now_ms - self._last_write_ms < self.min_interval_ms):
            return False
        # The time first: a write that fails waits its interval (``Storage`` backs off more).
        self._last_write_ms = now_ms
        if self.path is not None:
            checked_file.write(self.path, KIND, {"boot": self.boot, "seq": self.next_seq,
                                                  "events": self.events})
        self._dirty = self._urgent = False  # only once written: a failed write is tried again
        self.writes += 1
        return True


def rank_of(code):
    """How hard an event is kept in a full ring: 0 routine, 1 evidence, 2 a fault."""
    if code in SECURITY or code == FLASH_ERROR:
        return 1
    return 0 if code in ROUTINE else 2


def _valid(body):
    if not isinstance(body, dict):
        return False
    boot, seq, events = body.get("boot"), body.get("seq"), body.get("events")
    if not (isinstance(boot, int) and isinstance(seq, int) and isinstance(events, list)):
        return False
    if not (0 <= boot < COUNT_MAX and 0 <= seq < COUNT_MAX) or len(events) > SIZE:
        return False
    last = -1
    for e in events:
        if not (isinstance(e, list) and len(e) == 6 and _count(e[0]) and last < e[0] < seq
                and _count(e[1]) and _count(e[2]) and isinstance(e[3], str)
                and len(e[3]) <= 32 and (e[4] is None or _number(e[4]))
                and isinstance(e[5], str) and len(e[5]) <= NOTE_MAX):
            return False
        last = e[0]
    return True


def _count(x):
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < COUNT_MAX


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and -1000.0 < x < 10000.0
