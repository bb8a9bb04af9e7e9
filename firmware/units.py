"""Temperature units and numbers: the one converter and parsers that firmware and host share."""

_DIGITS = "0123456789"


def _digits(s, i):
    """The index after the run of ASCII digits that starts at ``i``."""
    while i < len(s) and s[i] in _DIGITS:
        i += 1
    return i


def parse_number(text):
    """A decimal number in its one spelling, ``-12.5`` or ``1e-05`` (as Python's repr writes
    one): an optional minus, digits without a leading zero, an optional fraction, an optional
    ``e`` exponent. Anything else raises ``ValueError``: ``5_4``, ``+5``, ``.5``, ``1.``,
    ``0054``, ``5.4E1``, ``nan``, ``inf``, ``0x10``, spaces, and more than 24 characters, so
    that a number means the same to every reader."""
    s = str(text)
    i = 1 if s[:1] == "-" else 0
    j = _digits(s, i)
    ok = j > i and len(s) <= 24 and (j - i == 1 or s[i] != "0")  # 0054 is not a spelling
    if ok and j < len(s) and s[j] == ".":
        k = _digits(s, j + 1)
        ok, j = k > j + 1, k
    if ok and j < len(s) and s[j] == "e":
        k = j + 1 + (1 if s[j + 1:j + 2] in ("-", "+") else 0)
        m = _digits(s, k)
        ok, j = m > k, m
    if not ok or j != len(s):
        raise ValueError("not a number: %r (write e.g. 54.4)" % s[:24])
    return float(s)


def parse_count(text, most=999999999):
    """A whole number 0 to ``most`` written as plain digits (no sign, no ``_``), or ValueError."""
    s = str(text)
    if not (0 < len(s) <= 9 and _digits(s, 0) == len(s)) or int(s) > most:
        raise ValueError("not a whole number: %r" % s[:24])
    return int(s)


def c_to_f(c):
    return c * 9.0 / 5.0 + 32.0


def f_to_c(f):
    return (f - 32.0) * 5.0 / 9.0


def parse_temperature(text, default_unit="C"):
    """``'130F'``, ``'54.4C'``, ``'54.4 c'`` or a bare number in ``default_unit``, to Celsius.

    Raises ``ValueError`` for anything else, NaN and infinities included.
    """
    s = str(text).strip()
    unit = default_unit.upper()
    if s[-1:].upper() in ("C", "F"):
        unit = s[-1].upper()
        s = s[:-1].rstrip()
        if s[-1:] == "\u00b0":
            s = s[:-1]
    if unit not in ("C", "F"):
        raise ValueError("unit must be C or F")
    try:
        value = parse_number(s)
    except ValueError:
        raise ValueError("not a temperature: %r" % text)
    if value != value or value in (float("inf"), float("-inf")):  # 1e999
        raise ValueError("not a temperature: %r" % text)
    return f_to_c(value) if unit == "F" else value
