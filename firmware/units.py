"""Temperature units: the one converter and parser that firmware and host share."""


def c_to_f(c):
    return c * 9.0 / 5.0 + 32.0


def f_to_c(f):
    return (f - 32.0) * 5.0 / 9.0


def parse_temperature(text, default_unit="C"):
    """``'130F'``, ``'54.4C'``, ``'54.4 c'`` or a bare number in ``default_unit``, to Celsius.

    Raises ``ValueError`` for anything else, NaN and infinities included.
    """
    s = str(text).strip().upper()
    unit = default_unit.upper()
    if s[-1:] in ("C", "F"):
        unit = s[-1]
        s = s[:-1].rstrip()
        if s[-1:] == "\u00b0":
            s = s[:-1]
    if unit not in ("C", "F"):
        raise ValueError("unit must be C or F")
    try:
        value = float(s)
    except ValueError:
        raise ValueError("not a temperature: %r" % text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a temperature: %r" % text)
    return f_to_c(value) if unit == "F" else value
