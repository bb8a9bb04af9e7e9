"""The fault matrix over the product's whole range (issue 13): every fault, at every moment of
a therapist's day, on every bath of a seeded family, and the named double faults.

A moment is a scenario built for the bath at hand, so that "at hold" is at hold on a 17 L bath
at 800 W as much as on a 3 L bath at 1500 W: the bath's own full-power time sets the clock.
Each run goes on ``WATCH_S`` after the fault (longer where a fault shows only later: see
``ELEMENT_WATCH_S`` and ``LOW_WATER_WATCH_S``); the row is safe when a code that stops it
latched (the expected one, or one of ``ALSO_ACCEPTED``; for a double fault, one of the codes
that stop it), the heater ended off, and the true water never passed the cutoff + 1 C. A run
that ended under one of ``ALSO_ACCEPTED`` is reported as such (``named_otherwise``; ``misnamed``
in a summary): a safe ending under another name is counted, not hidden.
"""

import dataclasses

from ..firmware import faults as codes
from ..firmware.settings import Settings
from .family import as_dict, bath_family, bath_spec
from .faults import FAULT_KINDS
from .parallel import run_parallel
from .plant import BathPlant
from .runner import DT_S, run
from .scenarios import SCENARIOS, Event, SETPOINT_130F_C

WATCH_S = 1200.0  # how long each run goes on after the fault, at least
# A dead element is harmless: it is caught once the bath has cooled enough to call for full
# power, which on a 17 L bath at hold takes about 40 minutes. Mid heat-up, a fault that shows
# only when the controller backs off (a welded SSR) shows at the end of the heat-up.
ELEMENT_WATCH_S = 3600.0
# Low water at a calm hold: the controller holds the litre left at the target (at most 58.9 C
# over three families of 50 baths), and that litre still covers the element; it runs dry by
# evaporation over hours (about 0.2 L/h with the lid off, DOMAIN.md). Two water level tests and
# a weld judgement on a small bath took up to 43 minutes (2575 s, family seed 0): an hour.
LOW_WATER_WATCH_S = 3600.0
# A weld behind the relay's rests (it opens while no heat is wanted after a step) heats only
# when heat is wanted: a weld judged in doubt on a slow bath was asked again and named at
# 1219 s, the water below the target meanwhile (9.3 L, probe 7.4 s, mixing 24 s, seed 1).
WELD_WATCH_S = 1800.0
WATCH_BY_FAULT = {"element-open": ELEMENT_WATCH_S, "low-water": LOW_WATER_WATCH_S,
                  "ssr-welded": WELD_WATCH_S,
                  # the relay rests open while 1 L left cools: the verdict can take half an hour
                  "ssr-welded+low-water": LOW_WATER_WATCH_S}
MARGIN_ABOVE_CUTOFF_C = 1.0  # the true water may pass the cutoff by this much at most

# When each moment happens on a bath whose full-power heat-up takes ``fp`` seconds, and what
# the day does then. The fault comes ``FAULT_AFTER_S`` after the event, when its effect is
# under way (the probe has not yet seen the stones, the top-up has mixed in).
FAULT_AFTER_S = 20.0
MOMENTS = ("heatup", "ready", "stones", "topup", "lid")


def _hold_s(fp):
    return 1.5 * fp + 900.0


def moment_events(moment, fp):
    """(fault time, day events) for ``moment`` on a bath of full-power time ``fp``."""
    if moment == "heatup":
        return 0.5 * fp, ()
    t = _hold_s(fp)
    if moment == "ready":
        return t, ()
    if moment == "stones":
        return t + FAULT_AFTER_S, (Event(t, "stones_in", 1.5, 22.0),)
    if moment == "topup":
        return t + FAULT_AFTER_S, (Event(t, "water_in", 1.0, 20.0),)
    if moment == "lid":
        return t + 60.0, (Event(t, "lid_off"), Event(t + 600.0, "lid_on"))
    raise ValueError("unknown moment %r (choose from %s)" % (moment, ", ".join(MOMENTS)))


