"""A sweep as a background job (``workbench.jobs``): the driver the GUI runs in a worker process.

The driver's events go back as yielded values, in order; the front end's words stop launching ("stop") or
cancel the running trials ("cancel", also what cancelling the job sends). The trials themselves train in the
executor's own worker processes (or on Ray); this process is the one writer of the sweep's runs.
"""

from __future__ import annotations


def sweep_job(ctx, *, root: str, sweep_id: str, executor: str = "local", max_parallel: int | None = None,
              address: str | None = None) -> dict:
    """Run the sweep's unfinished trials; returns the final status of every trial."""
    from workbench.runs import RunStore
    from workbench.sweeps.engine import SweepControl, run_sweep
    from workbench.sweeps.executors import make_executor

    control = SweepControl()
    ctx.on_word(lambda word: {"stop": control.stop, "cancel": control.cancel}.get(word, lambda: None)())
    if ctx.cancelled:
        control.cancel()
    store = RunStore(root)
    ex = make_executor(executor, max_parallel=max_parallel, address=address)
    try:
        out = run_sweep(store, sweep_id, ex, on_event=ctx.yield_, control=control)
    finally:
        ex.close()
    return {"sweep_id": sweep_id, "complete": out.complete, "stopped": out.stopped, "cancelled": out.cancelled,
            "statuses": {t.idx: t.status for t in out.trials}, "wall_time_s": out.wall_time_s}
