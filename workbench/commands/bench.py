"""``qmtl bench``: engine throughput against PennyLane default.qubit, side by side in one process."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("bench", help="benchmark the fast engine against PennyLane default.qubit")
    p.add_argument("--quick", action="store_true", help="fewer repetitions and a coarser qubit sweep")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--noise", action="store_true",
                   help="noisy evaluation instead: torch density engine, Aer fast path and EstimatorV2 on a fake "
                        "backend")
    p.add_argument("--backend", default="fake_hanoi", help="fake backend for --noise (default fake_hanoi)")
    p.add_argument("--noise-comparison", action="store_true",
                   help="the whole qmtl noise comparison on the demo (ideal, two depolarizing levels, fake_hanoi, "
                        "fake_torino, 1024 shots): time per backend against the one-minute goal")
    p.set_defaults(func=run)


def run(args) -> int:
    from workbench.analysis.bench import run_benchmark

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
    result = run_benchmark(quick=args.quick, progress=progress)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(result["workload"])
    print(f"threads: {result['threads']}, torch {result['torch_version']}")
    print(f"{'batch':>6} {'ours (samples/s)':>17} {'default.qubit':>14} {'ratio':>7} {'goal':>5}")
    for c in result["comparison"]:
        print(f"{c['batch']:>6} {c['torch_samples_per_s']:>17,.0f} {c['default_qubit_samples_per_s']:>14,.0f} "
              f"{c['ratio']:>7.1f} {'>=' + str(c['goal']):>5}")
    print("\npeak memory above baseline (MiB):")
    for t in result["timings"]:
        print(f"  {t['engine']:<14} batch {t['batch']:>5}: {t['peak_mib']:7.1f}   step {t['step_ms']:8.2f} ms")
    print("\nour engine by qubit count (batch 32):")
    for t in result["qubit_sweep"]:
        print(f"  n={t['n']:>2}: {t['samples_per_s']:>10,.0f} samples/s   step {t['step_ms']:8.2f} ms   "
              f"peak {t['peak_mib']:.1f} MiB")
    return 0
