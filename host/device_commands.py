"""The commands that talk to a heater: status, set, start, stop, reset, config, history, events,
info, ping; and ports, which lists where a heater may be."""

import csv
import statistics
import sys
import time
from datetime import datetime, timedelta

import click

from . import display
from .firmware import error_codes as errors
from .firmware.settings import SETTINGS
from .link import DeviceRefused
from .ports import all_ports
from .temperature import TEMPERATURE
from .session import EXIT_REFUSED, Failure, Session, device_command, emit_json


def _ask_and_show(session, as_json, request, describe):
    """Send ``request``; print the reply as JSON, or as ``describe(reply)`` says for people."""
    reply = session.ask(request)
    if as_json:
        emit_json(reply)
    else:
        click.echo(describe(reply))


@click.command("status")
@device_command
def status_cmd(session, as_json):
    """Show the water temperature, the target and what the heater is doing.

    Exits 0 whenever the heater answered, in FAULT too (the state and the advice are in
    what it prints); `stoneheat wait-ready` is the command whose exit code tells a fault (4).
    """
    _ask_and_show(session, as_json, "status",
                  lambda s: "\n".join(display.status_lines(s, session.unit)))


@click.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("temperature", type=TEMPERATURE)
@click.option("--no-start", is_flag=True, help="Only change the target; do not start heating.")
@device_command
def set_cmd(session, as_json, temperature, no_start):
    """Set the stone temperature and start heating to it.

    TEMPERATURE is like 130F, 54.4C or 130 °F; a bare number is in your unit (--unit, or
    the STONEHEAT_UNIT environment variable; Celsius if neither is set).

    \b
      stoneheat set 130F
      stoneheat --unit F set 125
    """
    unit = session.unit
    try:
        reply = session.ask("target %s" % temperature.device_text)
    except DeviceRefused as e:
        if e.code == errors.OUT_OF_RANGE:
            low = session.ask("config get setpoint_min_c")["value"]
            high = session.ask("config get setpoint_max_c")["value"]
            e.message += temperature.other_unit_hint(unit, low, high)
        raise
    result = {"target_c": reply["target_c"]}
    if not no_start:
        try:
            result.update(session.ask("start"))
        except DeviceRefused as e:
            if e.code != "FAULT_LATCHED":
                raise
            raise Failure("Target set to %s, but the heater cannot start: %s Fix that, then run "
                          "`stoneheat reset` and `stoneheat start`."
                          % (display.temp(reply["target_c"], unit), _fault_text(session)),
                          EXIT_REFUSED, e.code, as_json)
    if as_json:
        emit_json(result)
        return
    target = display.temp(reply["target_c"], unit)
    if no_start:
        click.echo("Target set to %s." % target)
    elif result.get("cooling"):
        click.echo("Target %s is below the water: the heater stays off while the bath cools, "
                   "and the stones are hotter than that meanwhile: cooling takes far longer "
                   "than heating. `stoneheat watch` shows the water as it falls." % target)
    else:
        click.echo("Heating to %s. `stoneheat wait-ready` tells you when the stones are ready."
                   % target)


def _fault_text(session):
    s = session.ask("status")
    return display.fault_message(s["fault"]) if s.get("fault") else "it is in FAULT."


@click.command("start")
@device_command
def start_cmd(session, as_json):
    """Start heating to the target."""
    _ask_and_show(session, as_json, "start",
                  lambda r: "Heating to %s." % display.temp(r["target_c"], session.unit))


@click.command("stop")
@device_command
def stop_cmd(session, as_json):
    """Switch the heater off (the water then cools slowly)."""
    _ask_and_show(session, as_json, "stop", lambda r: (
        "Heater off; a fault is still latched (`stoneheat status` says which)."
        if r["state"] == "FAULT" else
        "Heater off. The water and the stones stay hot for a long while."))


@click.command("reset")
@device_command
def reset_cmd(session, as_json):
    """Clear a latched fault, once its cause is fixed and the water is safe.

    The heater stays off afterwards: run `stoneheat start` to heat again.
    """
    _ask_and_show(session, as_json, "reset", lambda r: (
        "Fault cleared; the heater is idle. Run `stoneheat start` to heat again."))


@click.group("config")
def config_group():
    """Read or change the heater's settings (temperatures in C, times in s).

    Every setting has bounds built into the firmware; a value outside them is refused and
    nothing changes.
    """


