"""``stoneheat sim``: the simulated heater, running the firmware's own control code."""

import contextlib
import dataclasses
import os
import sys
import textwrap

import click

from .firmware.controller import HeaterController
from .firmware.errors import SettingError
from .firmware.units import c_to_f
from .temperature import TEMPERATURE
from .firmware.limits import DEFAULT_CUTOFF_C
from .session import emit_json
from .firmware.settings import SETTINGS, Settings
from .sim.family import BATH_HELP, as_dict, bath_spec, describe, outside_range, parse_bath
from .sim import fault_envelope
from .sim.family import bath_family
from .sim.faults import FAULT_KINDS, parse_fault, plain_number
from .sim.plant import PlantParams
from .sim.micropython_runtime import MicroPythonMissing
from .sim import metrics
from .sim.runner import CONTROLLERS, DAY_MS, DT_S, RUNTIMES, run
from .sim.scenarios import HOUR, MINUTE, SCENARIOS


def _listing(rows, width):
    """Name-and-description lines for a help epilog (shown verbatim after click's \\b), each
    wrapped under its description to 77 columns, click indenting the epilog 2 more: a terminal
    is 80 wide (issue 15)."""
    lines = []
    for name, text in rows:
        lines += textwrap.wrap(text, 77, initial_indent="  %-*s " % (width, name),
                               subsequent_indent=" " * (width + 3))
    return "\n".join(lines)


def _scenario_help():
    return _listing(((name, s.description) for name, s in SCENARIOS.items()), 8)


@click.group()
def sim():
    """Simulate a heater: the firmware's own code on a model bath.

    The bath is the reference plant of docs/simulator.md (or any bath of the product's
    range, --bath). `run`, `faults` and `bench` run it on a virtual clock, many thousand
    times faster than real time; `serve` runs a heater you drive like a real one, in real time
    unless you give it --speed.
    """


def _target_option(f):
    return click.option(
        "--target", "target", metavar="TEMP", default=None, type=TEMPERATURE,
        help="Setpoint, e.g. 130F or 54.4C (a bare number is in your unit: --unit or "
             "STONEHEAT_UNIT, else C). Default: 130F.")(f)


def _fault_option(ctx, param, specs):
    """``--fault NAME@SECONDS`` (repeatable) as ``[(FaultKind, seconds)]``, or a usage error
    naming the faults."""
    for spec in specs:
        name = spec.partition("@")[0]
        if "+" in name:  # a pair's name, as `sim faults` prints it
            first, _, second = name.partition("+")
            raise click.BadParameter(
                "%r is a pair: give each fault its own --fault, at the same moment for the "
                "double fault (--fault %s@1800 --fault %s@1800)" % (spec, first, second))
    try:
        faults = [parse_fault(spec) for spec in specs]
    except ValueError as e:
        raise click.BadParameter(str(e))
    names = [kind.name for kind, _ in faults]
    if len(set(names)) < len(names):
        raise click.BadParameter("each fault once: %s" % ", ".join(names))
    return faults


def _bath_option(ctx, param, specs):
    """``--bath water_l=3,...`` as ``PlantParams``, or None for the scenario's own bath. Given
    more than once, the parts make one bath (the last one alone was taken, silently)."""
    if not specs:
        return None
    try:
        bath = parse_bath(",".join(specs))
    except ValueError as e:
        raise click.BadParameter(str(e))
    out = outside_range(bath)
    if out:
        click.echo("note: %s: outside the product's range of baths (it runs, as a what-if)"
                   % ", ".join(out), err=True)
    return bath


def bath_option(f):
    return click.option(
        "--bath", "bath", metavar="NAME=VALUE,...", callback=_bath_option, multiple=True,
        help="Run on this bath instead of the reference one: " + BATH_HELP + ".")(f)


def _resolve(scenario_name, target, bath=None, settings=None):
    """The scenario on ``bath`` at ``target``, which the firmware with ``settings`` accepts."""
    scenario = SCENARIOS[scenario_name]
    if bath is not None:
        scenario = dataclasses.replace(scenario, plant=bath)
    ctrl = HeaterController(Settings(settings) if settings else None)
    if target is None and settings:
        try:  # the scenario's own target, inside the range these settings allow
            ctrl.set_target_c(scenario.setpoint_c)
        except SettingError as e:
            raise click.UsageError("%s: %s; give a --target inside it" % (scenario_name, e))
    if target is not None:
        try:
            ctrl.set_target_c(target.celsius)  # the firmware's own bounds decide
        except SettingError as e:
            unit = target.device_text[-1]
            raise click.BadParameter(str(e) + target.other_unit_hint(
                unit, ctrl.settings["setpoint_min_c"], ctrl.settings["setpoint_max_c"]),
                param_hint="--target")
        scenario = dataclasses.replace(scenario, setpoint_c=target.celsius)
    return scenario


