"""The simulated bath against DOMAIN.md's physics."""

import pytest

from stoneheat.sim.plant import LATENT_HEAT_J_PER_KG, BathPlant, PlantParams
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS
from stoneheat.sim.sensor import SimulatedMax31855


def test_full_power_heatup_takes_about_830_s():
    # DOMAIN.md: about 830 s from 20 C to 53.9 C at 1200 W.
    assert 815 <= BathPlant().full_power_time_s(53.9) <= 845


def test_power_goes_with_the_square_of_mains_voltage():
    low = BathPlant(PlantParams(mains_factor=0.9)).full_power_time_s(53.9)
    high = BathPlant(PlantParams(mains_factor=1.1)).full_power_time_s(53.9)
    assert 1.40 < low / high < 1.55  # (1.1 / 0.9)^2 = 1.49, a little more with losses


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_energy_balance_closes(name):
    result, _ = run(SCENARIOS[name], "firmware", seed=3)
    e = result["energy"]
    assert abs(e["in_j"] - e["stored_j"] - e["lost_j"]) <= 0.001 * e["in_j"]


def test_open_bath_evaporates_about_0_2_litres_an_hour_at_55_c():
    plant = BathPlant(PlantParams(start_c=55.0, ambient_c=22.0))
    plant.set_lid(False)
    before = plant.water_kg
    for _ in range(4 * 600):  # 10 minutes, heated enough to stay near 55 C
        plant.step(plant.water_c < 55.0)
    litres_per_hour = (before - plant.water_kg) * 6
    assert 0.15 < litres_per_hour < 0.22
    assert abs(120.0 * 3600 / LATENT_HEAT_J_PER_KG - 0.18) < 0.01


def test_probe_sees_the_water_only_after_the_mixing_delay():
    plant = BathPlant(PlantParams(start_c=40.0, stones_kg=0.0))
    plant.add_water(2.0, 80.0)  # a sudden jump in the water
    for _ in range(4 * 14):
        plant.step(False)
    assert abs(plant.probe_c - 40.0) < 0.01
    for _ in range(4 * 20):
        plant.step(False)
    assert plant.probe_c > 48.0


def test_cold_stones_cool_the_water_gradually():
    plant = BathPlant(PlantParams(start_c=54.0))
    plant.add_stones(1.5, 22.0)
    temps = []
    for _ in range(4 * 300):
        plant.step(False)
        temps.append(plant.water_c)
    assert temps[4 * 10] > temps[4 * 60] > temps[-1]
    assert 52.0 < temps[-1] < 53.0  # about 1.4 C of mixing drop, plus 5 minutes of losses


def test_simulated_chip_reads_low_without_linearisation():
    chip = SimulatedMax31855(noise_c=0.0)
    assert 0.15 < 55.0 - chip.reported(55.0, 25.0) < 0.3


def test_steady_heater_power_matches_the_lid_on_loss():
    result, trace = run(SCENARIOS["heatup"], "firmware")
    last_hour = trace.heater_on[-4 * 3600:]
    watts = 1200.0 * sum(last_hour) / len(last_hour)
    expected = 2.0 * (result["setpoint_c"] - 22.0)  # 2 W/K lid on
    assert abs(watts - expected) < 0.1 * expected


def test_settled_stone_batches_merge_without_changing_heat_content():
    plant = BathPlant(PlantParams(start_c=54.0))
    plant.add_stones(1.5, 54.0)
    before = plant.heat_content_j()
    plant.add_stones(1.0, 30.0)  # merges the two settled batches, then adds a cold one
    assert len(plant.stones) == 2
    added = 1.0 * 840.0 * (30.0 - plant.ambient_c)
    assert abs(plant.heat_content_j() - (before + added)) < 1e-6


def test_water_boils_at_100_c_and_the_balance_still_closes():
    plant = BathPlant(PlantParams(start_c=95.0, stones_kg=0.0, water_l=1.0))
    for _ in range(4 * 600):
        plant.step(True)
    assert plant.water_c == 100.0 and plant.water_kg < 1.0
    e = plant.energy()
    assert abs(e["in_j"] - e["stored_j"] - e["lost_j"]) < 1e-6 * e["in_j"]


def test_simulated_chip_interpolation_matches_the_nist_function():
    from thermocouple_its90 import TypeK

    from stoneheat.sim.sensor import _emf_mv

    worst = max(abs(_emf_mv(-19.99 + i * 0.0173) - TypeK.emf(-19.99 + i * 0.0173)) for i in range(9800))
    assert worst < 1e-6  # mV: 0.025 mC
