"""The plot names what happened where it happened: the injected fault, the code the firmware
latched, the cutoff, and the power the element really got beside the duty asked for."""

from stoneheat.sim.faults import parse_fault
from stoneheat.sim.plot import build_figure
from stoneheat.sim.runner import DT_S, run
from stoneheat.sim.scenarios import SCENARIOS


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [
        line.get_label() for ax in fig.axes for line in ax.get_lines()]


def test_a_welded_ssr_is_named_and_its_power_drawn_beside_the_duty():
    sc = SCENARIOS["heatup"]
    result, trace = run(sc, faults=[parse_fault("ssr-welded@1800")], record=True)
    fig = build_figure(result, trace, sc, cutoff_c=60.0)
    texts = " | ".join(_texts(fig))
    assert "fault: ssr-welded" in texts
    assert "latched SSR_WELDED" in texts
    assert "cutoff 60.0 C" in texts
    # after the weld the element heats whatever the controller asks
    after = range(int((1800 + 60) / DT_S), len(trace.duty))
    assert any(trace.heater_on[i] > trace.duty[i] + 0.5 for i in after)


def test_a_plot_in_fahrenheit_labels_the_target_in_fahrenheit():
    sc = SCENARIOS["heatup"]
    result, trace = run(sc, record=True)
    fig = build_figure(result, trace, sc, unit="F", cutoff_c=60.0)
    texts = " | ".join(_texts(fig))
    assert "cutoff 140.0 F" in texts
    assert " F" in texts and "54.4 C" not in texts
