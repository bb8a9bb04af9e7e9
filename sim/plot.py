"""A picture of one run, for a person: what the water did, what the hold looked like up close,
and what the heater did, with each disturbance and fault named where it happened.

Three panels: the whole run (true water, the controller's reading, the target, the ready
band, the cutoff); the same run near the target, where a hold of a tenth of a degree is
visible (on the first panel's scale it is a flat line); and the heater: the duty the
controller asked for beside the power the element really got, which differ when a welded SSR
heats at duty 0 or an open element does not heat at 100 %.
"""

from ..firmware.units import c_to_f

NEAR_TARGET_C = 1.5  # half the height of the near-target panel
HOURS_FROM_S = 2 * 3600.0  # a longer run is drawn in hours


def plot_run(result, trace, path, scenario, unit="C", cutoff_c=None, max_points=4000):
    """Draw ``result``/``trace`` (a run recorded with ``record=True``) to the PNG ``path``."""
    import matplotlib.pyplot as plt

    fig = build_figure(result, trace, scenario, unit, cutoff_c, max_points)
    try:
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)


def build_figure(result, trace, scenario, unit="C", cutoff_c=None, max_points=4000):
    """The matplotlib figure of the run, temperatures in ``unit`` (C or F)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    to_unit = c_to_f if unit == "F" else (lambda c: c)
    n = len(trace.water_c)
    step = max(1, n // max_points)
    idx = range(0, n, step)
    in_hours = result["sim_s"] > HOURS_FROM_S
    scale = 3600.0 if in_hours else 60.0
    times = [trace.time_s(i) / scale for i in idx]

    def at(t_s):
        return t_s / scale

    fig, (ax_t, ax_z, ax_d) = plt.subplots(3, 1, sharex=True, figsize=(10, 8),
                                           gridspec_kw={"height_ratios": [3, 2, 1.3]})
    water = [to_unit(trace.water_c[i]) for i in idx]
    measured = [to_unit(trace.measured_c[i]) for i in idx]
    sp = to_unit(result["setpoint_c"])
    band = 0.5 * (1.8 if unit == "F" else 1.0)
    near = NEAR_TARGET_C * (1.8 if unit == "F" else 1.0)
    for ax in (ax_t, ax_z):
        ax.plot(times, measured, lw=0.8, color="tab:orange", label="measured (controller's view)")
        ax.plot(times, water, lw=1.4, color="tab:blue", label="true water")
        ax.axhline(sp, color="k", ls="--", lw=0.8, label="target %.1f %s" % (sp, unit))
        ax.axhspan(sp - band, sp + band, color="tab:green", alpha=0.12,
                   label="ready band +-%.1f %s" % (band, unit))
        ax.grid(alpha=0.3)
    if cutoff_c is not None:
        ax_t.axhline(to_unit(cutoff_c), color="tab:red", lw=1.0,
                     label="cutoff %.1f %s" % (to_unit(cutoff_c), unit))
    ax_z.set_ylim(sp - near, sp + near)
    ax_z.set_ylabel("near the target (%s)" % unit)
    ax_t.set_ylabel("temperature (%s)" % unit)

    # Disturbances: a line and the event's own words, on every panel's line and the top's text.
    labels = []  # (x, words, colour), drawn together so that coinciding ones do not overprint
    for e in scenario.events:
        if e.kind == "lid_on":
            continue
        for ax in (ax_t, ax_z, ax_d):
            ax.axvline(at(e.t_s), color="tab:purple", lw=0.6, alpha=0.5)
        labels.append((at(e.t_s), e.describe(unit), "tab:purple"))
    # Faults: when each was injected, and when (and which code) the firmware latched.
    if result.get("fault"):
        for name, t_s in zip(result["fault"].split("+"), result["faults_at_s"]):
            for ax in (ax_t, ax_z, ax_d):
                ax.axvline(at(t_s), color="tab:red", lw=1.0, ls=":")
            labels.append((at(t_s), "fault: %s" % name, "tab:red"))
    for f in result.get("faults", ()):
        for ax in (ax_t, ax_z, ax_d):
            ax.axvline(at(f["t_s"]), color="k", lw=1.0, ls="-.")
        labels.append((at(f["t_s"]), "latched %s" % f["code"], "k"))
    for x, text, color in merge_labels(labels, LABEL_GAP * (times[-1] - times[0] if times else 0)):
        _label(ax_t, x, text, color)

    ax_t.set_title("%s, controller %s, seed %d" % (result["scenario"], result["controller"],
                                                  result["seed"]))
    ax_t.legend(loc="lower right", fontsize=8)
    # Mean per plotted bucket: a single tick's duty (or on/off) is too jagged to read.
    asked, got = [], []
    for i in idx:
        seg = trace.duty[i:i + step]
        on = trace.heater_on[i:i + step]
        asked.append(100.0 * sum(seg) / len(seg))
        got.append(100.0 * sum(on) / len(on))
    ax_d.plot(times, got, lw=1.2, color="tab:red", label="power the element got")
    ax_d.plot(times, asked, lw=0.8, color="k", ls="--", label="duty the controller asked")
    ax_d.set_ylabel("heater (%)")
    ax_d.set_ylim(-5, 105)
    ax_d.legend(loc="upper right", fontsize=7)
    ax_d.grid(alpha=0.3)
    ax_d.set_xlabel("time (%s)" % ("h" if in_hours else "min"))
    fig.tight_layout()
    return fig


LABEL_GAP = 0.012  # labels closer than this share of the time axis would overprint: one label


def merge_labels(labels, gap):
    """Labels (x, text, colour) sorted by x, those within ``gap`` of the group's first joined
    into one text ("stones in, lid off"); a mixed group is drawn in black."""
    merged = []
    for x, text, color in sorted(labels, key=lambda lab: lab[0]):
        if merged and x - merged[-1][0] <= gap:
            x0, text0, color0 = merged[-1]
            merged[-1] = (x0, text0 + ", " + text, color0 if color0 == color else "k")
        else:
            merged.append((x, text, color))
    return merged


def _label(ax, x, text, color):
    """``text`` upright beside the line at ``x``, at the top of ``ax``."""
    ax.text(x, 0.98, " " + text, transform=ax.get_xaxis_transform(), rotation=90,
            va="top", ha="right", fontsize=7, color=color)