def _finite(ctx, param, value):
    if value is not None and value != value:  # FloatRange lets NaN through
        raise click.BadParameter("must be a number, not NaN")
    return value


def uptime_option(f):
    return click.option(
        "--uptime-days", "uptime_days", type=click.FloatRange(0, 3650), default=0.0,
        show_default=True, metavar="D", callback=_finite,
        help="Start the heater D days into its uptime, to see that unlock, lockout and flash "
             "timings survive months of running: its uptime clock starts there, and its "
             "wrapping tick counter (2**30 ms, 12.4 days) as far into its period, e.g. 6.2 "
             "(the counter's half), 12.4 (its wrap) or 60.")(f)


def _settings_option(ctx, param, pairs):
    """``--setting NAME=VALUE`` (repeatable) as a dict the firmware's own bounds accept."""
    values = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise click.BadParameter("%r: say NAME=VALUE" % pair)
        try:
            values[name.strip()] = plain_number(text)
        except ValueError:
            raise click.BadParameter("%s=%r is not a number" % (name.strip(), text.strip()))
    try:
        return dict(Settings(values).values) if values else None
    except SettingError as e:
        raise click.BadParameter(str(e))


@sim.command("run", epilog="Scenarios:\n\n\b\n" + _scenario_help())
@click.argument("scenario", type=click.Choice(sorted(SCENARIOS)))
@click.option("--controller", type=click.Choice(CONTROLLERS), default="firmware",
              show_default=True, help="The firmware's controller, or a model of a peer's.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the sensor noise; the same seed gives the same run.")
@click.option("--runtime", type=click.Choice(RUNTIMES), default="cpython", show_default=True,
              help="Run the firmware in this process, or its whole main loop in the real "
                   "micropython interpreter (software in the loop; slower).")
@_target_option
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, writable=True),
              callback=lambda ctx, param, value: _png_path(value),
              help="Also draw the run to this PNG file (.png is added to a name without one).")
@click.option("--fault", "fault", metavar="NAME@SECONDS", callback=_fault_option, multiple=True,
              help="Break something at that time; repeat it for a double fault. "
                   "`stoneheat sim faults --help` lists the faults.\n\n\b\n"
                   "--fault ssr-welded@1800\n"
                   "--fault frozen@1800 --fault ssr-welded@1800")
@bath_option
@click.option("--heated-before", is_flag=True,
              help="The heater has heated this bath to READY before: a heat-up of the same "
                   "bath runs first, and the firmware keeps that heat-up's slope, as a heater "
                   "keeps it on its flash (a probe out of the water from the start is judged "
                   "against it). Firmware in this process only.")
@click.option("--setting", "settings", multiple=True, metavar="NAME=VALUE",
              callback=_settings_option,
              help="Run the firmware with this setting (repeatable), e.g. the bath declared "
                   "at commissioning: --setting bath_water_l=6 --setting bath_stones_kg=3 "
                   "--setting bath_heater_w=1200.")
