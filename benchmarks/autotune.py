"""Autotune across the product's range of baths: the relay experiment in the simulator, then a
heat-up with the gains it found, against the default gains.

    python benchmarks/autotune.py            # about 10 s

Prints one row per bath: how long the tune took (simulated), the identified model, the gains,
and ready / full-power and overshoot with the default and with the tuned gains.
"""

import dataclasses
import json
import sys

from stoneheat.firmware.settings import Settings
from stoneheat.sim.plant import PlantParams
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS
from stoneheat.sim.tuning import tune_bath

BATHS = [(3.0, 800.0), (3.0, 1500.0), (6.0, 1200.0), (17.0, 800.0), (17.0, 1500.0)]


def main():
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
