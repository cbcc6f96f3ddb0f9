"""``qmtl bench --train``: the demo's training epochs with our engine and with PennyLane as the quantum head's engine.

Same model (digits-3task: MLP backbone, ReUploading encoder, one StronglyEntanglingLayers block per task), same
data, same seed, same loop: shuffled minibatches of the spec's batch size, Adam, the sum of the tasks'
cross-entropies, a validation pass each epoch (the trainer's work without its run-store writes). Only the head's
engine differs: ours, PennyLane ``default.qubit`` (torch, backprop, broadcasting), and PennyLane ``default.qubit``
under ``jax.jit`` (``engines.jax_engine``). Each engine runs in its own process, one thread. PennyLane engines are
timed on a few epochs and extrapolated to the full run: first epoch (compilation included) + (epochs - 1) x the
median of the later ones; the JSON says which figures are extrapolated. The end-to-end ``qmtl train`` wall time
(imports, data, run store, checkpoints included) is measured apart for our engine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ENGINES = ("ours", "pl-torch", "pl-jax")


def _spec():
    from workbench.spec import load
    from workbench.spec.examples import EXPERIMENTS

    path = EXPERIMENTS / "digits-3task.toml"
    return path, load(path)


def measure(engine: str, epochs: int) -> dict:
    t_import = time.perf_counter()
    import numpy as np
    import torch
    from torch import nn

    from workbench.models import build_model
    from workbench.training import load_data

    path, spec = _spec()
    data = load_data(spec, path.parent)
    torch.manual_seed(spec.training.seed)
    model = build_model(spec, data.X_train.shape[1], "qmtl", engine="torch", seed=spec.training.seed)
    program = model.head.program
    if engine == "pl-torch":
        from workbench.engines.pennylane_engine import PennyLaneEngine

        model.head.engine = PennyLaneEngine(program, "default.qubit", dtype="complex128")
    elif engine == "pl-jax":
        try:
            import jax  # noqa: F401
        except ImportError:
            return {"engine": engine, "status": "unavailable", "reason": "not installed (pip install "
                                                                           "'qmtl-workbench[bench]')"}
        from workbench.engines.jax_engine import JaxEngine

        model.head.engine = JaxEngine(program, dtype=spec.quantum.dtype, batch=spec.training.batch_size)
    setup = time.perf_counter() - t_import
    opt = torch.optim.Adam(model.parameters(), lr=spec.training.lr)
    X, Y = torch.as_tensor(data.X_train), torch.as_tensor(data.Y_train)
    Xv = torch.as_tensor(data.X_val)
    gen = torch.Generator().manual_seed(spec.training.seed)
    bs, n = spec.training.batch_size, len(X)
    wall, cpu = [], []
    for _ in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            out = model(X[idx])
            loss = sum(nn.functional.cross_entropy(out[t.name].float(), Y[idx, k]) for k, t in enumerate(spec.tasks))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            model(Xv)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"engine": engine, "status": "ok", "epochs_timed": epochs, "setup_s": setup, "first_epoch_s": wall[0],
            "epoch_s": statistics.median(wall[1:]) if len(wall) > 1 else wall[0],
            "epoch_cpu_s": statistics.median(cpu[1:]) if len(cpu) > 1 else cpu[0],
            "steps_per_epoch": -(-n // bs), "batch": bs, "final_loss": float(loss.detach()),
            "params": int(sum(p.numel() for p in model.parameters())), "np_version": np.__version__}


def _run(engine: str, epochs: int, timeout: float = 1800) -> dict:
    from workbench.engines.allocator import allocator_env
    from workbench.engines.threads import thread_env

    root = str(Path(__file__).resolve().parents[2])
    env = {**allocator_env(), **thread_env(1),
           "PYTHONPATH": os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    try:
        proc = subprocess.run([sys.executable, "-m", "workbench.analysis.bench_train", engine, str(epochs)],
                              capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"engine": engine, "status": "error", "reason": f"timed out after {timeout:.0f} s"}
    rows = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not rows:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"engine": engine, "status": "error", "reason": f"exited {proc.returncode}: {tail}"}
    return json.loads(rows[-1])


def _end_to_end(epochs: int) -> dict:
    """``qmtl train digits-3task.toml`` as a user runs it, imports and run store included."""
    import resource

    path, _ = _spec()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as runs:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "workbench.cli", "train", str(path), "--runs-dir", runs,
                               "--epochs", str(epochs)], capture_output=True, text=True)
        wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"epochs": epochs, "wall_s": wall, "cpu_s": cpu, "ok": proc.returncode == 0, "goal_s": 8.0}


def run_train_benchmark(quick: bool = False, progress: Callable[[str], None] | None = None,
                        engines: tuple[str, ...] = ENGINES) -> dict:
    say = progress or (lambda s: None)
    _, spec = _spec()
    full = spec.training.epochs
    rows = []
    for engine in engines:
        epochs = full if engine == "ours" else (2 if quick else 3)
        say(f"digits-3task training, {engine}: {epochs} epoch{'s' * (epochs > 1)}")
        row = _run(engine, epochs)
        if row["status"] == "ok":
            row["extrapolated"] = epochs < full
            row["total_s"] = row["setup_s"] + row["first_epoch_s"] + (full - 1) * row["epoch_s"]
        rows.append(row)
    say(f"qmtl train digits-3task ({full} epochs), end to end")
    e2e = _end_to_end(full)
    ours = next((r for r in rows if r["engine"] == "ours" and r["status"] == "ok"), None)
    for r in rows:
        if ours and r["status"] == "ok":
            r["epoch_ratio_ours_vs_this"] = r["epoch_s"] / ours["epoch_s"]
            r["epoch_cpu_ratio_ours_vs_this"] = r["epoch_cpu_s"] / ours["epoch_cpu_s"]
    return {"workload": f"digits-3task, {full} epochs of batch {spec.training.batch_size}, one thread per engine",
            "epochs": full, "rows": rows, "qmtl_train_end_to_end": e2e, "load_average_at_end": os.getloadavg()}


def format_train_benchmark(r: dict) -> str:
    lines = [r["workload"], f"load average at the end {r['load_average_at_end'][0]:.1f} (shared machine)", "",
             f"{'engine':<9} {'set-up s':>8} {'1st epoch s':>11} {'epoch s':>8} {'epoch CPU s':>11} "
             f"{'30 epochs s':>11} {'ours faster (wall, CPU)':>24}"]
    for row in r["rows"]:
        if row["status"] != "ok":
            lines.append(f"{row['engine']:<9} {row['status']}: {row['reason']}")
            continue
        lines.append(f"{row['engine']:<9} {row['setup_s']:>8.2f} {row['first_epoch_s']:>11.2f} "
                     f"{row['epoch_s']:>8.3f} {row['epoch_cpu_s']:>11.3f} {row['total_s']:>11.1f} "
                     f"{row.get('epoch_ratio_ours_vs_this', float('nan')):>14.1f}x "
                     f"{row.get('epoch_cpu_ratio_ours_vs_this', float('nan')):>8.1f}x"
                     + (f"  (extrapolated from {row['epochs_timed']} epochs)" if row["extrapolated"] else ""))
    e = r["qmtl_train_end_to_end"]
    lines += ["", f"qmtl train digits-3task, {e['epochs']} epochs, end to end: {e['wall_s']:.1f} s wall, "
                  f"{e['cpu_s']:.1f} s CPU (goal < {e['goal_s']:.0f} s wall on an idle machine)"
                  f"{'' if e['ok'] else ' FAILED'}"]
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        result = measure(sys.argv[1], int(sys.argv[2]))
    except Exception as exc:  # one line in the table rather than a traceback in the middle of the bench
        result = {"engine": sys.argv[1], "status": "error", "reason": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result), flush=True)
