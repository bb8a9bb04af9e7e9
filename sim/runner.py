"""Run a controller against the simulated bath on a virtual clock and measure the result.

Each period (250 ms): disturbances due now happen, the simulated chip encodes a frame from the
probe, the controller ticks on it, and the plant advances with the heater powered only if both
the SSR and the safety relay are on. Figures are taken on the true water temperature.
"""

import time
from array import array

from ..firmware.access import FACTORY_PIN
from ..firmware.console import round_or_none
from ..firmware.controller import HeaterController
from ..firmware.protocol import MAX_LINE
from ..firmware.settings import Settings
from ..firmware.ticks import TICKS_PERIOD
from . import metrics
from .baselines import Thermostat, ZieglerNicholsPID, relay_autotune
from .faults import element_powered, inject
from .micropython_runtime import MicroPythonFirmware
from .plant import BathPlant
from .sensor import SimulatedMax31855

PERIOD_MS = 250
DT_S = PERIOD_MS / 1000.0
CONTROLLERS = ("firmware", "thermostat", "zn-pid")
# The virtual tick counter starts a minute before it wraps, so every run crosses a wrap-around.
TICKS_START = TICKS_PERIOD - 60000
DAY_MS = 86400000


def ticks_start(uptime_ms=0):
    """The board's tick counter at the start of a run ``uptime_ms`` into the heater's uptime:
    that far into its wrapping period, as ``time.ticks_ms`` would be; a run from boot starts a
    minute before a wrap instead, so every run crosses one."""
    return uptime_ms % TICKS_PERIOD if uptime_ms else TICKS_START
TICKS_MASK = TICKS_PERIOD - 1

_autotune_cache = {}


RUNTIMES = ("cpython", "micropython")


def make_controller(name, scenario, seed, settings=None, runtime="cpython", uptime_ms=0):
    """A controller of the named kind, started towards the scenario's setpoint. The firmware
    runs in process (``cpython``) or, main loop and all, in the real ``micropython``;
    ``uptime_ms``: how long it has been up already."""
    if runtime not in RUNTIMES:
        raise ValueError("unknown runtime %r (choose from %s)" % (runtime, ", ".join(RUNTIMES)))
    if runtime == "micropython":
        if name != "firmware":
            raise ValueError("only the firmware runs under micropython, not %r" % name)
        setup = ["target %.6fC" % scenario.setpoint_c]
        if settings is not None:
            setup += ["unlock %s" % FACTORY_PIN] + _config_lines(settings)
        fw = MicroPythonFirmware(setup + ["start"], uptime_ms=uptime_ms)
        fw.settings = settings if settings is not None else fw.settings
        return fw
    if name == "firmware":
        ctrl = HeaterController(settings if settings is not None else Settings())
        ctrl.uptime_ms = uptime_ms
        ctrl.set_target_c(scenario.setpoint_c)
    elif name == "thermostat":
        ctrl = Thermostat(scenario.setpoint_c)
    elif name == "zn-pid":
        key = (scenario.plant, scenario.setpoint_c, seed)
        if key not in _autotune_cache:
            # The peer's workflow: autotune once on this very bath, then run with those gains.
            _autotune_cache[key] = relay_autotune(
                BathPlant(scenario.plant, DT_S), SimulatedMax31855(seed), scenario.setpoint_c)
        ku, tu = _autotune_cache[key]
        ctrl = ZieglerNicholsPID(scenario.setpoint_c, ku, tu)
    else:
        raise ValueError("unknown controller %r (choose from %s)" % (name, ", ".join(CONTROLLERS)))
    ctrl.start()
    return ctrl


def _config_lines(settings):
    """``config set`` lines, each within the console's line limit, for the settings that differ
    from the defaults (a refused line makes the setup fail, with the firmware's reason)."""
    defaults = Settings()
    lines, line = [], "config set"
    for name, value in settings.values.items():
        if value == defaults[name]:
            continue
        pair = " %s %r" % (name, value)
        if len(line) + len(pair) > MAX_LINE and line != "config set":
            lines.append(line)
            line = "config set"
        line += pair
    return lines + ([line] if line != "config set" else [])


