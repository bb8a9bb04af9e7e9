"""A leak at any moment of a heat-up and hold, on the strongest heater's corners (docs/safety.md).

    python benchmarks/late_leaks.py [--every 60] [--start 200] [--until 2600] [--target 57C]
                                    [--fault low-water] [--jobs 2]

The matrix leaks at fixed moments (half the full-power time, READY, ...). 1 L left on 1815 W
heats 0.39 C/s and the reading sees it only after the bath's lag, so the moment matters: the
last hostile review found 65.16 C late in a heat-up. This walks the fault every ``--every``
seconds of a 3-hour heat-up on the 24 corners of water (3, 8, 17 L), stones (0, 5 kg), probe
lag (1, 8 s) and mixing (5, 30 s), on 1500 W at mains +10 %, and prints the runs, those over
cutoff + 1 C or with no code latched, and the worst true water with its bath and moment.
``--target`` runs the heat-up to another target (the highest allowed, 57 C, keeps the PID at
the power cap longest: the hostile review's 61.26 C). Exits 1 if any run did not end safe.
"""

import argparse
import dataclasses
import itertools
import sys
import time
from multiprocessing import Pool

from stoneheat.sim import runner, scenarios
from stoneheat.sim.family import parse_bath
from stoneheat.sim.faults import FAULT_KINDS, parse_fault
from stoneheat.firmware.units import parse_temperature

LIMIT_C = 61.0  # the default cutoff + 1 C


def _one(job):
    bath, fault, at_s, target_c = job
    scenario = dataclasses.replace(scenarios.SCENARIOS["heatup"], plant=parse_bath(bath))
    if target_c is not None:
        scenario = dataclasses.replace(scenario, setpoint_c=target_c)
    result, _ = runner.run(scenario, faults=[parse_fault("%s@%g" % (fault, at_s))])
    return bath, at_s, result["max_water_c"], [f["code"] for f in result["faults"]]


def corners():
    return ["water_l=%g,stones_kg=%g,heater_w=1500,mains=1.1,probe_tau_s=%g,mixing_s=%g" % c
            for c in itertools.product((3, 8, 17), (0, 5), (1, 8), (5, 30))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=float, default=60.0, help="seconds between leak moments")
    ap.add_argument("--start", type=float, default=200.0, help="the first leak moment, s")
    ap.add_argument("--until", type=float, default=2600.0, help="no leak moment after this, s")
    ap.add_argument("--target", default=None, help="the heat-up's target, e.g. 57C or 134F")
    ap.add_argument("--fault", default="low-water", choices=sorted(FAULT_KINDS))
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not args.every >= 10.0:
        ap.error("--every must be at least 10 s")
    target_c = None
    if args.target is not None:
        try:
            target_c = parse_temperature(args.target)
        except ValueError as e:
            ap.error("--target: %s" % e)
    t0 = time.perf_counter()
    moments = [args.start + i * args.every
               for i in range(int((args.until - args.start) // args.every))]
    jobs = [(b, args.fault, t, target_c) for b in corners() for t in moments]
    print("%d runs (%d corners x %d moments) ..." % (len(jobs), len(corners()), len(moments)),
          file=sys.stderr)
    with Pool(args.jobs) as pool:
        rows = pool.map(_one, jobs, chunksize=8)
    bad = [r for r in rows if r[2] > LIMIT_C or not r[3]]
    worst = max(rows, key=lambda r: r[2])
    print("%s: %d runs, %d over %.0f C or with no code; worst %.2f C (%s at %g s, %s)"
          % (args.fault, len(rows), len(bad), LIMIT_C, worst[2], worst[0], worst[1],
             ",".join(worst[3]) or "no code"))
    for r in sorted(bad, key=lambda r: -r[2])[:10]:
        print("  not safe: %.2f C  %s at %g s  %s" % (r[2], r[0], r[1], ",".join(r[3]) or "no code"))
    print("wall %.0f s" % (time.perf_counter() - t0), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