# The named double faults: (name, [(fault, seconds after the first)], codes that end it safe),
# and what each is.
DOUBLE_DESCRIPTIONS = {
    "frozen+ssr-welded": "the chip freezes and the SSR welds at the same moment",
    "low-water+probe-out": "one leak: the bath runs low and leaves the probe above the water",
}
DOUBLE_FAULTS = (
    # The chip freezes and the SSR welds: at duty 0 nothing moves but the frozen check.
    ("frozen+ssr-welded", (("frozen", 0.0), ("ssr-welded", 0.0)),
     (codes.SENSOR_FROZEN,)),
    # One leak: the bath runs low and leaves the probe above the water.
    ("low-water+probe-out", (("low-water", 0.0), ("probe-out", 0.0)),
     (codes.HEATING_WATCH, codes.LOW_WATER)),
)
# Pairs the matrix does not name but the firmware covers, measured over the family by
# benchmarks/double_faults.py (docs/safety.md, "Double faults"). A weld with the water gone
# heats 1 L as fast as a pour: on a bath whose mixing delay is long it can pass the cutoff
# before its heat reaches the probe, so this pair is a figure, not a promise.
OTHER_PAIRS = (
    ("ssr-welded+low-water", (("ssr-welded", 0.0), ("low-water", 0.0)),
     (codes.SSR_WELDED, codes.LOW_WATER, codes.OVER_TEMP)),
    ("ssr-welded+probe-out", (("ssr-welded", 0.0), ("probe-out", 0.0)),
     (codes.SSR_WELDED, codes.HEATING_WATCH, codes.OVER_TEMP)),
)


def base_scenario(params, setpoint_c=SETPOINT_130F_C):
    return dataclasses.replace(SCENARIOS["heatup"], plant=params, setpoint_c=setpoint_c)


def full_power_s(params, setpoint_c=SETPOINT_130F_C):
    return BathPlant(params, DT_S).full_power_time_s(setpoint_c - 0.5)


def stopped(result, cutoff_c):
    """Whether a run's fault was stopped, whatever its code's name: a code latched, the heater
    off, the true water at most MARGIN_ABOVE_CUTOFF_C past the cutoff. None when the run ended
    before the fault was due. (The matrix's ``safe`` also wants the code it expects.)"""
    hottest = result["max_water_after_fault_c"]
    if hottest is None:
        return None
    return (result["code"] is not None and result["heater_off"]
            and hottest <= cutoff_c + MARGIN_ABOVE_CUTOFF_C)


def one_run(job):
    """One row: ``job`` = (params, moment, fault spec, settings values or None, seed)."""
    params, moment, spec, settings, seed = job
    name, steps, expected = spec
    # 130 F, or the nearest target the settings allow (a raised minimum tries the top).
    allowed = Settings(settings)
    sp = min(max(SETPOINT_130F_C, allowed["setpoint_min_c"]), allowed["setpoint_max_c"])
    fp = full_power_s(params, sp)
    at_s, events = moment_events(moment, fp)
    watch_s = WATCH_BY_FAULT.get(name, WATCH_S)
    if moment == "heatup":
        watch_s = max(watch_s, fp + 600.0)
    scenario = dataclasses.replace(base_scenario(params, sp), events=events,
                                   duration_s=at_s + watch_s)
    injected = [(FAULT_KINDS[k], at_s + dt) for k, dt in steps]
    result, _ = run(scenario, "firmware", seed, settings=allowed if settings else None,
                    faults=injected)
    hottest = result["max_water_after_fault_c"]
    safe = result["code"] in expected and stopped(result, allowed["cutoff_c"]) is True
    return {"fault": name, "moment": moment, "at_s": round(at_s, 2), "code": result["code"],
            "expected": list(expected),
            "named_otherwise": result["code"] in ALSO_ACCEPTED.get(name, ()),
            "detect_latency_s": result["detect_latency_s"],
            "max_water_c": hottest, "heater_off": result["heater_off"], "safe": safe,
            "plant": as_dict(params), "bath": bath_spec(params), "faults": result["faults"]}