@uptime_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def run_cmd(scenario, controller, seed, runtime, target, plot_path, fault, bath, heated_before,
            settings, uptime_days, as_json):
    """Simulate SCENARIO and report how well the water was held.

    All figures are on the true water temperature of the simulated bath, not on what the
    controller measured. `full power` is the time the same bath needs at 100 % power: no
    controller can be faster.

    With --fault, the run exits 1 (and says why, on stderr) when the fault did not end safe:
    no code latched, the heater still on, or the water more than 1 C past the cutoff.
    """
    as_json = _json_wanted(as_json)
    sc = _resolve(scenario, target, bath, settings)
    if settings and controller != "firmware":
        raise click.UsageError("--setting is a setting of the firmware: --controller firmware")
    memory = None
    if heated_before:
        if controller != "firmware" or runtime != "cpython":
            raise click.UsageError("--heated-before needs --controller firmware and --runtime "
                                   "cpython")
        before = dataclasses.replace(SCENARIOS["heatup"], plant=sc.plant,
                                     setpoint_c=sc.setpoint_c)
        memory = run(before, seed=seed + 1)[0]["bath_memory"]
        if memory is None:
            click.echo("note: the heat-up before did not reach READY with a measured slope; "
                       "nothing to remember", err=True)
    try:
        result, trace = run(sc, controller, seed, faults=fault, record=bool(plot_path),
                            runtime=runtime, bath_memory=memory,
                            settings=Settings(settings) if settings else None,
                            uptime_ms=int(uptime_days * DAY_MS))
    except (ValueError, MicroPythonMissing) as e:
        raise click.UsageError(str(e))
    result["plant"] = as_dict(sc.plant)
    result["bath"] = bath_spec(sc.plant)
    if "fault" in result:
        cutoff_c = (Settings(settings) if settings else Settings())["cutoff_c"]
        result["safe"] = fault_envelope.stopped(result, cutoff_c)
    if plot_path:
        from .sim.plot import plot_run

        unit = click.get_current_context().find_root().obj.unit
        cutoff_c = (Settings(settings) if settings else Settings())["cutoff_c"]
        try:
            plot_run(result, trace, plot_path, sc, unit=unit, cutoff_c=cutoff_c)
        except OSError as e:
            raise click.FileError(plot_path, hint=str(e))
    if as_json:
        emit_json(result)
    else:
        click.echo(_describe(result, sc, click.get_current_context().find_root().obj.unit))
        if plot_path:
            click.echo("  plot              %s" % plot_path)
    if result.get("safe") is False:
        # As `sim faults` does: a script (or CI) running a what-if learns it from the exit code.
        click.echo("NOT SAFE: %s" % _unsafe_reason(result, cutoff_c), err=True)
        sys.exit(1)


def _unsafe_reason(r, cutoff_c):
    why = []
    if r["code"] is None:
        why.append("no fault latched")
    if not r["heater_off"]:
        why.append("the heater was still on at the end")
    if r["max_water_after_fault_c"] > cutoff_c + fault_envelope.MARGIN_ABOVE_CUTOFF_C:
        why.append("the water reached %.2f C, past the cutoff %.1f C + %.0f C"
                   % (r["max_water_after_fault_c"], cutoff_c,
                      fault_envelope.MARGIN_ABOVE_CUTOFF_C))
    return "%s: %s" % (r["fault"], "; ".join(why))


def _png_path(path):
    """The file --plot writes: a name without a suffix gets .png (the plotting library added
    it silently and the summary named a file that did not exist: issue 15); another suffix
    is refused rather than written as something else."""
    if path is None:
        return None
    name = os.path.basename(path)
    if not name or name.startswith("."):
        raise click.BadParameter("give the plot a file name, e.g. run.png (%r has none)" % path)
    suffix = os.path.splitext(path)[1]
    if not suffix:
        path += ".png"
    elif suffix.lower() != ".png":
        raise click.BadParameter("the plot is a PNG file: give a name ending in .png, not %s"
                                 % suffix)
    # Before the run, not after minutes of it: the folder must be there and writable.
    folder = os.path.dirname(path) or "."
    # Under /dev (or a link into it), or a device folder such as /dev/fd (in /proc).
    if any(p == top or p.startswith(top + "/") for p in (os.path.abspath(folder),
           os.path.realpath(folder)) for top in ("/dev", "/proc")):
        raise click.BadParameter("the plot goes to a file, not under /dev (%s)" % path)
    if not os.path.isdir(folder):
        raise click.BadParameter("there is no folder %s to write the plot in" % folder)
    if not os.access(folder, os.W_OK) or os.path.isdir(path) or (
            os.path.exists(path) and not os.access(path, os.W_OK)):
        raise click.BadParameter("cannot write %s (no permission)" % path)
    return path


def _minutes(s):
    return "never" if s is None else "%.1f min" % (s / 60.0)


def _title(r, sc):
    """The scenario's one line, about the bath and the target this run had (a title saying
    130 F over a run at --target 125F misled the issue 15 user)."""
    text = sc.description
    if sc.plant != SCENARIOS[r["scenario"]].plant:
        text = text.replace("the reference bath", "this bath")
    if abs(r["setpoint_c"] - SCENARIOS[r["scenario"]].setpoint_c) > 0.005:
        text = text.replace("130 F", "%.1f C (%.1f F)" % (r["setpoint_c"], c_to_f(r["setpoint_c"])))
    return "%s: %s" % (r["scenario"], text)


