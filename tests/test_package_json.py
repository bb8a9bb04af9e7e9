"""package.json lets `mpremote mip install` put the firmware on a board: it must list every
firmware module and the device scripts, and install for real with mpremote."""

import json
import subprocess
import sys
from pathlib import Path

from micropython_device import MicroPythonBoard
from micropython_tools import require_tool

from stoneheat.firmware.version import VERSION

ROOT = Path(__file__).resolve().parent.parent


def test_package_json_lists_every_firmware_module():
    pkg = json.loads((ROOT / "package.json").read_text())
    assert pkg["version"] == VERSION
    modules = sorted(p.name for p in (ROOT / "firmware").glob("*.py"))
    expected = [["lib/stoneheat_fw/%s" % m, "firmware/%s" % m] for m in modules]
    expected += [["boot.py", "firmware/device/boot.py"], ["main.py", "firmware/device/main.py"]]
    assert pkg["urls"] == expected


def test_mpremote_mip_installs_the_firmware_from_package_json(tmp_path):
    root = tmp_path / "flash"
    root.mkdir()
    board = MicroPythonBoard(require_tool("micropython"), root)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "mpremote", "connect", board.path, "resume", "mip", "install",
             "--target", ".", str(ROOT / "package.json")],
            capture_output=True, text=True, timeout=300, cwd=str(ROOT))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    finally:
        board.close()
    for dest, src in json.loads((ROOT / "package.json").read_text())["urls"]:
        assert (root / dest).read_bytes() == (ROOT / src).read_bytes(), dest
