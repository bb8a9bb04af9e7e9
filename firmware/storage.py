"""What one heater keeps on its flash: the settings file and the event log, side by side.

``folder`` is where they live: ``""`` for the ESP32's root, a folder of a PC for the simulator,
or None for a heater that keeps nothing (the tests of the core). Flushing happens from the main
loop, between ticks, so no console command ever waits for the flash, and a flash that fails
cannot undo a change already made: it is logged and tried again later.
"""

from .event_log import CALIBRATED, FLASH_ERROR, SETTINGS_CHANGED, EventLog
from .settings_store import MOVED as SETTINGS_MOVED, SettingsStore

SETTINGS_FILE = "settings.json"
EVENTS_FILE = "events.json"


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

    def keep(self, settings, name, value):
        """An extra without an event (what the heater learnt): ``value`` None forgets it."""
        if value is None:
            if self.extras.pop(name, None) is None:
                return
        else:
            self.extras[name] = value
        self.settings_store.stage(settings, self.extras)

    def flush_all(self, now_ms):
        """Write whatever is pending now, whatever the rate limit (the firmware is ending)."""
        self.settings_store.allow_now()
        self.log.allow_now()
        self.flush(now_ms)

    def flush(self, now_ms):
        """Write what is due; a flash that fails must not stop the heater, so it is logged."""
        for part in (self.settings_store, self.log):
            try:
                part.flush(now_ms)
            except OSError as e:  # each part waits its interval before it tries again
                self.log.add(FLASH_ERROR, None, repr(e))
