"""Autotune across the product's range of baths: the relay experiment in the simulator, then a
heat-up with the gains it found, against the default gains.

    python benchmarks/autotune.py            # about 10 s
    python benchmarks/autotune.py --family 50   # 50 baths x 3 starts at the highest target, ~40 s

Prints one row per bath: how long the tune took (simulated), the identified model, the gains,
and ready / full-power and overshoot with the default and with the tuned gains. With
``--family N``: the tune from cold, from READY and from a hot bath just powered on, on the
reference bath and N - 1 baths of the family (seed 0), at the highest target allowed: how
many finished, any that did not and why, and the hottest water of any tune.
"""

import dataclasses
import json
import sys

from stoneheat.firmware.settings import Settings
from stoneheat.sim.plant import PlantParams
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS
from stoneheat.sim.family import bath_family, describe
from stoneheat.sim.tuning import STARTS, tune_bath

BATHS = [(3.0, 800.0), (3.0, 1500.0), (6.0, 1200.0), (17.0, 800.0), (17.0, 1500.0)]


def family(n):
    target = Settings()["setpoint_max_c"]
    baths = [PlantParams()] + bath_family(n - 1) if n > 1 else [PlantParams()]
    done, hottest = 0, (0.0, "")
    for params in baths:
        for start in STARTS:
            top = []
            ctrl, _ = tune_bath(params, target, start=start, hottest=top)
            if ctrl.tune.phase == "done" and ctrl.fault is None:
                done += 1
            else:
                print("NOT DONE: %s from %s: %s" % (describe(params), start,
                                                    ctrl.fault or ctrl.tune.reason))
            if top[0] > hottest[0]:
                hottest = (top[0], "%s from %s" % (describe(params), start))
    print("target %.1f C: %d of %d tunes done; hottest water %.2f C (%s)"
          % (target, done, len(baths) * len(STARTS), hottest[0], hottest[1]))


def main():
    if "--family" in sys.argv:
        family(int(sys.argv[sys.argv.index("--family") + 1]))
        return
    rows = []
    for water_l, heater_w in BATHS:
        params = PlantParams(water_l=water_l, heater_w=heater_w)
        scenario = dataclasses.replace(SCENARIOS["heatup"], plant=params)
        ctrl, tune_s = tune_bath(params, scenario.setpoint_c)
        r = ctrl.tune.result
        default, _ = run(scenario)
        tuned, _ = run(scenario, settings=Settings({"kp": r["kp"], "ti_s": r["ti_s"],
                                                   "td_s": r["td_s"], "adapt": 0}))
        rows.append({
            "water_l": water_l, "heater_w": heater_w, "tune_s": tune_s,
            "k_c_per_min": round(60 * r["k_c_per_s"], 3), "dead_time_s": r["dead_time_s"],
            "kp": round(r["kp"], 3), "ti_s": round(r["ti_s"]),
            "default_ready_ratio": round(default["ready_s"] / default["full_power_s"], 3),
            "default_overshoot_c": default["overshoot_c"],
            "tuned_ready_ratio": round(tuned["ready_s"] / tuned["full_power_s"], 3),
            "tuned_overshoot_c": tuned["overshoot_c"],
        })
    if "--json" in sys.argv:
        print(json.dumps(rows, indent=1))
        return
    print("| bath | tune | model | gains | default: ready/full, overshoot | tuned: ready/full, overshoot |")
    print("|---|---|---|---|---|---|")
    for x in rows:
        print("| %g L, %g W | %.0f min | %.3f C/min, %.1f s | kp %.3f, ti %d s | %.3f, %.3f C | %.3f, %.3f C |" % (
            x["water_l"], x["heater_w"], x["tune_s"] / 60, x["k_c_per_min"], x["dead_time_s"],
            x["kp"], x["ti_s"], x["default_ready_ratio"], x["default_overshoot_c"],
            x["tuned_ready_ratio"], x["tuned_overshoot_c"]))


if __name__ == "__main__":
    main()
