"""The device console: every command, and noise that must change nothing."""

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frames import max31855_frame
from stoneheat.firmware import protocol
from stoneheat.firmware.console import HISTORY_PAGE, INPUT_HOLD, OUTPUT_HOLD, Console
from stoneheat.firmware.controller import FAULT, HEATING, IDLE, HeaterController
from stoneheat.firmware.controller import STATES
from stoneheat.firmware.history import History
from stoneheat.firmware.ticks import ticks_add


def _console(temps=(50.0,) * 8):
    ctrl = HeaterController()
    history = History(STATES, period_s=10, size=40)
    now = 0
    for t in temps:
        ctrl.tick(now, max31855_frame(t))
        history.record(now, ctrl.temp_c, ctrl.target_c, ctrl.duty, ctrl.state)
        now = ticks_add(now, 250)
    return Console(ctrl, history)


def _send(console, line, request_id=None):
    """What a host does: the line with an id and checksum, or as typed by hand."""
    data = protocol.encode_request(request_id, line) if request_id else line.encode() + b"\n"
    console.feed(data)
    console.service(100)
    return _take_output(console)


def _take_output(console):
    out = b""
    while console.pending_output() is not None:
        chunk = bytes(console.pending_output())
        console.output_written(len(chunk))
        out += chunk
    return out.decode()


_IDS = itertools.count(7)  # as a host does: a new id for every request


def _ok(console, line, request_id=None):
    request_id = request_id or next(_IDS)
    ok, body = protocol.parse_reply(_send(console, line, request_id), request_id)
    assert ok, body
    return json.loads(body)


def _err(console, line, request_id=None):
    request_id = request_id or next(_IDS)
    ok, body = protocol.parse_reply(_send(console, line, request_id), request_id)
    assert not ok, body
    return body[0]


def _snapshot(ctrl):
    return (ctrl.state, ctrl.target_c, dict(ctrl.settings.values), ctrl.fault, ctrl.stopped_by)


def test_status_has_the_contract_fields():
    s = _ok(_console(), "status")
    assert {"temp_c", "target_c", "state", "heater_duty", "fault"} <= set(s)
    assert s["state"] == IDLE and s["fault"] is None
    assert abs(s["temp_c"] - 50.0) < 0.3


@pytest.mark.parametrize("text, expected_c", [("130F", 54.44), ("54.4C", 54.4), ("54.4", 54.4),
                                              ("130f", 54.44), ("45.5c", 45.5)])
def test_target_in_either_unit(text, expected_c):
    c = _console()
    reply = _ok(c, "target %s" % text)
    assert abs(reply["target_c"] - expected_c) < 0.01
    assert abs(c.ctrl.target_c - expected_c) < 0.01


@pytest.mark.parametrize("text, code", [("200F", "OUT_OF_RANGE"), ("nan", "BAD_VALUE"),
                                        ("NaNF", "BAD_VALUE"), ("inf", "BAD_VALUE"),
                                        ("-40", "OUT_OF_RANGE"), ("58C", "OUT_OF_RANGE"),
                                        ("hot", "BAD_VALUE"), ("1e308", "OUT_OF_RANGE")])
def test_bad_targets_are_refused_and_change_nothing(text, code):
    c = _console()
    before = _snapshot(c.ctrl)
    assert _err(c, "target %s" % text) == code
    assert _snapshot(c.ctrl) == before


def test_the_refusal_names_the_allowed_range_in_both_units():
    reply = _send(_console(), "target 200F", 3)
    assert "40.0 and 57.0 C" in reply and "104.0 and 134.6 F" in reply


def test_start_stop_and_reset_only_when_safe():
    c = _console()
    assert _ok(c, "start")["state"] == HEATING
    assert _ok(c, "stop")["state"] == IDLE
    assert _err(c, "reset") == "NO_FAULT"
    now = 10000
    for _ in range(2):  # over the cutoff: latched
        c.ctrl.tick(now, max31855_frame(61.0))
        now = ticks_add(now, 250)
    assert c.ctrl.state == FAULT
    assert _err(c, "start") == "FAULT_LATCHED"
    assert _err(c, "reset") == "UNSAFE"  # still too hot
    for _ in range(8):
        c.ctrl.tick(now, max31855_frame(50.0))
        now = ticks_add(now, 250)
    assert _ok(c, "reset")["state"] == IDLE
    assert [e[3] for e in _ok(c, "events")["events"]] == ["OVER_TEMP", "RESET"]


