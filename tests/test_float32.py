"""The ESP32 port of MicroPython computes in single precision; the PC interpreter and CPython in
double. These tests hold every float the core keeps from one tick to the next in float32 (the
PID's integral and filtered derivative, the measurement filter, the output's carry, the heat
watch's averages and history) and check the control is as good, and that time stays in integers.
"""

import struct

import pytest

from stoneheat.firmware.controller import READY, HeaterController
from stoneheat.firmware.ticks import ticks_add
from stoneheat.sim import metrics
from stoneheat.sim.plant import BathPlant
from stoneheat.sim.runner import TICKS_START
from stoneheat.sim.sensor import SimulatedMax31855


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def _to_float32(obj):
    for name, value in vars(obj).items():
        if type(value) is float:
            setattr(obj, name, f32(value))
        elif type(value) is list and value and type(value[0]) is float:
            value[:] = [f32(v) for v in value]


def _held_in_float32(ctrl):
    for part in (ctrl, ctrl.pid, ctrl.output, ctrl.watch, ctrl.health, ctrl.model):
        _to_float32(part)


def _heatup(single, hours=3.0, stones_at_s=None):
    plant, chip, ctrl = BathPlant(), SimulatedMax31855(seed=0), HeaterController()
    ctrl.set_target_c(54.44)
    ctrl.start()
    now, water = TICKS_START, []
    for i in range(int(hours * 3600 * 4)):
        if stones_at_s is not None and i == stones_at_s * 4:
            plant.add_stones(1.5, 22.0)
        on = ctrl.tick(now, chip.frame(plant.probe_c, 25.0)) and ctrl.relay_on
        if single:
            _held_in_float32(ctrl)
        assert type(now) is int and type(ctrl.pid._last_ms) is int  # time never becomes a float
        plant.step(on)
        water.append(plant.water_c)
        now = ticks_add(now, 250)
    return ctrl, water


@pytest.mark.parametrize("stones", [False, True])
def test_single_precision_controls_as_well_as_double(stones):
    at = 7200 if stones else None
    ctrl64, water64 = _heatup(single=False, stones_at_s=at)
    ctrl32, water32 = _heatup(single=True, stones_at_s=at)
    sp = 54.44
    end = 7200 * 4 if stones else len(water64)
    ready64 = metrics.settle_time_s(water64, 0.25, sp, 0, end)
    ready32 = metrics.settle_time_s(water32, 0.25, sp, 0, end)
    assert abs(ready32 - ready64) <= 0.01 * ready64
    assert abs(max(water32) - max(water64)) <= 0.02
    band32, offset32 = metrics.window_stats(water32, 0.25, sp, (end * 0.25 - 3600, end * 0.25))
    band64, offset64 = metrics.window_stats(water64, 0.25, sp, (end * 0.25 - 3600, end * 0.25))
    assert abs(offset32 - offset64) <= 0.02 and band32 <= band64 + 0.05
    assert ctrl32.state == READY and ctrl32.fault is None


def test_the_integral_still_moves_at_the_smallest_error_in_float32():
    """A 0.01 C error adds about 8e-7 per tick to an integral near 0.1: far above float32's
    resolution there (about 7e-9), so the integral cannot stall on rounding."""
    from stoneheat.firmware.pid import PID

    pid = PID(0.6, 1800.0, 10.0)
    pid.reset(0.1, 54.44, 54.44)
    now = 0
    start = f32(pid.integral)
    for _ in range(4 * 600):  # ten minutes at a constant 0.01 C below the target
        pid.update(54.44, 54.43, now)
        _to_float32(pid)
        now = ticks_add(now, 250)
    expected = 0.6 * 0.01 * 600 / 1800  # what exact arithmetic adds
    assert abs((pid.integral - start) - expected) <= 0.01 * expected
