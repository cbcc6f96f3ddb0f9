"""Engine benchmark: our torch engine against PennyLane's fastest configurations, same workload, same precision.

Reference workload: n qubits, T tasks, AngleEmbedding(RY), two StronglyEntanglingLayers per task block,
<Z> on 2 wires per task; one step = forward + backward (gradients for the weights and the inputs, as when a
backbone feeds the head). The peers are listed in ``bench_peers``. Every (engine, precision, batch) runs in a
process of its own (``bench_worker``) with the same thread count, so memory peaks and thread pools are not shared,
and with the same allocator settings (``engines.allocator``: the ones the workbench uses for its own simulating
processes, given to every engine's process so that no engine is compared on page faults). The first step (tracing,
JAX compilation, allocator growth) is reported apart from the steady state. The engines of one (precision, batch)
are then timed side by side: short windows taken in turn, one process running at a time
(``run_side_by_side``), so that bursts of other load on a shared machine fall on every engine alike; the ratio
is also given window by window. Compare the ratios of one run, not figures across runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from workbench.spec.model import BackboneSpec, BlockSpec, ExperimentSpec, QuantumSpec, ReadoutSpec, TaskSpec


def reference_spec(n: int = 8, tasks: int = 3, layers: int = 2) -> ExperimentSpec:
    return ExperimentSpec(
        name=f"bench-n{n}-T{tasks}",
        tasks=[TaskSpec(name=f"task{t}", classes=2, readout=ReadoutSpec("expval", [(2 * t) % n, (2 * t + 1) % n]))
               for t in range(tasks)],
        backbone=BackboneSpec(kind="identity", width=n),
        quantum=QuantumSpec(qubits=n, encoder=BlockSpec(template="AngleEmbedding", rotation="Y"),
                            default_block=BlockSpec(template="StronglyEntanglingLayers", layers=layers)),
    )


class PeakRSS:
    """Peak resident memory above the level at start, sampled every millisecond in a thread."""

    def __init__(self):
        import psutil  # here: the GPU check imports this module's reference workload on machines without it

        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.001)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def mib(self) -> float:
        return (self.peak - self.base) / 2**20


GOAL_RATIO = 5.0
BATCHES = (32, 1024)


def run_job(job: dict, threads: int, timeout: float = 900) -> list[dict]:
    """Run one engine and precision in a fresh interpreter with ``threads`` intra-op threads; its JSON rows."""
    try:
        proc = subprocess.run([sys.executable, "-m", "workbench.analysis.bench_worker", json.dumps(job)],
                              capture_output=True, text=True, env=_worker_env(threads), timeout=timeout)
    except subprocess.TimeoutExpired:
        return [{**job, "batch": b, "status": "error", "reason": f"timed out after {timeout:.0f} s"}
                for b in job["batches"]]
    rows = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not rows:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        rows.append({**job, "status": "error", "reason": f"worker exited {proc.returncode}: {tail}"})
    done = {r.get("batch") for r in rows}
    for b in job["batches"]:  # a batch skipped after "unavailable" carries the same reason
        if b not in done:
            rows.append({**rows[-1], "batch": b})
    return [r for r in rows if r.get("batch") in job["batches"]]


class _Worker:
    """One engine's ``bench_worker --serve`` process: JSON lines in and out, each read with a time limit."""

    def __init__(self, job: dict, threads: int, timeout: float):
        import queue
        import tempfile

        self.timeout = timeout
        self.err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "workbench.analysis.bench_worker", "--serve",
                                      json.dumps(job)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True, env=_worker_env(threads))
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))
        self.lines.put(None)

    def ask(self, cmd: dict | None) -> dict:
        """Send ``cmd`` (None: only read) and return the next line, or an error row when the process died or
        took longer than the time limit."""
        import queue

        try:
            if cmd is not None:
                self.proc.stdin.write(json.dumps(cmd) + "\n")
                self.proc.stdin.flush()
            got = self.lines.get(timeout=self.timeout)
        except (OSError, queue.Empty):
            got = None
            self.proc.kill()
        if got is None:
            self.proc.wait()
            self.err.seek(0)
            tail = (self.err.read().strip().splitlines() or ["no output"])[-1]
            return {"status": "error", "reason": f"worker exited {self.proc.returncode}: {tail}"}
        return got

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.err.close()


def _worker_env(threads: int) -> dict:
    from workbench.engines.allocator import allocator_env
    from workbench.engines.threads import thread_env

    env = {**allocator_env(), **thread_env(threads)}  # the same allocator settings for every engine
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


# untimed steps at the start of every window, as time: the same for every engine (two steps of one engine may be a
# tenth of two of another's, and the first steps after a switch run slower)
WARM_S = 0.03