def test_config_get_and_set_within_bounds_all_or_nothing():
    c = _console()
    kp = _ok(c, "config get kp")
    assert kp["value"] == 0.6 and kp["min"] == 0.0 and kp["max"] == 20.0
    assert "kp" in _ok(c, "config get")["values"]
    _ok(c, "unlock 0000")
    assert _ok(c, "config set kp 0.8 ti_s 1200")["values"] == {"kp": 0.8, "ti_s": 1200.0}
    before = _snapshot(c.ctrl)
    assert _err(c, "config set kp 0.9 cutoff_c 70") == "OUT_OF_RANGE"  # ceiling 65
    for spelling in ("nan", "inf", "1_0", "+1", ".5", "1.", "0x1", "1e", "--1"):
        assert _err(c, "config set kp %s" % spelling) == "BAD_VALUE", spelling
    assert _err(c, "config set kp 1e400") == "OUT_OF_RANGE"
    assert _err(c, "config set wattage 2000") == "UNKNOWN_SETTING"
    assert _err(c, "config set kp") == protocol.BAD_ARGUMENT
    assert _err(c, "config get nosuch") == "UNKNOWN_SETTING"
    assert _snapshot(c.ctrl) == before


def test_numbers_and_ids_have_one_spelling():
    """A number or an id that one reader would take and another refuse (or read otherwise)
    is refused: 5_4 is not 54, #0001 is not #1."""
    c = _console()
    for spelling in ("5_4", "+54", "54.", ".54e2", "0x36", "nan", "inf", "1e999", "0054",
                     "5.4E1"):
        assert _err(c, "target %sC" % spelling) == "BAD_VALUE", spelling
    good = protocol.encode_request(5, "target 50C").decode().strip()
    for checksum in (good[-4:].lower(), "+" + good[-3:], " " + good[-3:]):
        damaged = good[:-4] + checksum
        assert checksum != good[-4:]
        assert c.handle_line(damaged.encode()).split()[2] == protocol.CHECKSUM_REQUIRED
    for line in ("#0001 ping", "#01 status", "#1_0 ping", "#0 ping"):
        assert c.handle_line(line.encode()).split()[:2] == ["err", protocol.BAD_ID], line
    for args in ("+1", "1_0", "-1", "01x", "9999999999"):
        assert _err(c, "events %s" % args) == protocol.BAD_ARGUMENT, args
    assert _ok(c, "target 54C")["target_c"] == 54.0 and _ok(c, "target 1.3e2F")
    assert _ok(c, "events 0 10") is not None
    assert c.handle_line(b"#10 ping").startswith("#10 ok")


def test_history_pages_by_sequence_number():
    c = _console(temps=[40.0 + 0.01 * i for i in range(4 * 60 * 5)])  # 5 min: 30 samples
    first = _ok(c, "history 0 %d" % HISTORY_PAGE)
    assert first["count"] == 30 and first["period_s"] == 10
    assert [s[0] for s in first["samples"]] == list(range(30))
    second = _ok(c, "history 25 10")
    assert [s[0] for s in second["samples"]] == list(range(25, 30))
    assert _err(c, "history 0 999") == protocol.BAD_ARGUMENT
    assert _err(c, "history x") == protocol.BAD_ARGUMENT


def test_ping_info_and_help():
    c = _console()
    assert _ok(c, "ping") == {"pong": True}
    info = _ok(c, "info")
    assert info["protocol"] == protocol.PROTOCOL_VERSION and info["sensor"] == "max31855"
    assert "status" in _ok(c, "help")["commands"]


def test_hand_typed_commands_get_plain_replies():
    c = _console()
    assert _send(c, "status").startswith('ok {"state": "IDLE"')
    assert _send(c, "bogus").startswith("err UNKNOWN_COMMAND")
    assert _send(c, "stop now").startswith("err BAD_ARGUMENT")


def test_crlf_and_blank_lines_get_one_reply_each_request():
    c = _console()
    c.feed(b"ping\r\n\r\n\nping\r")
    c.service(100)
    assert _take_output(c).count("ok ") == 2


def test_a_100_kb_line_is_refused_once_and_the_next_line_answered():
    c = _console()
    before = _snapshot(c.ctrl)
    blob = b"start " * 17000 + b"\n"
    for i in range(0, len(blob), 64):
        c.feed(blob[i:i + 64])
        c.service(2)
        assert len(c._in) <= protocol.MAX_LINE + 64  # nothing piles up
    out = _take_output(c)
    assert out.count("LINE_TOO_LONG") == 1 and out.count("\n") == 1
    assert _snapshot(c.ctrl) == before
    assert _ok(c, "ping") == {"pong": True}


