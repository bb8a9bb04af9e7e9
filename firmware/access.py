"""Who may do what: everyday commands are open, technician commands need the PIN.

The PIN is kept as a random salt and an iterated SHA-256 of salt and PIN, never as itself. An
unlock lasts ``UNLOCK_MS`` after the last technician command, then the console locks again by
itself; ``lock`` ends it at once. Five wrong PINs in a row refuse every unlock for
``LOCKOUT_MS``, so guessing takes days. The count of wrong PINs in a row is kept on the flash
with the PIN (the console stores ``wrong`` whenever it changes), so a restart neither resets it
nor ends a lockout: a heater that boots with five or more starts a fresh lockout. A heater that
has never had a PIN set takes ``FACTORY_PIN`` and says so in ``info`` until a technician sets one.

Times are the controller's uptime in milliseconds (``HeaterController.uptime_ms``), which never
wraps: an unlock left to expire stays expired however long the heater runs.

Nothing here can lift a compiled ceiling: an unlocked console still goes through the settings'
bounds and ``limits.py``.
"""

import hashlib
import os
from binascii import hexlify

from .errors import CommandError

FACTORY_PIN = "0000"
UNLOCK_MS = 10 * 60 * 1000
LOCKOUT_MS = 5 * 60 * 1000
TRIES_BEFORE_LOCKOUT = 5
_ROUNDS = 500  # about 40 ms on an ESP32: slows a guesser, not the control loop

LOCKED = "LOCKED"
WRONG_PIN = "WRONG_PIN"
LOCKED_OUT = "LOCKED_OUT"
BAD_PIN = "BAD_PIN"


def pin_hash(salt_hex, pin):
    digest = hashlib.sha256(salt_hex.encode() + b":" + pin.encode()).digest()
    for _ in range(_ROUNDS):
        digest = hashlib.sha256(digest).digest()
    return hexlify(digest).decode()


def check_pin_format(pin):
    """``CommandError`` unless ``pin`` is 4 to 12 digits (the host asks it before typing twice)."""
    if not (4 <= len(pin) <= 12 and pin.isdigit()):
        raise CommandError(BAD_PIN, "a PIN is 4 to 12 digits")


def new_pin_record(pin):
    """``{"salt", "hash"}`` for a PIN of 4 to 12 digits, or ``CommandError``."""
    check_pin_format(pin)
    salt = hexlify(os.urandom(16)).decode()
    return {"salt": salt, "hash": pin_hash(salt, pin)}


def _same(a, b):
    """Compare without stopping at the first difference."""
    diff = len(a) ^ len(b)
    for x, y in zip(a, b):
        diff |= ord(x) ^ ord(y)
    return diff == 0


class Access:
    def __init__(self, record=None, wrong=0, now_ms=0):
        """``record``: the stored ``{"salt", "hash"}``, or None for the factory PIN; ``wrong``:
        the stored count of wrong PINs in a row (a lockout at ``now_ms`` if it had begun)."""
        self.record = record
        self._until_ms = None  # unlocked until this uptime
        self.wrong = wrong
        self._lockout_until_ms = None
        if wrong >= TRIES_BEFORE_LOCKOUT:
            self._lockout_until_ms = now_ms + LOCKOUT_MS
        self.failures = 0
        self.refused = 0  # unlocks refused during a lockout (the PIN was not tried)

    def factory_pin(self):
        return self.record is None

    def unlocked(self, now_ms):
        return self._until_ms is not None and now_ms < self._until_ms

    def locked_out(self, now_ms):
        return self._lockout_until_ms is not None and now_ms < self._lockout_until_ms

    def unlock(self, pin, now_ms):
        """Unlock, or raise ``CommandError``: WRONG_PIN, LOCKED_OUT for the fifth wrong PIN in
        a row, and LOCKED_OUT during a lockout, when the PIN is not even compared."""
        if self.locked_out(now_ms):
            self.refused += 1
            raise CommandError(LOCKED_OUT, "too many wrong PINs: try again in %d s" % (
                (self._lockout_until_ms - now_ms) // 1000 + 1))
        if self._lockout_until_ms is not None:  # a lockout over: five more tries
            self._lockout_until_ms = None
            self.wrong = 0
        if self.record is None:
            ok = _same(pin, FACTORY_PIN)
        else:
            ok = _same(pin_hash(self.record["salt"], pin), self.record["hash"])
        if not ok:
            self.wrong += 1
            self.failures += 1
            self._until_ms = None
            if self.wrong >= TRIES_BEFORE_LOCKOUT:
                self._lockout_until_ms = now_ms + LOCKOUT_MS
                raise CommandError(LOCKED_OUT, "wrong PIN, %d in a row: unlock refused for %d s"
                                   % (self.wrong, LOCKOUT_MS // 1000))
            left = TRIES_BEFORE_LOCKOUT - self.wrong
            raise CommandError(WRONG_PIN, "wrong PIN; nothing was changed. %d more %s before "
                               "unlock is refused for %d s" % (
                                   left, "try" if left == 1 else "tries", LOCKOUT_MS // 1000))
        self.wrong = 0
        self._until_ms = now_ms + UNLOCK_MS

    def lock(self):
        self._until_ms = None

    def require(self, now_ms, what):
        """Refuse ``what`` unless unlocked; an allowed command extends the unlock."""
        if not self.unlocked(now_ms):
            raise CommandError(LOCKED, "%s is a technician command: unlock with the PIN first"
                               % what)
        self._until_ms = now_ms + UNLOCK_MS

    def remaining_s(self, now_ms):
        return (self._until_ms - now_ms) // 1000 if self.unlocked(now_ms) else 0
