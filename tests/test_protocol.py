"""The line protocol: checksums, ids, and what is refused before any command runs."""

import pytest
from hypothesis import given, strategies as st

from stoneheat.firmware import protocol
from stoneheat.firmware.protocol import ProtocolError, crc16, encode_request, parse_reply, parse_request


def test_crc16_is_ccitt_false():
    assert crc16(b"123456789") == 0x29B1  # the catalogue's check value
    assert crc16("") == 0xFFFF


def test_a_host_request_round_trips():
    line = encode_request(42, "target 130F")
    assert line.endswith(b"\n")
    assert parse_request(line.decode().rstrip("\n")) == (42, ["target", "130F"])


def test_hand_typed_lines_need_no_id_or_checksum():
    assert parse_request("STATUS") == (None, ["status"])
    assert parse_request("  target   54.4c ") == (None, ["target", "54.4c"])
    assert parse_request("start") == (None, ["start"])


def test_a_damaged_line_is_refused():
    line = encode_request(7, "target 130F").decode().rstrip("\n")
    damaged = line.replace("130F", "139F")
    with pytest.raises(ProtocolError) as e:
        parse_request(damaged)
    assert e.value.code == protocol.BAD_CHECKSUM


CHANGING = sorted({protocol.COMMANDS[i] for i in range(0, len(protocol.COMMANDS), 3)
                   if protocol.flags_of(protocol.COMMANDS[i]) & protocol.CHANGES})


@pytest.mark.parametrize("command", CHANGING)
def test_a_program_must_checksum_what_changes_the_heater(command):
    with pytest.raises(ProtocolError) as e:
        parse_request("#5 %s" % command)
    assert e.value.code == protocol.CHECKSUM_REQUIRED


def test_the_table_s_flags_are_the_checksum_and_retry_rules():
    rows = [protocol.COMMANDS[i:i + 3] for i in range(0, len(protocol.COMMANDS), 3)]
    assert all(isinstance(n, str) and 0 < f < 8 and u.startswith(n) for n, f, u in rows)
    assert set(CHANGING) == {"target", "start", "stop", "reset", "config", "unlock", "lock",
                             "pin", "calibrate", "autotune", "maintenance"}
    repeatable = {n for n, _, _ in rows if protocol.flags_of(n) & protocol.REPEATABLE}
    assert repeatable == {"status", "ping", "info", "history", "events", "help", "target",
                          "start", "stop", "config", "diag", "lock"}
    # A retry of `autotune start` or `unlock` could run it twice; an unknown word is nothing.
    assert not protocol.flags_of("autotune") & protocol.REPEATABLE
    assert protocol.flags_of("nonsense") == 0 and protocol.flags_of("") == 0


def test_a_program_may_read_without_a_checksum():
    assert parse_request("#5 status") == (5, ["status"])


@pytest.mark.parametrize("line", ["#0 ping", "#x ping", "#1234567890 ping", "# ping", "#-1 ping"])
def test_bad_ids_are_refused(line):
    with pytest.raises(ProtocolError) as e:
        parse_request(line)
    assert e.value.code == protocol.BAD_ID


def test_replies_are_found_behind_noise_and_checked():
    reply = protocol.encode_ok(9, '{"pong": true}')
    assert parse_reply("rst:0x1 (POWERON_RESET)" + reply, 9) == (True, '{"pong": true}')
    assert parse_reply(reply, 10) is None  # another request's reply
    assert parse_reply(reply.replace("pong", "pang"), 9) is None  # damaged
    err = protocol.encode_error(9, "OUT_OF_RANGE", "target must be between 40.0 and 57.0 C")
    assert parse_reply(err, 9) == (False, ("OUT_OF_RANGE", "target must be between 40.0 and 57.0 C"))


def test_replies_to_hand_typed_lines_are_plain():
    assert protocol.encode_ok(None, "{}") == "ok {}\n"
    assert protocol.encode_error(None, "X", "y") == "err X y\n"


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200))
def test_any_printable_line_parses_or_is_refused_with_a_code(line):
    try:
        request_id, words = parse_request(line)
    except ProtocolError as e:
        assert e.code in (protocol.BAD_CHECKSUM, protocol.BAD_ID, protocol.BAD_LINE,
                          protocol.CHECKSUM_REQUIRED)
        return
    assert words and words[0] == words[0].lower()
    assert request_id is None or 1 <= request_id <= protocol.MAX_ID


@given(st.text(max_size=300), st.integers(1, protocol.MAX_ID))
def test_no_text_is_taken_for_a_reply_unless_it_is_one(text, request_id):
    result = parse_reply(text, request_id)
    if result is not None:  # only possible if the text holds a correctly checked reply
        assert "#%d " % request_id in text


@given(st.integers(1, protocol.MAX_ID), st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="*#"),
    min_size=1, max_size=40))
def test_every_request_a_host_encodes_parses_back(request_id, word):
    line = encode_request(request_id, "config get " + word).decode().rstrip("\n")
    assert parse_request(line) == (request_id, ["config", "get", word])


def test_the_examples_in_the_protocol_doc_carry_valid_checksums():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()
    examples = [line for line in doc.splitlines() if line.startswith("#17 ")]
    assert len(examples) == 2
    request, reply = examples
    assert parse_request(request) == (17, ["target", "130F"])
    assert parse_reply(reply, 17) == (True, '{"target_c": 54.44, "target_f": 130.0}')
