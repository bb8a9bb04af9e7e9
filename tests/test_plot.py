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


def test_events_at_the_same_moment_share_one_label_in_the_session_unit():
    sc = SCENARIOS["workday"]
    result, trace = run(sc, record=True)
    fig = build_figure(result, trace, sc, unit="F", cutoff_c=60.0)
    texts = [t.get_text().strip() for t in fig.axes[0].texts]
    # the stones come back with the lid off: one label, not two printed over each other
    assert "lid off, 1.5 kg stones in at 95 F" in texts
    xs = sorted(t.get_position()[0] for t in fig.axes[0].texts)
    assert all(b - a > 0.01 for a, b in zip(xs, xs[1:]))
    assert not any(" C" in t for t in texts)


def test_labels_merge_only_when_they_would_overprint():
    from stoneheat.sim.plot import merge_labels
    labels = [(1.0, "b", "k"), (0.0, "a", "tab:red"), (0.005, "c", "tab:red"), (2.0, "d", "k")]
    assert merge_labels(labels, 0.01) == [(0.0, "a, c", "tab:red"), (1.0, "b", "k"),
                                          (2.0, "d", "k")]
    assert merge_labels([(0.0, "a", "tab:red"), (0.0, "b", "k")], 0.01) == [(0.0, "a, b", "k")]


def test_the_simulator_doc_describes_the_labels_the_plot_draws():
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[1] / "docs" / "simulator.md").read_text()
    sc = SCENARIOS["workday"]
    result, trace = run(sc, record=True)
    texts = [t.get_text().strip() for t in build_figure(result, trace, sc).axes[0].texts]
    assert "lid off, 1.5 kg stones in at 35 C" in texts
    for words in ('"lid off, 1.5 kg stones in at 35 C"', '"fault: NAME"', '"latched CODE"',
                  "the cutoff at 140.0 F"):
        assert words in doc, words
