"""``stoneheat flash`` and ``stoneheat deploy``: MicroPython and the firmware onto a heater."""

import tempfile
import time

import click

from . import error_codes as cli_codes
from .deploy import CHIP_OFFSETS, DeployError, deploy_bundle, flash_micropython
from .firmware_bundle import BuildError, build_bundle
from .link import HeaterLink, LinkError
from .ports import PortError, find_heater_port
from .session import EXIT_NO_HEATER, EXIT_REFUSED, Failure, Session, emit_json

MAINTENANCE_BOOT_S = 3.0  # the ESP32 resets and boots to its REPL in about a second


def _port(session, as_json):
    try:
        return session.port or find_heater_port()
    except PortError as e:
        raise Failure(str(e), EXIT_NO_HEATER, cli_codes.NO_PORT, as_json)


def _firmware_answers(port):
    """The firmware's ``info`` if our firmware runs on ``port``, else None (a bare REPL)."""
    try:
        link = HeaterLink(port, timeout_s=1.0, retries=1)
    except (LinkError, PortError):  # not a heater's port: deploy and flash say what it is
        return None
    try:
        return link.request("info")
    except LinkError:
        return None
    finally:
        link.close()


SIMULATED_BOARDS = ("sim", "micropython-sim")  # what `stoneheat sim serve` reports in `info`


def _refuse_a_simulated_heater(port, as_json):
    """`sim serve` has no flash and no REPL: asked to stop for maintenance it would stop for
    good, and the copy would then fail after a minute. Refused before anything changes."""
    info = _firmware_answers(port)
    if info is not None and info.get("board") in SIMULATED_BOARDS:
        raise Failure("%s is a simulated heater (`stoneheat sim serve`): it has no flash to "
                      "write to, and runs the firmware of this checkout already. Nothing was "
                      "changed; the heater keeps running." % port, EXIT_REFUSED,
                      cli_codes.SIMULATED, as_json)


def _enter_maintenance(session, port, echo):
    """Stop a running firmware so that its watchdog cannot reset the board mid-copy."""
    info = _firmware_answers(port)
    if info is None:
        echo("no stoneheat firmware answers on %s: copying at the REPL" % port)
        return
    echo("stoneheat %s is running: asking it to stop for maintenance (heater off)"
         % info["firmware"])
    session.port = port
    session.ask_technician("maintenance")
    session.relock = False  # the firmware has ended: the next boot starts locked
    session.close()
    time.sleep(MAINTENANCE_BOOT_S)


def _wait_for_firmware(port, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = _firmware_answers(port)
        if info is not None:
            return info
        time.sleep(1.0)
    return None


def _deploy(session, port, bundle_dir, restart, wait, as_json):
    echo = (lambda text: click.echo(text, err=True))
    _refuse_a_simulated_heater(port, as_json)
    if bundle_dir is None:
        tmp = tempfile.mkdtemp(prefix="stoneheat-bundle-")
        bundle_dir = tmp + "/bundle"
        echo("building the firmware bundle")
        try:
            build_bundle(bundle_dir)
        except BuildError as e:
            raise Failure(str(e), EXIT_REFUSED, cli_codes.BUILD_FAILED, as_json)
    _enter_maintenance(session, port, echo)
    with click.progressbar(length=1, label="copying", file=click.get_text_stream("stderr"),
                           show_percent=True) as bar:
        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)

        try:
            manifest = deploy_bundle(port, bundle_dir, restart=restart, progress=progress,
                                     echo=echo)
        except DeployError as e:
            raise Failure(str(e), EXIT_NO_HEATER, cli_codes.DEPLOY_FAILED, as_json)
    result = {"version": manifest["version"], "files": len(manifest["files"]),
              "bytes": manifest["total_bytes"], "verified": True, "restarted": restart}
    if restart and wait:
        echo("restarting; waiting for the firmware to answer")
        info = _wait_for_firmware(port)
        if info is None:
            raise Failure("deployed and verified, but the firmware did not answer after the "
                          "restart: run `stoneheat doctor`", EXIT_NO_HEATER, cli_codes.NO_ANSWER, as_json)
        result["running"] = info["firmware"]
    return result


@click.command("deploy")
@click.option("--bundle", "bundle_dir", type=click.Path(file_okay=False, exists=True),
              help="A bundle from `stoneheat firmware build` (default: build one now).")
@click.option("--no-restart", is_flag=True, help="Leave the board at its REPL after the copy.")
@click.option("--no-wait", is_flag=True, help="Do not wait for the firmware to answer after "
                                              "the restart.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def deploy_cmd(session, bundle_dir, no_restart, no_wait, as_json):
    """Update the heater's firmware over USB (MicroPython must be on it: `stoneheat flash`).

    Builds the bundle, stops a running firmware for maintenance (a technician command: it
    asks for the PIN), copies the bundle with mpremote beside the old one, checks every file's
    SHA-256 on the heater, swaps it in and restarts the board. Settings, calibration, PIN and
    events stay. A cut cable leaves the old firmware in place.
    """
    port = _port(session, as_json)
    result = _deploy(session, port, bundle_dir, not no_restart, not no_wait, as_json)
    if as_json:
        emit_json(result)
    else:
        click.echo("firmware %s deployed: %d files, %d bytes, each verified by SHA-256%s." % (
            result["version"], result["files"], result["bytes"],
            "; running" if result.get("running") else ""))


@click.command("flash")
@click.argument("image", type=click.Path(dir_okay=False, exists=True))
@click.option("--chip", type=click.Choice(sorted(CHIP_OFFSETS)), default="esp32",
              show_default=True, help="The board's chip; it sets where the image goes.")
@click.option("--baud", type=click.IntRange(9600, 2000000), default=460800, show_default=True,
              help="Serial speed for writing the image; try 115200 if a long cable fails.")
@click.option("--erase", is_flag=True, help="Erase the whole flash first: a first install, or "
                                            "a board in a bad state. Settings and events are lost.")
@click.option("--no-deploy", is_flag=True, help="Only write MicroPython.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def flash_cmd(session, image, chip, baud, erase, no_deploy, as_json):
    """Write MicroPython (IMAGE, the .bin for your board from micropython.org) with esptool,
    then deploy the firmware.

    \b
      stoneheat flash ESP32_GENERIC-v1.24.1.bin
      stoneheat flash --chip esp32s3 --erase ESP32_GENERIC_S3-v1.24.1.bin

    The image goes to 0x1000 on the ESP32 and ESP32-S2, 0x0 on the S3, C3 and C6. If esptool
    cannot connect, hold the board's BOOT button while it tries.
    """
    port = _port(session, as_json)
    _refuse_a_simulated_heater(port, as_json)  # esptool would only fail on it after a minute
    echo = (lambda text: click.echo(text, err=True))
    try:
        flash_micropython(port, image, chip, baud, erase, echo)
    except DeployError as e:
        raise Failure(str(e), EXIT_NO_HEATER if "esptool" in str(e) else EXIT_REFUSED,
                      cli_codes.FLASH_FAILED, as_json)
    result = {"flashed": image, "chip": chip, "offset": "0x%x" % CHIP_OFFSETS[chip]}
    if not no_deploy:
        time.sleep(2.0)  # MicroPython's first boot makes its filesystem
        result["deploy"] = _deploy(session, port, None, True, True, as_json)
    if as_json:
        emit_json(result)
    else:
        click.echo("MicroPython written at %s%s." % (
            result["offset"], "; firmware deployed" if not no_deploy else ""))


COMMANDS = (flash_cmd, deploy_cmd)