class Trace:
    """What a run recorded, one sample per period: the water and the heater always, the
    measured temperature and the duty when asked for (a plot)."""

    def __init__(self):
        self.water_c = array("d")
        self.measured_c = array("d")
        self.duty = array("d")
        self.heater_on = bytearray()

    def time_s(self, i):
        return (i + 1) * DT_S


def run(scenario, controller="firmware", seed=0, settings=None, sensor_noise_c=0.1, faults=(),
        glitch_rate=0.0, record=False, runtime="cpython", bath_memory=None, uptime_ms=0):
    """Simulate ``scenario`` under ``controller``; returns (result dict, Trace).

    ``faults``: ``(FaultKind, seconds)`` pairs from ``sim.faults.parse_fault``: what breaks, and
    when (several for a double fault; the first one due is the one the figures are taken from).
    ``glitch_rate`` is the share of reads that a healthy wire still gets wrong. The trace always
    holds the water and the heater; ``record`` adds the measured temperature and the duty, which
    only a plot needs. ``runtime="micropython"`` runs the firmware's main loop in the real
    interpreter, in lockstep. ``bath_memory``: what an earlier heat-up of this bath left on the
    heater's flash (an earlier run's ``bath_memory``), for the firmware in this process.
    ``uptime_ms``: the heater has been up this long when the run starts (its tick counter that
    far into its wrapping period): what months of uptime do to the firmware's clock.
    """
    ctrl = make_controller(controller, scenario, seed, settings, runtime, uptime_ms)
    if bath_memory is not None:
        if runtime != "cpython" or controller != "firmware":
            raise ValueError("bath_memory is for the firmware in this process")
        ctrl.remember_bath(bath_memory)
    try:
        return _run(scenario, controller, seed, sensor_noise_c,
                    _in_name_order(faults), glitch_rate, record, runtime, ctrl,
                    ticks_start(uptime_ms))
    finally:
        if runtime == "micropython":
            ctrl.close()


