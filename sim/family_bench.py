"""Every controller on the same seeded family of baths, and the worst case of each figure.

Each bath runs the ``stones`` scenario: a heat-up from 20 C, a hold, 1.5 kg of cold stones at
two hours and the hour after. One run gives every figure: ready and overshoot from the
heat-up, recovery from the stones, band and offset from the last hour, and the faults.
"""

import dataclasses

from .family import as_dict, bath_family, describe
from .parallel import run_parallel
from .runner import CONTROLLERS, DT_S, run
from .scenarios import SCENARIOS

SCENARIO = "stones"
INF = float("inf")

# name, what it is, how to get it from one run (None: not measured there), whether to worst
# it by its size (abs)
FIGURES = (
    ("ready/fp", "time to ready / full-power time",
     lambda r: INF if r["ready_s"] is None else r["ready_s"] / r["full_power_s"]),
    ("overshoot", "highest water above the target, C", lambda r: r["overshoot_c"]),
    ("band", "peak to peak over the last hour, C",
     lambda r: INF if r["band_c"] is None else r["band_c"]),
    ("|offset|", "mean error over the last hour, C",
     lambda r: INF if r["offset_c"] is None else abs(r["offset_c"])),
    ("recovery/fp", "recovery from the stones / full power's",
     lambda r: _recovery_ratio(r)),
    ("faults", "faults tripped", lambda r: len(r["faults"])),
)
ESTIMATE = ("ready in", "time-to-ready estimate, worst error",
            lambda r: None if "ready_estimate_error" not in r else (
                INF if r["ready_estimate_error"] is None else abs(r["ready_estimate_error"])))


def _recovery_ratio(r):
    rec, fp = r.get("recovery_s"), r.get("recovery_full_power_s")
    if rec is None:
        return INF
    return rec / fp if fp else rec / DT_S  # full power never lost the temperature: one period


def _one(job):
    params, controller, seed = job
    scenario = dataclasses.replace(SCENARIOS[SCENARIO], plant=params)
    result, _ = run(scenario, controller, seed)
    result["plant"] = as_dict(params)
    return result


def run_family(n, seed=0, controllers=CONTROLLERS, workers=None, progress=None):
    """One result per bath and controller, in that order. ``progress(done, total)`` is called
    as runs finish; ``workers`` processes share the work (default: one per CPU)."""
    baths = bath_family(n, seed)
    jobs = [(p, c, seed) for p in baths for c in controllers]
    return run_parallel(_one, jobs, workers, progress)


def worst_cases(results):
    """``{controller: {figure: (worst value, the run it came from)}}``."""
    table = {}
    for r in results:
        row = table.setdefault(r["controller"], {})
        for name, _, get in FIGURES + (ESTIMATE,):
            value = get(r)
            if value is None:
                continue
            if name not in row or value > row[name][0]:
                row[name] = (value, r)
    return table


def verdict(table):
    """One line per baseline: is the firmware's worst case better on every figure?"""
    fw = table.get("firmware")
    lines = []
    if fw is None:
        return lines
    for other in [c for c in table if c != "firmware"]:
        worse = [name for name, _, _ in FIGURES
                 if name != "faults" and not fw[name][0] < table[other][name][0]]
        if fw["faults"][0] > table[other]["faults"][0]:
            worse.append("faults")
        lines.append("firmware vs %-10s %s" % (
            other, "better on every figure" if not worse else "NOT better on " + ", ".join(worse)))
    return lines


def format_value(name, value):
    if value == INF:
        return "never"
    if name == "faults":
        return "%d" % value
    if name in ("ready in",):
        return "%.1f %%" % (100 * value)
    return "%.3f" % value


def describe_bath(result):
    p = result["plant"]
    return describe(dataclasses.replace(SCENARIOS[SCENARIO].plant, **p))
