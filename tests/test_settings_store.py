"""Settings on the device's flash: a power cut at any byte of a write leaves the old or the new
settings, never a corrupt or unsafe state; a bad file gives the defaults and says why."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoneheat.firmware.settings import SETTINGS, Settings
from stoneheat.firmware.settings_store import (
    CORRUPT,
    INVALID,
    MISSING,
    MOVED,
    SettingsStore,
    decode,
    encode,
)

OLD = Settings({"kp": 0.8, "ti_s": 1200.0, "setpoint_max_c": 55.0, "cutoff_c": 58.0})
NEW = Settings({"kp": 1.1, "ti_s": 900.0, "setpoint_max_c": 52.0, "cutoff_c": 56.0,
                "cal_offset_c": -0.4})


def test_settings_round_trip(tmp_path):
    store = SettingsStore(str(tmp_path / "settings.json"))
    extras = {"cal": {"date": "2026-11-21", "points": [[2.1, 0.0], [56.4, 54.5]]},
              "pin": {"salt": "0" * 32, "hash": "a" * 64}}
    assert store.save(NEW, extras, 0)
    loaded, got, reason = store.load()
    assert reason is None and loaded.values == NEW.values and got == extras


def test_a_missing_file_gives_the_defaults_and_says_so(tmp_path):
    loaded, extras, reason = SettingsStore(str(tmp_path / "none.json")).load()
    assert reason == MISSING and loaded.values == Settings().values and extras == {}


def test_power_lost_at_every_byte_of_a_write_leaves_old_or_new(tmp_path):
    """The write goes to a temporary file and is renamed: cut anywhere, the file is intact."""
    path = tmp_path / "settings.json"
    store = SettingsStore(str(path))
    store.save(OLD, {}, 0)
    new_bytes = encode(NEW.values)
    for cut in range(len(new_bytes) + 1):
        (tmp_path / "settings.json.tmp").write_bytes(new_bytes[:cut])  # the power went here
        loaded, _, reason = store.load()
        assert reason is None and loaded.values == OLD.values, cut
    store._last_write_ms = None
    store.save(NEW, {}, 0)  # and once the rename happened: the new ones
    loaded, _, reason = store.load()
    assert reason is None and loaded.values == NEW.values


def test_a_file_cut_short_is_never_taken_for_settings(tmp_path):
    """Even without the rename (a file cut in place), no prefix of a file decodes as settings:
    each gives the safe defaults and the reason."""
    data = encode(NEW.values)
    for cut in range(len(data)):
        loaded, extras, reason = decode(data[:cut])
        assert reason == CORRUPT and extras == {} and loaded.values == Settings().values, cut


@given(st.binary(max_size=400))
def test_any_bytes_give_valid_settings(data):
    loaded, extras, reason = decode(data)
    assert set(extras) <= {"cal", "pin", MOVED}
    for name, (default, low, high, _) in SETTINGS.items():
        assert low <= loaded[name] <= high
    assert reason in (None, CORRUPT, INVALID)


def test_values_outside_the_bounds_are_refused_as_a_whole():
    data = encode(dict(NEW.values, cutoff_c=80.0))  # a well-formed file asking for 80 C
    loaded, _, reason = decode(data)
    assert reason == INVALID and loaded["cutoff_c"] == 60.0 and loaded["kp"] == 0.6


def test_a_safety_setting_a_newer_firmware_narrowed_is_moved_into_range_and_nothing_lost(
        tmp_path):
    # An earlier firmware allowed watch_s 1800 and frozen_s 600 (and its guide advised a longer
    # watch for weak baths): the calibration and the PIN stay, the two values come in range,
    # the boot says so and writes the file back.
    from stoneheat.firmware.storage import Storage

    extras = {"cal": {"date": "2026-11-21", "points": [[2.1, 0.0]]},
              "pin": {"salt": "0" * 32, "hash": "a" * 64}}
    path = tmp_path / "settings.json"
    path.write_bytes(encode(dict(NEW.values, watch_s=1800.0, frozen_s=600.0), extras))
    storage = Storage(str(tmp_path))
    settings = storage.boot()
    assert settings["watch_s"] == 240.0 and settings["frozen_s"] == 30.0
    assert settings["kp"] == NEW["kp"] and storage.extras == extras
    moved = {e[5]: e[4] for e in storage.log.events if e[3] == MOVED}
    assert moved == {"watch_s": 240.0, "frozen_s": 30.0}
    assert storage.settings_store.pending()
    storage.flush_all(0)  # written back within the ranges, the extras with them
    loaded, got, reason = SettingsStore(str(path)).load()
    assert reason is None and got == extras and loaded.values == settings.values


def test_writes_are_rate_limited_to_spare_the_flash(tmp_path):
    store = SettingsStore(str(tmp_path / "s.json"), min_interval_ms=60000)
    assert store.save(OLD, {}, 0)
    assert not store.save(NEW, {}, 1000)  # too soon: kept pending
    assert store.load()[0].values == OLD.values
    assert not store.flush(59999)
    assert store.flush(60000) and store.writes == 2
    assert store.load()[0].values == NEW.values
    assert not store.flush(200000)  # nothing pending


def test_the_store_runs_under_micropython(tmp_path):
    from micropython_tools import install_firmware, run_micropython

    root = tmp_path / "fw"
    install_firmware(root, "shfw", compiled=True)
    script = tmp_path / "store_mp.py"
    script.write_text(
        "import sys\nsys.path.insert(0, %r)\n"
        "from shfw.settings_store import SettingsStore, encode, decode\n"
        "from shfw.settings import Settings\n"
        "s = SettingsStore(%r)\n"
        "print(s.load()[2])\n"
        "s.save(Settings({'kp': 1.25}), {'cal': {'date': 'd', 'points': [[1.0, 0.0]]}}, 0)\n"
        "v, extras, why = s.load()\n"
        "print(v['kp'], extras['cal']['date'], why)\n"
        "print(decode(encode(v.values)[:-3])[2])\n" % (str(root), str(tmp_path / "mp.json")))
    proc = run_micropython(script, heap="160K")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == ["SETTINGS_MISSING", "1.25", "d", "None", "SETTINGS_CORRUPT"]


@pytest.mark.parametrize("extras", [
    {"pin": {"salt": "zz" * 16, "hash": "a" * 64}},  # not hex
    {"pin": {"salt": "0" * 32}},  # no hash
    {"cal": {"date": "2026-11-21", "points": []}},
    {"cal": {"date": "2026-11-21", "points": [[float("nan"), 0.0]]}},
    {"cal": {"date": "x" * 40, "points": [[1.0, 0.0]]}},
    {"cal": "yesterday"},
])
def test_a_malformed_extra_gives_the_defaults_as_a_whole(extras):
    loaded, got, reason = decode(encode(NEW.values, extras))
    assert reason == INVALID and got == {} and loaded.values == Settings().values