def run_side_by_side(engines: tuple[str, ...], precision: str, batch: int, rounds: int, window_s: float,
                     threads: int, n: int = 8, tasks: int = 3, timeout: float = 900) -> list[dict]:
    """Every engine in a process of its own, set up and compiled first, then timed in ``rounds`` windows of
    ``window_s`` seconds each, alternating between the engines (their order rotating every round) so that all of
    them meet the same machine: a burst of other load on a shared machine slows every engine's windows alike
    instead of one engine's whole measurement. Each window starts with untimed steps, at least two and
    ``WARM_S`` seconds of them (caches refilled after the other processes ran). Rows as ``run_job``'s, plus each
    window's median step."""
    from workbench.analysis.bench_worker import summarize

    workers, rows = {}, {}
    try:
        for engine in engines:  # one at a time: a compilation does not share the machine with another
            w = _Worker({"engine": engine, "precision": precision, "batch": batch, "n": n, "tasks": tasks},
                        threads, timeout)
            first = w.ask(None)
            if first.get("status") == "ready":
                workers[engine] = (w, first, [], [], [])
            else:
                rows[engine] = {"engine": engine, "precision": precision, "batch": batch, "n": n, "tasks": tasks,
                                **first}
                w.close()
        live = list(workers)
        for r in range(rounds if live else 0):
            first_now = r % len(live)  # the order rotates every round
            for engine in live[first_now:] + live[:first_now]:
                w, _, times, cpu, medians = workers[engine]
                if engine in rows:  # failed in an earlier window
                    continue
                got = w.ask({"seconds": window_s, "warm": 2, "warm_seconds": WARM_S})
                if "times" not in got:
                    rows[engine] = {**workers[engine][1], **got}
                    continue
                times += got["times"]
                cpu += got["cpu"]
                medians.append(statistics.median(got["times"]) * 1e3)
        for engine, (w, first, times, cpu, medians) in workers.items():
            if engine in rows:
                continue
            peak = w.ask({"stop": True}).get("peak_mib", float("nan"))
            row = summarize(first, times, cpu, peak)
            row["window_step_ms"] = [m * batch / first["timed_batch"] for m in medians]
            rows[engine] = row
    finally:
        for w, *_ in workers.values():
            w.close()
    return [rows[e] for e in engines if e in rows]


def _best_peers(rows: list[dict]) -> list[dict]:
    out = []
    for batch in sorted({r["batch"] for r in rows}):
        for precision in ("complex64", "complex128"):
            here = [r for r in rows if r["batch"] == batch and r["precision"] == precision
                    and r.get("device", "cpu") == "cpu"]
            ours = next((r for r in here if r["engine"] == "ours" and r["status"] == "ok"), None)
            peers = [r for r in here if r["engine"] != "ours" and r["status"] == "ok"]
            if ours is None:
                continue
            entry = {"batch": batch, "precision": precision, "ours_samples_per_s": ours["samples_per_s"],
                     "goal": GOAL_RATIO}
            if peers:
                best = max(peers, key=lambda r: r["samples_per_s"])
                entry.update(best_peer=best["engine"], best_peer_samples_per_s=best["samples_per_s"],
                             ratio_vs_best_peer=ours["samples_per_s"] / best["samples_per_s"],
                             ratio_of_fastest_steps=ours["best_samples_per_s"] / max(
                                 r["best_samples_per_s"] for r in peers),
                             ratio_of_cpu_time=ours["samples_per_cpu_s"] / max(
                                 r["samples_per_cpu_s"] for r in peers))
                best_windows = best.get("window_step_ms") or []
                pairs = [p / o for o, p in zip(ours.get("window_step_ms") or [], best_windows)]
                if pairs:  # adjacent windows: the ratio as the machine was at each moment
                    entry["ratio_by_window"] = statistics.median(pairs)
                    entry["ratio_by_window_range"] = [min(pairs), max(pairs)]
                entry["met"] = entry["ratio_vs_best_peer"] >= GOAL_RATIO
            else:
                entry.update(best_peer=None, ratio_vs_best_peer=None, met=None)
            out.append(entry)
    return out


