"""What every device command shares: the port, the unit, the link, `--json`, exit codes, and
errors turned into advice for the person at the keyboard (never a traceback)."""

import functools
import json
import os
import sys

import click

from . import error_codes as cli_codes
from .firmware import error_codes as errors
from .link import BadCommand, DeviceRefused, HeaterLink, LinkError, check_command
from .ports import PortError, find_heater_port

# Exit codes (docs/protocol.md lists them for scripts).
EXIT_OK = 0
EXIT_REFUSED = 1  # the heater refused the command, or it cannot be done now
EXIT_USAGE = 2  # bad command line (click's own code)
EXIT_NO_HEATER = 3  # no port, or no answer from the heater
EXIT_FAULT = 4  # the heater is in FAULT (wait-ready, watch --until-ready)
EXIT_TIMEOUT = 5  # wait-ready ran out of time
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C (wait-ready), as a shell counts SIGINT

# What to do about a refusal, after the heater's own message.
ADVICE = {
    errors.OUT_OF_RANGE: "Nothing was changed.",
    errors.BAD_VALUE: "Nothing was changed.",
    errors.UNKNOWN_SETTING: "Nothing was changed; `stoneheat config get` lists the settings.",
    errors.FAULT_LATCHED: "Run `stoneheat status` to see why, fix it, then `stoneheat reset`.",
    errors.UNSAFE: "Wait for the water to cool, then try `stoneheat reset` again.",
    errors.NO_READING: "Fix the probe first (check its plug and wire; `stoneheat doctor` helps), "
                  "then try `stoneheat reset` again.",
    errors.LOCKED: "Technicians: set STONEHEAT_PIN (a pipe is not a terminal to ask it on), or run "
              "`stoneheat unlock` at a terminal first.",
    errors.WRONG_PIN: "Check the PIN and try again.",
    errors.LOCKED_OUT: "Nothing was changed.",
    errors.TUNING: "`stoneheat stop` ends the autotune.",
}


def emit_json(obj):
    """Print one JSON object (or list) on stdout: what ``--json`` promises."""
    click.echo(json.dumps(obj, allow_nan=False))


class Failure(click.ClickException):
    """A command that did not do what was asked: a message on stderr (and a JSON object on
    stdout under ``--json``), and its exit code."""

    def __init__(self, message, exit_code, code=None, as_json=False):
        super().__init__(message)
        self.exit_code = exit_code
        self.code = code
        self.as_json = as_json

    def show(self, file=None):
        if self.as_json:
            emit_json({"ok": False, "error": self.code, "message": self.message})
        click.echo("Error: %s" % self.message, err=True)


class Session:
    """The heater a command talks to, opened on first use."""

    def __init__(self, port, unit, as_json=False, port_from=None):
        self.port = port
        self.port_from = port_from  # "STONEHEAT_PORT" when the port came from there
        self.unit = unit
        self.as_json = as_json  # `stoneheat --json CMD`, the same as `stoneheat CMD --json`
        self._link = None
        # This command unlocked the heater for itself: it locks it again at its end, so the
        # PIN of one command (STONEHEAT_PIN, say) does not leave the console unlocked for 10
        # minutes to whatever else can write to the port (`config set cutoff_c 65` by hand
        # was accepted after `STONEHEAT_PIN=... stoneheat config set kp 0.6`).
        self.relock = False

    def ask(self, command):
        check_command(command)  # before a port is even opened: bad input is not a cable fault
        if self._link is None:
            port = self.port if self.port else find_heater_port()
            self._link = HeaterLink(port)
        return self._link.request(command)

    def ask_technician(self, command):
        """A technician command: if the heater is locked, unlock it with the PIN (from
        STONEHEAT_PIN, or asked for at a terminal) and try once more."""
        try:
            return self.ask(command)
        except DeviceRefused as e:
            if e.code != errors.LOCKED:
                raise
        self.unlock()
        return self.ask(command)

    def unlock(self, if_locked=False, keep=False):
        """Unlock technician commands with the PIN; ``if_locked``: only if not already
        unlocked (at the start of a long job, so that it does not stop at the end to ask);
        ``keep``: leave it unlocked after this command (`stoneheat unlock`). An unlock that was
        there before is left as it was."""
        if if_locked and self.ask("info").get("unlocked_s"):
            return None
        reply = self.ask("unlock %s" % self.pin())
        self.relock = not keep
        return reply

    def lock_again(self):
        """At the end of a command that unlocked for itself; a heater that went away (or
        never answered) has nothing to lock, and its own 10 minutes end the unlock."""
        if not self.relock:
            return
        self.relock = False
        try:
            self.ask("lock")
        except (LinkError, PortError, DeviceRefused):
            pass

    def pin(self, prompt="Technician PIN"):
        pin = os.environ.get("STONEHEAT_PIN")
        if pin:
            return pin.strip()
        if not sys.stdin.isatty():
            raise DeviceRefused(errors.LOCKED, "this is a technician command and the heater is "
                                "locked")
        return click.prompt(prompt, hide_input=True).strip()

    def close(self):
        if self._link is not None:
            self._link.close()
            self._link = None


def _unit_here(ctx, param, value):
    """``CMD --unit F``, the same as ``stoneheat --unit F CMD``: eager, so that a temperature
    argument of the same command is read in it."""
    if value is not None:
        ctx.find_object(Session).unit = value.upper()
    return value


def device_command(f=None, json_help="Print one JSON object."):
    """Give a command ``--json`` and ``--unit`` (also accepted before the command), the
    session, and errors with advice and exit codes. ``json_help``: what --json prints, where
    it is not one object (``watch``: one a reading)."""
    if f is None:
        return functools.partial(device_command, json_help=json_help)

    @click.option("--json", "as_json", is_flag=True, help=json_help)
    @click.option("--unit", type=click.Choice(("C", "F"), case_sensitive=False), default=None,
                  is_eager=True, expose_value=False, callback=_unit_here,
                  help="Your temperature unit for this command (as `stoneheat --unit`).")
    @click.pass_context
    @functools.wraps(f)
    def wrapper(ctx, as_json, **kwargs):
        session = ctx.find_object(Session)
        as_json = as_json or session.as_json
        try:
            return f(session, as_json, **kwargs)
        except PortError as e:
            session.relock = False  # no heater to lock: its own 10 minutes end the unlock
            where = " (the port came from STONEHEAT_PORT)" if session.port_from else ""
            raise Failure("%s%s." % (str(e).rstrip("."), where), EXIT_NO_HEATER, cli_codes.NO_PORT,
                          as_json)
        except BadCommand as e:  # refused here: nothing was sent
            raise Failure("%s. Nothing was sent." % e, EXIT_USAGE, cli_codes.BAD_INPUT, as_json)
        except LinkError as e:
            session.relock = False  # asking it to lock would wait out a second timeout
            raise Failure("%s. Check the USB cable, that the heater is switched on, and the port "
                          "(`stoneheat ports`)." % e, EXIT_NO_HEATER, cli_codes.NO_ANSWER, as_json)
        except DeviceRefused as e:
            advice = ADVICE.get(e.code)
            message = "%s. %s" % (e.message, advice) if advice else e.message
            raise Failure(message, EXIT_REFUSED, e.code, as_json)
        finally:
            try:
                session.lock_again()
            finally:  # a Ctrl-C while it locks still closes the port
                session.close()

    return wrapper