def test_non_ascii_and_control_bytes_refuse_the_line():
    c = _console()
    before = _snapshot(c.ctrl)
    assert _send(c, "target 130\u00b0F".encode("utf-8").decode("latin-1")).startswith("err BAD_LINE")
    c.feed(b"st\x00art\n\xff\xfe\n")
    c.service(10)
    assert _take_output(c).count("err BAD_LINE") == 2
    assert _snapshot(c.ctrl) == before


def test_a_half_command_waits_for_its_end_of_line():
    c = _console()
    c.feed(b"#3 sta")
    c.service(10)
    assert c.pending_output() is None
    c.feed(b"tus\n")
    c.service(10)
    assert protocol.parse_reply(_take_output(c), 3)[0]


def test_service_does_a_bounded_amount_of_work_per_call():
    c = _console()
    c.feed(b"ping\n" * 40)
    c.service(2)
    assert _take_output(c).count("\n") == 2


def test_unsent_replies_hold_back_input_instead_of_growing():
    c = _console()
    while c.wants_input():
        c.feed(b"ping\n" * 10)
        c.service(10)
    assert c._out_bytes >= OUTPUT_HOLD or len(c._in) >= INPUT_HOLD
    held = c._out_bytes
    c.service(10)
    assert c._out_bytes == held  # nothing more is answered until the output drains
    _take_output(c)
    assert c.wants_input()


def test_the_command_table_is_the_dispatch_and_the_help():
    # One table (firmware/protocol.py): every name in it has its handler, help lists every form,
    # and a name outside it is unknown even when the console has a method of that name.
    c = _console()
    listed = _ok(c, "help")["commands"]
    for i in range(0, len(protocol.COMMANDS), 3):
        name, usage = protocol.COMMANDS[i], protocol.COMMANDS[i + 2]
        assert callable(getattr(c, "_" + name)), name
        assert usage in listed, usage
    assert "autotune [status]" in listed  # accepted before, and missing from help
    assert _err(c, "error") == protocol.UNKNOWN_COMMAND  # Console._error exists: not a command
    assert _err(c, "execute") == protocol.UNKNOWN_COMMAND


def test_a_failing_command_is_an_error_reply_not_a_crash():
    c = _console()
    c._ping = lambda args: 1 / 0
    assert _err(c, "ping") == "INTERNAL_ERROR"
    assert _ok(c, "status")["state"] == IDLE


def _valid_lines():
    return st.sampled_from([b"status", b"ping", b"info", b"events", b"history", b"help",
                            b"config get kp", b"target", b"nan", b"#1 ping", b"#2 status*0000"])


@settings(max_examples=300)
@given(st.lists(st.one_of(st.binary(max_size=300),
                          st.builds(lambda b: b + b"\n", _valid_lines()),
                          st.text(max_size=80).map(lambda t: t.encode("utf-8", "replace"))),
                max_size=30),
       st.integers(1, 64))
def test_noise_changes_nothing_and_the_console_still_answers(chunks, chunk_size):
    """Any bytes in any chunking: nothing that changes the heater gets through unless it is a
    well-formed command (none of these are), and a request after a line end is answered."""
    c = _console()
    before = _snapshot(c.ctrl)
    stream = b"".join(chunks)
    for i in range(0, len(stream), chunk_size):
        if c.wants_input():
            c.feed(stream[i:i + chunk_size])
        c.service(2)
        _take_output(c)
    changed = _snapshot(c.ctrl) != before
    accepted_state_change = any(
        line.strip().split(b" ")[0].lower() in (b"start", b"stop", b"reset", b"target", b"config")
        for line in stream.replace(b"\r", b"\n").split(b"\n"))
    assert not changed or accepted_state_change
    # Whatever came before, the host's resync (a line end) and a request get the reply.
    c.feed(b"\n" + protocol.encode_request(123, "ping"))
    for _ in range(400):
        c.service(2)
        out = _take_output(c)
        if "#123 ok" in out:
            break
    assert protocol.parse_reply(out.splitlines()[-1], 123) == (True, '{"pong": true}')


@given(st.binary(min_size=1, max_size=200))
def test_no_random_line_starts_the_heater(line):
    c = _console()
    c.feed(line.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n")
    c.service(5)
    _take_output(c)
    if line.strip().lower() not in (b"start", b"#1 start"):
        assert c.ctrl.state == IDLE


def test_the_therapist_guide_lists_every_fault_with_its_message():
    from pathlib import Path

    from stoneheat.firmware.faults import AUTO_OFF, MESSAGES

    guide = (Path(__file__).resolve().parent.parent / "docs" / "therapist-guide.md").read_text()
    for code, message in MESSAGES.items():
        if code != AUTO_OFF:
            assert "| `%s` | %s |" % (code, message) in guide, code
