"""The device console: bytes in from the serial line, one reply line out per request.

Pure like the rest of the core: the main loop hands it the bytes it read and takes the bytes
to write, so the console can never block the control loop. It holds at most ``INPUT_HOLD``
unread bytes and ``OUTPUT_HOLD`` unsent ones; when either is full the main loop stops reading,
and the sender waits (the serial line's own flow control) instead of the heater.

Noise never changes anything: a line is only acted on if it is printable ASCII, shorter than
``MAX_LINE``, passes its checksum when it has one, and names a command with valid arguments.
This is the one command dispatcher: the simulator, the ESP32 and the tests all go through it.
"""

import gc
import json

from . import protocol
from .access import LOCKOUT_MS, Access, new_pin_record
from .errors import CodedError, CommandError
from .event_log import LOCKED_OUT, PIN_CHANGED, UNLOCK_FAILED
from .faults import INTERNAL_ERROR
from .settings import SETTINGS
from .storage import Storage
from .units import c_to_f, parse_count, parse_number, parse_temperature
from .version import VERSION

INPUT_HOLD = 256
OUTPUT_HOLD = 2048
_OVERLONG = object()  # stands for a line that was too long to keep
# A line with an id that changes the heater, seen again next (a host's retry after a lost
# reply) within REPLAY_MS, gets the reply it got the first time and is not run again. Only the
# last such line is kept, and any other line forgets it: a `stop` sent again after a `start`
# runs again, whatever its id.
REPLAY_MS = 60000
PIN_WRONG = "pin_wrong"  # the extra that keeps the count of wrong PINs in a row
HISTORY_PAGE = 30  # samples per reply: a reply line stays under about 1 KB
EVENTS_PAGE = 10  # events per reply, for the same reason


def round_or_none(x, digits=2):
    return None if x is None else round(x, digits)


