"""Wall time of simulated scenarios: median over repeated runs, and simulated s per wall s.

    python benchmarks/sim_speed.py [--scenario workday] [--runs 7]

The machine may be shared: quote the median, and the ratio of simulated to wall time.
"""

import argparse
import statistics

from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="workday", choices=sorted(SCENARIOS))
    ap.add_argument("--controller", default="firmware")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    walls = []
    for i in range(args.runs):
        result, _ = run(SCENARIOS[args.scenario], args.controller, seed=i)
        walls.append(result["wall_s"])
    median = statistics.median(walls)
    print("%s / %s: %.0f simulated s, %d runs" % (args.scenario, args.controller, result["sim_s"], args.runs))
    print("wall s: median %.3f  min %.3f  max %.3f" % (median, min(walls), max(walls)))
    print("simulated s per wall s: %.0f (median)" % (result["sim_s"] / median))


if __name__ == "__main__":
    main()
