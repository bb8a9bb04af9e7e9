"""Settings that survive power loss, in a checked file (``checked_file.py``) on the flash.

The body holds the setting values, and beside them the calibration record and the technician
PIN's salted hash (``extras``)::

    {"values": {"kp": 0.8, ...}, "cal": {"date": "2026-11-21", "points": [[0.4, 0.0]]},
     "pin": {"salt": "<32 hex>", "hash": "<64 hex>"}}

Loading checks every value against the firmware's bounds (all together) and the shape of the
extras; anything wrong gives the defaults and says why, so the heater starts safe and a
technician is told. Writes are rate-limited to spare the flash: a change within
``min_interval_ms`` of the last write waits in memory until ``flush`` finds it allowed. Times
(``now_ms``) are the controller's uptime in milliseconds, which never wraps.
"""

from . import checked_file
from .errors import SettingError
from .protocol import is_printable_ascii
from .settings import Settings, from_stored

KIND = "stoneheat-settings"

# Why the defaults were used (None: the file was read); also event codes.
MISSING = "SETTINGS_MISSING"
CORRUPT = "SETTINGS_CORRUPT"
INVALID = "SETTINGS_INVALID"
# Not a reason for defaults: the event when stored values outside today's ranges were moved to
# their nearest bound (``extras`` names them under this key until the next write).
MOVED = "SETTINGS_MOVED"
_HEX = "0123456789abcdef"
# A remembered heat-up slope outside these is no bath's (the range's is 0.01-0.14 C/s, its lag
# under 80 s): it is dropped, not trusted. (The heat watch keeps 200 s of samples: a lag much
# longer would leave its full-power minute no room.)
BATH_K_MIN = 0.001
BATH_K_MAX = 0.5
BATH_LAG_MAX_S = 120.0


def encode(values, extras=None):
    """The file's bytes for these setting values and extras."""
    body = {"values": values}
    if extras:
        body.update(extras)
    return checked_file.encode(KIND, body)


def decode(data):
    """``(Settings, extras, None)`` from a file's bytes, or ``(defaults, {}, reason)``."""
    body, reason = checked_file.decode(KIND, data)
    return _from_body(body, reason)


def _from_body(body, reason):
    try:
        return _checked_body(body, reason)
    except Exception:  # noqa: BLE001 - a 400-digit number, a value of no known type: not ours
        return Settings(), {}, INVALID


def _checked_body(body, reason):
    if reason is not None:
        return Settings(), {}, MISSING if reason == checked_file.MISSING else CORRUPT
    if not isinstance(body, dict) or not isinstance(body.get("values"), dict):
        return Settings(), {}, CORRUPT
    try:
        settings, moved = from_stored(body["values"])
    except SettingError:  # a value the bounds refuse: the defaults, and say so
        return Settings(), {}, INVALID
    extras = {}
    for name in ("cal", "pin"):
        if name in body:
            if not _valid_extra(name, body[name]):
                return Settings(), {}, INVALID
            extras[name] = body[name]
    wrong = body.get("pin_wrong")  # wrong PINs in a row (``console.PIN_WRONG``)
    if isinstance(wrong, int) and not isinstance(wrong, bool) and 0 < wrong < 1000:
        extras["pin_wrong"] = wrong
    if valid_bath(body.get("bath")):  # a remembered slope: one that is not valid is dropped
        extras["bath"] = body["bath"]
    if moved:  # kept, with the values a narrower range refused at its nearest bound
        extras[MOVED] = moved
    return settings, extras, None


def valid_bath(value):
    """An earlier heat-up's (slope C/s, lag s), as the controller keeps it (``remember_bath``):
    within what any bath could show, NaN refused."""
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        return False
    for x in value:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return False
    k, lag = value
    return BATH_K_MIN <= k <= BATH_K_MAX and 0.0 <= lag <= BATH_LAG_MAX_S  # NaN fails


def _is_hex(text, length):
    return isinstance(text, str) and len(text) == length and all(ch in _HEX for ch in text)


def _valid_extra(name, value):
    if not isinstance(value, dict):
        return False
    if name == "pin":
        return _is_hex(value.get("salt"), 32) and _is_hex(value.get("hash"), 64)
    date, points = value.get("date"), value.get("points")
    if not (isinstance(date, str) and len(date) <= 32 and is_printable_ascii(date.encode())):
        return False
    if not isinstance(points, list) or not 1 <= len(points) <= 2:
        return False
    for point in points:
        if not (isinstance(point, list) and len(point) == 2):
            return False
        for x in point:
            if not isinstance(x, (int, float)) or not -50.0 <= x <= 150.0:  # also NaN
                return False
    return True


class SettingsStore:
    def __init__(self, path="settings.json", min_interval_ms=60000):
        """``path``: None keeps nothing (a heater without a filesystem)."""
        self.path = path
        self.min_interval_ms = min_interval_ms
        self._last_write_ms = None
        self._pending = None
        self._urgent = False
        self.writes = 0

    def load(self):
        """``(Settings, extras, reason)``: the stored settings, or the defaults and why."""
        if self.path is None:
            return Settings(), {}, None
        return _from_body(*checked_file.read(self.path, KIND))

    def save(self, settings, extras, now_ms):
        """Store these now if the last write was long enough ago, else when ``flush`` next
        finds it allowed. Returns whether it was written."""
        self.stage(settings, extras)
        return self.flush(now_ms)

    def stage(self, settings, extras, urgent=False):
        """Keep these to be written by the next ``flush`` that is allowed; ``urgent`` (a wrong
        PIN's count) by the next ``flush`` whatever the rate limit."""
        self._pending = (dict(settings.values), dict(extras))
        self._urgent = self._urgent or urgent

    def allow_now(self):
        self._last_write_ms = None

    def pending(self):
        return self._pending is not None

    def flush(self, now_ms):
        if self._pending is None:
            return False
        if (not self._urgent and self._last_write_ms is not None
                and now_ms - self._last_write_ms < self.min_interval_ms):
            return False
        values, extras = self._pending
        self._last_write_ms = now_ms  # first: a write that fails waits its interval to retry
        if self.path is not None:
            body = {"values": values}
            body.update(extras)
            checked_file.write(self.path, KIND, body)
        self._pending = None
        self._urgent = False
        self.writes += 1
        return True
