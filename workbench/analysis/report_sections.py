"""Parts of the HTML report written for a stakeholder: the headline (QMTL against the classical heads, mean
accuracy and head parameters side by side), readable run labels, and the stored noise and hardware results."""

from __future__ import annotations

import html
import math
import statistics

from workbench.runs import RunInfo

QUANTUM_HEADS = ("qmtl", "single", "hybrid")  # heads with a circuit; hps is the classical baseline
HEAD_NAMES = {"qmtl": "QMTL (quantum)", "hps": "classical HPS", "hybrid": "hybrid", "single": "single VQCs"}


def _esc(value) -> str:
    return html.escape(str(value))


def is_quantum(info: RunInfo) -> bool:
    return info.params.get("head", "qmtl") in QUANTUM_HEADS


def run_label(info: RunInfo) -> str:
    """"digits [qmtl] · qmtl · seed 0" rather than a bare run id."""
    p = info.params
    bits = [info.name]
    head = p.get("head")
    if head and f"[{head}]" not in info.name:
        bits.append(str(head))
    if p.get("seed") is not None:
        bits.append(f"seed {p['seed']}")
    return " · ".join(bits)


def _mean(values: list[float]) -> tuple[float, float | None]:
    if len(values) == 1:
        return values[0], None
    return statistics.fmean(values), statistics.stdev(values)


def headline(infos: list[RunInfo]) -> str:
    """One row per head over finished runs: mean test accuracy (± std over seeds) and head parameters, and a
    sentence comparing QMTL with the classical heads when both are there."""
    by_head: dict[str, list[RunInfo]] = {}
    for info in infos:
        acc = info.summary.get("mean_test_accuracy")
        if info.status == "finished" and isinstance(acc, (int, float)) and math.isfinite(acc):
            by_head.setdefault(str(info.params.get("head", "?")), []).append(info)
    if not by_head:
        return ""
    rows, figures = [], {}
    for head, runs in sorted(by_head.items(), key=lambda kv: (kv[0] != "qmtl", kv[0])):
        mean, std = _mean([float(r.summary["mean_test_accuracy"]) for r in runs])
        params = sorted({r.summary.get("head_params") for r in runs if r.summary.get("head_params") is not None})
        figures[head] = (mean, params[0] if len(params) == 1 else None)
        acc = f"{mean:.3f}" + (f" ± {std:.3f}" if std is not None else "")
        rows.append(f"<tr><td><b>{_esc(HEAD_NAMES.get(head, head))}</b></td><td class=num>{len(runs)}</td>"
                    f"<td class=num><b class=big>{acc}</b></td>"
                    f"<td class=num><b class=big>{_esc(', '.join(str(p) for p in params) or '–')}</b></td></tr>")
    out = ["<h2>Headline</h2>"]
    quantum = figures.get("qmtl")
    classical = {h: f for h, f in figures.items() if h not in QUANTUM_HEADS}
    if quantum and classical:
        sentences = []
        for head, (acc, params) in classical.items():
            diff = quantum[0] - acc
            verb = "above" if diff > 0 else "below" if diff < 0 else "level with"
            text = (f"QMTL reaches a mean test accuracy of <b>{quantum[0]:.3f}</b>, "
                    f"{abs(diff) * 100:.1f} points {verb} the {HEAD_NAMES.get(head, head)} head ({acc:.3f})")
            if quantum[1] and params:
                text += (f", with <b>{quantum[1]}</b> head parameters against {params} "
                         f"({params / quantum[1]:.1f}× as many in the classical head)" if params >= quantum[1] else
                         f", with <b>{quantum[1]}</b> head parameters against {params}")
            sentences.append(text + ".")
        out.append("<p class=big>" + " ".join(sentences) + "</p>")
    out.append("<table><tr><th>head</th><th>runs</th><th>mean test accuracy</th><th>head parameters</th></tr>"
               + "".join(rows) + "</table>")
    if any(len(r) > 1 for r in by_head.values()):
        out.append('<p class="muted">± is the standard deviation over the runs (seeds) of a head.</p>')
    return "\n".join(out)


def noise_section(info: RunInfo) -> str:
    """The noise comparisons stored with a run: accuracy per task and backend, shots when sampled."""
    noise = info.summary.get("noise")
    if not isinstance(noise, dict) or not noise:
        return ""
    tasks = list(dict.fromkeys(t for per in noise.values() if isinstance(per, dict) for t in per))
    head = "".join(f"<th>{_esc(t)}</th>" for t in tasks)
    rows = []
    for backend, per in noise.items():
        if not isinstance(per, dict):
            continue
        cells = []
        for t in tasks:
            m = per.get(t) or {}
            acc = m.get("accuracy")
            se = m.get("accuracy_se")  # shot noise (bootstrap standard error) when the backend sampled
            cells.append("<td class=num>" + ("–" if acc is None else f"{acc:.3f}"
                                              + (f" ± {se:.3f}" if se else "")) + "</td>")
        rows.append(f"<tr><td>{_esc(backend)}</td>{''.join(cells)}</tr>")
    return ("<h3>Noise comparison (test accuracy)</h3><table><tr><th>backend</th>" + head + "</tr>"
            + "".join(rows) + "</table><p class=muted>± is the shot-noise standard error where a backend was "
            "sampled with a finite number of shots.</p>")


def hardware_section(info: RunInfo) -> str:
    """Hardware (or local-testing) runs stored with a run: backend, status, shots, accuracy against ideal."""
    hw = info.summary.get("hardware")
    if not isinstance(hw, dict) or not hw:
        return ""
    rows = []
    for backend, entry in hw.items():
        if not isinstance(entry, dict):
            continue
        mean = entry.get("mean_accuracy")
        ideal = entry.get("ideal_accuracy") or {}
        ideal_vals = [m["accuracy"] for m in ideal.values() if isinstance(m, dict) and m.get("accuracy") is not None]
        ideal_mean = sum(ideal_vals) / len(ideal_vals) if ideal_vals else None
        where = "local testing mode" if entry.get("local") else "IBM Quantum"
        rows.append(f"<tr><td>{_esc(backend)}</td><td>{_esc(where)}</td><td>{_esc(entry.get('status', ''))}</td>"
                    f"<td class=num>{_esc(entry.get('shots', ''))}</td><td class=num>{_esc(entry.get('samples', ''))}"
                    f"</td><td class=num>{'–' if mean is None or mean != mean else f'{mean:.3f}'}</td>"
                    f"<td class=num>{'–' if ideal_mean is None else f'{ideal_mean:.3f}'}</td>"
                    f"<td>{_esc(', '.join(entry.get('jobs') or []))}</td></tr>")
    return ("<h3>Hardware runs</h3><table><tr><th>backend</th><th>where</th><th>status</th><th>shots</th>"
            "<th>samples</th><th>mean accuracy</th><th>ideal (simulated)</th><th>jobs</th></tr>"
            + "".join(rows) + "</table>")
