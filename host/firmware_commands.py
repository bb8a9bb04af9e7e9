"""``stoneheat firmware``: what ships to the heater."""

import click

from .firmware_bundle import BuildError, build_bundle
from .session import emit_json


@click.group("firmware")
def firmware_group():
    """Build the firmware that runs on the heater's ESP32."""


@firmware_group.command("build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="build/firmware",
              show_default=True, help="Where to write the bundle (replaced if it holds one).")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as one JSON object.")
def build_cmd(out_dir, as_json):
    """Compile every firmware module with mpy-cross into a bundle for the device.

    The bundle holds boot.py and main.py, the firmware package as .mpy files under
    lib/stoneheat_fw/, and manifest.json with the version and the size and SHA-256 of every
    file, so a deploy can be verified.
    """

    def progress(i, n, name):
        if not as_json:
            click.echo("[%2d/%d] %s" % (i + 1, n, name), err=True)

    try:
        manifest = build_bundle(out_dir, progress)
    except BuildError as e:
        raise click.ClickException(str(e))
    if as_json:
        emit_json(manifest)
        return
    click.echo("stoneheat firmware %s: %d files, %d bytes in %s (%s)" % (
        manifest["version"], len(manifest["files"]), manifest["total_bytes"], out_dir,
        manifest["mpy_cross"]))
