"""The ``stoneheat`` command line."""

import json

import click

from .firmware.version import VERSION
from .sim_commands import sim


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="stoneheat")
def main():
    """Control and simulate a stoneheat hot stone heater.

    Try the simulated heater, no hardware needed:

    \b
      stoneheat sim run heatup            heat a simulated bath to 130 F
      stoneheat sim run workday --plot day.png
      stoneheat sim bench                 firmware vs. peer controllers
    """


main.add_command(sim)


def emit_json(obj):
    """Print one JSON object (or list) on stdout: what ``--json`` promises."""
    click.echo(json.dumps(obj, allow_nan=False))
