"""Whatever is in the heater's files, it boots with safe defaults and says why: huge files, a
directory in a file's place, bytes that are not text, and files with a valid checksum around
deep nesting, 400-digit numbers or values of the wrong kind. In this process and in the real
``micropython`` (whose heap a 1 MB file used to exhaust at boot)."""

import os

import pytest
from hypothesis import given, settings, strategies as st

from stoneheat.firmware import checked_file, event_log, settings_store
from stoneheat.firmware.protocol import crc16
from stoneheat.firmware.settings import Settings
from stoneheat.firmware.storage import EVENTS_FILE, SETTINGS_FILE, Storage
from test_uptime import Heater, runtime  # noqa: F401 - the fixture

assert runtime


def _checked(kind, body):
    """A file whose header and checksum are right, around any body."""
    return ("%s %d %04X %d\n" % (kind, checked_file.FORMAT_VERSION, crc16(body),
                                 len(body))).encode() + body


DEEP = b"[" * 5000 + b"]" * 5000
BIG_INT = b"1" + b"0" * 400
HOSTILE = {
    "1 MB": b"\0" * (1 << 20),
    "not text": bytes(range(256)) * 4,
    "deep": "DEEP",
    "400 digits": "BIG",
    "a list": "LIST",
    "wrong kinds": "KINDS",
    "directory": None,
}


def _write(folder, name, which):
    path = os.path.join(folder, name)
    content = HOSTILE[which]
    kind = settings_store.KIND if name == SETTINGS_FILE else event_log.KIND
    if content is None:
        os.mkdir(path)
        return
    if content == "DEEP":
        content = _checked(kind, DEEP)
    elif content == "BIG":
        content = _checked(kind, b'{"values": {"kp": ' + BIG_INT + b'}}' if name == SETTINGS_FILE
                           else b'{"boot": ' + BIG_INT + b', "seq": 1, "events": []}')
    elif content == "LIST":
        content = _checked(kind, b"[1, 2, 3]")
    elif content == "KINDS":
        content = _checked(kind, b'{"values": {"kp": [1]}, "pin": 7}' if name == SETTINGS_FILE
                           else b'{"boot": 1, "seq": 9, "events": [[1, 1, 1, "X", [[]], ""]]}')
    with open(path, "wb") as f:
        f.write(content)


@pytest.mark.parametrize("which", list(HOSTILE))
@pytest.mark.parametrize("name", [SETTINGS_FILE, EVENTS_FILE])
def test_any_file_content_boots_with_defaults_and_says_why(runtime, tmp_path, name, which):
    folder = str(tmp_path)
    _write(folder, name, which)
    h = Heater(runtime, 0, state_dir=folder)
    try:
        ok, info = h.ask("info")
        assert ok
        ok, page = h.ask("events 0 10")
        codes = [e[3] for e in page["events"]]
        if name == SETTINGS_FILE:
            assert info["settings_loaded"] in ("SETTINGS_CORRUPT", "SETTINGS_INVALID")
            assert info["settings_loaded"] in codes
            assert h.ask("config get kp")[1]["value"] == Settings()["kp"]
        else:
            assert info["settings_loaded"] == "SETTINGS_MISSING" and "EVENTS_CORRUPT" in codes
            assert page["boot"] == 1
        assert h.ask("start")[0]  # and it works
    finally:
        h.close()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_in_either_file_give_defaults_never_an_exception(data):
    for kind in (settings_store.KIND, event_log.KIND):
        for content in (data, _checked(kind, data)):
            body, reason = checked_file.decode(kind, content)
            assert (body is None) == (reason is not None)
            settings, extras, why = settings_store.decode(content)
            assert isinstance(settings, Settings)


def test_a_directory_for_the_settings_is_reported_as_corrupt_not_missing(tmp_path):
    os.mkdir(tmp_path / SETTINGS_FILE)
    storage = Storage(str(tmp_path))
    storage.boot()
    assert storage.load_reason == settings_store.CORRUPT
