"""Deploy with the real mpremote onto the real MicroPython interpreter on a pseudo-terminal; the
deployed firmware then imports and runs there. Flash's checks before esptool, and esptool's
own refusal when no chip answers."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from micropython_device import MicroPythonBoard
from micropython_tools import require_tool

from frames import max31855_frame


def _cli(*args, env=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "stoneheat"] + list(args), capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ, **(env or {})))


@pytest.fixture
def board(tmp_path):
    micropython = require_tool("micropython")
    root = tmp_path / "flash"
    root.mkdir()
    (root / "settings.json").write_text("kept")  # what a deploy must not touch
    b = MicroPythonBoard(micropython, root)
    yield b
    b.close()


def test_deploy_copies_verifies_swaps_and_restarts(board, tmp_path):
    require_tool("mpy-cross")
    # An older firmware is on the board: a stale module must go with it.
    old = board.root / "lib" / "stoneheat_fw"
    old.mkdir(parents=True)
    (old / "gone.mpy").write_bytes(b"old")
    proc = _cli("--port", board.path, "deploy", "--no-wait", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["verified"] and result["restarted"]
    assert "copying" in proc.stderr  # the progress bar
    assert board.wait_exit() == 0  # machine.reset() ended the session, as a reset would
    manifest = json.loads((board.root / "stoneheat_manifest.json").read_text())
    assert result["files"] == len(manifest["files"])
    for f in manifest["files"]:
        data = (board.root / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
    assert not (old / "gone.mpy").exists()
    assert not list(board.root.rglob("*.new")) and not (board.root / "lib/stoneheat_fw.old").exists()
    assert (board.root / "settings.json").read_text() == "kept"

    # The deployed .mpy files import and run under MicroPython: the main loop heats a cold bath.
    from stoneheat.sim.micropython_runtime import MicroPythonFirmware

    fw = MicroPythonFirmware(["target 130F", "start"],
                             firmware_dir=board.root / "lib" / "stoneheat_fw",
                             state_dir=tmp_path / "state")
    try:
        now, on = 0, 0
        for i in range(40):
            now += 250
            fw.step(now, max31855_frame(30.0 + 0.01 * i), b"", False)
            on += fw.heater_on
        assert fw.state == "HEATING" and on > 30
    finally:
        fw.close()


def test_a_damaged_bundle_is_not_deployed(board, tmp_path):
    require_tool("mpy-cross")
    bundle = tmp_path / "bundle"
    assert _cli("firmware", "build", "--out", str(bundle)).returncode == 0
    victim = bundle / "lib" / "stoneheat_fw" / "controller.mpy"
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF
    victim.write_bytes(bytes(data))
    proc = _cli("--port", board.path, "deploy", "--bundle", str(bundle), "--no-wait")
    assert proc.returncode == 3 and "damaged" in proc.stderr
    assert not (board.root / "lib").exists()


def test_flash_refuses_what_is_not_an_esp32_image(tmp_path):
    text = tmp_path / "notes.bin"
    text.write_bytes(b"hello" * 30000)
    proc = _cli("--port", "/dev/null", "flash", str(text))
    assert proc.returncode == 1 and "not an ESP32 firmware image" in proc.stderr


def test_flash_reports_esptool_failing_to_reach_a_chip(tmp_path):
    """A serial port with no ESP32 behind it: esptool's own error, turned into advice."""
    import pty

    master, slave = pty.openpty()
    image = tmp_path / "micropython.bin"
    image.write_bytes(bytes([0xE9]) + bytes(200000))
    try:
        proc = _cli("--port", os.ttyname(slave), "flash", "--no-deploy", str(image),
                    timeout=300)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 3, proc.stderr
    assert "esptool failed" in proc.stderr and "BOOT button" in proc.stderr


def test_deploy_and_flash_refuse_a_simulated_heater_and_leave_it_running(tmp_path):
    """`deploy` against `sim serve` used to stop the firmware for maintenance, then fail
    after up to 75 s with the heater left off unsaid; `flash` ran esptool at it. Both are
    refused before anything changes."""
    from stoneheat.sim.serve import SimulatedHeater

    image = tmp_path / "ESP32_GENERIC.bin"
    image.write_bytes(b"\xe9" + bytes(255))

    heater = SimulatedHeater(speed=60).start_thread()
    try:
        assert _cli("--port", heater.path, "start").returncode == 0
        proc = _cli("--port", heater.path, "deploy", "--json", env={"STONEHEAT_PIN": "0000"},
                    timeout=60)
        assert proc.returncode == 1, proc.stderr
        reply = json.loads(proc.stdout)
        assert reply["error"] == "SIMULATED" and "simulated heater" in reply["message"]
        assert "building" not in proc.stderr and "maintenance" not in proc.stderr
        proc = _cli("--port", heater.path, "flash", "--json", str(image), timeout=60)
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["error"] == "SIMULATED", proc.stdout
        assert "esptool" not in proc.stderr
        status = json.loads(_cli("--port", heater.path, "status", "--json").stdout)
        assert status["state"] == "HEATING" and heater.stopped_by is None
    finally:
        heater.stop()
