"""``qmtl bench`` measurements of one engine and precision in a process of its own.

``python -m workbench.analysis.bench_worker JSON``, JSON = {engine, precision, batches, n, tasks, reps,
min_seconds}: every batch measured in one go.

``python -m workbench.analysis.bench_worker --serve JSON``, JSON = {engine, precision, batch, n, tasks}: set up
and take the first step, print a "ready" line (or why the engine cannot run), then time one window of steps per
command line read from standard input ({"seconds": s, "warm": k, "warm_seconds": w}: at least k untimed steps
and w seconds of them, then steps for s seconds),
printing each window's times, until {"stop": true}; the last line carries the memory peak. The parent alternates
its engines' windows (``bench.run_side_by_side``), so that all of them meet the same machine.

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


def _steady(step, reps: int, min_seconds: float, most: int | None = None) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds (this process, all its threads) of each step: at least ``reps`` steps, and more
    until ``min_seconds`` have passed or ``most`` steps (default 50 ``reps``) ran."""
    most = 50 * reps if most is None else most
    times: list[float] = []
    cpu: list[float] = []
    start = time.perf_counter()
    while len(times) < reps or (time.perf_counter() - start < min_seconds and len(times) < most):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times, cpu


def _window(step, seconds: float, warm: int, warm_seconds: float = 0.0) -> tuple[list[float], list[float]]:
    """Untimed steps, at least ``warm`` and for at least ``warm_seconds`` (caches refilled after another process
    ran: the same time for every engine, whatever its step), then steps for ``seconds`` (at least one)."""
    start = time.perf_counter()
    done = 0
    while done < warm or time.perf_counter() - start < warm_seconds:
        step()
        done += 1
    return _steady(step, 1, seconds, most=100_000)


def _prepare(job: dict, batch: int) -> tuple[dict, object]:
    """The row's fixed fields and the engine's step (None with the row saying why it cannot run)."""
    from workbench.analysis.bench_peers import BUILDERS, LIGHTNING_TIMED_BATCH, Unavailable, _program

    row = {k: job[k] for k in ("engine", "precision", "n", "tasks")}
    row["device"] = job.get("device", "cpu")
    row["batch"] = batch
    row["threads"] = int(os.environ.get("OMP_NUM_THREADS", "0")) or None
    row["allocator"] = os.environ.get("GLIBC_TUNABLES")  # the same for every engine (``engines.allocator``)
    row["timed_batch"] = min(batch, LIGHTNING_TIMED_BATCH) if job["engine"] == "lightning" else batch
    t0 = time.perf_counter()
    try:
        import torch

        torch.set_num_threads(row["threads"] or torch.get_num_threads())
        program = _program(job["n"], job["tasks"])
        extra = {"device": job["device"]} if job.get("device", "cpu") != "cpu" else {}
        step, row["note"] = BUILDERS[job["engine"]](program, row["timed_batch"], job["precision"], **extra)
    except Unavailable as exc:
        return {**row, "status": "unavailable", "reason": str(exc)}, None
    row["setup_s"] = time.perf_counter() - t0  # the first batch's includes the imports
    return row, step


def _first_step(row: dict, step) -> None:
    """The first call, timed apart into the row: tracing, compilation (JAX), allocator growth."""
    t0 = time.perf_counter()
    step()
    row["warmup_s"] = time.perf_counter() - t0


def summarize(row: dict, times: list[float], cpu: list[float], peak_mib: float) -> dict:
    """The timing row from every timed step: median (steady state), fastest, CPU time."""
    batch, timed = row["batch"], row["timed_batch"]
    scale = batch / timed
    seconds = statistics.median(times) * scale
    row = {**row, "status": "ok", "step_ms": seconds * 1e3, "min_step_ms": min(times) * scale * 1e3,
           "samples_per_s": batch / seconds, "best_samples_per_s": batch / (min(times) * scale),
           "cpu_step_ms": statistics.median(cpu) * scale * 1e3,
           "samples_per_cpu_s": batch / (statistics.median(cpu) * scale), "reps": len(times), "peak_mib": peak_mib}
    if timed != batch:
        row["note"] += f"; timed on {timed} samples and scaled to {batch} (one tape per sample)"
    return row


def measure(job: dict, batch: int) -> dict:
    from workbench.analysis.bench import PeakRSS

    row, step = _prepare(job, batch)
    if step is None:
        return row
    with PeakRSS() as mem:
        _first_step(row, step)
        times, cpu = _steady(step, job["reps"], job["min_seconds"])
    return summarize(row, times, cpu, mem.mib)


def serve(job: dict) -> None:
    """Set up, take the first step, then time the windows the parent asks for (see the module's docstring)."""
    from workbench.analysis.bench import PeakRSS

    row, step = _prepare(job, job["batch"])
    if step is None:
        print(json.dumps(row), flush=True)
        return
    with PeakRSS() as mem:
        _first_step(row, step)
        print(json.dumps({**row, "status": "ready"}), flush=True)
        for line in sys.stdin:
            cmd = json.loads(line)
            if cmd.get("stop"):
                break
            times, cpu = _window(step, float(cmd["seconds"]), int(cmd.get("warm", 0)),
                                 float(cmd.get("warm_seconds", 0.0)))
            print(json.dumps({"times": times, "cpu": cpu}), flush=True)
    print(json.dumps({"peak_mib": mem.mib}), flush=True)


def main() -> None:
    if sys.argv[1] == "--serve":
        try:
            serve(json.loads(sys.argv[2]))
        except Exception as exc:  # the parent reports it in the table
            print(json.dumps({"status": "error", "reason": f"{type(exc).__name__}: {exc}"}), flush=True)
        return
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
