"""The bath a technician declares at commissioning (docs/technician-guide.md, "Declare the
bath") judges the first heat-up a heater ever does, before any heat-up has been measured: a
probe out of the water from its start is caught (it boils the bath undeclared), a healthy
heat-up trips nothing, and figures no bath could have are refused. End to end through
`stoneheat config set` on a served heater under both runtimes."""

import dataclasses
import json
import time

import pytest

from stoneheat.firmware import faults as codes
from stoneheat.firmware import settings_store
from stoneheat.firmware.controller import HeaterController
from stoneheat.firmware.errors import SettingError
from stoneheat.firmware.settings import DECLARED_LAG_S, Settings, declared_bath, declared_slope
from stoneheat.sim.faults import parse_fault
from stoneheat.sim.family import bath_family, parse_bath
from stoneheat.sim.runner import run
from stoneheat.sim.scenarios import SCENARIOS
from test_cli_device import start_serve, stop_serve

LIMIT_C = 61.0  # the cutoff + 1 C at the defaults
REFERENCE = {"bath_water_l": 6, "bath_stones_kg": 3, "bath_heater_w": 1200}


def _declared(params, water_share=1.0):
    """The settings a technician types for this simulated bath (its label, not its mains)."""
    return Settings({"bath_water_l": round(params.water_l * water_share, 1),
                     "bath_stones_kg": round(params.stones_kg, 1),
                     "bath_heater_w": round(params.heater_w)})


def _heat_up(params, settings, faults=(), seed=0, duration_s=3600.0):
    scenario = dataclasses.replace(SCENARIOS["heatup"], plant=params, duration_s=duration_s)
    return run(scenario, seed=seed, settings=settings,
               faults=[parse_fault(f) for f in faults])[0]


def _stored_values(folder):
    body, reason = settings_store.checked_file.decode(
        settings_store.KIND, (folder / "settings.json").read_bytes())
    assert reason is None
    return body["values"]


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_a_declared_bath_catches_a_probe_out_of_the_water_at_the_first_heat_up_ever(tmp_path,
                                                                                   runtime):
    flash = tmp_path / "flash"
    served = start_serve(tmp_path, "--runtime", runtime, "--state-dir", str(flash),
                         "--fault", "probe-out@0")
    try:
        pin = {"STONEHEAT_PIN": "0000"}
        # One of the pair alone is refused, and changes nothing.
        refused = served.cli("config", "set", "bath_water_l", "6", env=pin)
        assert refused.returncode != 0 and "in one command" in refused.stderr
        # Figures no bath could heat like (1.5 L on 2.5 kW: 0.4 C/s) are refused too.
        refused = served.cli("config", "set", "bath_water_l", "1.5", "bath_heater_w", "2500",
                             env=pin)
        assert refused.returncode != 0 and "no bath heats like that" in refused.stderr
        got = served.cli("config", "set", "bath_water_l", "6", "bath_stones_kg", "3",
                         "bath_heater_w", "1200", env=pin)
        assert got.returncode == 0, got.stderr
        assert served.cli("set", "130F").returncode == 0
        started_s = served.status()["uptime_s"]
        deadline = time.monotonic() + 90
        while served.status()["state"] != "FAULT":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert served.status()["fault"] == codes.HEATING_WATCH
        events = json.loads(served.cli("events", "--json").stdout)["events"]
        latched_s = [e["uptime_s"] for e in events if e["code"] == codes.HEATING_WATCH][0]
        # 238 s in process on the reference bath; the served heater's real clock jitters.
        assert latched_s - started_s <= 400
    finally:
        stop_serve(served)
    values = _stored_values(flash)  # kept on the flash with the other settings
    assert (values["bath_water_l"], values["bath_stones_kg"], values["bath_heater_w"]) == \
        (6.0, 3.0, 1200.0)


def test_undeclared_and_declared_first_heat_ups_with_the_probe_out():
    params = SCENARIOS["heatup"].plant
    undeclared = _heat_up(params, None, ["probe-out@0"], duration_s=1200)
    assert undeclared["code"] is None  # the gap the declaration closes: it would boil
    declared = _heat_up(params, Settings(REFERENCE), ["probe-out@0"], duration_s=1200)
    assert declared["code"] == codes.HEATING_WATCH and declared["heater_off"]
    assert declared["max_water_after_fault_c"] <= 35.0


@pytest.mark.parametrize("i", range(4))
def test_on_baths_of_the_family_the_declared_bath_catches_the_probe_and_trips_nothing(i):
    params = bath_family(4, seed=3)[i]
    caught = _heat_up(params, _declared(params), ["probe-out@0"], seed=i, duration_s=1500)
    assert caught["code"] == codes.HEATING_WATCH and caught["heater_off"], caught["faults"]
    assert caught["max_water_after_fault_c"] <= LIMIT_C
    healthy = _heat_up(params, _declared(params), seed=i)
    assert healthy["faults"] == [] and healthy["ready_s"] is not None


