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


def noise_comparison(ctx, *, root: str, run_id: str, backends: list[str], shots: int | None, engine: str = "aer",
                     limit: int | None = None, seed: int = 0, store: bool = True) -> tuple:
    """What ``qmtl noise RUN`` does, as a job: evaluate the run's trained head on its test split under each
    backend, with each ``NoiseProgress`` as ``ctx.progress(..., event=...)`` and the job's cancel as the cancel
    token (a cancelled comparison returns, and stores, the backends it finished); then store with the run.
    Returns (NoiseReport, stored file names)."""
    from workbench.analysis.noise import evaluate_noise, parse_backends, store_report, trained_inputs
    from workbench.runs.store import RunStore

    runs = RunStore(root)
    program, weights, h, labels, title = trained_inputs(runs, run_id, limit)
    choices = parse_backends(backends, program.n_qubits, where="backends")

    def progress(ev) -> None:
        ctx.progress(f"{ev.index + 1}/{ev.total} {ev.backend}: {ev.phase}", None, event=ev)

    report = evaluate_noise(program, weights, h, labels, choices, shots=shots, engine=engine, seed=seed,
                            progress=progress, cancel=ctx)
    report.title = title
    stored = store_report(runs, run_id, report) if store and report.results else []
    return report, stored