def _json_wanted(as_json):
    """--json after the command, or `stoneheat --json` before it (it was ignored there)."""
    root = click.get_current_context().find_root().obj
    return as_json or bool(getattr(root, "as_json", False))


def _temp(c, unit, digits=2):
    """A temperature of the summary in the user's unit first (``--unit F``), the other after."""
    f = c_to_f(c)
    if unit == "F":
        return "%.*f F / %.*f C" % (digits, f, digits, c)
    return "%.*f C" % (digits, c)


def _diff(dc, unit, form="%+.2f"):
    """A difference of temperatures (an overshoot, a band) in the user's unit first."""
    if unit == "F":
        return (form + " F / " + form + " C") % (c_to_f(dc) - c_to_f(0.0), dc)
    return (form + " C") % dc


def _describe(r, sc, unit="C"):
    sp = r["setpoint_c"]
    lines = [
        _title(r, sc),
        "bath %s" % describe(sc.plant),
        "controller %s on %s, seed %d: %.1f h simulated in %.2f s"
        % (r["controller"], r["runtime"], r["seed"], r["sim_s"] / 3600.0, r["wall_s"]),
        "",
        "  target            %s" % ("%.1f F (%.1f C)" % (c_to_f(sp), sp) if unit == "F" else
                                       "%.1f C (%.1f F)" % (sp, c_to_f(sp))),
    ]
    ratio = ""
    if r["ready_s"] is not None and r["full_power_s"]:
        ratio = " = %.2f x full power (%s)" % (r["ready_s"] / r["full_power_s"],
                                               _minutes(r["full_power_s"]))
    # A latched fault turns the heater off: say so rather than "never", and do not show the
    # peak to peak of a bath left to itself as if it were the controller's hold.
    first = r["faults"][0] if r["faults"] else None
    off_before_hold = first is not None and first["t_s"] < sc.steady_window[1]
    ready = _minutes(r["ready_s"])
    if r["ready_s"] is None and first is not None:
        ready = "never: %s latched at %.0f s and turned the heater off" % (first["code"],
                                                                            first["t_s"])
    lines.append("  ready after       %s%s" % (ready, ratio))
    if r["overshoot_c"] < 0:  # never reached the target: an overshoot of -15 C says nothing
        lines.append("  overshoot         - (the target was never reached; hottest water %s)"
                     % _temp(r["max_water_c"], unit))
    else:
        lines.append("  overshoot         %s (hottest water %s)" % (_diff(r["overshoot_c"], unit),
                                                                 _temp(r["max_water_c"], unit)))
    if off_before_hold:
        lines.append("  hold              - (the heater was off from %.0f s, %s)"
                     % (first["t_s"], first["code"]))
    elif r["band_c"] is not None:
        lines.append("  hold              %s peak to peak, mean %s (%s)"
                     % (_diff(r["band_c"], unit, "%.2f"), _diff(r["offset_c"], unit, "%+.3f"),
                        _window_text(sc)))
    if "recovery_s" in r:
        band = metrics.READY_BAND_C
        if r["recovery_s"] is not None and r["recovery_s"] <= DT_S:  # never left the band
            lines.append("  recovery          none needed: the water stayed within %.1f C of "
                         "the target through the first disturbance" % band)
        else:
            lines.append("  recovery          %s to be back within %.1f C of the target after the "
                         "first disturbance (at full power from then on: %s)"
                         % (_minutes(r["recovery_s"]), band,
                            _minutes(r["recovery_full_power_s"])))
    faults = ", ".join("%s at %.0f s" % (f["code"], f["t_s"]) for f in r["faults"]) or "none"
    lines.append("  faults            %s" % faults)
    if "fault" in r:
        when = " + ".join("%s at %.0f s" % (name, t) for name, t in
                          zip(r["fault"].split("+"), r["faults_at_s"]))
        lines.append("  injected          %s: %s" % (when, _fault_verdict(r, unit)))
    e = r["energy"]
    lines.append("  energy            in %.2f MJ = stored %.2f MJ + lost %.2f MJ"
                 % (e["in_j"] / 1e6, e["stored_j"] / 1e6, e["lost_j"] / 1e6))
    return "\n".join(lines)


