"""The scaling study as background jobs (``workbench.jobs``) for the GUI's worker process: it builds torch heads
for every T (about 70 ms for the demo, seconds to tens of seconds for 16 qubits and 200 gates)."""

from __future__ import annotations

SCALING_TASKS = range(1, 13)


def scaling_rows(ctx, *, spec, tasks=SCALING_TASKS) -> list[tuple[int, int, int, int]]:
    """(T, d, classical params, quantum params) for each T, at the spec's own d = alpha*T."""
    from workbench.analysis.scaling import scaling_table

    return [(r.T, r.d, r.classical_params, r.quantum_params) for r in scaling_table(spec, tasks=tasks)]


def scaling_study(ctx, *, spec, tasks: str = "1-12") -> dict:
    """What ``qmtl params --json`` reports for the plot: d = alpha*T with alpha = width / tasks of the spec."""
    from workbench.analysis.scaling import parse_task_range, scaling_table

    alpha = spec.backbone.width / len(spec.tasks)
    notes: list[str] = []
    rows = scaling_table(spec, parse_task_range(tasks), alpha, notes)
    return {"alpha": alpha, "rows": [r.as_dict() for r in rows], "notes": notes}
