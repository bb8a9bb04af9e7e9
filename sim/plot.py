"""A picture of one run: true water, measured temperature, setpoint, and heater duty."""


def plot_run(result, trace, path, scenario, max_points=4000):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(trace.water_c)
    step = max(1, n // max_points)
    idx = range(0, n, step)
    minutes = [trace.time_s(i) / 60.0 for i in idx]
    fig, (ax_t, ax_d) = plt.subplots(2, 1, sharex=True, figsize=(10, 6),
                                     gridspec_kw={"height_ratios": [3, 1]})
    ax_t.plot(minutes, [trace.measured_c[i] for i in idx], lw=0.8, color="tab:orange",
              label="measured (controller's view)")
    ax_t.plot(minutes, [trace.water_c[i] for i in idx], lw=1.4, color="tab:blue",
              label="true water")
    sp = result["setpoint_c"]
    ax_t.axhline(sp, color="k", ls="--", lw=0.8, label="setpoint %.1f C" % sp)
    ax_t.axhspan(sp - 0.5, sp + 0.5, color="tab:green", alpha=0.12, label="ready band +-0.5 C")
    for e in scenario.events:
        if e.kind != "lid_on":
            ax_t.axvline(e.t_s / 60.0, color="tab:red", lw=0.6, alpha=0.5)
    ax_t.set_ylabel("temperature (C)")
    ax_t.set_title("%s, controller %s, seed %d" % (result["scenario"], result["controller"],
                                                  result["seed"]))
    ax_t.legend(loc="lower right", fontsize=8)
    ax_t.grid(alpha=0.3)
    # Mean duty per plotted bucket: a single tick's duty is too jagged to read.
    duty = []
    for i in idx:
        seg = trace.duty[i:i + step]
        duty.append(100.0 * sum(seg) / len(seg))
    ax_d.plot(minutes, duty, lw=0.8, color="tab:red")
    ax_d.set_ylabel("heater duty (%)")
    ax_d.set_xlabel("time (min); red lines: disturbances")
    ax_d.set_ylim(-5, 105)
    ax_d.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
