"""What the periodic water level test costs the hold: the reference scenarios with
``level_test_min`` off (the default) and at 10 minutes, next to the Ziegler-Nichols peer.

    python benchmarks/level_test.py          # about 15 s

The low-water figures it buys come from ``stoneheat sim faults --plants 3 --fault low-water
--setting level_test_min=10`` (and ``--plants 6``), against the same without the setting.
"""

from stoneheat.firmware.settings import Settings
from stoneheat.sim.faults import parse_fault
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS


def main():
    print("%-8s %-20s %6s %9s %7s %7s" % ("scenario", "controller", "tests", "overshoot", "band",
                                          "offset"))
    for name in ("heatup", "lid", "stones"):
        for every in (0, 10):
            r, _ = run(SCENARIOS[name], settings=Settings({"level_test_min": every}))
            print("%-8s %-20s %6d %9.3f %7.3f %+7.3f" % (
                name, "firmware, %s" % ("every %d min" % every if every else "off"),
                r["level_tests"], r["overshoot_c"], r["band_c"], r["offset_c"]))
        r, _ = run(SCENARIOS[name], controller="zn-pid")
        print("%-8s %-20s %6s %9.3f %7.3f %+7.3f" % (name, "zn-pid", "-", r["overshoot_c"],
                                                     r["band_c"], r["offset_c"]))
    print()
    for every in (0, 10):
        r, _ = run(SCENARIOS["heatup"], settings=Settings({"level_test_min": every}),
                   faults=[parse_fault("low-water@1800")])
        print("low water at 1800 s, level test %s: %s after %s s, water at most %.2f C" % (
            "every %d min" % every if every else "off", r["code"], r["detect_latency_s"],
            r["max_water_after_fault_c"]))


if __name__ == "__main__":
    main()
