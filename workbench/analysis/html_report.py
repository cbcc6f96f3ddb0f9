"""A self-contained HTML report of one run or a comparison of runs, for people who will not open the workbench.

Qt-free, so ``qmtl report RUN... --out FILE.html`` and the workbench's Report action write the same file:
run settings, test metrics per task, parameter counts, circuit resources, training curves (matplotlib Agg
PNGs embedded as base64), the spec (or the spec diff of two runs) and, where the caller has one, a picture of
the circuit (the workbench renders its composer scene). Everything is inline: the file can be mailed.
"""

from __future__ import annotations

import base64
import html
import io
import math
import time
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from workbench.analysis.report_sections import hardware_section, headline, is_quantum, noise_section, run_label
from workbench.runs import RunInfo, RunStore, spec_diff

HUES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6BB1", "#B8A000"]
STYLE = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 9}

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1f24; margin: 32px auto;
       max-width: 1100px; line-height: 1.45; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 20px; margin-top: 36px; border-bottom: 1px solid #ddd; }
h3 { font-size: 16px; margin-top: 24px; }
.muted { color: #5d6470; } .ok { color: #2e7d32; } .bad { color: #c62828; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #d8dbe0; padding: 4px 10px; text-align: left; }
th { background: #f3f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f7f9; border: 1px solid #e3e5e8; padding: 10px; font-size: 12px; overflow-x: auto; }
img { max-width: 100%; } .diff-add { color: #2e7d32; } .diff-del { color: #c62828; } .diff-hunk { color: #2f6fdb; }
table.cards td.card { padding: 8px 18px; min-width: 140px; } .big { font-size: 20px; }
"""


def _esc(value) -> str:
    return html.escape(str(value))


def _png(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def image_data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def _fmt(v, digits: int = 3) -> str:
    if isinstance(v, float):
        return "–" if not math.isfinite(v) else f"{v:.{digits}f}"
    return "–" if v is None else str(v)


def _plain(v) -> str:
    return "–" if v is None or v == "" else f"{v:g}" if isinstance(v, float) else str(v)


def run_curves_png(store: RunStore, info: RunInfo) -> str | None:
    """Per-task loss and accuracy, train (solid) and validation (dashed), against the epoch."""
    rows = [r for r in store.metrics(info.id) if r.split in ("train", "val") and "." in r.key]
    if not rows:
        return None
    tasks = list(dict.fromkeys(r.key.rsplit(".", 1)[0] for r in rows))
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(10, 3.6))
        axes = fig.subplots(1, 2)
        for ax, metric in zip(axes, ("loss", "accuracy")):
            for k, task in enumerate(tasks):
                for split, ls in (("train", "-"), ("val", "--")):
                    sel = [r for r in rows if r.split == split and r.key == f"{task}.{metric}"]
                    if sel:
                        ax.plot([r.epoch for r in sel], [r.value for r in sel], ls, color=HUES[k % len(HUES)],
                                marker="o" if split == "val" else None, ms=4, lw=2,
                                label=f"{task} ({'validation' if split == 'val' else 'train'})")
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(metric)
            ax.grid(alpha=0.3)
        axes[1].set_ylim(0, 1.02)
        axes[1].legend(loc="lower right", ncol=1 if len(tasks) < 3 else 2)
        fig.suptitle(f"{info.name} ({info.id})", fontsize=12)
    return _png(fig)


def comparison_png(store: RunStore, infos: list[RunInfo], key: str = "mean_accuracy") -> str | None:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(10, 4))
        axes = fig.subplots(1, 2)
        drawn = False
        for ax, (split, k) in zip(axes, (("val", key), ("val", "loss"))):
            for i, info in enumerate(infos):
                sel = store.metrics(info.id, key=k, split=split)
                if sel:
                    drawn = True
                    ax.plot([r.epoch for r in sel], [r.value for r in sel], "-o", ms=3, lw=2,
                            color=HUES[i % len(HUES)], label=run_label(info))
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(f"validation {k.replace('_', ' ')}")
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8, loc="lower right")
    return _png(fig) if drawn else None


def _test_metrics(store: RunStore, info: RunInfo) -> dict[str, dict[str, float]]:
    test = info.summary.get("test") if isinstance(info.summary.get("test"), dict) else None
    if test:
        return test
    out: dict[str, dict[str, float]] = {}
    for r in store.metrics(info.id, split="test"):
        if "." in r.key:
            task, metric = r.key.rsplit(".", 1)
            out.setdefault(task, {})[metric] = r.value
    return out


def _class_names(spec_text: str, fmt: str) -> list[tuple[str, str]]:
    """("classes of “task”", its class names) for the tasks whose spec names their classes."""
    from workbench.spec import loads

    try:
        spec = loads(spec_text, fmt, "report")
    except Exception:  # noqa: BLE001 - the settings table goes out without the names
        return []
    return [(f"classes of “{t.name}”", ", ".join(t.class_names)) for t in spec.tasks if t.class_names]


def _resources_table(spec_text: str, fmt: str) -> str:
    try:
        from workbench.circuits import build_program, program_resources
        from workbench.spec import loads

        spec = loads(spec_text, fmt, "report")
        res = program_resources(build_program(spec))
    except Exception as exc:  # noqa: BLE001 - a report still goes out without the circuit counts
        return f'<p class="muted">circuit resources unavailable: {_esc(exc)}</p>'
    rows = [("shared encoder", res.encoder.params, res.encoder.depth, res.encoder.two_qubit, "", "")]
    for task, block in res.blocks.items():
        c = res.circuits[task]
        rows.append((f"task block “{task}”", block.params, block.depth, block.two_qubit, c.depth, c.two_qubit))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i else ""}>{_esc(v)}</td>' for i, v in enumerate(r))
                   + "</tr>" for r in rows)
    return ("<table><tr><th>block</th><th>params</th><th>depth</th><th>2q gates</th><th>task circuit depth</th>"
            f"<th>task circuit 2q</th></tr>{body}<tr><th>quantum head</th><td class=num><b>{res.total_params}</b>"
            f"</td><td></td><td></td><td class=num>{res.max_depth}</td><td class=num>{res.total_two_qubit}</td>"
            "</tr></table>")


def _run_section(store: RunStore, info: RunInfo, circuit: tuple[bytes, str] | None, full: bool) -> str:
    p = info.params
    status_class = "ok" if info.status == "finished" else "bad" if info.status == "failed" else "muted"
    out = [f'<h2>{_esc(run_label(info))} <span class="muted">· {_esc(info.id)}</span></h2>']
    test = _test_metrics(store, info)
    mean_acc = info.summary.get("mean_test_accuracy")
    cards = [("status", f'<span class="{status_class}">{_esc(info.status)}</span>'),
             ("head / engine", f"{_esc(p.get('head', '?'))} / {_esc(p.get('engine', '?'))}"),
             ("mean test accuracy", _fmt(mean_acc)),
             ("head parameters", _fmt(info.summary.get("head_params"))),
             ("wall time", f"{_fmt(info.summary.get('wall_time_s'), 1)} s")]
    # a one-row table rather than flex boxes: Qt's rich-text preview lays tables out, not CSS flex
    cells = "".join(f'<td class="card"><span class="muted">{k}</span><br><b class="big">{v}</b></td>' for k, v in cards)
    out.append(f'<table class="cards"><tr>{cells}</tr></table>')
    if info.error:
        out.append(f'<p class="bad">error: {_esc(info.error)}</p>')
    curves = run_curves_png(store, info)
    if curves:
        out.append(f'<h3>Training curves</h3><p><img alt="training curves of {_esc(info.id)}" src="{curves}"></p>')
    if test:
        metrics = sorted({m for t in test.values() for m in t})
        out.append("<h3>Test metrics</h3><table><tr><th>task</th>" + "".join(f"<th>{_esc(m)}</th>" for m in metrics)
                   + "</tr>" + "".join(f"<tr><td>{_esc(t)}</td>" + "".join(f"<td class=num>{_fmt(v.get(m))}</td>"
                                                                          for m in metrics) + "</tr>"
                                       for t, v in test.items()) + "</table>")
    out += [part for part in (noise_section(info), hardware_section(info)) if part]
    text, fmt = store.spec(info.id)
    quantum = is_quantum(info)  # a classical head has no circuit: neither picture nor resources
    if circuit is not None and quantum:
        data, mime = circuit
        out.append(f'<h3>Circuit</h3><p><img alt="circuit of {_esc(info.id)}" src="{image_data_uri(data, mime)}"></p>')
    settings = [("seed", p.get("seed")), ("epochs", p.get("epochs")), ("batch size", p.get("batch_size")),
                ("learning rate", p.get("lr")), ("optimizer", p.get("optimizer")), ("qubits", p.get("qubits")),
                ("dataset", p.get("dataset")), ("device", p.get("device")), ("created", info.created[:19]),
                ("tags", ", ".join(info.tags) or "–"), ("note", info.note or "–")]
    settings += _class_names(text, fmt)
    out.append("<h3>Settings</h3><table>" + "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(_plain(v))}</td></tr>"
                                                    for k, v in settings) + "</table>")
    params = info.summary.get("params") or {}
    if params:
        tasks = params.get("task_heads") or {}
        rows = [("backbone", params.get("backbone")), ("shared head", params.get("shared_head"))]
        rows += [(f"task head “{t}”", n) for t, n in tasks.items()]
        rows += [("head total", params.get("head_total")), ("total", params.get("total"))]
        out.append("<h3>Trainable parameters</h3><table>" + "".join(
            f"<tr><th>{_esc(k)}</th><td class=num>{_esc(_fmt(v))}</td></tr>" for k, v in rows) + "</table>")
    if quantum:
        out.append("<h3>Circuit resources</h3>" + _resources_table(text, fmt))
    if full:
        out.append(f"<h3>Spec ({_esc(fmt)})</h3><pre>{_esc(text)}</pre>")
    return "\n".join(out)


def build_report(store: RunStore, run_ids: list[str], circuits: dict[str, tuple[bytes, str]] | None = None,
                 title: str | None = None) -> str:
    """The report's HTML. ``circuits`` maps a run id to (image bytes, mime type)."""
    if not run_ids:
        raise ValueError("a report needs at least one run")
    infos = [store.get(store.resolve(r)) for r in run_ids]
    circuits = circuits or {}
    title = title or (f"Run {infos[0].id}: {infos[0].name}" if len(infos) == 1
                      else f"Comparison of {len(infos)} runs")
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_esc(title)}</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>{_esc(title)}</h1><p class='muted'>QMTL Workbench report · "
             f"{time.strftime('%Y-%m-%d %H:%M')}</p>"]
    parts.append(headline(infos))
    if len(infos) > 1:
        parts.append("<h2>Summary</h2><table><tr><th>run</th><th>name</th><th>status</th><th>head</th>"
                     "<th>engine</th><th>seed</th><th>mean test accuracy</th><th>head params</th></tr>")
        for i in infos:
            parts.append(f"<tr><td>{_esc(i.id)}</td><td>{_esc(run_label(i))}</td><td>{_esc(i.status)}</td>"
                         f"<td>{_esc(i.params.get('head', ''))}</td><td>{_esc(i.params.get('engine', ''))}</td>"
                         f"<td class=num>{_esc(i.params.get('seed', ''))}</td>"
                         f"<td class=num>{_fmt(i.summary.get('mean_test_accuracy'))}</td>"
                         f"<td class=num>{_fmt(i.summary.get('head_params'))}</td></tr>")
        parts.append("</table>")
        comp = comparison_png(store, infos)
        if comp:
            parts.append(f'<p><img alt="comparison" src="{comp}"></p>')
        if len(infos) == 2:
            lines = spec_diff(store, infos[0].id, infos[1].id)
            body = "\n".join(
                f'<span class="{"diff-add" if ln.startswith("+") else "diff-del" if ln.startswith("-") else "diff-hunk" if ln.startswith("@@") else ""}">{_esc(ln)}</span>'  # noqa: E501
                for ln in lines) or "the two specs are identical"
            parts.append(f"<h2>Spec diff</h2><pre>{body}</pre>")
    for info in infos:
        parts.append(_run_section(store, info, circuits.get(info.id), full=len(infos) == 1))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(store: RunStore, run_ids: list[str], path: str | Path, **kw) -> Path:
    path = Path(path)
    path.write_text(build_report(store, run_ids, **kw), encoding="utf-8")
    return path
