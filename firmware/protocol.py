"""The console's line protocol: the one definition that the firmware and the host share.

A request is one line of printable ASCII, easy to type by hand in a serial terminal::

    status
    target 130F

A program adds a request id and a checksum, so it can tell its reply from noise and the device
can tell a clean command from a damaged one::

    #17 target 130F*0C4F

The checksum is CRC-16/CCITT-FALSE of everything before the ``*``, in four hex digits. A line
with an id must carry a checksum if its command changes anything (``CHANGES``); a hand-typed
line (no id) may leave it out, since the person reads the reply.

Every request gets exactly one reply line, with the request's id and a checksum when the
request had an id::

    #17 ok {"target_c": 54.44, "target_f": 130.0}*076D
    #18 err OUT_OF_RANGE target must be between 40.0 and 57.0 C (104.0 and 134.6 F)*....
    ok {"state": "IDLE", ...}

The payload of ``ok`` is one JSON object; ``err`` is followed by a code (one word, listed in
firmware/error_codes.py and docs/protocol.md) and a message for people.
"""

from .errors import CodedError

PROTOCOL_VERSION = 1
MAX_LINE = 160  # longest request line, in bytes, without its end of line
MAX_ID = 999999999
# A host starts with CANCEL and a newline: a half line left in the device's buffer then holds a
# control character and is refused (BAD_LINE); alone on its line, CANCEL gets no reply at all.
CANCEL = b"\x18"

# The one command table. The console dispatches on it (the command ``name`` runs the console's
# ``_name``), the checksum rule and the host's retries read its flags, and ``help`` prints its
# usage lines. A new command is a row here and the console's ``_name`` method: nothing else.
# A name may have several forms (``config get`` and ``config set``): a name changes the heater
# if any of its forms does, and may be repeated after a lost reply if all its forms may.
CHANGES = 1  # changes the heater: with an id, the line needs a checksum
REPEATABLE = 2  # sent twice, the outcome is the same as once
TECHNICIAN = 4  # only after ``unlock``
KNOWN = 8  # (from ``flags_of``) a command of the table
# Name, flags (the sum of the three above), usage. One flat tuple of literals: the compiler
# keeps it as one constant, where rows of tuples or named flags cost 2 KB of heap at import.
COMMANDS = (
    "status", 2, "status",
    "target", 3, "target [TEMP, e.g. 130F or 54.4C]",
    "start", 3, "start",
    "stop", 3, "stop",
    "reset", 1, "reset",
    "config", 2, "config get [NAME]",
    "history", 2, "history [FROM [COUNT]]",
    "events", 2, "events [FROM [COUNT]]",
    "autotune", 2, "autotune [status]",
    "info", 2, "info",
    "diag", 2, "diag",
    "ping", 2, "ping",
    "help", 2, "help",
    "unlock", 1, "unlock PIN",
    "lock", 3, "lock",
    "config", 7, "config set NAME VALUE [NAME VALUE ...]",
    "calibrate", 5, "calibrate RAW REF [RAW REF] DATE",
    "autotune", 5, "autotune start|save",
    "pin", 5, "pin NEW",
    "maintenance", 5, "maintenance",
)


def flags_of(name):
    """KNOWN for a command of the table, with CHANGES if any of its forms changes the heater
    and REPEATABLE if every one of them may be sent twice; 0 for any other word."""
    known, changes, repeatable = 0, 0, REPEATABLE
    for i in range(0, len(COMMANDS), 3):
        if COMMANDS[i] == name:
            known = KNOWN
            changes |= COMMANDS[i + 1] & CHANGES
            repeatable &= COMMANDS[i + 1]
    return known | changes | repeatable if known else 0

# Error codes of the protocol itself (the list of them all is firmware/error_codes.py).
BAD_LINE = "BAD_LINE"
LINE_TOO_LONG = "LINE_TOO_LONG"
BAD_ID = "BAD_ID"
BAD_CHECKSUM = "BAD_CHECKSUM"
CHECKSUM_REQUIRED = "CHECKSUM_REQUIRED"
UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
BAD_ARGUMENT = "BAD_ARGUMENT"


