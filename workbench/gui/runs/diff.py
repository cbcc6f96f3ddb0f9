"""The spec diff of two runs as coloured HTML: the run settings that differ, then the unified diff."""

from __future__ import annotations

from workbench.gui.common.theme import Theme
from workbench.runs import RunInfo, RunStore, spec_diff
from workbench.runs.naming import run_label
from workbench.textsafe import markup


def diff_html(store: RunStore, a: RunInfo, b: RunInfo, theme: Theme) -> tuple[str, list[str]]:
    """(html, lines): ``a`` is the older run. ``lines`` are the differing settings followed by the diff."""
    lines = spec_diff(store, a.id, b.id)
    pa, pb = a.params, b.params
    param_lines = [f"{k}: {pa.get(k)!r} → {pb.get(k)!r}" for k in sorted(set(pa) | set(pb))
                   if pa.get(k) != pb.get(k) and k != "spec_dir"]
    html = [f"<h3>{markup(run_label(a))} → {markup(run_label(b))}</h3><p>{a.id} → {b.id}</p>",
            "<b>Run settings that differ</b><pre>"]
    html += [markup(s) for s in param_lines] or ["(none)"]
    html.append("</pre><b>Spec diff</b><pre>")
    if not lines:
        html.append("the two specs are identical")
    for line in lines:
        color = theme.ok if line.startswith("+") else theme.error if line.startswith("-") else \
            theme.highlight if line.startswith("@@") else theme.text
        html.append(f'<span style="color:{color}">{markup(line)}</span>')
    html.append("</pre>")
    return "\n".join(html), param_lines + lines