# Codes that end a fault safe under another name. A loose connector that happens to fail 4
# reads in a row latches as the open circuit it is. Low water on a small bath (3-4.5 L, whose
# litre left answers a pulse less than 3 times more than the full bath did) can be judged a
# weld in doubt: SSR_WELDED opens the relay too and its advice names a bath nearly empty, where
# LOW_WATER's (fill it, start again) would close the relay on a real weld. A leak at full power
# can take the water itself to the cutoff first: OVER_TEMP is then what happened. A weld just
# after a cold top-up on a bath whose heat given in the fall does not show (docs/safety.md,
# Known limits) can end in the heating watch's hold, which opens the relay too: HEATING_WATCH.
# A weld while the PID asks heat behind a long lag can take the reading to the cutoff as the
# weld judgement opens the relay: OVER_TEMP.
ALSO_ACCEPTED = {"intermittent": (codes.TC_OPEN,),
                 "low-water": (codes.SSR_WELDED, codes.OVER_TEMP),
                 "ssr-welded": (codes.HEATING_WATCH, codes.OVER_TEMP)}

# Each safety setting, and the faults whose check it sets: the matrix must stay safe at each
# end of its range (benchmarks/fault_envelope.py; a CI-sized walk in the tests).
GOVERNS = {
    "frozen_s": ("frozen", "frozen+ssr-welded"),
    "watch_s": ("probe-out", "element-open", "low-water+probe-out"),
    "watch_rise_c": ("probe-out", "element-open", "low-water+probe-out"),
    "weld_base_c": ("ssr-welded", "frozen+ssr-welded"),
    "coast_s": ("ssr-welded", "frozen+ssr-welded"),
    "max_heat_rate_c_s": ("low-water", "low-water+probe-out"),
    "sensor_bad_reads": ("tc-open", "intermittent"),
    "level_test_min": ("low-water", "low-water+probe-out"),
}


def single_specs(names=None):
    return [(k.name, ((k.name, 0.0),), (k.expected_code,) + ALSO_ACCEPTED.get(k.name, ()))
            for k in FAULT_KINDS.values() if names is None or k.name in names]


def jobs_for(baths, moments=MOMENTS, specs=None, settings=None, seed=0, doubles=True):
    specs = list(specs if specs is not None else single_specs())
    if doubles:
        specs += list(DOUBLE_FAULTS)
    return [(p, m, s, settings, seed) for p in baths for s in specs for m in moments]


def run_jobs(jobs, workers=None, progress=None):
    """Rows in the order of ``jobs``; ``progress(done, total)`` as they finish."""
    return run_parallel(one_run, jobs, workers, progress, chunksize=2)


def family_jobs(n, seed=0, settings=None, moments=MOMENTS):
    return jobs_for(bath_family(n, seed), moments, settings=settings, seed=seed)


def worst_by_fault(rows):
    """One summary per fault (in the matrix's order): the worst water and the worst latency
    over every bath and moment, each with the bath and moment it came from, and whether every
    run of it was safe."""
    table = {}
    for r in rows:
        w = table.setdefault(r["fault"], {
            "fault": r["fault"], "runs": 0, "unsafe": 0, "misnamed": 0, "codes": [],
            "expected": r["expected"],
            "max_water_c": None, "max_water_at": None, "detect_latency_s": None,
            "latency_at": None, "heater_off": True})
        w["runs"] += 1
        w["unsafe"] += 0 if r["safe"] else 1
        w["misnamed"] += 1 if r["named_otherwise"] else 0
        w["heater_off"] = w["heater_off"] and r["heater_off"]
        if r["code"] not in w["codes"]:
            w["codes"].append(r["code"])
        # the bath both ways: the model's parameters, and as --bath takes it
        where = {"moment": r["moment"], "plant": r["plant"], "bath": r["bath"]}
        if r["max_water_c"] is not None and (w["max_water_c"] is None
                                             or r["max_water_c"] > w["max_water_c"]):
            w["max_water_c"], w["max_water_at"] = r["max_water_c"], where
        lat = r["detect_latency_s"]
        if lat is None:
            lat = float("inf")
        if w["detect_latency_s"] is None or lat > w["detect_latency_s"]:
            w["detect_latency_s"], w["latency_at"] = lat, where
    out = []
    for w in table.values():
        if w["detect_latency_s"] == float("inf"):
            w["detect_latency_s"] = None  # some run never detected it
        w["safe"] = w["unsafe"] == 0
        out.append(w)
    return out