def _run(scenario, controller, seed, sensor_noise_c, injected, glitch_rate, record, runtime, ctrl,
         start_ms=TICKS_START):
    wall0 = time.perf_counter()
    plant = BathPlant(scenario.plant, DT_S)
    sensor = SimulatedMax31855(seed, noise_c=sensor_noise_c, glitch_rate=glitch_rate)
    full_power_s = plant.full_power_time_s(scenario.setpoint_c - metrics.READY_BAND_C)
    board_c = plant.ambient_c + plant.params.board_above_ambient_c
    cutoff_c = ctrl.settings["cutoff_c"] if controller == "firmware" else Settings()["cutoff_c"]
    n = int(round(scenario.duration_s / DT_S))
    events = list(scenario.events)
    trace = Trace()
    water, measured, duty, heat = trace.water_c, trace.measured_c, trace.duty, trace.heater_on
    faults = []
    last_fault = None
    on_above_cutoff = 0
    recovery_fp_s = None
    disturbance_i = None
    now = start_ms
    ev = 0
    next_event_s = events[0].t_s if events else float("inf")
    pending = list(injected)
    fault_at_s = pending[0][1] if pending else float("inf")
    fault_i = None
    wiring = None  # "ssr-welded" or "element-open" once injected
    # The firmware's own READY and its time-to-ready estimate, once a simulated second.
    estimate = getattr(ctrl, "ready_in_s", None)
    estimates = array("d")
    ready_state_i = None
    # Bound once: this loop runs 115 200 times for an 8-hour day.
    tick, frame, step = ctrl.tick, sensor.frame, plant.step
    nan = float("nan")
    for i in range(n):
        t_s = i * DT_S
        if t_s >= next_event_s:
            while ev < len(events) and events[ev].t_s <= t_s:
                if disturbance_i is None:
                    disturbance_i = i
                    recovery_fp_s = _full_power_recovery_s(plant, events[ev:], t_s, scenario)
                events[ev].apply(plant)
                ev += 1
            next_event_s = events[ev].t_s if ev < len(events) else float("inf")
        while t_s >= fault_at_s:
            wiring = inject(pending.pop(0)[0], plant, sensor) or wiring
            fault_i = i if fault_i is None else fault_i
            fault_at_s = pending[0][1] if pending else float("inf")
        powered = tick(now, frame(plant.probe_c, board_c)) and ctrl.relay_on
        if wiring is not None:
            powered = element_powered(wiring, powered, ctrl.relay_on)
        if estimate is not None and ready_state_i is None:
            if ctrl.state == "READY" and disturbance_i is None:
                ready_state_i = i
            elif i % 4 == 0:
                e = estimate()
                estimates.append(nan if e is None else e)
        if ctrl.fault != last_fault:
            if ctrl.fault is not None:
                faults.append({"code": ctrl.fault, "t_s": t_s})
            last_fault = ctrl.fault
        step(powered)
        w = plant.water_c
        if powered and w >= cutoff_c:
            on_above_cutoff += 1
        water.append(w)
        heat.append(powered)
        if record:
            m = ctrl.temp_c
            measured.append(nan if m is None else m)
            duty.append(ctrl.duty)
        now = (now + PERIOD_MS) & TICKS_MASK

    sp = scenario.setpoint_c
    # Ready is judged up to the first disturbance or injected fault: what comes after is theirs.
    end_ready = min(i for i in (disturbance_i, fault_i, n) if i is not None)
    band, offset = metrics.window_stats(water, DT_S, sp, scenario.steady_window)
    result = {
        "scenario": scenario.name,
        "controller": controller,
        "runtime": runtime,
        "seed": seed,
        "sim_s": n * DT_S,
        "wall_s": round(time.perf_counter() - wall0, 3),
        "setpoint_c": round(sp, 3),
        "full_power_s": full_power_s,
        "ready_s": metrics.settle_time_s(water, DT_S, sp, 0, end_ready),
        "overshoot_c": round(max(water) - sp, 3),
        "band_c": round_or_none(band, 3),
        "offset_c": round_or_none(offset, 3),
        "max_water_c": round(max(water), 3),
        "faults": faults,
        "heater_on_above_cutoff_s": on_above_cutoff * DT_S,
        "energy": {k: round(v, 1) for k, v in plant.energy().items()},
    }
    watch = getattr(ctrl, "watch", None)  # the firmware in this process
    if watch is not None:
        result["level_tests"] = watch.level.tests  # water level tests run (firmware/water_level.py)
        # What the heater would remember of this bath for its next heat-up.
        result["bath_memory"] = None if ctrl.bath_memory is None else list(ctrl.bath_memory)
    if estimate is not None:
        result["ready_state_s"] = None if ready_state_i is None else ready_state_i * DT_S
        result["ready_estimate_error"] = _estimate_error(estimates, ready_state_i)
    if disturbance_i is not None:
        nxt = _next_disturbance_i(scenario, n)
        rec = metrics.settle_time_s(water, DT_S, sp, disturbance_i, nxt)
        result["recovery_s"] = rec
        result["recovery_full_power_s"] = recovery_fp_s
    if injected:
        outputs_off = not ctrl.heater_on and not ctrl.relay_on and not powered
        result.update(_fault_figures(injected, fault_i, faults, water, outputs_off))
    result["wall_s"] = round(time.perf_counter() - wall0, 3)
    return result, trace


ESTIMATE_CHECKS = (0.25, 0.5, 0.75)  # shares of the heat-up at which the estimate is judged


