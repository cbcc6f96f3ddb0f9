"""PNG plots of the reproduction report, drawn on matplotlib's Agg canvas (no pyplot, no GUI backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

COLORS = {"qmtl": "#1f77b4", "hps": "#d62728", "hybrid": "#2ca02c", "single": "#9467bd"}
SHORT = {"qmtl": "QMTL", "hps": "HPS", "hybrid": "hybrid", "single": "single VQC/task"}
STYLE = {"font.size": 12, "axes.titlesize": 14, "axes.labelsize": 13, "legend.fontsize": 11,
         "xtick.labelsize": 11, "ytick.labelsize": 11, "figure.titlesize": 15}
DPI = 130
# QMTL and single often coincide exactly (same parameters, same function): solid filled vs dashed hollow.
MARKERS = {
    "qmtl": dict(fmt="o-", color=COLORS["qmtl"], lw=2.4, ms=8, zorder=5),
    "hps": dict(fmt="s-", color=COLORS["hps"], lw=2.0, ms=7, zorder=4),
    "hybrid": dict(fmt="^-", color=COLORS["hybrid"], lw=2.0, ms=7, zorder=3),
    "single": dict(fmt="D--", color=COLORS["single"], lw=1.6, ms=7, mfc="white", mew=1.8, zorder=6),
}


def _style(head: str, line: bool = True) -> tuple[str, dict]:
    kw = dict(MARKERS[head])
    fmt = kw.pop("fmt")
    return (fmt if line else fmt[0]), kw


def _save(fig: Figure, path: Path) -> str:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white")
    return str(path)


def scaling_plot(scaling, fits: dict, path: Path, alpha: float) -> str:
    """Head parameters (left axis) and circuit depth / two-qubit gates (right axis) against T, log-log."""
    T = scaling["T"].to_numpy()
    ex = fits["upper_half"]
    lo, hi = ex["T"]
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(9.5, 6.0))
        ax = fig.add_subplot()
        ax.loglog(T, scaling["classical_params"], "o-", color=COLORS["hps"], lw=2.2, ms=7,
                  label=f"classical HPS heads, params (slope {ex['classical_params']:.2f})")
        ax.loglog(T, scaling["quantum_params"], "s-", color=COLORS["qmtl"], lw=2.2, ms=7,
                  label=f"QMTL quantum head, params (slope {ex['quantum_params']:.2f})")
        ax.set_xlabel(f"number of tasks T  (shared width d = {alpha:g} T)")
        ax.set_ylabel("trainable head parameters")
        ax.set_xticks(T)
        ax.set_xticklabels([str(t) for t in T])
        ax.minorticks_off()
        ax.grid(True, which="major", alpha=0.3)
        ax2 = ax.twinx()
        ax2.set_yscale("log")
        ax2.plot(T, scaling["depth"], "^--", color="#ff7f0e", lw=1.8, ms=6,
                 label=f"circuit depth, deepest task (slope {ex['depth']:.2f})")
        ax2.plot(T, scaling["two_qubit"], "v--", color="#7f7f7f", lw=1.8, ms=6,
                 label=f"two-qubit gates, all task circuits (slope {ex['two_qubit']:.2f})")
        ax2.set_ylabel("circuit depth / two-qubit gates (dashed)")
        # One scale for both axes: a count on the right reads the same as a count on the left.
        values = scaling[["classical_params", "quantum_params", "depth", "two_qubit"]].to_numpy()
        lim = (values.min() / 1.3, values.max() * 1.3)
        ax.set_ylim(*lim)
        ax2.set_ylim(*lim)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper left", framealpha=0.92)
        ax.set_title("Head parameters vs circuit cost as tasks are added\n"
                     f"(slopes: log-log fit over T = {lo}..{hi}; 2 = quadratic, 1 = linear)")
        return _save(fig, path)


def accuracy_plot(tasks, summary, datasets: list[str], heads, path: Path, title: str) -> str:
    """One panel per dataset: test accuracy per task and the mean over tasks, a marker per head with +- std
    over seeds. Markers, not bars: the accuracy axis does not start at zero."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(6.4 * len(datasets) + 0.5, 6.4))
        axes = fig.subplots(1, len(datasets), squeeze=False)[0]
        for ax, dataset in zip(axes, datasets):
            part = tasks[tasks["dataset"] == dataset]
            names = list(dict.fromkeys(part["task"]))
            x = np.arange(len(names))
            w = 0.7 / max(len(heads) - 1, 1)
            lows = []
            for k, head in enumerate(heads):
                rows = part[part["head"] == head].set_index("task").reindex(names)
                if rows["accuracy_mean"].isna().all():
                    continue
                params = summary[(summary["dataset"] == dataset) & (summary["head"] == head)]["head_params"]
                label = f"{SHORT[head]} ({int(params.iloc[0])})" if len(params) else SHORT[head]
                err = np.nan_to_num(rows["accuracy_std"].to_numpy())
                fmt, kw = _style(head, line=False)
                ax.errorbar(x + (k - (len(heads) - 1) / 2) * w, rows["accuracy_mean"], err, fmt=fmt, capsize=4,
                            elinewidth=1.8, label=label, **kw)
                lows.append(float(np.nanmin(rows["accuracy_mean"] - err)))
            for i in range(0, len(names), 2):
                ax.axvspan(i - 0.5, i + 0.5, color="#f2f2f2", zorder=0)
            ax.set_xticks(x)
            ax.set_xticklabels(names)
            ax.set_xlim(-0.5, len(names) - 0.5)
            bottom = max(0.0, np.floor((min(lows, default=0.0) - 0.03) * 20) / 20)
            ax.set_ylim(bottom, 1.005)
            ax.set_ylabel("test accuracy")
            ax.set_xlabel("task ('mean': mean over the tasks)")
            ax.set_title(dataset)
            ax.grid(True, axis="y", alpha=0.4)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, framealpha=0.92,
                      title="head (trainable head parameters)")
        fig.suptitle(title)
        return _save(fig, path)