def _fault_verdict(r, unit="C"):
    if r["max_water_after_fault_c"] is None:
        return "not injected: the run ended at %.0f s, before it was due" % r["sim_s"]
    if r["code"] is None:
        found = "NOT detected"
    else:
        found = "%s after %.2f s" % (r["code"], r["detect_latency_s"])
    hottest = r["max_water_after_fault_c"]
    return "%s; hottest water after it %s; heater %s" % (
        found, "-" if hottest is None else _temp(hottest, unit),
        "off" if r["heater_off"] else "STILL ON")


def _window_text(sc):
    a, b = sc.steady_window
    return "%.1f h to %.1f h" % (a / 3600.0, b / 3600.0)


BENCH_COLUMNS = (
    ("scenario", "%-8s", lambda r: r["scenario"]),
    ("controller", "%-10s", lambda r: r["controller"]),
    ("ready/fp", "%8s", lambda r: "-" if r["ready_s"] is None else "%.3f" % (r["ready_s"] / r["full_power_s"])),
    ("overshoot", "%9s", lambda r: "%.3f" % r["overshoot_c"]),
    ("band", "%6s", lambda r: "-" if r["band_c"] is None else "%.3f" % r["band_c"]),
    ("offset", "%7s", lambda r: "-" if r["offset_c"] is None else "%+.3f" % r["offset_c"]),
    ("recovery", "%9s", lambda r: "-" if r.get("recovery_s") is None else "%.0f s" % r["recovery_s"]),
    ("faults", "%6s", lambda r: str(len(r["faults"]))),
    ("wall", "%6s", lambda r: "%.2f" % r["wall_s"]),
)


@sim.command("bench")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the sensor noise and, with --plants, of the family of baths.")
@click.option("--scenario", "scenarios", multiple=True, type=click.Choice(sorted(SCENARIOS)),
              help="Only these scenarios (repeatable). Default: all. Not with --plants.")
@click.option("--controller", "controllers", multiple=True, type=click.Choice(CONTROLLERS),
              help="Only these controllers (repeatable). Default: all.")
@click.option("--plants", type=click.IntRange(1, 1000), default=None, metavar="N",
              help="Run a seeded family of N baths (3-17 L, 0-5 kg of stones, 800-1500 W, "
                   "mains +-10 %, probe lag 1-8 s, mixing 5-30 s) instead of the reference "
                   "bath, and print the worst case of each figure per controller.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Processes to share the runs with --plants (default: one per CPU).")
@bath_option
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON list of run results (with --plants, each names its bath "
                   "in `plant`).")
def bench_cmd(seed, scenarios, controllers, plants, jobs, bath, as_json):
    """Every scenario under every controller, side by side, on the same bath and seed.

    `ready/fp` is the time to ready divided by the full-power time of the same bath;
    overshoot, band (peak to peak) and offset (mean error) are in C on the true water.

    With --plants N, every controller runs the `stones` scenario on each of N baths drawn
    (Latin hypercube, seeded) from the product's range, and the table shows each figure's
    worst case over the family and the bath it came from.
    """
    as_json = _json_wanted(as_json)
    if plants is not None:
        if bath is not None:
            raise click.UsageError("--bath does not go with --plants (the family brings its "
                                   "baths)")
        if scenarios:
            raise click.UsageError("--scenario does not go with --plants (the family runs "
                                   "the `stones` scenario)")
        _bench_family(plants, seed, controllers or CONTROLLERS, jobs, as_json)
        return
    if jobs is not None:
        raise click.UsageError("--jobs goes with --plants")
    chosen = {name: _resolve(name, None, bath) for name in (scenarios or SCENARIOS)}
    jobs = [(s, c) for s in chosen for c in (controllers or CONTROLLERS)]
    results = []
    if sys.stderr.isatty():  # progress for a person; nothing for a pipe or a log
        with click.progressbar(jobs, label="simulating", file=sys.stderr,
                               item_show_func=lambda j: j and "%s/%s" % j) as bar:
            for scenario, controller in bar:
                results.append(run(chosen[scenario], controller, seed)[0])
    else:
        for scenario, controller in jobs:
            results.append(run(chosen[scenario], controller, seed)[0])
    for r in results:
        r["plant"], r["bath"] = as_dict(chosen[r["scenario"]].plant), bath_spec(chosen[r["scenario"]].plant)
    if as_json:
        emit_json(results)
        return
    click.echo("  ".join(fmt % name for name, fmt, _ in BENCH_COLUMNS))
    for r in results:
        click.echo("  ".join(fmt % get(r) for _, fmt, get in BENCH_COLUMNS))
    click.echo("")
    click.echo(bench_verdict(results))