@config_group.command("get")
@click.argument("name", required=False)
@device_command
def config_get_cmd(session, as_json, name):
    """Show one setting with its bounds, or all of them."""
    if name is not None:
        reply = session.ask("config get %s" % name)
        if as_json:
            emit_json(reply)
            return
        click.echo("%s = %g  (default %g, allowed %g to %g): %s" % (
            reply["name"], reply["value"], reply["default"], reply["min"], reply["max"],
            reply["help"]))
        return
    values = session.ask("config get")["values"]
    if as_json:
        emit_json({n: {"value": v[0], "min": v[1], "max": v[2]} for n, v in values.items()})
        return
    click.echo("%-20s %10s   %-15s %s" % ("setting", "value", "allowed", "what it does"))
    for n in sorted(values):
        value, low, high = values[n]
        what = SETTINGS[n][3] if n in SETTINGS else ""
        click.echo("%-20s %10g   %-15s %s" % (n, value, "%g to %g" % (low, high), what))


@config_group.command("set")
@click.argument("pairs", nargs=-1, required=True, metavar="NAME VALUE [NAME VALUE]...")
@device_command
def config_set_cmd(session, as_json, pairs):
    """Change one or more settings at once: all of them, or none if one is refused.

    A technician command: the heater asks for the PIN (STONEHEAT_PIN, or a prompt) unless
    `stoneheat unlock` was run in the last 10 minutes. The change is kept on the heater's
    flash within a minute.

    \b
      stoneheat config set ready_band_c 0.3
      stoneheat config set setpoint_max_c 55 cutoff_c 58
    """
    if len(pairs) % 2:
        raise click.UsageError("give settings as NAME VALUE pairs")
    reply = session.ask_technician("config set %s" % " ".join(pairs))
    if as_json:
        emit_json(reply)
        return
    for n, v in reply["values"].items():
        click.echo("%s = %g" % (n, v))


@click.command("history")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (one row per sample) for a spreadsheet.")
@device_command
def history_cmd(session, as_json, as_csv):
    """The last hour of the bath: one sample every 10 s.

    Columns: time (this computer's clock), uptime_s (the heater's), temp_c, target_c,
    heater_duty (0 to 1), state.
    """
    rows = _fetch_history(session)
    if as_json:
        emit_json({"samples": rows})
        return
    if as_csv:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["time", "uptime_s", "temp_c", "target_c", "heater_duty", "state"])
        for r in rows:
            out.writerow([r["time"], r["uptime_s"], "" if r["temp_c"] is None else r["temp_c"],
                          r["target_c"], r["heater_duty"], r["state"]])
        return
    click.echo("%-8s %-22s %-10s %6s  %s" % ("time", "water", "target", "heater", "state"))
    for r in rows:
        click.echo("%-8s %-22s %-10s %5d%%  %s" % (
            r["time"][11:19], display.temp(r["temp_c"], session.unit),
            display.temp(r["target_c"], session.unit, both=False),
            round(100 * r["heater_duty"]), r["state"]))


def _fetch_history(session):
    """Every sample the heater holds, page by page, each with this computer's time."""
    rows = []
    first = 0
    while True:
        page = session.ask("history %d" % first)
        now = datetime.now().astimezone()
        period, uptime = page["period_s"], page.get("uptime_s")
        for seq, temp_c, target_c, duty, state in page["samples"]:
            at_s = seq * period
            when = now - timedelta(seconds=max(0, uptime - at_s)) if uptime is not None else None
            rows.append({"seq": seq, "time": when.isoformat(timespec="seconds") if when else "",
                         "uptime_s": at_s, "temp_c": temp_c, "target_c": target_c,
                         "heater_duty": duty, "state": state})
        if not page["samples"] or page["samples"][-1][0] + 1 >= page["count"]:
            return rows
        first = page["samples"][-1][0] + 1


@click.command("events")
@device_command
def events_cmd(session, as_json):
    """What the heater remembers, oldest first, across power cuts: faults, resets, boots,
    setting changes, calibrations, autotunes.

    The heater has no clock: each event has the boot it happened in and the time since that
    boot; events of the current boot also get this computer's time.
    """
    events, boot, uptime_s = _fetch_events(session)
    if as_json:
        emit_json({"boot": boot, "uptime_s": uptime_s, "events": [
            {"seq": e[0], "boot": e[1], "uptime_s": e[2], "code": e[3], "value_c": e[4],
             "note": e[5]} for e in events]})
        return
    if not events:
        click.echo("No events stored.")
    now = datetime.now().astimezone()
    for seq, ev_boot, at_s, code, value, note in events:
        when = ((now - timedelta(seconds=max(0, uptime_s - at_s))).strftime("%Y-%m-%d %H:%M")
                if ev_boot == boot else "")
        click.echo("boot %-4d +%-8s %-16s %-20s %-10s %s" % (
            ev_boot, _ago(at_s), when, code,
            display.temp(value, session.unit, both=False) if value is not None else "", note))


