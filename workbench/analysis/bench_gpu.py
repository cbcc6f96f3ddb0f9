"""The torch engine on a CUDA device: its outputs and gradients against the CPU engine, and its throughput.

``python -m workbench.analysis.bench_gpu [--json PATH] [--batches 32,1024,16384] [--skip-check]``

Imports only torch, numpy and the workbench's core (spec, circuits, engines), so it runs on a machine that has
a GPU and nothing of the quantum or GUI stack. Without a CUDA device it says so and exits 0 (the JSON records
why). The check runs every program of ``check_programs`` at both precisions, on the fused adjoint path and on
plain autograd, at a small and a large batch; the benchmark times the reference workload of ``qmtl bench``
(n=8, T=3, forward + backward with input gradients) on the GPU and on the CPU engine (thread policy's count).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch

TOLERANCE = {"complex64": 2e-4, "complex128": 1e-9}  # max |cuda - cpu| on outputs and gradients


def check_programs() -> dict:
    """Programs that take the engine's different paths: the reference workload (product encoder, fused adjoint),
    the shipped demo (re-uploading encoder, probabilities readout, two task groups) and Pauli words with X/Y
    factors (the basis-change readout)."""
    from workbench.analysis.bench import reference_spec
    from workbench.circuits.program import build_program
    from workbench.spec import loads
    from workbench.spec.examples import EXPERIMENTS
    from workbench.spec.model import ReadoutSpec

    demo = loads((EXPERIMENTS / "digits-3task.toml").read_text(), "toml", "digits-3task.toml")
    pauli = reference_spec(6, 2)
    pauli.tasks[1].readout = ReadoutSpec("pauli", words=["X0 Y1", "Z2"], relative=False)
    return {"reference n=8 T=3": build_program(reference_spec(8, 3)),
            "digits-3task": build_program(demo, 24),
            "pauli X/Y words n=6": build_program(pauli)}


def _inputs(program, batch: int, rdtype, device, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, program.n_features, generator=g, dtype=torch.float64).to(device=device, dtype=rdtype)
    w = {}
    blocks = [("encoder", program.encoder.n_weights)] + [(t.name, t.block.n_weights) for t in program.tasks]
    for name, k in blocks:
        if k:
            w[name] = torch.randn(k, generator=g, dtype=torch.float64).to(device=device, dtype=rdtype)
    return x.requires_grad_(True), {k: v.requires_grad_(True) for k, v in w.items()}


def _run(engine, x, w) -> tuple[dict, torch.Tensor, dict]:
    out = engine(x, w)
    # a loss that weighs every output differently, so that a wrong column shows in the gradients
    loss = sum((v * torch.linspace(0.5, 1.5, v.shape[-1], device=v.device, dtype=v.dtype)).sum()
               for v in out.values())
    loss.backward()
    return ({k: v.detach().cpu().double() for k, v in out.items()}, x.grad.detach().cpu().double(),
            {k: v.grad.detach().cpu().double() for k, v in w.items() if v.grad is not None})


def check(device: str = "cuda", batches: tuple[int, ...] = (5, 300),
          precisions: tuple[str, ...] = ("complex64", "complex128")) -> list[dict]:
    """One row per (program, precision, backward, batch): max |device - cpu| of outputs and gradients."""
    from workbench.engines.torch_engine import TorchEngine

    rows = []
    for label, program in check_programs().items():
        for precision in precisions:
            for backward in ("auto", "autograd"):
                for batch in batches:
                    got = []
                    for dev in ("cpu", device):
                        engine = TorchEngine(program, dtype=precision, device=dev, backward=backward)
                        x, w = _inputs(program, batch, engine.rdtype, dev)
                        got.append(_run(engine, x, w))
                    (o1, gx1, gw1), (o2, gx2, gw2) = got
                    diffs = [(o1[k] - o2[k]).abs().max().item() for k in o1]
                    diffs.append((gx1 - gx2).abs().max().item())
                    diffs += [(gw1[k] - gw2[k]).abs().max().item() for k in gw1]
                    same_keys = o1.keys() == o2.keys() and gw1.keys() == gw2.keys()
                    err = max(diffs)
                    rows.append({"program": label, "precision": precision, "backward": backward, "batch": batch,
                                 "max_abs_diff": err, "tolerance": TOLERANCE[precision],
                                 "ok": bool(same_keys and err <= TOLERANCE[precision])})
    return rows


def _step(engine, x, w):
    def step():
        x.grad = None
        for v in w.values():
            v.grad = None
        out = engine(x, w)
        sum(v.sum() for v in out.values()).backward()

    return step


def _time(step, sync, min_seconds: float = 1.0, reps: int = 3) -> dict:
    t0 = time.perf_counter()
    step()
    sync()
    first = time.perf_counter() - t0
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < reps or (time.perf_counter() - start < min_seconds and len(times) < 200):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return {"first_step_s": first, "step_ms": statistics.median(times) * 1e3, "reps": len(times)}


def benchmark(device: str = "cuda", batches: tuple[int, ...] = (32, 1024, 16384), n: int = 8,
              tasks: int = 3, precisions: tuple[str, ...] = ("complex64", "complex128")) -> list[dict]:
    from workbench.analysis.bench import reference_spec
    from workbench.circuits.program import build_program
    from workbench.engines.threads import thread_scope, threads_for
    from workbench.engines.torch_engine import TorchEngine

    program = build_program(reference_spec(n, tasks))
    rows = []
    for precision in precisions:
        for batch in batches:
            for dev in dict.fromkeys((device, "cpu")):
                engine = TorchEngine(program, dtype=precision, device=dev)
                x, w = _inputs(program, batch, engine.rdtype, dev)

                step = _step(engine, x, w)
                sync = torch.cuda.synchronize if dev != "cpu" else (lambda: None)
                threads = threads_for(n, batch) if dev == "cpu" else torch.get_num_threads()
                if dev != "cpu":
                    torch.cuda.reset_peak_memory_stats()
                with thread_scope(threads):
                    t = _time(step, sync, min_seconds=1.0 if dev != "cpu" else 0.5)
                row = {"device": dev, "precision": precision, "batch": batch, "n": n, "tasks": tasks, **t,
                       "samples_per_s": batch / (t["step_ms"] / 1e3)}
                if dev == "cpu":
                    row["cpu_threads"] = threads
                else:
                    row["peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
                rows.append(row)
    return rows


def format_result(result: dict) -> str:
    lines = [result["device_name"] or f"no CUDA device: {result.get('reason')}"]
    for r in result.get("check", []):
        lines.append(f"check {r['program']:<20} {r['precision']:<10} {r['backward']:<8} batch {r['batch']:>4}: "
                     f"max |cuda - cpu| {r['max_abs_diff']:.2e} (tolerance {r['tolerance']:.0e}) "
                     f"{'ok' if r['ok'] else 'FAILED'}")
    by = {(r["device"] != "cpu", r["precision"], r["batch"]): r for r in result.get("bench", [])}
    if by:
        lines.append(f"{'precision':<10} {'batch':>6} {'cuda samples/s':>15} {'cpu samples/s':>14} {'speed-up':>9} "
                     f"{'cuda first step s':>18} {'cuda peak MiB':>13}")
    for (gpu, precision, batch), r in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][2])):
        if not gpu:
            continue
        c = by.get((False, precision, batch))
        lines.append(f"{precision:<10} {batch:>6} {r['samples_per_s']:>15,.0f} "
                     f"{(c['samples_per_s'] if c else float('nan')):>14,.0f} "
                     f"{(r['samples_per_s'] / c['samples_per_s'] if c else float('nan')):>8.1f}x "
                     f"{r['first_step_s']:>18.2f} {r['peak_mib']:>13.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workbench.analysis.bench_gpu", description=__doc__.splitlines()[0])
    p.add_argument("--json", default=None, help="write the result as JSON to this path")
    p.add_argument("--batches", default="32,1024,16384", help="comma-separated batch sizes to time")
    p.add_argument("--skip-check", action="store_true", help="time only, no CPU-vs-CUDA check")
    p.add_argument("--skip-bench", action="store_true", help="check only, no timing")
    args = p.parse_args(argv)
    try:
        batches = tuple(int(b) for b in args.batches.split(","))
        if not batches or min(batches) < 1 or max(batches) > 1 << 20:
            raise ValueError
    except ValueError:
        print(f"--batches: comma-separated integers from 1 to {1 << 20}, got {args.batches!r}", file=sys.stderr)
        return 2
    result: dict = {"torch_version": torch.__version__, "device_name": None}
    if not torch.cuda.is_available():
        result["reason"] = f"torch {torch.__version__} sees no CUDA device on this machine"
    else:
        result["device_name"] = torch.cuda.get_device_name()
        result["cuda_version"] = torch.version.cuda
        if not args.skip_check:
            result["check"] = check()
            result["check_ok"] = all(r["ok"] for r in result["check"])
            _write(args.json, result)  # kept if the timing below is cut short
            print(format_result(result), flush=True)
        if not args.skip_bench:
            result["bench"] = benchmark(batches=batches)
    print(format_result({**result, "check": []}) if result.get("bench") else format_result(result), flush=True)
    _write(args.json, result)
    return 0 if result.get("check_ok", True) else 1


def _write(path: str | None, result: dict) -> None:
    if path:
        with open(path, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
