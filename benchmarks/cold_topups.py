"""False trips after a cold top-up at hold, over the family of baths.

    python benchmarks/cold_topups.py [--plants 50] [--seed 0 --seed 1 --seed 2] [--jobs N]

On each bath, 1 L of water at 20 C poured in at the matrix's hold moment (sim/fault_envelope.py),
then half an hour, with that seed's sensor noise and no fault: any code latched is a false trip
(a cold top-up looks like a probe lifted out for the first seconds: docs/safety.md, Known
limits). Prints the trips per family seed, with the bath and when.
"""

import argparse
import dataclasses
from multiprocessing import Pool

from stoneheat.sim import fault_envelope as fe
from stoneheat.sim.family import bath_family, bath_spec
from stoneheat.sim.runner import run


def one(job):
    params, seed = job
    at_s, events = fe.moment_events("topup", fe.full_power_s(params))
    scenario = dataclasses.replace(fe.base_scenario(params), events=events,
                                   duration_s=at_s + 1800.0)
    result, _ = run(scenario, "firmware", seed)
    return seed, params, result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plants", type=int, default=50, help="baths of each family seed")
    ap.add_argument("--seed", type=int, action="append", help="family seed (repeatable; 0-2)")
    ap.add_argument("--jobs", type=int, default=None, help="processes (default: all cores)")
    args = ap.parse_args()
    if args.plants < 1:
        ap.error("--plants must be at least 1")
    seeds = args.seed or [0, 1, 2]
    todo = [(p, s) for s in seeds for p in bath_family(args.plants, s)]
    with Pool(args.jobs) as pool:
        rows = pool.map(one, todo)
    for seed in seeds:
        trips = [(p, r) for s, p, r in rows if s == seed and r["faults"]]
        hottest = max(r["max_water_c"] for s, _, r in rows if s == seed)
        print("seed %d: %d baths, %d tripped falsely, hottest water %.2f C"
              % (seed, args.plants, len(trips), hottest))
        for p, r in trips:
            print("  %s: %s" % (bath_spec(p), r["faults"]))


if __name__ == "__main__":
    main()