def _bench_family(n, seed, controllers, workers, as_json):
    from .sim import family_bench

    # Progress for a person; nothing for a pipe or a log.
    tty = sys.stderr.isatty()
    bar = (click.progressbar(length=n * len(controllers), label="simulating %d baths" % n,
                             file=sys.stderr) if tty else contextlib.nullcontext())
    with bar:
        results = family_bench.run_family(
            n, seed, controllers, workers,
            progress=(lambda done, total: bar.update(1)) if tty else None)
    if as_json:
        emit_json(results)
        return
    table = family_bench.worst_cases(results)
    names = [f[0] for f in family_bench.FIGURES] + [family_bench.ESTIMATE[0]]
    click.echo("worst case over %d baths (family seed %d), `stones` scenario\n" % (n, seed))
    click.echo("%-10s " % "controller" + " ".join("%12s" % name for name in names))
    for controller, row in table.items():
        click.echo("%-10s " % controller + " ".join(
            "%12s" % (family_bench.format_value(name, row[name][0]) if name in row else "-")
            for name in names))
    click.echo("\nwhere the firmware's worst cases are:")
    fw = table.get("firmware", {})
    for name, what, _ in family_bench.FIGURES + (family_bench.ESTIMATE,):
        if name in fw and fw[name][0] > 0:
            click.echo("  %-12s %-42s %s" % (name, what, family_bench.describe_bath(fw[name][1])))
    click.echo("")
    for line in family_bench.verdict(table):
        click.echo(line)


def bench_verdict(results):
    """Does the firmware beat every baseline on overshoot and band, scenario by scenario?"""
    lines = []
    by = {(r["scenario"], r["controller"]): r for r in results}
    for scenario in dict.fromkeys(r["scenario"] for r in results):
        fw = by.get((scenario, "firmware"))
        if fw is None:
            continue
        for other in CONTROLLERS[1:]:
            b = by.get((scenario, other))
            if b is None:
                continue
            wins = []
            for key in ("overshoot_c", "band_c"):
                if fw[key] is not None and b[key] is not None:
                    wins.append("%s %s" % (key[:-2], "better" if fw[key] < b[key] else "NOT better"))
            lines.append("%-8s firmware vs %-10s %s" % (scenario, other, ", ".join(wins)))
    return "\n".join(lines)


def _fault_row_text(r):
    lat = r["detect_latency_s"]
    return "%-20s %-8s %-20s %9s %9s %4s %5s" % (
        r["fault"], r.get("moment", "-"), r["code"] or "-",
        "-" if lat is None else "%.2f s" % lat,
        "-" if r["max_water_c"] is None else "%.2f C" % r["max_water_c"],
        "yes" if r["heater_off"] else "NO", "yes" if r["safe"] else "NO")


@sim.command("faults", epilog="Faults:\n\n\b\n" + _listing(
    ((k.name, k.description) for k in FAULT_KINDS.values()), 14) + "\n\nDouble faults:\n\n\b\n"
    + _listing(((name, fault_envelope.DOUBLE_DESCRIPTIONS[name])
                for name, _, _ in fault_envelope.DOUBLE_FAULTS), 20)
    + "\n\nMoments:\n\n\b\n  " + ", ".join(fault_envelope.MOMENTS))
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the sensor noise and, with --plants, of the family of baths.")
@click.option("--plants", type=click.IntRange(1, 1000), default=None, metavar="N",
              help="Run the matrix on a seeded family of N baths of the product's range and "
                   "print, per fault, the worst case and the bath and moment it came from.")
@bath_option
@click.option("--moment", "moments", multiple=True, type=click.Choice(fault_envelope.MOMENTS),
              help="Only at these moments (repeatable). Default: every moment.")
@click.option("--fault", "names", multiple=True, metavar="FAULT",
              type=click.Choice(list(FAULT_KINDS) + [d[0] for d in fault_envelope.DOUBLE_FAULTS]),
              help="Only these faults (repeatable; the names below). Default: all, and the "
                   "double faults.")
