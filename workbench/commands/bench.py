"""``qmtl bench``: engine throughput against PennyLane's fastest configurations, each engine in its own process."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("bench", help="benchmark the fast engine against PennyLane (torch, JAX-jit, lightning)")
    p.add_argument("--quick", action="store_true",
                   help="fewer repetitions, shorter windows, no qubit sweep (about 3 min idle)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--threads", type=int, default=1,
                   help="intra-op threads for every engine (default 1, the thread policy's choice at n=8)")
    p.add_argument("--engines", default=None,
                   help="comma-separated subset of: ours, pl-torch, pl-jax, lightning (default all)")
    p.add_argument("--contended", action="store_true",
                   help="our engine with one other CPU-bound process running, against its idle one-thread figure")
    p.add_argument("--train", action="store_true",
                   help="the demo's training epochs with our engine and with PennyLane (torch, JAX-jit) as the head")
    p.add_argument("--noise", action="store_true",
                   help="noisy evaluation instead: torch density engine, our Aer-based executor and EstimatorV2 on a "
                        "fake backend")
    p.add_argument("--backend", default="fake_hanoi", help="fake backend for --noise (default fake_hanoi)")
    p.add_argument("--noise-comparison", action="store_true",
                   help="the whole qmtl noise comparison on the demo (ideal, two depolarizing levels, fake_hanoi, "
                        "fake_torino, 1024 shots): time per backend against the one-minute goal")
    p.set_defaults(func=run)


def _engines(text: str | None) -> tuple[str, ...] | None:
    from workbench.analysis.bench_peers import ENGINES
    from workbench.errors import UserError

    if not text:
        return None
    names = tuple(e.strip() for e in text.split(",") if e.strip())
    bad = [e for e in names if e not in ENGINES]
    if bad or not names:
        raise UserError(f"--engines: unknown engine {', '.join(bad) or repr(text)} (valid: {', '.join(ENGINES)})")
    return names


def run(args) -> int:
    from workbench.errors import UserError

    def progress(msg: str) -> None:
        print(f"  ... {msg}", file=sys.stderr, flush=True)

    if getattr(args, "noise_comparison", False):
        from workbench.analysis.bench_noise import format_comparison_benchmark, run_comparison_benchmark

        result = run_comparison_benchmark(progress=progress)
        print(json.dumps(result, indent=2) if args.json else format_comparison_benchmark(result))
        return 0
    if getattr(args, "noise", False):
        from workbench.analysis.bench_noise import format_noise_benchmark, run_noise_benchmark

        noisy = run_noise_benchmark(args.backend, quick=args.quick, progress=progress)
        print(json.dumps(noisy, indent=2) if args.json else format_noise_benchmark(noisy))
        return 0
    if getattr(args, "train", False):
        from workbench.analysis.bench_train import format_train_benchmark, run_train_benchmark

        result = run_train_benchmark(quick=args.quick, progress=progress)
        print(json.dumps(result, indent=2) if args.json else format_train_benchmark(result))
        return 0
    if not 1 <= args.threads <= 256:
        raise UserError(f"--threads: must be between 1 and 256, got {args.threads}")
    from workbench.analysis.bench import format_benchmark, format_contention, run_benchmark, run_contention

    if args.contended:
        result = run_contention(quick=args.quick, progress=progress)
        print(json.dumps(result, indent=2) if args.json else format_contention(result))
        return 0

    result = run_benchmark(quick=args.quick, progress=progress, threads=args.threads, engines=_engines(args.engines))
    print(json.dumps(result, indent=2) if args.json else format_benchmark(result))
    return 0
