"""The double faults the matrix does not name, over a family of baths (docs/safety.md).

    python benchmarks/double_faults.py [--plants 50] [--seed 0] [--jobs 2]

Each pair of ``sim/fault_envelope.py``'s ``OTHER_PAIRS`` (both faults at the same moment) runs
at every moment of a therapist's day on a seeded family of baths, as the matrix runs its own.
Prints one line per pair: runs, runs that passed cutoff + 1 C, runs that never latched a code,
the worst true water and the bath and moment it came from. These pairs are figures, not
promises: it exits 0 whatever they show.
"""

import argparse
import time

from stoneheat.sim import fault_envelope as fe
from stoneheat.sim.family import bath_family


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plants", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    baths = bath_family(args.plants, args.seed)
    print("%-22s %5s %11s %8s %10s  %s" % ("pair", "runs", "over limit", "no code", "max water",
                                           "where"))
    for spec in fe.OTHER_PAIRS:
        rows = fe.run_jobs(fe.jobs_for(baths, specs=[spec], seed=args.seed, doubles=False),
                           args.jobs)
        limit = fe.Settings()["cutoff_c"] + fe.MARGIN_ABOVE_CUTOFF_C
        over = [r for r in rows if r["max_water_c"] is not None and r["max_water_c"] > limit]
        silent = [r for r in rows if r["code"] is None or not r["heater_off"]]
        worst = max(rows, key=lambda r: r["max_water_c"] or 0.0)
        print("%-22s %5d %11d %8d %8.2f C  %s at %s" % (
            spec[0], len(rows), len(over), len(silent), worst["max_water_c"], worst["bath"],
            worst["moment"]))
    print("%d baths (family seed %d), every moment; %.0f s with %d jobs"
          % (args.plants, args.seed, time.perf_counter() - t0, args.jobs))


if __name__ == "__main__":
    main()
