"""Putting firmware on a heater: MicroPython itself with esptool, our bundle with mpremote.

The bundle goes into ``lib/stoneheat_fw.new`` first, every file is checked by its SHA-256 on the
device, and only then is the folder swapped in by renames. A cut cable or power during the copy
leaves the old firmware in place; boot.py and main.py are replaced last, each by a rename too.
"""

import json
import subprocess
import sys
from pathlib import Path

from .firmware_bundle import DEVICE_PACKAGE, verify_bundle

# Where each chip's MicroPython image starts in flash (micropython.org's download pages).
CHIP_OFFSETS = {"esp32": 0x1000, "esp32s2": 0x1000, "esp32s3": 0x0, "esp32c3": 0x0,
                "esp32c6": 0x0}
ESP_IMAGE_MAGIC = 0xE9
DEVICE_MANIFEST = "stoneheat_manifest.json"
LIB = "lib/" + DEVICE_PACKAGE


class DeployError(Exception):
    pass


def check_image(path, chip):
    """Refuse what esptool would write as garbage: not a file, or not an ESP image."""
    p = Path(path)
    if chip not in CHIP_OFFSETS:
        raise DeployError("unknown chip %r (choose from %s)" % (chip, ", ".join(CHIP_OFFSETS)))
    if not p.is_file():
        raise DeployError("%s is not a file" % path)
    head = p.read_bytes()[:1]
    if not head or head[0] != ESP_IMAGE_MAGIC:
        raise DeployError("%s is not an ESP32 firmware image (it does not start with 0xE9): "
                          "download the .bin for your board from micropython.org" % path)
    if p.stat().st_size < 64 * 1024:
        raise DeployError("%s is too small to be MicroPython (%d bytes)" % (path, p.stat().st_size))


def esptool_command(port, image, chip, baud=460800, erase=False):
    """The esptool invocations that write ``image`` at the chip's offset."""
    base = [sys.executable, "-m", "esptool", "--chip", chip, "--port", port, "--baud", str(baud),
            "--connect-attempts", "3"]
    commands = [base + ["erase_flash"]] if erase else []
    commands.append(base + ["write_flash", "-z", "0x%x" % CHIP_OFFSETS[chip], str(image)])
    return commands


def flash_micropython(port, image, chip, baud=460800, erase=False, echo=print):
    check_image(image, chip)
    for command in esptool_command(port, image, chip, baud, erase):
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        last = []
        for line in proc.stdout:  # esptool's own progress, as it comes
            echo(line.rstrip())
            last = (last + [line.strip()])[-3:]
        if proc.wait() != 0:
            raise DeployError("esptool failed (%s). Hold the board's BOOT button while it "
                              "connects, or check the port." % " / ".join(last))


class Device:
    """The device's filesystem through mpremote's raw REPL (no soft reset: on the ESP32 that
    would start the firmware again)."""

    def __init__(self, port):
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        try:
            self.t = SerialTransport(port, baudrate=115200)
            self.t.enter_raw_repl(soft_reset=False)
        except (TransportError, OSError) as e:
            raise DeployError("no MicroPython REPL on %s (%s). Is MicroPython flashed "
                              "(`stoneheat flash`)?" % (port, str(e).strip() or type(e).__name__))

    def run(self, code):
        from mpremote.transport import TransportError

        try:
            return self.t.exec(code).decode()
        except TransportError as e:
            raise DeployError("the device refused: %s" % str(e).strip()[-300:])

    def write(self, path, data, progress=None):
        self.t.fs_writefile(path, data, chunk_size=512, progress_callback=progress)

    def sha256(self, path):
        return self.t.fs_hashfile(path, "sha256").hex()

    def reset(self):
        self.t.exec_raw_no_follow("import machine\nmachine.reset()")

    def close(self):
        self.t.close()


# Runs on the device: remove a folder and what is in it (MicroPython has no shutil).
_RMTREE = """import os
def _rm(p):
    try:
        names = os.listdir(p)
    except OSError:
        try:
            os.remove(p)
        except OSError:
            pass
        return
    for n in names:
        _rm(p + '/' + n)
    os.rmdir(p)
"""


def deploy_bundle(port, bundle_dir, restart=True, progress=None, echo=print):
    """Copy the bundle in ``bundle_dir`` onto the device at ``port``, verify every file by its
    hash there, swap it in, and restart the board. ``progress(done_bytes, total_bytes)``."""
    bundle = Path(bundle_dir)
    bad = verify_bundle(bundle)
    if bad:
        raise DeployError("the bundle is damaged (%s): build it again" % ", ".join(bad))
    manifest = json.loads((bundle / "manifest.json").read_text())
    files = manifest["files"]
    total = sum(f["size"] for f in files)
    done = [0]
    dev = Device(port)
    try:
        dev.run(_RMTREE + "_rm(%r)\ntry:\n os.mkdir('lib')\nexcept OSError:\n pass\n"
                "os.mkdir(%r)" % (LIB + ".new", LIB + ".new"))
        staged = []
        for f in files:
            path = f["path"]
            target = (LIB + ".new/" + path[len(LIB) + 1:] if path.startswith(LIB + "/")
                      else path + ".new")
            base = done[0]
            dev.write(target, (bundle / path).read_bytes(),
                      lambda n, size, base=base: progress and progress(base + n, total))
            done[0] = base + f["size"]
            staged.append((path, target, f["sha256"]))
        echo("verifying %d files on the device" % len(staged))
        wrong = [path for path, target, sha in staged if dev.sha256(target) != sha]
        if wrong:
            raise DeployError("files differ on the device after the copy: %s; the old "
                              "firmware is still in place" % ", ".join(wrong))
        # The swap: the package folder by two renames, then each top-level file by one.
        swap = [_RMTREE, "_rm(%r)" % (LIB + ".old"),
                "try:\n os.rename(%r, %r)\nexcept OSError:\n pass" % (LIB, LIB + ".old"),
                "os.rename(%r, %r)" % (LIB + ".new", LIB), "_rm(%r)" % (LIB + ".old")]
        for path, target, _ in staged:
            if not path.startswith(LIB + "/"):
                swap.append("os.rename(%r, %r)" % (target, path))
        dev.run("\n".join(swap))
        dev.write(DEVICE_MANIFEST, json.dumps(manifest).encode())
        if restart:
            dev.reset()
    finally:
        dev.close()
    return manifest
