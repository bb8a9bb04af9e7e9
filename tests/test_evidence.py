"""Evidence that is kept: a lockout and its wrong PINs survive a power cut, a failing flash logs
once with a count, and no routine event pushes a fault's record out of the log. The main loop in
this process and in the real ``micropython`` (``Heater`` of test_uptime.py)."""

import json
import os

import pytest

from stoneheat.firmware import checked_file, event_log
from stoneheat.firmware.event_log import EventLog
from test_uptime import MINUTE, Heater, runtime  # noqa: F401 - the fixture

assert runtime


def _power_cut(h):
    """The heater stops without a chance to write anything more."""
    if h.runtime == "micropython":
        h.fw.proc.kill()
        h.fw.proc.wait()
        h.fw.proc.stdout.close()


def _events(folder):
    text = open(os.path.join(folder, "events.json")).read()
    return json.loads(text.split("\n", 1)[1])["events"]


@pytest.mark.parametrize("uptime_ms", [0, 60 * 86400000], ids=["from boot", "at 60 days"])
def test_a_lockout_survives_restarts_and_every_wrong_pin_is_on_the_flash(runtime, tmp_path,
                                                                          uptime_ms):
    folder = str(tmp_path)
    tries = 0
    locked = False
    for boot in range(5):  # 4 wrong PINs in each boot, then a power cut
        h = Heater(runtime, uptime_ms, state_dir=folder)
        try:
            for _ in range(4):
                if locked:
                    h.advance(301 * 1000, step_ms=1000)  # the lockout waited out
                ok, code = h.ask("unlock 1234")  # never the PIN (the factory PIN is 0000)
                tries += 1
                # Five in a row across restarts lock out: a restart gives no fresh tries.
                assert (ok, code) == (False, "LOCKED_OUT" if tries % 5 == 0 else "WRONG_PIN")
                locked = code == "LOCKED_OUT"
        finally:
            _power_cut(h)  # no clean end: only what was written at once is there
    assert tries == 20 and locked
    h = Heater(runtime, uptime_ms, state_dir=folder)
    try:
        # The lockout of the 20th survives the restart: even the right PIN is refused.
        assert h.ask("unlock 0000") == (False, "LOCKED_OUT")
        h.advance(301 * 1000, step_ms=1000)
        assert h.ask("unlock 0000")[0]
    finally:
        h.close()
    codes = [e[3] for e in _events(folder)]
    assert codes.count("UNLOCK_FAILED") == 20 and codes.count("LOCKED_OUT") == 4


def test_a_failing_flash_keeps_the_fault_record_and_logs_one_error_with_a_count(runtime,
                                                                                tmp_path):
    folder = str(tmp_path)
    h = Heater(runtime, 0, state_dir=folder)
    try:
        # Nothing can be written from now on: each file's temporary is a directory.
        os.mkdir(os.path.join(folder, "events.json.tmp"))
        os.mkdir(os.path.join(folder, "settings.json.tmp"))
        assert h.ask("unlock 0000")[0]
        assert h.ask("start")[0]
        h.water_c = 65.0  # past the cutoff: OVER_TEMP latches
        h.advance(2000)
        assert h.ask("status")[1]["fault"] == "OVER_TEMP"
        h.water_c = 50.0
        for i in range(60):  # an hour of heater time, with 60 setting changes in it
            assert h.ask("config set kp %.2f" % (0.5 + i / 100.0))[0]
            h.advance(MINUTE, step_ms=1000)
        events = []
        first = 0
        while True:
            ok, page = h.ask("events %d 10" % first)
            events += page["events"]
            if not page["events"]:
                break
            first = page["events"][-1][0] + 1
        codes = [e[3] for e in events]
        assert "OVER_TEMP" in codes, codes
        flash = [e for e in events if e[3] == "FLASH_ERROR"]
        assert len(flash) == 1 and "failed writes" in flash[0][5], flash
        failures = int(flash[0][5].split()[0])
        assert 5 <= failures <= 40  # retries back off: 1, 2, 4 ... 600 s, not one per tick
    finally:
        h.close()


def test_routine_events_never_push_a_fault_out_of_a_full_ring():
    log = EventLog()
    log.add("OVER_TEMP", 63.0)
    for i in range(500):
        log.add(event_log.SETTINGS_CHANGED if i % 2 else event_log.UNLOCK_FAILED)
    assert log.codes()[0] == "OVER_TEMP" and len(log.events) == event_log.SIZE
    seqs = [e[0] for e in log.events]
    # Kept in order; the wrong PINs outrank the setting changes, the newest of them kept.
    assert seqs == sorted(seqs) and seqs[-1] == 499
    assert log.codes()[1:] == [event_log.UNLOCK_FAILED] * (event_log.SIZE - 1)
    for i in range(event_log.SIZE):  # only faults push out faults
        log.add("SENSOR_OPEN")
    assert "OVER_TEMP" not in log.codes() and log.codes().count("SENSOR_OPEN") == event_log.SIZE



def test_a_served_heater_that_stops_writes_what_waited_for_the_flash(runtime, tmp_path):
    """A setting change waits up to 60 s for the flash; stopping `sim serve` must not lose it."""
    from micropython_tools import require_tool
    from stoneheat.link import HeaterLink
    from stoneheat.sim.serve import make_heater

    if runtime == "micropython":
        require_tool("micropython")
    heater = make_heater(runtime, speed=1, state_dir=str(tmp_path)).start_thread()
    try:
        with HeaterLink(heater.path) as link:
            link.request("unlock 0000")
            link.request("config set kp 1.5")
            link.request("config set kp 1.75")  # within the rate limit of the first write
    finally:
        heater.stop()
    assert '"kp": 1.75' in (tmp_path / "settings.json").read_text()


def test_a_heap_in_pieces_still_reads_the_log_under_micropython(tmp_path):
    # CI found it: the boot's imports left the heap in pieces, the read asked for an 8 KB
    # buffer, its MemoryError read as a corrupt log, and the log of 20 wrong PINs started
    # anew (EVENTS_CORRUPT) and was written over. The read asks for the file's own size on a
    # tidied heap. Here the heap is cut into 4 KB holes: a full log (2.4 KB) must still be read.
    from micropython_tools import install_firmware, run_micropython

    root = tmp_path / "fw"
    install_firmware(root, "shfw", compiled=True)
    log = EventLog(str(tmp_path / "events.json"))
    log.load("POWER_ON")
    for i in range(event_log.SIZE):
        log.add("UNLOCK_FAILED", None, "%d in a row" % (i + 1))
    assert log.flush(0)
    size = os.path.getsize(str(tmp_path / "events.json"))
    assert 2048 < size < 3500 < checked_file.FILE_MAX, size
    script = tmp_path / "pieces.py"
    script.write_text(
        "import sys, gc\nsys.path.insert(0, %r)\n"
        "from shfw import checked_file, event_log\n"
        "kept, freed = [], []\n"
        "try:\n"
        "    while True:\n"
        "        kept.append(bytearray(4096)); freed.append(bytearray(4096))\n"
        "except MemoryError:\n"
        "    pass\n"
        "freed = None\n"
        "gc.collect()\n"
        "body, why = checked_file.read(%r, event_log.KIND)\n"
        "print(why, len(body['events']) if body else 0, len(kept) > 3)\n"
        % (str(root), str(tmp_path / "events.json")))
    proc = run_micropython(script, heap="96K")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == ["None", str(event_log.SIZE), "True"], proc.stdout
