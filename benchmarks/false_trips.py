"""False trips: seeded workdays with sensor noise, glitches and stone exchanges; none may trip.

    python benchmarks/false_trips.py [--runs 100] [--glitch-rate 0.005] [--jobs 2]

Prints every fault latched (there should be none) and the control figures' worst case.
"""

import argparse
import statistics
import time
from multiprocessing import Pool

from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS


def one(args):
    seed, glitch_rate = args
    result, _ = run(SCENARIOS["workday"], "firmware", seed=seed, glitch_rate=glitch_rate)
    return seed, result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--glitch-rate", type=float, default=0.005)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    tripped = []
    overshoots, bands = [], []
    with Pool(args.jobs) as pool:
        for seed, r in pool.imap_unordered(one, [(s, args.glitch_rate) for s in range(args.runs)]):
            if r["faults"]:
                tripped.append((seed, r["faults"]))
            overshoots.append(r["overshoot_c"])
            bands.append(r["band_c"])
    print("%d workdays (8 h each), seeds 0-%d, %.1f %% glitches: %d tripped"
          % (args.runs, args.runs - 1, 100 * args.glitch_rate, len(tripped)))
    for seed, faults in sorted(tripped):
        print("  seed %d: %s" % (seed, faults))
    print("overshoot C: median %.3f, worst %.3f; band C: median %.3f, worst %.3f"
          % (statistics.median(overshoots), max(overshoots), statistics.median(bands), max(bands)))
    print("wall: %.0f s with %d jobs" % (time.perf_counter() - t0, args.jobs))
    raise SystemExit(1 if tripped else 0)


if __name__ == "__main__":
    main()
