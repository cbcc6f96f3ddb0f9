"""How many intra-op threads a simulation should use, and how to give a child process exactly that many.

Why one thread at the workbench's sizes: on the 2-core machine, with one other CPU-bound process running
(``qmtl bench --contended``), our engine with both cores' threads fell to a fraction of its one-thread speed
(n=8, T=3: 178 against 663 samples/s at batch 32, 783 against 8,233 at batch 1024, complex64): torch's worker
threads wait on each other's time slices. Idle, a second thread bought little at n=8 (the step is a few small
matrix products). Above ``ONE_THREAD_BELOW`` amplitudes x batch, one more thread per multiple of it, up to the
cores: a conservative threshold (states of 2^12 amplitudes x 1024 samples and up), not a crossover measured on a
larger machine. Many runs go to processes, one thread each, rather than threads.

Public API (the GUI, the trainer, and anything that launches runs call these):

- ``threads_for(n_qubits, batch, density=False)``: the intra-op thread count for one simulation;
- ``apply_thread_policy(n_qubits, batch, density=False)``: set it on torch in this process, return the count;
- ``thread_scope(threads)``: a context manager that sets torch's count for a block and restores it;
- ``thread_env(threads)``: environment variables that pin a child process's pools (OpenMP, MKL, XLA, torch);
- ``processes_for(runs)``: how many worker processes to use for ``runs`` independent runs.

``QMTL_THREADS=k`` in the environment overrides the policy everywhere.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

# Amplitudes x batch (x tasks) below which one thread is faster or as fast: see the measurement in the docstring
# of ``threads_for``.
ONE_THREAD_BELOW = 1 << 22


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def threads_for(n_qubits: int, batch: int, density: bool = False) -> int:
    """Intra-op threads for simulating ``batch`` states of ``n_qubits`` (density matrices: 4^n amplitudes).
    ``QMTL_THREADS`` in the environment overrides the policy."""
    forced = os.environ.get("QMTL_THREADS", "").strip()
    if forced.isdigit() and int(forced) > 0:
        return int(forced)
    amplitudes = (4 if density else 2) ** max(int(n_qubits), 0)
    work = amplitudes * max(int(batch), 1)
    if work < ONE_THREAD_BELOW:
        return 1
    return max(1, min(cpu_count(), work // ONE_THREAD_BELOW + 1))


def apply_thread_policy(n_qubits: int, batch: int, density: bool = False) -> int:
    import torch

    threads = threads_for(n_qubits, batch, density)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


@contextmanager
def thread_scope(threads: int):
    """Run a block with ``threads`` torch intra-op threads, restoring the previous count after it."""
    import torch

    previous = torch.get_num_threads()
    if threads != previous:
        torch.set_num_threads(threads)
    try:
        yield threads
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def thread_env(threads: int) -> dict[str, str]:
    t = str(max(1, int(threads)))
    return {"OMP_NUM_THREADS": t, "MKL_NUM_THREADS": t, "OPENBLAS_NUM_THREADS": t,
            "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen={'false' if t == '1' else 'true'} "
                         f"intra_op_parallelism_threads={t}"}


def processes_for(runs: int) -> int:
    """Independent runs in parallel: one process per core, never more processes than runs."""
    return max(1, min(int(runs), cpu_count()))