class ProtocolError(CodedError):
    """A line that cannot be taken as a request, or a reply that is not well formed."""


def _crc_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data):
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of ``data`` (bytes or an ASCII str)."""
    if isinstance(data, str):
        data = data.encode()
    crc = 0xFFFF
    table = _CRC_TABLE
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ b]
    return crc


def _with_checksum(body):
    return "%s*%04X" % (body, crc16(body))


def _split_checksum(line):
    """``(body, ok)``: the line without its checksum, and whether a checksum was there and
    matched (``None`` when there was none)."""
    star = line.rfind("*")
    if star < 0 or len(line) - star != 5:
        return line, None
    digits = line[star + 1:]
    for ch in digits:  # one spelling: four upper-case hex digits, as the sender writes them
        if ch not in "0123456789ABCDEF":
            return line, None
    sent = int(digits, 16)
    body = line[:star]
    return body, sent == crc16(body)


def encode_request(request_id, command):
    """The line (bytes, with its end of line) a program sends: id, command, checksum."""
    return (_with_checksum("#%d %s" % (request_id, command)) + "\n").encode()


def is_printable_ascii(data):
    """Whether every byte is printable ASCII (0x20 to 0x7E): what a line, or a header, may hold."""
    for b in data:
        if b < 0x20 or b > 0x7E:
            return False
    return True


def _id_value(token):
    """The request id a ``#123`` token names, or None if it names none validly."""
    digits = token[1:]
    # One spelling of each id: #17, never #0017, so that a replayed line is the same line.
    if token[:1] == "#" and digits.isdigit() and len(digits) <= 9 and digits[:1] != "0":
        return int(digits)
    return None


def parse_request(line):
    """``(request_id, words)`` of a request line (a str of printable ASCII, without its end of
    line). ``request_id`` is None for a hand-typed line. Raises ``ProtocolError``."""
    body, checked = _split_checksum(line)
    if checked is False:
        raise ProtocolError(BAD_CHECKSUM, "checksum does not match: line damaged, send again")
    words = body.split()
    request_id = None
    if words and words[0][:1] == "#":
        request_id = _id_value(words[0])
        if request_id is None:
            raise ProtocolError(BAD_ID, "request id must be # and 1 to 9 digits")
        words = words[1:]
    if not words:
        raise ProtocolError(BAD_LINE, "no command")
    words[0] = words[0].lower()
    if request_id is not None and checked is None and flags_of(words[0]) & CHANGES:
        raise ProtocolError(CHECKSUM_REQUIRED, "a request with an id that changes the heater "
                            "needs a checksum")
    return request_id, words


def request_id_of(line):
    """The id of a (possibly refused) request line, so that its error reply can carry it."""
    return _id_value(line.split(" ", 1)[0])


def encode_ok(request_id, payload_json):
    """The reply line (str, with its end of line) carrying a JSON payload."""
    return _reply(request_id, "ok " + payload_json)


def encode_error(request_id, code, message):
    return _reply(request_id, "err %s %s" % (code, message))


def _reply(request_id, body):
    if request_id is None:
        return body + "\n"
    return _with_checksum("#%d %s" % (request_id, body)) + "\n"


def parse_reply(line, request_id):
    """``(True, payload_json)`` or ``(False, (code, message))`` if ``line`` is the checked reply
    to ``request_id``; None if it is anything else (noise, another request's reply)."""
    marker = "#%d " % request_id
    start = line.rfind(marker)  # noise may precede the reply on the same line
    if start < 0:
        return None
    body, checked = _split_checksum(line[start:].rstrip("\r\n"))
    if not checked:
        return None
    rest = body[len(marker):]
    if rest[:3] == "ok ":
        return True, rest[3:]
    if rest[:4] == "err ":
        code, _, message = rest[4:].partition(" ")
        return False, (code, message)
    return None