class Console:
    def __init__(self, controller, history=None, loop=None, board_name="sim", storage=None):
        """``loop``: the main loop, asked for uptime and timing figures (None in tests of the
        console alone). ``storage``: where settings and events are kept (by default nowhere
        but in memory, with the controller's event log)."""
        self.ctrl = controller
        self.history = history
        self.loop = loop
        self.board_name = board_name
        self.storage = storage if storage is not None else Storage(None, log=controller.events)
        self.access = Access(self.storage.extras.get("pin"), self.storage.extras.get(PIN_WRONG, 0),
                             controller.uptime_ms)
        self._in = b""
        self._discarding = False  # inside an overlong line: drop up to its end
        self._out = []  # reply lines (bytes) not yet written
        self._out_bytes = 0
        self._out_pos = 0  # bytes of ``_out[0]`` already written
        self.requests = 0
        self.errors = 0
        self._last = None  # (line, reply, uptime_ms) of the last request, if it changed something

    # -- bytes in, bytes out (the main loop's side) ------------------------------------------

    def wants_input(self):
        return len(self._in) < INPUT_HOLD and self._out_bytes < OUTPUT_HOLD

    def feed(self, data):
        self._in += data

    def service(self, max_lines=2):
        """Act on up to ``max_lines`` complete lines: a bounded amount of work per call."""
        done = 0
        while done < max_lines and self._out_bytes < OUTPUT_HOLD:
            line = self._next_line()
            if line is None:
                return
            try:
                reply = self.handle_line(line)
            except MemoryError:  # not even an error reply fitted: the line is dropped
                reply = None
                self.errors += 1
            if reply is not None:
                data = reply.encode()
                self._out.append(data)
                self._out_bytes += len(data)
            done += 1

    def pending_output(self):
        """The bytes to write next (a part of one reply), or None."""
        if not self._out:
            return None
        return memoryview(self._out[0])[self._out_pos:]

    def output_written(self, n):
        """The main loop wrote ``n`` bytes of ``pending_output()``."""
        self._out_pos += n
        self._out_bytes -= n
        if self._out_pos >= len(self._out[0]):
            self._out.pop(0)
            self._out_pos = 0

    def _next_line(self):
        """The next complete line (bytes, without its end), or None; drops overlong lines and
        returns ``_OVERLONG`` in their place so they get one error reply."""
        buf = self._in
        while True:
            end = -1
            for terminator in (b"\n", b"\r"):
                i = buf.find(terminator)
                if i >= 0 and (end < 0 or i < end):
                    end = i
            if end < 0:
                if len(buf) > protocol.MAX_LINE:
                    self._discarding = True
                    buf = b""
                self._in = buf
                return None
            line, buf = buf[:end], buf[end + 1:]
            if self._discarding:
                self._discarding = False
                self._in = buf
                return _OVERLONG
            if line and line != protocol.CANCEL:  # "\r\n", blank lines and a lone
                # CANCEL (a host's resync) are nothing to answer; CANCEL after a half line
                # makes that line BAD_LINE, never a command
                self._in = buf
                return line

    # -- one request, one reply ---------------------------------------------------------------

    def handle_line(self, line):
        """The reply (str with its end of line) to one line of bytes without its end."""
        self.requests += 1
        if line is _OVERLONG or len(line) > protocol.MAX_LINE:
            return self._error(None, protocol.LINE_TOO_LONG,
                               "line longer than %d bytes ignored" % protocol.MAX_LINE)
        if not protocol.is_printable_ascii(line):
            # With the id it began with, if that much is readable: the host then shows this
            # reply instead of waiting for one (a degree sign is not a cable fault).
            head = line.split(b" ", 1)[0]
            request_id = (protocol.request_id_of(head.decode())
                          if protocol.is_printable_ascii(head) else None)
            return self._error(request_id, protocol.BAD_LINE,
                               "not printable ASCII: write 130F, without a degree sign")
        text = line.decode()
        request_id = protocol.request_id_of(text)
        try:
            request_id, words = protocol.parse_request(text)
        except CodedError as e:
            return self._error(request_id, e.code, e.message)
        replay = request_id is not None and _changes(words)
        last, self._last = self._last, None  # any other line ends the chance of a retry
        if replay and last is not None and last[0] == line and \
                self.ctrl.uptime_ms - last[2] < REPLAY_MS:
            self._last = last
            return last[1]  # the same line again (a host's retry): done once, answered again
        reply = self._execute(request_id, words)
        if replay:
            self._last = (bytes(line), reply, self.ctrl.uptime_ms)
        return reply

    def _execute(self, request_id, words):
        try:
            if not protocol.flags_of(words[0]):
                raise CommandError(protocol.UNKNOWN_COMMAND,
                                   "unknown command %r; try help" % words[0][:20])
            # The table names the handler: no dispatch dict of bound methods kept on the heap.
            payload = getattr(self, "_" + words[0])(words[1:])
            return protocol.encode_ok(request_id, json.dumps(payload))
        except CodedError as e:
            return self._error(request_id, e.code, e.message)
        except MemoryError:  # the reply did not fit the heap: say so, the loop goes on
            payload = None
            gc.collect()
            return self._error(request_id, INTERNAL_ERROR, "out of memory: ask again")
        except Exception as e:  # noqa: BLE001 - a bug in a command must not stop the console
            return self._error(request_id, INTERNAL_ERROR, "command failed: %r" % (e,))

    def _error(self, request_id, code, message):
        self.errors += 1
        return protocol.encode_error(request_id, code, message)

    # -- the commands -------------------------------------------------------------------------

    def _status(self, args):
        _no_args(args, "status")
        c = self.ctrl
        status = {
            "state": c.state,
            "temp_c": round_or_none(c.trusted_temp_c()),
            "target_c": round_or_none(c.target_c),
            "heater_duty": round_or_none(c.duty, 3),
            "ready_in_s": round_or_none(c.ready_in_s(), 0),
            "cooling": c.cooling(),
            "heater_on": c.heater_on,
            "relay_on": c.relay_on,
            "fault": c.fault,
            "fault_value_c": round_or_none(c.fault_value),
            "stopped_by": c.stopped_by,
            "cj_c": round_or_none(c.cj_c),
            "raw_c": round_or_none(c.raw_c),
        }
        if c.second_sensor is not None:
            status["temp2_c"] = round_or_none(c.reading2_c)
        if self.loop is not None:
            status["uptime_s"] = self.loop.uptime_s()
        return status

    def _target(self, args):
        if len(args) > 1:
            raise CommandError(protocol.BAD_ARGUMENT, "usage: target [TEMP], e.g. target 130F")
        if args:
            try:
                target_c = parse_temperature(args[0], "C")
            except ValueError:
                raise CommandError("BAD_VALUE", "not a temperature: %r (write 130F or 54.4C)"
                                   % args[0][:20])
            self.ctrl.set_target_c(target_c)
        t = self.ctrl.target_c
        return {"target_c": round_or_none(t), "target_f": round_or_none(c_to_f(t))}

    def _start(self, args):
        _no_args(args, "start")
        self.ctrl.start()
        return {"state": self.ctrl.state, "target_c": round_or_none(self.ctrl.target_c),
                "cooling": self.ctrl.cooling()}

    def _stop(self, args):
        _no_args(args, "stop")
        self.ctrl.stop()
        return {"state": self.ctrl.state}

    def _reset(self, args):
        _no_args(args, "reset")
        self.ctrl.reset_fault()
        return {"state": self.ctrl.state}

    def _config(self, args):
        verb = args[0].lower() if args else ""
        settings = self.ctrl.settings
        if verb == "get" and len(args) == 1:
            return {"values": dict((n, [settings[n], SETTINGS[n][1], SETTINGS[n][2]])
                                   for n in SETTINGS)}
        if verb == "get" and len(args) == 2:
            name = args[1].lower()
            if name not in SETTINGS:
                raise CommandError("UNKNOWN_SETTING", "no setting named %r" % name[:30])
            default, low, high, what = SETTINGS[name]
            return {"name": name, "value": settings[name], "default": default, "min": low,
                    "max": high, "help": what}
        if verb == "set" and len(args) >= 3 and len(args) % 2 == 1:
            self._technician("config set")
            changes = {}
            for i in range(1, len(args), 2):
                changes[args[i].lower()] = args[i + 1]
            self.ctrl.update_settings(changes)  # all or nothing
            self.storage.settings_changed(self.ctrl.settings, list(changes))
            return {"values": dict((n, self.ctrl.settings[n]) for n in changes)}
        raise CommandError(protocol.BAD_ARGUMENT,
                           "usage: config get [NAME] | config set NAME VALUE [NAME VALUE ...]")

    def _history(self, args):
        if self.history is None:
            raise CommandError(protocol.UNKNOWN_COMMAND, "no history on this device")
        first, count = _page_args(args, "history", HISTORY_PAGE)
        h = self.history
        reply = {"period_s": h.period_s, "oldest": h.oldest(), "count": h.count,
                 "samples": h.page(first, count)}
        if self.loop is not None:
            reply["uptime_s"] = self.loop.uptime_s()
        return reply

    def _events(self, args):
        first, count = _page_args(args, "events", EVENTS_PAGE)
        log = self.ctrl.events
        return {"boot": log.boot, "uptime_s": log.uptime_s, "next": log.next_seq,
                "events": log.page(first, count)}

    def _info(self, args):
        _no_args(args, "info")
        c = self.ctrl
        now = c.uptime_ms
        info = {"firmware": VERSION, "protocol": protocol.PROTOCOL_VERSION,
                "board": self.board_name, "sensor": c.sensor, "second_sensor": c.second_sensor,
                "console": {"requests": self.requests, "errors": self.errors},
                "boot": c.events.boot, "settings_loaded": self.storage.load_reason or "OK",
                "settings_writes": self.storage.settings_store.writes,
                "calibration": self.storage.extras.get("cal"),
                "pin": "factory" if self.access.factory_pin() else "set",
                "unlocked_s": self.access.remaining_s(now),
                "locked_out": self.access.locked_out(now)}
        if self.loop is not None:
            info["uptime_s"] = self.loop.uptime_s()
            info["loop"] = self.loop.timing()
            info.update(self.loop.board_info())
        return info

    def _diag(self, args):
        """What a technician needs to tell a probe from a chip from a board fault."""
        _no_args(args, "diag")
        c = self.ctrl
        frame = c.last_frame
        diag = {"frame": None if frame is None else "%08X" % frame, "sensor": c.sensor,
                "raw_c": round_or_none(c.raw_c, 3), "reading_c": round_or_none(c.reading_c, 3), "cj_c": round_or_none(c.cj_c, 3),
                "cal_gain": c.settings["cal_gain"], "cal_offset_c": c.settings["cal_offset_c"],
                "fault": c.fault}
        if hasattr(gc, "mem_free"):  # MicroPython: the heap the firmware has left
            diag["mem_free"] = gc.mem_free()
            diag["mem_alloc"] = gc.mem_alloc()
        return diag

    # -- roles --------------------------------------------------------------------------------

    def _technician(self, what):
        self.access.require(self.ctrl.uptime_ms, what)

    def _unlock(self, args):
        if len(args) != 1:
            raise CommandError(protocol.BAD_ARGUMENT, "usage: unlock PIN")
        access, now = self.access, self.ctrl.uptime_ms
        tried = not access.locked_out(now)  # refused unread during a lockout: no event
        wrong = access.wrong
        try:
            access.unlock(args[0], now)
        except CodedError as e:
            if tried:  # evidence of a guesser, on the flash at once (``event_log.SECURITY``)
                self.ctrl.events.add(UNLOCK_FAILED, None, "%d in a row" % access.wrong)
                if e.code == LOCKED_OUT:
                    self.ctrl.events.add(LOCKED_OUT, None, "%d s" % (LOCKOUT_MS // 1000))
            raise
        finally:
            if access.wrong != wrong:  # a restart must not give five more tries
                self.storage.keep(self.ctrl.settings, PIN_WRONG, access.wrong or None, True)
            # On the flash before the reply goes out: opening the port can reset an ESP32
            # (DTR), and a guesser who resets right after each try must not erase it.
            self.storage.flush(now)
        return {"unlocked_s": access.remaining_s(now)}

    def _lock(self, args):
        _no_args(args, "lock")
        self.access.lock()
        return {"unlocked_s": 0}

    def _pin(self, args):
        if len(args) != 1:
            raise CommandError(protocol.BAD_ARGUMENT, "usage: pin NEW (4 to 12 digits)")
        self._technician("pin")
        record = new_pin_record(args[0])
        self.access.record = record
        self.storage.set_extra(self.ctrl.settings, "pin", record, PIN_CHANGED)
        return {"pin": "set"}

    # -- technician jobs ----------------------------------------------------------------------

    def _calibrate(self, args):
        if len(args) not in (3, 5):
            raise CommandError(protocol.BAD_ARGUMENT,
                               "usage: calibrate RAW REF [RAW REF] DATE (RAW: status raw_c; "
                               "REF: the reference thermometer, both in C)")
        self._technician("calibrate")
        try:
            numbers = [parse_number(x) for x in args[:-1]]
        except ValueError:
            raise CommandError(protocol.BAD_ARGUMENT, "RAW and REF are temperatures in C")
        points = [[numbers[i], numbers[i + 1]] for i in range(0, len(numbers), 2)]
        from .calibration import from_points  # loaded on first use: the heap is small
        gain, offset = from_points(points)
        date = args[-1][:32]
        self.ctrl.update_settings({"cal_gain": gain, "cal_offset_c": offset})  # their bounds
        self.storage.calibrated(self.ctrl.settings, {"date": date, "points": points})
        return {"cal_gain": round(gain, 5), "cal_offset_c": round(offset, 3), "date": date}

    def _autotune(self, args):
        verb = args[0].lower() if args else "status"
        if len(args) > 1 or verb not in ("status", "start", "save"):
            raise CommandError(protocol.BAD_ARGUMENT, "usage: autotune [status|start|save]")
        c = self.ctrl
        if verb == "start":
            self._technician("autotune start")
            c.start_tune()
        elif verb == "save":
            self._technician("autotune save")
            if c.tune is None or c.tune.result is None:
                raise CommandError("NO_RESULT", "no finished autotune to save")
            r = c.tune.result
            # Gains found on this very bath: used as they are, not scaled again.
            changes = {"kp": r["kp"], "ti_s": r["ti_s"], "td_s": r["td_s"], "adapt": 0}
            c.update_settings(changes)  # the settings' bounds hold
            self.storage.settings_changed(c.settings, list(changes))
        tune = c.tune
        if tune is None:
            return {"phase": None}
        reply = {"phase": tune.phase, "elapsed_s": tune.elapsed_ms // 1000,
                 "cycles": tune.cycles_done(), "of": tune.cycles, "reason": tune.reason,
                 "target_c": round_or_none(tune.setpoint_c)}
        if tune.result is not None:
            reply["result"] = dict((k, round(v, 5)) for k, v in tune.result.items())
        return reply

    def _maintenance(self, args):
        """Stop the firmware (outputs off) so that a technician can update it: the ESP32
        restarts into a REPL without the watchdog (``board_esp32.py``)."""
        _no_args(args, "maintenance")
        self._technician("maintenance")
        if self.loop is None:
            raise CommandError(protocol.UNKNOWN_COMMAND, "no maintenance mode here")
        self.ctrl.stop()
        self.loop.request_maintenance()
        return {"maintenance": True}

    def _ping(self, args):
        return {"pong": True}

    def _help(self, args):
        # Built when asked, not kept on the heap: the technician's forms after everyone's.
        table, everyone, technician = protocol.COMMANDS, [], []
        for i in range(0, len(table), 3):
            (technician if table[i + 1] & protocol.TECHNICIAN else everyone).append(table[i + 2])
        return {"commands": " | ".join(everyone) + ". Technician, after unlock: "
                + " | ".join(technician)}


def _changes(words):
    """Whether a request changes the heater (the read forms of target, config and autotune
    do not, and are never answered from the replay cache)."""
    name, rest = words[0], words[1:]
    if not protocol.flags_of(name) & protocol.CHANGES:
        return False
    if name == "target":
        return bool(rest)
    if name == "config":
        return not rest or rest[0].lower() != "get"
    if name == "autotune":
        return bool(rest) and rest[0].lower() != "status"
    return True


def _page_args(args, name, page):
    if len(args) > 2:
        raise CommandError(protocol.BAD_ARGUMENT, "usage: %s [FROM [COUNT]]" % name)
    try:
        first = parse_count(args[0]) if args else 0
        count = parse_count(args[1]) if len(args) > 1 else page
    except ValueError:
        raise CommandError(protocol.BAD_ARGUMENT, "FROM and COUNT are whole numbers")
    if first < 0 or not 1 <= count <= page:
        raise CommandError(protocol.BAD_ARGUMENT, "FROM must be 0 or more, COUNT 1 to %d" % page)
    return first, count


def _no_args(args, name):
    if args:
        raise CommandError(protocol.BAD_ARGUMENT, "%s takes no arguments" % name)