@click.option("--setting", "settings", multiple=True, metavar="NAME=VALUE",
              callback=_settings_option,
              help="Run with this firmware setting (repeatable), e.g. watch_s=240: the matrix "
                   "must stay safe at each end of every safety setting's range. The safety "
                   "settings and their ranges: " + ", ".join(
                       "%s %g-%g" % (name, SETTINGS[name][1], SETTINGS[name][2])
                       for name in sorted(fault_envelope.GOVERNS)) + ".")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Processes to share the runs (default: one per CPU).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON list: one object per run, or with --plants one per fault.")
def faults_cmd(seed, plants, bath, moments, names, settings, jobs, as_json):
    """Break each part in turn, at every moment of a day, and report whether it ended safe.

    Every fault of the matrix (and the named double faults) is injected into a heat-up of a
    bath to 130 F at each moment: mid heat-up, at hold (READY), just after 1.5 kg of cold
    stones, just after 1 L of cold water, with the lid off. Each run goes on 20 minutes after
    the fault (half an hour for a weld, which the relay's rests hold off while no heat is
    wanted, an hour for low water and a dead element, which the held water makes harmless
    meanwhile). `safe` means a code that stops the fault latched (the expected one, or one
    counted as named otherwise: TC_OPEN for a loose connector, SSR_WELDED or OVER_TEMP for low
    water, HEATING_WATCH for a weld, whose hold opens the relay), the heater ended off, and the
    true water never passed the cutoff + 1 C (61 C at the defaults).

    \b
    Examples:
      stoneheat sim faults                        the reference bath, every moment
      stoneheat sim faults --plants 50 --json     50 baths of the product's range
      stoneheat sim faults --bath water_l=3,heater_w=1500,mains=1.1 --moment ready
      stoneheat sim faults --plants 8 --setting watch_s=240
    """
    as_json = _json_wanted(as_json)
    if plants is not None and bath is not None:
        raise click.UsageError("--bath does not go with --plants (the family brings its baths)")
    baths = bath_family(plants, seed) if plants is not None else [bath or PlantParams()]
    doubles = [d for d in fault_envelope.DOUBLE_FAULTS if not names or d[0] in names]
    singles = fault_envelope.single_specs(names or None)
    specs = singles + doubles
    if not specs:
        raise click.UsageError("no fault chosen")
    moments = tuple(dict.fromkeys(moments))  # a moment named twice runs once
    job_list = fault_envelope.jobs_for(baths, moments or fault_envelope.MOMENTS, specs,
                                       settings, seed, doubles=False)
    tty = sys.stderr.isatty()  # progress for a person; a line now and then for a log
    bar = (click.progressbar(length=len(job_list), label="%d runs" % len(job_list),
                             file=sys.stderr) if tty else contextlib.nullcontext())

    def progress(done, total):
        if tty:
            bar.update(1)
        elif done % 100 == 0 or done == total:
            click.echo("%d/%d runs" % (done, total), err=True)

    with bar:
        rows = fault_envelope.run_jobs(job_list, jobs, progress)
    if plants is not None:
        rows = fault_envelope.worst_by_fault(rows)
    if as_json:
        emit_json(rows)
    else:
        _print_fault_rows(rows, plants, seed, moments or fault_envelope.MOMENTS, settings)
    if not all(r["safe"] for r in rows):
        click.echo("NOT SAFE: %s" % ", ".join(sorted({r["fault"] for r in rows if not r["safe"]})),
                   err=True)
        sys.exit(1)


def _print_fault_rows(rows, plants, seed, moments, settings):
    changed = ""
    if settings:
        defaults = Settings()
        changed = ", with " + ", ".join("%s=%g" % (k, v) for k, v in settings.items()
                                         if v != defaults[k])
    if plants is not None:
        _print_family_rows(rows, plants, seed, moments, changed)
        return
    if changed:
        click.echo("with" + changed[6:] + "\n")
    click.echo("%-20s %-8s %-20s %9s %9s %4s %5s" % (
        "fault", "moment", "detected", "latency", "max water", "off", "safe"))
    for r in rows:
        click.echo(_fault_row_text(r))


