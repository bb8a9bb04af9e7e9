"""Errors that carry a stable code for programs and a message for people."""


class CodedError(Exception):
    # The code and message live in ``args``: MicroPython drops attributes set on an exception
    # instance in ``__init__`` after the base class's ``__init__`` has run.
    def __init__(self, code, message):
        super().__init__(code, message)

    @property
    def code(self):
        return self.args[0]

    @property
    def message(self):
        return self.args[1]

    def __str__(self):
        return self.args[1]


class SettingError(CodedError):
    """A setting or target refused: out of its bounds, not a number, or unknown."""


class CommandError(CodedError):
    """A command refused at this time, e.g. a start while a fault is latched."""