def run_benchmark(quick: bool = False, progress: Callable[[str], None] | None = None, threads: int = 1,
                  engines: tuple[str, ...] | None = None, batches: tuple[int, ...] = BATCHES) -> dict:
    from workbench.analysis.bench_peers import ENGINES, PRECISIONS

    say = progress or (lambda s: None)
    reps, min_s = (3, 0.5) if quick else (7, 2.0)
    rounds, window_s = (6, 0.15) if quick else (10, 0.4)
    rows = []
    for precision in PRECISIONS:
        for batch in sorted(batches):
            names = tuple(engines or ENGINES)
            say(f"n=8 T=3 batch {batch}, {precision}: {', '.join(names)} side by side ({rounds} rounds of "
                f"{window_s:g} s windows each, after set-up and compilation)")
            rows += run_side_by_side(names, precision, batch, rounds, window_s, threads)
    say("our engine on CUDA (when a GPU is present)")
    cuda = run_job({"engine": "ours", "precision": "complex64", "batches": sorted(batches), "n": 8, "tasks": 3,
                    "reps": reps, "min_seconds": min_s, "device": "cuda"}, threads)
    sweep = []
    if not quick:
        for n in range(4, 15):
            say(f"our engine, n={n}, batch 32")
            sweep += run_job({"engine": "ours", "precision": "complex64", "batches": [32], "n": n, "tasks": 3,
                              "reps": reps, "min_seconds": min_s / 2}, threads)
    import torch

    return {
        "workload": "n=8, T=3, AngleEmbedding(RY), 2 StronglyEntanglingLayers per task, <Z> on 2 wires per task, "
                    "forward+backward (weights and inputs)",
        "threads": threads,
        "allocator": _allocator_note(),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "torch_version": torch.__version__,
        "comparison": _best_peers(rows),
        "cuda": cuda,
        "timings": rows,
        "qubit_sweep": sweep,
    }


def _allocator_note() -> str | None:
    from workbench.engines.allocator import allocator_env

    return allocator_env().get("GLIBC_TUNABLES")


def _rate(r: dict) -> str:
    if r["status"] != "ok":
        return r["status"]
    return f"{r['samples_per_s']:,.0f}"


def format_benchmark(result: dict) -> str:
    lines = [result["workload"],
             f"threads per engine: {result['threads']}, torch {result['torch_version']}, {result['cpus']} CPUs, "
             f"load average at the end {result['load_average_at_end'][0]:.1f} (a shared machine makes figures "
             "noisy; compare ratios within one run)",
             f"allocator for every engine's process: {result.get('allocator') or 'the C library defaults'}", "",
             f"{'engine':<10} {'precision':<10} {'batch':>5} {'samples/s':>10} {'step ms':>9} {'fastest ms':>10} "
             f"{'first step s':>12} {'setup s':>8} {'peak MiB':>9}"]
    for r in sorted(result["timings"], key=lambda r: (r["batch"], r["precision"], r["engine"] != "ours")):
        if r["status"] == "ok":
            lines.append(f"{r['engine']:<10} {r['precision']:<10} {r['batch']:>5} {_rate(r):>10} "
                         f"{r['step_ms']:>9.2f} {r['min_step_ms']:>10.2f} {r['warmup_s']:>12.2f} "
                         f"{r['setup_s']:>8.2f} {r['peak_mib']:>9.1f}"
                         + ("  (scaled)" if r["timed_batch"] != r["batch"] else ""))
        else:
            lines.append(f"{r['engine']:<10} {r['precision']:<10} {r['batch']:>5} {r['status']}: {r['reason']}")
    lines += ["", "ours against the best peer at equal precision (median steps; fastest steps in brackets):"]
    for c in result["comparison"]:
        if c["best_peer"] is None:
            lines.append(f"  batch {c['batch']:>5} {c['precision']}: no peer ran")
            continue
        by_window = ""
        if "ratio_by_window" in c:
            lo, hi = c["ratio_by_window_range"]
            by_window = f"; window by window {c['ratio_by_window']:.1f}x ({lo:.1f}-{hi:.1f})"
        lines.append(f"  batch {c['batch']:>5} {c['precision']:<10}: {c['ratio_vs_best_peer']:5.1f}x "
                     f"[{c['ratio_of_fastest_steps']:.1f}x] vs {c['best_peer']:<9} goal >= {c['goal']:.0f}x "
                     f"{'met' if c['met'] else 'NOT met'}{by_window}")
    for r in result.get("cuda", []):
        if r["status"] == "ok":
            lines.append(f"ours on CUDA, batch {r['batch']}: {r['samples_per_s']:,.0f} samples/s ({r['note']})")
        else:
            lines.append(f"ours on CUDA, batch {r['batch']}: {r['reason']}")
            break
    if result.get("qubit_sweep"):
        lines += ["", "our engine by qubit count (batch 32, complex64):"]
        for t in result["qubit_sweep"]:
            if t["status"] == "ok":
                lines.append(f"  n={t['n']:>2}: {t['samples_per_s']:>10,.0f} samples/s   step {t['step_ms']:8.2f} ms"
                             f"   peak {t['peak_mib']:.1f} MiB")
    return "\n".join(lines)


