"""Autotune on the simulated bath: the firmware's controller runs its relay experiment (every
safety check active) on a bath of any size, then the gains it found can be run in a scenario.
"""

from ..firmware.controller import HeaterController
from ..firmware.ticks import TICKS_PERIOD
from .faults import element_powered, inject
from .plant import BathPlant
from .runner import DT_S, PERIOD_MS, TICKS_START
from .sensor import SimulatedMax31855


STARTS = ("cold", "ready", "rebooted-hot")


def tune_bath(params, target_c, seed=0, fault=None, limit_s=8 * 3600, start="cold",
              hottest=None):
    """Run autotune on a bath of ``params``; returns ``(controller, seconds)``.

    ``start``: from ``cold`` (IDLE at the bath's start temperature), from ``ready`` (heated to
    READY and held 10 min first, as the technician guide runs it), or ``rebooted-hot`` (that
    hot bath, but a heater just powered on: nothing learnt of it). ``fault``: ``(FaultKind,
    seconds)`` to inject that long into the tune; ``hottest``: a list that gets the hottest
    true water of the tune. The controller's ``tune`` holds the result or the reason it
    aborted.
    """
    if start not in STARTS:
        raise ValueError("start must be one of %s" % ", ".join(STARTS))
    plant = BathPlant(params, DT_S)
    chip = SimulatedMax31855(seed)
    board_c = plant.ambient_c + params.board_above_ambient_c
    now = TICKS_START

    def tick(ctrl, wiring=None):
        nonlocal now
        now = (now + PERIOD_MS) & (TICKS_PERIOD - 1)
        ctrl.tick(now, chip.frame(plant.probe_c, board_c))
        plant.step(element_powered(wiring, ctrl.heater_on, ctrl.relay_on))

    def new_controller():
        ctrl = HeaterController()
        ctrl.set_target_c(target_c)
        tick(ctrl)
        return ctrl

    ctrl = new_controller()
    if start != "cold":
        ctrl.start()
        held_s = 0.0
        while held_s < 600.0:
            tick(ctrl)
            held_s += DT_S if ctrl.state == "READY" else 0.0
            if ctrl.state not in ("HEATING", "READY"):
                raise AssertionError("the heat-up before the tune ended in %s %s"
                                     % (ctrl.state, ctrl.fault))
        if start == "rebooted-hot":
            ctrl = new_controller()
    ctrl.start_tune()
    wiring = None
    t_s = 0.0
    top = plant.water_c
    while ctrl.tune.phase not in ("done", "aborted") and t_s < limit_s:
        if fault is not None and t_s >= fault[1]:
            wiring = inject(fault[0], plant, chip)
            fault = None
        tick(ctrl, wiring)
        t_s += DT_S
        if plant.water_c > top:
            top = plant.water_c
    if hottest is not None:
        hottest.append(top)
    return ctrl, t_s
