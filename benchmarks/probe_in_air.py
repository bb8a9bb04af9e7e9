"""What the probe-out checks rest on: how a probe lifted into the air reads.

    python benchmarks/probe_in_air.py [--tau 30] [--share 0.25] [--plants 20] [--seed 0]

The simulator's probe in the air reads ``share`` of the way from the room to the water behind a
sheath lag of ``tau`` seconds (sim/plant.py: 0.25 and 30 s, an assumption until a real board
measures it, docs/safety.md Known limits). This runs a probe lifted out, and the one leak that
leaves it dry, at every moment of the matrix on ``--plants`` baths of the family with another
air, and prints per fault the runs that did not end safe: those past the cutoff + 1 C and those
that latched nothing (the water then held by a reading that still follows it).
"""

import argparse

from stoneheat.firmware.limits import DEFAULT_CUTOFF_C
from stoneheat.sim import plant


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tau", type=float, default=plant.PROBE_IN_AIR_TAU_S,
                    help="the sheath's lag in air, s")
    ap.add_argument("--share", type=float, default=plant.PROBE_IN_AIR_SHARE,
                    help="how far from the room to the water the air reads, 0-1")
    ap.add_argument("--plants", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    # The plant reads these when a bath is built: set before any run.
    plant.PROBE_IN_AIR_TAU_S = args.tau
    plant.PROBE_IN_AIR_SHARE = args.share
    from stoneheat.sim import fault_envelope as fe
    from stoneheat.sim.family import bath_family

    specs = fe.single_specs(["probe-out"]) + [d for d in fe.DOUBLE_FAULTS
                                              if d[0] == "low-water+probe-out"]
    jobs = fe.jobs_for(bath_family(args.plants, args.seed), specs=specs, doubles=False)
    rows = [fe.one_run(j) for j in jobs]
    limit = DEFAULT_CUTOFF_C + fe.MARGIN_ABOVE_CUTOFF_C
    print("air %.2f of the way from the room to the water, sheath lag %g s, %d baths of seed %d"
          % (args.share, args.tau, args.plants, args.seed))
    for name in ("probe-out", "low-water+probe-out"):
        rs = [r for r in rows if r["fault"] == name]
        hot = sum(r["max_water_c"] > limit for r in rs)
        print("%s: %d runs, %d not safe (%d past %.0f C, %d latched nothing), hottest %.2f C"
              % (name, len(rs), sum(not r["safe"] for r in rs), hot, limit,
                 sum(r["code"] is None for r in rs), max(r["max_water_c"] for r in rs)))


if __name__ == "__main__":
    main()
