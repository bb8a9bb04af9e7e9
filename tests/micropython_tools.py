"""Finding the real MicroPython tools, and failing (not skipping) without them on CI."""

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REQUIRE_TOOLS
from stoneheat.sim.micropython_runtime import find_tool

FIRMWARE_DIR = Path(__file__).resolve().parent.parent / "firmware"


def require_tool(name):
    path = find_tool(name)
    if path is None:
        message = ("%s is not installed (pip install 'stoneheat[test]' provides it); "
                   "the firmware cannot be checked on MicroPython's terms without it" % name)
        if REQUIRE_TOOLS:
            pytest.fail(message)
        pytest.skip(message)
    return path


def firmware_sources():
    return sorted(FIRMWARE_DIR.glob("*.py"))


def install_firmware(dest, package, compiled=False):
    """Lay out the firmware as the package ``package`` under ``dest``, as source or as .mpy."""
    pkg = Path(dest) / package
    pkg.mkdir(parents=True)
    for src in firmware_sources():
        if compiled and src.name != "__init__.py":
            out = pkg / (src.stem + ".mpy")
            # -s: the .mpy keeps only the file name, so its heap does not depend on where the
            # checkout lives (a long path cost the replay its last bytes of heap)
            subprocess.run([require_tool("mpy-cross"), "-s", src.name, "-o", str(out), str(src)], check=True,
                           capture_output=True, timeout=60)
        else:
            shutil.copy(src, pkg / src.name)
    return pkg


def run_micropython(script, *args, cwd=None, heap="2M", timeout=300):
    mp = require_tool("micropython")
    proc = subprocess.run([mp, "-X", "heapsize=%s" % heap, str(script)] + [str(a) for a in args],
                          capture_output=True, text=True, cwd=cwd, timeout=timeout)
    return proc
