"""What one heater keeps on its flash: the settings file and the event log, side by side.

``folder`` is where they live: ``""`` for the ESP32's root, a folder of a PC for the simulator,
or None for a heater that keeps nothing (the tests of the core). Flushing happens from the main
loop, between ticks, so no console command ever waits for the flash, and a flash that fails
cannot undo a change already made: it is logged and tried again later.
"""

from .event_log import CALIBRATED, FLASH_ERROR, NOTE_MAX, SETTINGS_CHANGED, EventLog
from .settings_store import MOVED as SETTINGS_MOVED, SettingsStore

SETTINGS_FILE = "settings.json"
EVENTS_FILE = "events.json"
# A flash that fails is tried again after 1 s, then 2, 4, ... up to 10 minutes.
RETRY_FIRST_MS = 1000
RETRY_MAX_MS = 600000


def _path(folder, name):
    if folder is None:
        return None
    return name if folder == "" else folder.rstrip("/") + "/" + name


class Storage:
    def __init__(self, folder=None, settings_interval_ms=60000, events_interval_ms=10000,
                 log=None):
        """``log``: an in-memory event log to adopt (a controller's own, with no folder)."""
        self.folder = folder
        self.settings_store = SettingsStore(_path(folder, SETTINGS_FILE), settings_interval_ms)
        self.log = log if log is not None else EventLog(_path(folder, EVENTS_FILE),
                                                        events_interval_ms)
        self.extras = {}  # the calibration record and the PIN's hash
        self.load_reason = None
        self.flash_failures = 0  # failed writes in a row
        self._retry_at_ms = None
        self._flash_event = None  # this run of failures' one FLASH_ERROR event

    def boot(self, reset_cause=None):
        """Read both files and log this boot; returns the settings to start with (the stored
        ones, or the defaults with an event saying why)."""
        settings, self.extras, self.load_reason = self.settings_store.load()
        self.log.load(reset_cause)
        if self.load_reason is not None:
            self.log.add(self.load_reason, None, "defaults in use")
        moved = self.extras.pop(SETTINGS_MOVED, None)
        if moved:
            for name in moved:  # one event each: the name and where it moved to
                self.log.add(SETTINGS_MOVED, settings[name], name)
            self.settings_store.stage(settings, self.extras)  # written back within the range
        return settings

    def settings_changed(self, settings, names):
        self.log.add(SETTINGS_CHANGED, None, ",".join(names))
        self.settings_store.stage(settings, self.extras)

    def calibrated(self, settings, record):
        self.extras["cal"] = record
        self.log.add(CALIBRATED, None, record["date"])
        self.settings_store.stage(settings, self.extras)

    def set_extra(self, settings, name, value, event):
        self.extras[name] = value
        self.log.add(event)
        self.settings_store.stage(settings, self.extras)

    def keep(self, settings, name, value, urgent=False):
        """An extra without an event (what the heater learnt): ``value`` None forgets it.
        ``urgent``: written at the next flush, whatever the rate limit."""
        if value is None:
            if self.extras.pop(name, None) is None:
                return
        else:
            self.extras[name] = value
        self.settings_store.stage(settings, self.extras, urgent)

    def flush_all(self, now_ms):
        """Write whatever is pending now, whatever the rate limit (the firmware is ending)."""
        self.settings_store.allow_now()
        self.log.allow_now()
        self._retry_at_ms = None
        self.flush(now_ms)

    def flush(self, now_ms):
        """Write what is due (``now_ms``: the controller's uptime). A flash that fails must not
        stop the heater, nor flood the log: the first failure of a run is one FLASH_ERROR event,
        later ones only count in its note, and the next try waits twice as long each time. A
        MemoryError while encoding a file is a failed write too, tried again later."""
        if self._retry_at_ms is not None and now_ms < self._retry_at_ms:
            return
        failure = None
        for part in (self.settings_store, self.log):
            try:
                part.flush(now_ms)
            except (OSError, MemoryError) as e:
                failure = e
        if failure is None:
            if self._retry_at_ms is not None and not (self.settings_store.pending()
                                                       or self.log.dirty()):
                self.flash_failures = 0  # written at last: a new failure is a new event
                self._retry_at_ms = None
                self._flash_event = None
            return
        self.flash_failures += 1
        shift = min(self.flash_failures - 1, 10)
        self._retry_at_ms = now_ms + min(RETRY_MAX_MS, RETRY_FIRST_MS << shift)
        if self._flash_event is None:
            self._flash_event = self.log.add(FLASH_ERROR, None, repr(failure))
        else:  # the same event, its count brought up to date
            note = "%d failed writes: %r" % (self.flash_failures, failure)
            self._flash_event[5] = note[:NOTE_MAX]
