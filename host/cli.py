"""The ``stoneheat`` command line."""

import sys

import click

from . import error_codes as cli_codes
from . import deploy_commands, device_commands, live, technician_commands
from .firmware_commands import firmware_group
from .display import UNITS
from .firmware.version import VERSION
from .session import EXIT_INTERRUPTED, EXIT_USAGE, Session, emit_json
from .sim_commands import sim


class JsonAwareGroup(click.Group):
    """With ``--json`` anywhere on the command line, every end is one JSON object on stdout,
    also a usage error (a bad argument, a bad STONEHEAT_UNIT) and Ctrl-C, which click would
    only describe on stderr."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        argv = list(sys.argv[1:] if args is None else args)
        if "--json" not in argv or not standalone_mode or {"-h", "--help"} & set(argv):
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, False, **extra)
        except click.UsageError as e:
            emit_json({"ok": False, "error": cli_codes.USAGE, "message": e.format_message()})
            e.show()
            sys.exit(EXIT_USAGE)
        except click.ClickException as e:  # a Failure prints its own object in show()
            e.show()
            sys.exit(e.exit_code)
        except (click.Abort, KeyboardInterrupt):
            emit_json({"ok": False, "error": cli_codes.INTERRUPTED, "message": "stopped by Ctrl-C"})
            click.echo("Stopped by Ctrl-C.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=JsonAwareGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="stoneheat")
@click.option("--port", envvar="STONEHEAT_PORT", metavar="PORT",
              help="The heater's serial port, e.g. /dev/ttyUSB0 or COM3 (or set STONEHEAT_PORT). "
                   "Default: the one USB serial bridge of an ESP32 board plugged in.")
@click.option("--unit", envvar="STONEHEAT_UNIT", type=click.Choice(UNITS, case_sensitive=False),
              default="C", show_default=True,
              help="Your temperature unit: shown first, and used for bare numbers "
                   "(or set STONEHEAT_UNIT).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (the same as --json after the command).")
@click.pass_context
def main(ctx, port, unit, as_json):
    """Control a stoneheat hot stone heater, or a simulated one.

    \b
    Everyday use:
      stoneheat set 130F          heat the stones to 130 F
      stoneheat wait-ready        returns when they are ready
      stoneheat watch             live temperature and trend
      stoneheat stop              heater off

    \b
    Technicians (PIN-protected; see docs/technician-guide.md):
      stoneheat doctor            what is wrong, in one screen
      stoneheat calibrate         probe against a reference thermometer
      stoneheat autotune          measure the bath, derive the gains
      stoneheat deploy            update the firmware over USB

    \b
    No heater at hand? Run a simulated one and drive it the same way:
      stoneheat sim serve --speed 60      prints `port: /dev/pts/N`
      stoneheat --port /dev/pts/N set 130F
      stoneheat sim run heatup            a whole heat-up in a second

    Exit codes: 0 done, 1 refused by the heater, 2 bad command line, 3 heater not found or
    not answering, 4 the heater is in FAULT, 5 timed out, 130 stopped by Ctrl-C.
    """
    from_env = ctx.get_parameter_source("port") == click.core.ParameterSource.ENVIRONMENT
    ctx.obj = Session(port, unit.upper(), as_json, "STONEHEAT_PORT" if from_env else None)


for command in (device_commands.COMMANDS + live.COMMANDS + technician_commands.COMMANDS
                + deploy_commands.COMMANDS):
    main.add_command(command)
main.add_command(sim)
main.add_command(firmware_group)