def _estimate_error(estimates, ready_i):
    """The worst error of the time-to-ready estimate at a quarter, half and three quarters of
    the heat-up, as a share of the time that was actually left (signed: + is too late).
    None if the heater never reached READY or had no estimate at a checkpoint."""
    if ready_i is None:
        return None
    ready_s = ready_i * DT_S
    worst = 0.0
    for share in ESTIMATE_CHECKS:
        j = int(share * ready_s)  # estimates are one a second
        if j >= len(estimates) or estimates[j] != estimates[j]:
            return None
        left = ready_s - j
        err = (estimates[j] - left) / left
        if abs(err) > abs(worst):
            worst = err
    return round(worst, 3)


def _in_name_order(injected):
    """The faults by time and, at one moment, in the order of the pair the matrix names
    (``low-water+probe-out``), else by name: the same faults given in another order on the
    command line are the same run (at one tick, the later one acts on the earlier's frame)
    and get the same name (issue 15)."""
    from .fault_envelope import DOUBLE_FAULTS, OTHER_PAIRS  # it imports this module

    names = sorted(k.name for k, _ in injected)
    rank = {}
    for _, steps, _ in DOUBLE_FAULTS + OTHER_PAIRS:
        if sorted(k for k, _ in steps) == names:
            rank = {k: i for i, (k, _) in enumerate(steps)}
    return sorted(injected, key=lambda f: (f[1], rank.get(f[0].name, 0), f[0].name))


def _fault_figures(injected, fault_i, faults, water, outputs_off):
    """What the fault matrix reports: what was detected, how fast, how hot, and whether the run
    ended with the heater off: SSR and safety relay commanded off, and no power flowing. Times
    count from the first fault; several are named ``first+second``."""
    kind, at_s = injected[0]
    figures = {"fault": "+".join(k.name for k, _ in injected), "fault_at_s": at_s,
               "faults_at_s": [t for _, t in injected],
               "expected_code": kind.expected_code,
               "code": None, "detect_latency_s": None, "max_water_after_fault_c": None,
               "heater_off": outputs_off}
    if fault_i is None:  # the run ended before the fault was due
        return figures
    after = [f for f in faults if f["t_s"] >= at_s]
    if after:
        figures["code"] = after[0]["code"]
        figures["detect_latency_s"] = after[0]["t_s"] - fault_i * DT_S
    figures["max_water_after_fault_c"] = round(max(water[fault_i:]), 3)
    return figures


def _next_disturbance_i(scenario, n):
    """Index of the next disturbance after the first: the first later event that is not the
    lid going back on (that ends a disturbance rather than starting one)."""
    t0 = scenario.events[0].t_s
    for e in scenario.events:
        if e.t_s > t0 and e.kind not in ("lid_on",):
            return min(n, int(round(e.t_s / DT_S)))
    return n


def _full_power_recovery_s(plant, events, t0_s, scenario, horizon_s=2 * 3600.0):
    """Seconds full power needs, from the moment of the disturbance (its later events included),
    to bring the water back to the temperature it had then (at most the setpoint).

    At full power the water may never leave the +-0.5 C band after a disturbance, so "back in
    the band" would be 0 and meaningless; regaining the lost temperature is what full power can
    do fastest, and no controller that only sees the probe can do better.
    """
    twin = plant.copy()
    pending = [e for e in events if e.t_s - t0_s < horizon_s]
    for e in pending:
        if e.t_s <= t0_s:
            e.apply(twin)
    pending = [e for e in pending if e.t_s > t0_s]
    ref = min(plant.water_c, scenario.setpoint_c)
    last_below = None
    t = 0.0
    j = 0
    while t < horizon_s:
        while j < len(pending) and pending[j].t_s <= t0_s + t:
            pending[j].apply(twin)
            j += 1
        twin.step(True)
        t += DT_S
        if twin.water_c < ref:
            last_below = t
        elif twin.water_c > ref + metrics.READY_BAND_C:
            break
    return 0.0 if last_below is None else last_below + DT_S
