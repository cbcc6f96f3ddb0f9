"""``qmtl reproduce``: the paper's claims on the data we have, as a report with tables, CSVs and plots."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import sys
from pathlib import Path

from workbench.errors import UserError
from workbench.spec.bounds import user_int


def register(sub) -> None:
    p = sub.add_parser("reproduce", help="reproduce the paper's claims on the shipped data; writes a report",
                       description="(a) head parameters, depth and two-qubit gates against T (d = 8 T); "
                                   "(b) QMTL vs HPS, hybrid and one-VQC-per-task heads on digits, penguins and "
                                   "synthetic data with T = 2..6, several seeds; (c) report.md with tables, CSVs "
                                   "and PNG plots. Progress goes to stderr, one line per training run. The runs train "
                                   "in parallel on the sweep engine (qmtl sweep); the same command with the same "
                                   "--out resumes: finished runs are reused.")
    p.add_argument("--quick", action="store_true",
                   help="about a minute: few epochs, subsampled data, T = 2 and 4, 2 seeds (numbers are not results)")
    p.add_argument("--out", default="reproduce-out", help="output folder (default ./reproduce-out)")
    p.add_argument("--runs-dir", default=None, help="run store folder (default <out>/runs)")
    p.add_argument("--seeds", type=user_int("seeds", 1, 1000), default=None,
                   help="seeds per dataset and head (default 3, quick 2)")
    p.add_argument("--datasets", default=None, metavar="NAMES",
                   help="comma-separated subset of digits-3task,penguins,synthetic (default: all three)")
    p.add_argument("--threads", type=user_int("threads", 1, 1024), default=1,
                   help="torch threads while training (default 1: the circuits are too small to gain from more)")
    p.add_argument("--layouts-only", action="store_true",
                   help="run only the layout comparison (shared wires, task registers, HPS on digits, penguins, "
                        "synthetic and the GLUE-structured set)")
    p.add_argument("--no-layouts", action="store_true", help="leave the layout comparison out")
    p.add_argument("--max-parallel", type=user_int("max-parallel", 1, 1024), default=None, metavar="K",
                   help="training runs at once (default: one per core; 1 trains them one after another)")
    p.add_argument("--executor", default="local", choices=("local", "ray"),
                   help="local worker processes (default) or Ray tasks (see qmtl sweep)")
    p.add_argument("--address", default=None, help="Ray cluster to join (default: a local Ray)")
    p.add_argument("--json", action="store_true", help="print one JSON object with paths and headline numbers")
    p.set_defaults(func=run)


def _progress(i, n, planned, outcome, elapsed, eta) -> None:
    from workbench.analysis.reproduce import _clock

    print(f"[{i:>{len(str(n))}}/{n}] {planned.study.label:<13} {planned.head:<6} seed {planned.seed}  "
          f"mean acc {outcome.mean_accuracy:.3f}  head params {outcome.params['head_total']:>4}  "
          f"{outcome.wall_time_s:5.1f} s  elapsed {_clock(elapsed)}  ETA {_clock(eta)}",
          file=sys.stderr, flush=True)


def run(args) -> int:
    from workbench.analysis.reproduce import GROUPS, make_settings, reproduce
    from workbench.sweeps import SweepControl, make_executor

    if args.threads < 1:
        raise UserError(f"--threads: must be >= 1, got {args.threads}")
    groups = tuple(g.strip() for g in args.datasets.split(",") if g.strip()) if args.datasets else GROUPS
    settings = make_settings(args.quick, args.seeds, groups)
    if args.no_layouts:
        settings = dataclasses.replace(settings, layouts=False)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out: {out} exists and is not a folder")
    if args.layouts_only:
        return _layouts_only(settings, out, args)
    control = SweepControl()

    def on_sigint(*_):
        what = control.interrupt()
        print("\ninterrupted: no new runs; the running ones finish (Ctrl-C again cancels them)" if what == "stop"
              else "\ncancelling the running runs", file=sys.stderr, flush=True)

    # Ctrl-C stops launching runs, a second one cancels the running ones; finished runs stay in the run store,
    # and the same command later picks up where this one stopped. Ray prints notices of its own (starting up, a
    # worker that died) on stdout, which is kept for the results.
    with contextlib.redirect_stdout(sys.stderr):
        executor = make_executor(args.executor, max_parallel=args.max_parallel, address=args.address)
        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            rep = reproduce(settings, out, args.runs_dir, progress=_progress, control=control,
                            threads=args.threads, executor=executor,
                            log=lambda msg: print(msg, file=sys.stderr, flush=True))
        finally:
            signal.signal(signal.SIGINT, previous)
            executor.close()
    if not rep.completed:
        print(f"qmtl reproduce: interrupted after {len(rep.outcomes)} runs; they are in {rep.runs_dir}, and the same "
              f"command resumes", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps({
            "report": rep.files["report"], "csv": rep.files["csv"], "plots": rep.files["plots"],
            "specs": rep.files.get("specs", {}), "layouts": rep.files.get("layouts"),
            "runs_dir": str(rep.runs_dir), "quick": settings.quick,
            "seeds": settings.seeds, "runs": len(rep.outcomes), "wall_time_s": round(rep.wall_time_s, 1),
            "headline": rep.headline(),
        }, indent=2))
        return 0
    _print_summary(rep)
    return 0


def _layouts_only(settings, out: Path, args) -> int:
    import torch

    from workbench.analysis.reproduce import layout_comparison
    from workbench.runs import RunStore
    from workbench.training import TrainControl

    out.mkdir(parents=True, exist_ok=True)
    store = RunStore(Path(args.runs_dir) if args.runs_dir else out / "runs")
    control = TrainControl()
    previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
    torch.set_num_threads(args.threads)
    try:
        files = layout_comparison(settings, out, store, lambda msg: print(msg, file=sys.stderr, flush=True),
                                  control)
    finally:
        signal.signal(signal.SIGINT, previous)
    if files is None:
        print("qmtl reproduce: interrupted; the finished runs are in the run store", file=sys.stderr)
        return 130
    print(json.dumps(files, indent=2) if args.json else Path(files["markdown"]).read_text(encoding="utf-8"))
    return 0


def _print_summary(rep) -> None:
    print(f"report: {rep.files['report']}  ({len(rep.outcomes)} runs, {rep.wall_time_s:.0f} s"
          f"{', quick' if rep.settings.quick else ''})")
    last = rep.scaling.iloc[-1]
    print(f"T={int(last['T'])}: classical heads {int(last['classical_params'])} params, quantum head "
          f"{int(last['quantum_params'])}; depth {int(last['depth'])}, 2q gates {int(last['two_qubit'])}")
    print(f"{'dataset':<14} {'head':<7} {'mean acc':>15} {'head params':>12}")
    for _, r in rep.summary.iterrows():
        std = r["mean_accuracy_std"]
        acc = f"{r['mean_accuracy_mean']:.3f}" + (f" ± {std:.3f}" if std == std else "")
        print(f"{r['dataset']:<14} {r['head']:<7} {acc:>15} {int(r['head_params']):>12}")