def synthetic_plot(summary, heads, path: Path, title: str) -> str:
    """Synthetic data: mean accuracy (+- std) and head parameters against T, per head."""
    part = summary[summary["dataset"].str.startswith("synthetic")]
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(13.5, 5.6))
        ax1, ax2 = fig.subplots(1, 2)
        for k, head in enumerate(heads):
            rows = part[part["head"] == head].sort_values("T")
            if rows.empty:
                continue
            shift = (k - (len(heads) - 1) / 2) * 0.05  # keep equal points (QMTL and single) both visible
            fmt, kw = _style(head)
            ax1.errorbar(rows["T"] + shift, rows["mean_accuracy_mean"], np.nan_to_num(rows["mean_accuracy_std"]),
                         fmt=fmt, capsize=4, label=SHORT[head], **kw)
            ax2.plot(rows["T"] + shift, rows["head_params"], fmt, label=SHORT[head], **kw)
        ts = sorted(part["T"].unique())
        for ax in (ax1, ax2):
            ax.set_xticks(ts)
            ax.set_xlabel("number of tasks T  (d = 8 T)")
            ax.grid(True, alpha=0.3)
            ax.legend(framealpha=0.92)
        ax1.set_ylabel("mean test accuracy over tasks")
        ax1.set_title("accuracy (mean +- std over seeds)")
        ax2.set_ylim(bottom=0)
        ax2.set_ylabel("trainable head parameters")
        ax2.set_title("head parameters (QMTL = single VQC/task)")
        fig.suptitle(title)
        return _save(fig, path)


def write_plots(rep) -> dict[str, str]:
    from workbench.analysis.reproduce import ALPHA

    out = rep.out_dir
    quick = " [quick run]" if rep.settings.quick else ""
    heads = rep.settings.heads
    plots = {"scaling": scaling_plot(rep.scaling, rep.scaling_fits, out / "scaling.png", ALPHA)}
    real = [s.label for s in rep.studies if s.group != "synthetic"]
    if real:
        plots["accuracy"] = accuracy_plot(rep.tasks, rep.summary, real, heads, out / "accuracy.png",
                                          f"Test accuracy per task, mean +- std over {rep.settings.seeds} "
                                          f"seed(s){quick}")
    if any(s.group == "synthetic" for s in rep.studies):
        plots["synthetic"] = synthetic_plot(rep.summary, heads, out / "synthetic.png",
                                            f"Synthetic related tasks, {rep.settings.seeds} seed(s){quick}")
    return plots