def test_the_fastest_and_the_slowest_baths_declared_at_the_worst_mains():
    # The small powerful bath at mains +10 %: the air above it rises fastest.
    fast = parse_bath("water_l=3,stones_kg=0,heater_w=1500,mains=1.1,probe_tau_s=1,mixing_s=5")
    caught = _heat_up(fast, _declared(fast), ["probe-out@0"], duration_s=1200)
    assert caught["code"] == codes.HEATING_WATCH
    assert caught["max_water_after_fault_c"] <= LIMIT_C
    # The big bath on a weak element at mains -10 %, with the lid on: no false trip.
    slow = parse_bath("water_l=17,stones_kg=5,heater_w=800,mains=0.9,probe_tau_s=8,mixing_s=30")
    assert _heat_up(slow, _declared(slow), duration_s=2 * 3600.0)["faults"] == []
    # Heavy stones on a small bath lag at first: it heats faster than declared, not slower.
    stony = parse_bath("water_l=3,stones_kg=5,heater_w=800,mains=0.9,probe_tau_s=8,mixing_s=30")
    assert _heat_up(stony, _declared(stony))["faults"] == []


def test_a_measured_heat_up_takes_over_from_the_declaration_and_a_reset_falls_back_to_it():
    ctrl = HeaterController(Settings(REFERENCE))
    declared = declared_slope(6, 3, 1200)
    assert declared_bath(ctrl.settings) == (declared, DECLARED_LAG_S)
    assert ctrl.watch.remembered_k_c_s == declared
    ctrl.remember_bath([0.05, 20.0])  # the last heat-up's, from the flash
    assert ctrl.watch.remembered_k_c_s == 0.05
    ctrl.start()
    assert ctrl.watch.remembered_k_c_s == 0.05
    # A person's reset of HEATING_WATCH forgets the measured slope, not the declaration.
    ctrl._trip(codes.HEATING_WATCH, 30.0, 0)
    ctrl.reading_c = ctrl.raw_c = 30.0
    ctrl._reading_ok = True
    ctrl.reset_fault()
    assert ctrl.bath_memory is None and ctrl.watch.remembered_k_c_s == declared
    # Declared anew (a bigger bath), it judges at once; undeclared, nothing does.
    ctrl.update_settings({"bath_water_l": 12, "bath_heater_w": 1500})
    assert ctrl.watch.remembered_k_c_s == declared_slope(12, 3, 1500)
    ctrl.update_settings({"bath_water_l": 0, "bath_heater_w": 0})
    assert ctrl.watch.remembered_k_c_s == 0.0


@pytest.mark.parametrize("values", [
    {"bath_water_l": 0},  # the heater still declared: the pair goes together
    {"bath_heater_w": 0},
    {"bath_water_l": 6, "bath_heater_w": 0},
    {"bath_water_l": 1, "bath_stones_kg": 0},  # 0.29 C/s on 1200 W
    {"bath_water_l": 0.5, "bath_heater_w": 2500},  # 1.2 C/s
    {"bath_water_l": 25, "bath_stones_kg": 10, "bath_heater_w": 100},  # 0.0009 C/s
    {"bath_water_l": float("nan"), "bath_heater_w": 1200},
    {"bath_water_l": 6, "bath_heater_w": float("inf")},
    {"bath_water_l": -6, "bath_heater_w": 1200},
    {"bath_water_l": 6, "bath_heater_w": 1200, "bath_stones_kg": -1},
    {"bath_water_l": True, "bath_heater_w": 1200},
    {"bath_water_l": "6 L", "bath_heater_w": 1200},
    {"bath_water_l": 1e-9, "bath_heater_w": 4.2e-7},  # a slope within bounds, no bath
    {"bath_water_l": 10 ** 400, "bath_heater_w": 1200},  # an int no float holds
])
def test_a_declaration_no_bath_could_have_is_refused_and_changes_nothing(values):
    ctrl = HeaterController(Settings(REFERENCE))
    before = dict(ctrl.settings.values)
    with pytest.raises(SettingError):
        ctrl.update_settings(values)
    assert ctrl.settings.values == before
    assert ctrl.watch.remembered_k_c_s == declared_slope(6, 3, 1200)


def test_doctor_warns_until_the_bath_is_declared(tmp_path):
    served = start_serve(tmp_path)
    try:
        before = served.cli("doctor")
        assert "WARN bath not declared" in before.stdout, before.stdout + before.stderr
        got = served.cli("config", "set", "bath_water_l", "6", "bath_stones_kg", "3",
                         "bath_heater_w", "1200", env={"STONEHEAT_PIN": "0000"})
        assert got.returncode == 0, got.stderr
        after = served.cli("doctor", "--json")
        checks = json.loads(after.stdout)["checks"]
        assert {"level": "OK", "text": "bath declared: 6 L"} in checks
    finally:
        stop_serve(served)
