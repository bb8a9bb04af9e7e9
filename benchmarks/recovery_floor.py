"""How fast can any controller that reads the probe recover from 1.5 kg of cold stones?

    python benchmarks/recovery_floor.py        # a second

An oracle on the reference bath, held exactly at 130 F with the stones at the water's
temperature, when 1.5 kg of 22 C stones go in. It cannot know before the probe shows it, so it
switches to full power at the first moment the noise-free probe reads 0.25 C (one sensor step)
low, and keeps full power, seeing the true water, until the water is back within 0.1 C of the
target. No controller that only reads the probe does better; a real one also has noise and
quantisation to see through.

Prints the oracle's recovery (from the stones going in until the water is back within +-0.5 C
and stays there) next to `recovery_full_power_s`: full power from the very moment the stones
go in, until the water regains the temperature it had, which the bench compares with.
"""

import json
import sys

from stoneheat.sim import metrics
from stoneheat.sim.plant import BathPlant, PlantParams
from stoneheat.sim.runner import DT_S
from stoneheat.sim.scenarios import SETPOINT_130F_C

STONES_KG = 1.5
STONES_C = 22.0
STEP_C = 0.25


def held_bath(params, target_c):
    """The bath at rest at the target: water, stones and probe there, element at its hold."""
    plant = BathPlant(params, DT_S)
    plant.water_c = target_c
    plant.stones = [[params.stones_kg, target_c]]
    loss_w = params.loss_lid_on_w_per_k * (target_c - params.ambient_c)
    plant.element_c = target_c + loss_w / params.element_to_water_w_per_k
    plant._delay.extend([target_c] * plant._delay.maxlen)
    plant.probe_c = target_c
    return plant, loss_w / params.heater_power_w


def recovery(params, target_c=SETPOINT_130F_C, react=True, horizon_s=900.0):
    plant, hold = held_bath(params, target_c)
    plant.add_stones(STONES_KG, STONES_C)
    water, acted_at, carry, done = [], None, 0.0, False
    for i in range(int(horizon_s / DT_S)):
        if acted_at is None and react and plant.probe_c <= target_c - STEP_C:
            acted_at = i * DT_S
        if acted_at is not None and not done:
            on = True
            done = plant.water_c >= target_c - 0.1
        else:  # the hold duty, delivered as whole periods
            carry += hold
            on = carry >= 1.0
            carry -= 1.0 if on else 0.0
        plant.step(on)
        water.append(plant.water_c)
    rec = metrics.settle_time_s(water, DT_S, target_c, 0, len(water))
    return {"probe_shows_s": acted_at, "recovery_s": rec,
            "deepest_c": round(min(water) - target_c, 3),
            "highest_c": round(max(water) - target_c, 3)}


def main():
    params = PlantParams()
    oracle = recovery(params)
    plant, _ = held_bath(params, SETPOINT_130F_C)
    plant.add_stones(STONES_KG, STONES_C)
    twin = plant.copy()
    t = 0.0
    while twin.water_c < SETPOINT_130F_C or t == 0.0:  # full power from the first instant
        twin.step(True)
        t += DT_S
        if twin.water_c >= SETPOINT_130F_C:
            break
    row = {"oracle": oracle, "full_power_regain_s": t}
    if "--json" in sys.argv:
        print(json.dumps(row))
        return
    print("the probe first reads one step low   %.2f s after the stones go in" % oracle["probe_shows_s"])
    print("oracle at full power from then on     back in +-0.5 C after %.2f s (deepest %+.2f C)"
          % (oracle["recovery_s"], oracle["deepest_c"]))
    print("full power from the first instant     regains the temperature after %.2f s" % t)


if __name__ == "__main__":
    main()
