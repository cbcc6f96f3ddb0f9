"""``qmtl bench`` measurements of one engine and precision in a process of its own.

``python -m workbench.analysis.bench_worker JSON``, JSON = {engine, precision, batches, n, tasks, reps,
min_seconds}.

The parent sets the thread counts in the environment (see ``workbench.engines.threads.thread_env``) so that
every engine starts with the same, unshared thread pools; memory peaks are this process's alone. Prints one JSON
line per batch: the timing row, or the reason the engine could not run.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time


def _steady(step, reps: int, min_seconds: float) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds (this process, all its threads) of each step."""
    times: list[float] = []
    cpu: list[float] = []
    start = time.perf_counter()
    while len(times) < reps or (time.perf_counter() - start < min_seconds and len(times) < 50 * reps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times, cpu


def measure(job: dict, batch: int) -> dict:
    from workbench.analysis.bench import PeakRSS
    from workbench.analysis.bench_peers import BUILDERS, LIGHTNING_TIMED_BATCH, Unavailable, _program

    row = {k: job[k] for k in ("engine", "precision", "n", "tasks")}
    row["device"] = job.get("device", "cpu")
    row["batch"] = batch
    row["threads"] = int(os.environ.get("OMP_NUM_THREADS", "0")) or None
    row["allocator"] = os.environ.get("GLIBC_TUNABLES")  # the same for every engine (``engines.allocator``)
    timed = min(batch, LIGHTNING_TIMED_BATCH) if job["engine"] == "lightning" else batch
    t0 = time.perf_counter()
    try:
        import torch

        torch.set_num_threads(row["threads"] or torch.get_num_threads())
        program = _program(job["n"], job["tasks"])
        extra = {"device": job["device"]} if job.get("device", "cpu") != "cpu" else {}
        step, note = BUILDERS[job["engine"]](program, timed, job["precision"], **extra)
    except Unavailable as exc:
        return {**row, "status": "unavailable", "reason": str(exc)}
    row["setup_s"] = time.perf_counter() - t0  # the first batch's includes the imports
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        step()  # first call: tracing, compilation (JAX), allocator growth
        row["warmup_s"] = time.perf_counter() - t0
        times, cpu = _steady(step, job["reps"], job["min_seconds"])
    scale = batch / timed
    seconds = statistics.median(times) * scale
    row.update(status="ok", note=note, step_ms=seconds * 1e3, min_step_ms=min(times) * scale * 1e3,
               samples_per_s=batch / seconds, best_samples_per_s=batch / (min(times) * scale),
               cpu_step_ms=statistics.median(cpu) * scale * 1e3,
               samples_per_cpu_s=batch / (statistics.median(cpu) * scale), reps=len(times),
               peak_mib=mem.mib, timed_batch=timed)
    if timed != batch:
        row["note"] += f"; timed on {timed} samples and scaled to {batch} (one tape per sample)"
    return row


def main() -> None:
    job = json.loads(sys.argv[1])
    for batch in job["batches"]:  # smallest first, so that a peak is not hidden by a larger one before it
        try:
            row = measure(job, batch)
        except Exception as exc:  # reported in the table, not a traceback in the middle of the bench
            row = {**job, "batch": batch, "status": "error", "reason": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(row), flush=True)
        if row["status"] == "unavailable":
            break


if __name__ == "__main__":
    main()