CONTENDED_GOAL = 0.8


def run_contention(quick: bool = False, progress: Callable[[str], None] | None = None,
                   batches: tuple[int, ...] = BATCHES) -> dict:
    """Our engine with one other CPU-bound process running, against its idle one-thread figure.

    Rows: idle with 1 thread; contended with the thread policy's count; contended with every core (what a
    process that takes all cores gets). The busy process is a pure-Python loop started and stopped here."""
    from workbench.engines.threads import cpu_count, threads_for

    say = progress or (lambda s: None)
    reps, min_s = (3, 0.5) if quick else (7, 2.0)
    out = []
    load_at_start = os.getloadavg()
    for precision in ("complex64", "complex128"):
        job = {"engine": "ours", "precision": precision, "batches": sorted(batches), "n": 8, "tasks": 3,
               "reps": reps, "min_seconds": min_s}
        say(f"contention, {precision}: idle, 1 thread")
        idle = {r["batch"]: r for r in run_job(job, 1)}
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            contended = {}
            for b in sorted(batches):
                policy = threads_for(8, b)
                say(f"contention, {precision}, batch {b}: policy ({policy} thread{'s' * (policy > 1)}) and "
                    f"{cpu_count()} threads, one busy process running")
                contended[b] = (run_job({**job, "batches": [b]}, policy)[0],
                                run_job({**job, "batches": [b]}, cpu_count())[0])
        finally:
            busy.kill()
            busy.wait()
        for b in sorted(batches):
            pol, every = contended[b]
            row = {"batch": b, "precision": precision, "idle_one_thread": idle[b].get("samples_per_s"),
                   "policy_threads": threads_for(8, b), "contended_policy": pol.get("samples_per_s"),
                   "contended_all_cores": every.get("samples_per_s"), "all_cores": cpu_count()}
            # per CPU-second of this process: on a shared machine the wall-clock figures also measure everyone
            # else's load; this one shows what our threads do with the time they get (waiting or spinning
            # threads cost CPU without progress)
            row["idle_per_cpu_s"] = idle[b].get("samples_per_cpu_s")
            row["contended_policy_per_cpu_s"] = pol.get("samples_per_cpu_s")
            row["contended_all_cores_per_cpu_s"] = every.get("samples_per_cpu_s")
            if row["idle_one_thread"] and row["contended_policy"]:
                row["kept"] = row["contended_policy"] / row["idle_one_thread"]
                row["met"] = row["kept"] >= CONTENDED_GOAL
            if row["idle_per_cpu_s"] and row["contended_policy_per_cpu_s"]:
                row["kept_per_cpu_s"] = row["contended_policy_per_cpu_s"] / row["idle_per_cpu_s"]
            out.append(row)
    return {"goal": CONTENDED_GOAL, "rows": out, "cpus": os.cpu_count(), "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg()}


def _count(v) -> str:
    """A throughput cell: samples/s with thousands separators, or "error" where the measurement failed."""
    return f"{v:,.0f}" if v else "error"


def format_contention(result: dict) -> str:
    lines = [f"one other CPU-bound process running; {result['cpus']} CPUs, load average at the start "
             f"{result.get('load_average_at_start', [float('nan')])[0]:.1f}, at the end "
             f"{result['load_average_at_end'][0]:.1f} (other load on a shared machine counts too)",
             f"{'precision':<10} {'batch':>5} {'idle 1 thr':>11} {'busy, policy':>13} {'busy, all cores':>16} "
             f"{'kept':>6}"]
    for r in result["rows"]:
        kept = f"{r['kept']:.0%}" if "kept" in r else "-"
        lines.append(f"{r['precision']:<10} {r['batch']:>5} {_count(r['idle_one_thread']):>11} "
                     f"{_count(r['contended_policy']) + ' (' + str(r['policy_threads']) + ')':>13} "
                     f"{_count(r['contended_all_cores']):>16} {kept:>6}  goal >= {result['goal']:.0%}")
    lines.append("per CPU-second of the benchmark process (what its threads make of the time they get):")
    for r in result["rows"]:
        kept = f"{r['kept_per_cpu_s']:.0%}" if "kept_per_cpu_s" in r else "-"
        lines.append(f"{r['precision']:<10} {r['batch']:>5} {_count(r.get('idle_per_cpu_s')):>11} "
                     f"{_count(r.get('contended_policy_per_cpu_s')):>13} "
                     f"{_count(r.get('contended_all_cores_per_cpu_s')):>16} {kept:>6}")
    return "\n".join(lines)
