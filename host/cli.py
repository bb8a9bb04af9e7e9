"""The ``stoneheat`` command line."""

import click

from . import deploy_commands, device_commands, live, technician_commands
from .firmware_commands import firmware_group
from .display import UNITS
from .firmware.version import VERSION
from .session import Session
from .sim_commands import sim


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="stoneheat")
@click.option("--port", envvar="STONEHEAT_PORT", metavar="PORT",
              help="The heater's serial port, e.g. /dev/ttyUSB0 or COM3 (or set STONEHEAT_PORT). "
                   "Default: the one USB serial bridge of an ESP32 board plugged in.")
@click.option("--unit", envvar="STONEHEAT_UNIT", type=click.Choice(UNITS, case_sensitive=False),
              default="C", show_default=True,
              help="Your temperature unit: shown first, and used for bare numbers "
                   "(or set STONEHEAT_UNIT).")
@click.pass_context
def main(ctx, port, unit):
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
    not answering, 4 the heater is in FAULT, 5 timed out.
    """
    ctx.obj = Session(port, unit.upper())


for command in (device_commands.COMMANDS + live.COMMANDS + technician_commands.COMMANDS
                + deploy_commands.COMMANDS):
    main.add_command(command)
main.add_command(sim)
main.add_command(firmware_group)
