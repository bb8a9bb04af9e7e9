"""Autotune on the simulated bath: the firmware's controller runs its relay experiment (every
safety check active) on a bath of any size, then the gains it found can be run in a scenario.
"""

from ..firmware.controller import HeaterController
from ..firmware.ticks import TICKS_PERIOD
from .faults import element_powered, inject
from .plant import BathPlant
from .runner import DT_S, PERIOD_MS, TICKS_START
from .sensor import SimulatedMax31855


def tune_bath(params, target_c, seed=0, fault=None, limit_s=8 * 3600):
    """Run autotune on a bath of ``params`` from cold; returns ``(controller, seconds)``.

    ``fault``: ``(FaultKind, seconds)`` to inject mid-tune. The controller's ``tune`` holds the
    result or the reason it aborted.
    """
    plant = BathPlant(params, DT_S)
    chip = SimulatedMax31855(seed)
    board_c = plant.ambient_c + params.board_above_ambient_c
    ctrl = HeaterController()
    ctrl.set_target_c(target_c)
    now = TICKS_START
    ctrl.tick(now, chip.frame(plant.probe_c, board_c))
    ctrl.start_tune()
    wiring = None
    t_s = 0.0
    while ctrl.tune.phase not in ("done", "aborted") and t_s < limit_s:
        if fault is not None and t_s >= fault[1]:
            wiring = inject(fault[0], plant, chip)
            fault = None
        now = (now + PERIOD_MS) & (TICKS_PERIOD - 1)
        ctrl.tick(now, chip.frame(plant.probe_c, board_c))
        plant.step(element_powered(wiring, ctrl.heater_on, ctrl.relay_on))
        t_s += DT_S
    return ctrl, t_s