def _print_family_rows(rows, plants, seed, moments, changed):
    """The worst case of each fault over the family, 80 columns wide: the baths it came from
    are lettered once below the table (a bath's spec is 90 characters; each row used to carry
    two, 295 columns in all: issue 15), with the runs that were unsafe or named otherwise."""
    click.echo("worst case over %d bath%s (family seed %d) at %s%s\n" % (
        plants, "" if plants == 1 else "s", seed,
        "every moment" if len(moments) == len(fault_envelope.MOMENTS) else ", ".join(moments),
        changed))
    letters = {}

    def letter(at):
        if at is None:
            return "-"
        spec = bath_spec(PlantParams(**at["plant"]))
        letters.setdefault(spec, chr(ord("A") + len(letters)) if len(letters) < 26
                           else str(len(letters) + 1))
        return "%s@%s" % (letters[spec], at["moment"])

    click.echo("%-19s %4s %6s %5s %9s %7s %4s  %s" % (
        "fault", "runs", "unsafe", "other", "latency", "max", "safe", "hottest slowest"))
    for r in rows:
        lat, hot = r["detect_latency_s"], r["max_water_c"]
        click.echo("%-19s %4d %6d %5d %9s %7s %4s  %s %s" % (
            r["fault"], r["runs"], r["unsafe"], r["misnamed"],
            "-" if lat is None else "%.2f s" % lat, "-" if hot is None else "%.2f C" % hot,
            "yes" if r["safe"] else "NO", letter(r["max_water_at"]), letter(r["latency_at"])))
        click.echo("%-19s codes: %s" % ("", ", ".join(c or "none" for c in r["codes"])))
    click.echo("\n" + textwrap.fill(
        "unsafe: runs past the cutoff + 1 C, with the heater on or with no code; other: safe "
        "runs named otherwise than expected; max: the hottest water; latency: the slowest "
        "code. The baths (rerun one with `stoneheat sim run SCENARIO --bath`):", 79))
    for spec, mark in letters.items():
        click.echo("  %s  %s" % (mark, spec))


@sim.command("serve")
@click.option("--speed", type=click.FloatRange(0.1, 1000), default=1.0, show_default=True,
              callback=_finite,
              help="How many times faster than real time the simulated clock runs "
                   "(60: a minute of heating every second).")
@click.option("--port-file", type=click.Path(dir_okay=False, writable=True),
              help="Also write the port's path to this file once the heater answers.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the sensor noise.")
@click.option("--fault", metavar="NAME@SECONDS", callback=_fault_option, multiple=True,
              help="Break something that many simulated seconds after start, e.g. tc-open@600 "
                   "(repeatable).")
@click.option("--runtime", type=click.Choice(RUNTIMES), default="cpython", show_default=True,
              help="Run the firmware's main loop in this process, or in the real micropython "
                   "interpreter (software in the loop).")
@click.option("--probe-bias", "probe_bias_c", type=click.FloatRange(-10, 10), default=0.0,
              show_default=True,
              help="A probe that reads this many C too high: something to calibrate away.")
@click.option("--state-dir", type=click.Path(file_okay=False),
              help="A folder that stands for the heater's flash: settings, PIN, calibration and "
                   "events survive a restart there (default: kept in memory only).")
@uptime_option
@click.option("--thermometer", is_flag=True,
              help="Also print what a reference thermometer in the bath reads (the true water) "
                   "every 10 s of real time: practise `stoneheat calibrate` with it.")
@click.option("--quiet", is_flag=True, help="Print only the port line, not each change of state.")
def serve_cmd(speed, port_file, seed, fault, runtime, probe_bias_c, state_dir, uptime_days,
              thermometer, quiet):
    """Run a simulated heater on a virtual serial port, until Ctrl-C.

    The firmware's own main loop runs on a simulated bath of 6 L and 3 kg of stones, starting at
    20 C, with its console on a pseudo-terminal. Once it answers, this prints
    `port: /dev/pts/N`; drive it from another terminal exactly as a real heater:

    \b
      stoneheat --port /dev/pts/N set 130F
      stoneheat --port /dev/pts/N watch
    """
    from .serve_log import serve_simulated_heater

    try:
        if state_dir:
            os.makedirs(state_dir, exist_ok=True)
        serve_simulated_heater(speed, port_file, seed, fault, quiet, runtime, probe_bias_c,
                               state_dir, int(uptime_days * DAY_MS), thermometer)
    except MicroPythonMissing as e:
        raise click.UsageError(str(e))