def _fetch_events(session):
    events, first = [], 0
    while True:
        page = session.ask("events %d" % first)
        events.extend(page["events"])
        if not page["events"] or page["events"][-1][0] + 1 >= page["next"]:
            return events, page["boot"], page["uptime_s"]
        first = page["events"][-1][0] + 1


def _ago(seconds):
    s = int(seconds or 0)
    return "%dh%02dm" % (s // 3600, s // 60 % 60) if s >= 3600 else "%dm%02ds" % (s // 60, s % 60)


@click.command("info")
@device_command
def info_cmd(session, as_json):
    """Firmware version, sensor, uptime and how steady the control loop runs."""
    _ask_and_show(session, as_json, "info", _describe_info)


def _describe_info(reply):
    lines = ["firmware %s (protocol %d) on %s, sensor %s%s" % (
        reply["firmware"], reply["protocol"], reply["board"], reply["sensor"],
        " + " + reply["second_sensor"] if reply.get("second_sensor") else "")]
    if "uptime_s" in reply:
        loaded, writes = reply.get("settings_loaded"), reply.get("settings_writes") or 0
        lines.append("up %s (boot %s), settings at boot: %s%s" % (
            _ago(reply["uptime_s"]), reply.get("boot"), loaded,
            "" if loaded == "OK" else " (the defaults were in use)",
            ) + ("; written to the flash %d time%s since boot" % (writes, "" if writes == 1 else "s")
                 if writes else ""))
    cal = reply.get("calibration")
    lines.append("calibration: %s" % ("%d-point on %s" % (len(cal["points"]), cal["date"])
                                      if cal else "none (the probe's reading as it comes)"))
    lines.append("technician PIN: %s%s" % (
        "the factory PIN, change it with `stoneheat pin`" if reply.get("pin") == "factory"
        else "set", "; unlocked for %d s" % reply["unlocked_s"] if reply.get("unlocked_s")
        else "; LOCKED OUT after 5 wrong PINs in a row (unlock refused for up to 5 minutes)"
        if reply.get("locked_out") else ""))
    loop = reply.get("loop")
    if loop:
        lines.append("control loop: %d ticks of %d ms, late by %s ms typically, %s ms at p99, "
                     "%s ms at most" % (loop["ticks"], loop["period_ms"], loop["late_p50_ms"],
                                        loop["late_p99_ms"], loop["late_max_ms"]))
    return "\n".join(lines)


@click.command("ping")
@click.option("--count", type=click.IntRange(1, 100000), default=4, show_default=True,
              help="How many pings to send.")
@device_command
def ping_cmd(session, as_json, count):
    """Check the link: round-trip times of COUNT pings."""
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        session.ask("ping")
        times.append((time.perf_counter() - t0) * 1000.0)
    ordered = sorted(times)
    result = {"count": count, "median_ms": round(statistics.median(times), 3),
              "p99_ms": round(ordered[min(count - 1, int(0.99 * count))], 3),
              "max_ms": round(ordered[-1], 3)}
    if as_json:
        emit_json(result)
        return
    click.echo("%d replies: median %.2f ms, p99 %.2f ms, max %.2f ms" % (
        count, result["median_ms"], result["p99_ms"], result["max_ms"]))


@click.command("ports")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def ports_cmd(ctx, as_json):
    """List serial ports, marking those that look like a heater's USB connection.

    No heater yet? `stoneheat sim serve` runs a simulated one on a virtual port."""
    ports = all_ports()
    session = ctx.find_object(Session)
    if as_json or (session is not None and session.as_json):
        emit_json({"ports": ports})
        return
    if not ports:
        click.echo("No serial ports found. Plug in the heater's USB cable, or try a "
                   "simulated heater: `stoneheat sim serve`.")
        return
    line = "%-8s%-20s %-10s %s"
    click.echo(line % ("", "port", "USB id", "bridge or description"))
    for p in ports:
        click.echo((line % ("heater?" if p["heater"] else "", p["port"], p["usb_id"] or "-",
                            p["bridge"] or p["description"] or "-")).rstrip())
    if not any(p["heater"] for p in ports):
        click.echo("None looks like a heater's USB bridge: plug the heater in, or give --port "
                   "(`stoneheat sim serve` prints the port of a simulated heater).")


COMMANDS = (status_cmd, set_cmd, start_cmd, stop_cmd, reset_cmd, config_group, history_cmd,
            events_cmd, info_cmd, ping_cmd, ports_cmd)
