"""The fault matrix with every safety setting at each end of its allowed range (issue 13).

    python benchmarks/fault_envelope.py [--plants 4] [--seed 0] [--jobs 2]

For each end of each safety setting's range, the faults that setting's check governs run at
every moment on a seeded family of baths (and, for the highest target the defaults allow,
every fault). Prints one line per setting end: runs, unsafe runs, the worst true water and the
worst detection latency; exits 1 if any run was unsafe.
"""

import argparse
import time

from stoneheat.firmware.settings import SETTINGS
from stoneheat.sim import fault_envelope as fe
from stoneheat.sim.family import bath_family
from stoneheat.sim.fault_envelope import GOVERNS

# The highest target the defaults allow: the least headroom to the cutoff.
TOP_TARGET = {"setpoint_min_c": SETTINGS["setpoint_max_c"][0]}


def configurations():
    for name, faults in GOVERNS.items():
        low, high = SETTINGS[name][1], SETTINGS[name][2]
        for value in (low, high):
            yield "%s=%g" % (name, value), {name: value}, faults
    yield "target %g C" % TOP_TARGET["setpoint_min_c"], TOP_TARGET, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plants", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    baths = bath_family(args.plants, args.seed)
    specs = fe.single_specs() + list(fe.DOUBLE_FAULTS)
    unsafe_total = 0
    print("%-26s %5s %7s %10s %11s  %s" % ("setting", "runs", "unsafe", "max water", "latency",
                                            "unsafe faults"))
    for label, settings, faults in configurations():
        chosen = [s for s in specs if faults is None or s[0] in faults]
        rows = fe.run_jobs(fe.jobs_for(baths, specs=chosen, settings=settings, seed=args.seed,
                                       doubles=False), args.jobs)
        unsafe = [r for r in rows if not r["safe"]]
        unsafe_total += len(unsafe)
        hottest = max(r["max_water_c"] for r in rows if r["max_water_c"] is not None)
        latencies = [r["detect_latency_s"] for r in rows]
        worst = "never" if None in latencies else "%.0f s" % max(latencies)
        print("%-26s %5d %7d %8.2f C %11s  %s" % (label, len(rows), len(unsafe), hottest, worst,
                                                  ", ".join(sorted({r["fault"] for r in unsafe}))))
    print("%d baths (family seed %d), every moment; %.0f s with %d jobs"
          % (args.plants, args.seed, time.perf_counter() - t0, args.jobs))
    raise SystemExit(1 if unsafe_total else 0)


if __name__ == "__main__":
    main()
