"""``qmtl noise``: a trained run's test accuracy and macro-F1 per task, ideal and under noise, side by side.

RUN is a run id (or unique prefix) in the run store: its trained weights (best validation epoch) are evaluated on
its test split, and the table is stored with the run (summary "noise", artifacts noise.csv / noise.json). A spec
file is accepted too: its head is then evaluated with freshly initialised (untrained) weights, which shows the
noise's effect on the readouts but not a trained model's accuracy; nothing is stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from workbench.errors import UserError
from workbench.spec.bounds import MAX_SEED, user_int


def register(sub) -> None:
    p = sub.add_parser("noise", help="evaluate a run's quantum head ideally, under noise channels and fake backends",
                       description="Per-task test accuracy and macro-F1 of the same weights under each backend: "
                                   "ideal, uniform channels (e.g. depolarizing:0.01, amplitude_damping:0.01, "
                                   "readout:0.02, joined by +) or fake IBM backends (qmtl backends lists them).")
    p.add_argument("run", metavar="RUN", help="run id or unique prefix (or an experiment file: untrained weights)")
    p.add_argument("--backends", default="ideal,depolarizing:0.01,fake_hanoi",
                   help="comma-separated (default: ideal,depolarizing:0.01,fake_hanoi)")
    p.add_argument("--shots", type=user_int("shots", 1, 10**7), default=None,
                   help="measure each input this many times (default: exact expectation values)")
    p.add_argument("--engine", choices=["aer", "density"], default="aer",
                   help="for fake backends: Aer with the full noise model (default) or the torch density-matrix "
                        "engine's calibrated model (faster)")
    p.add_argument("--limit", type=user_int("limit", 1, 10**7), default=None,
                   help="evaluate only the first N test inputs")
    p.add_argument("--seed", type=user_int("seed", 0, MAX_SEED), default=0,
                   help="seed for shot sampling and error bars")
    p.add_argument("--csv", default=None, help="also write the table as CSV to this file")
    p.add_argument("--no-store", action="store_true", help="do not store the results with the run")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--runs-dir", default=None, help="runs folder (default: $QMTL_RUNS_DIR or ./runs)")
    p.set_defaults(func=run)


def _load(source: str, runs_dir: str | None):
    """(program, weights, h_test, labels, title, store, run_id, note)."""
    from workbench.models.model import build_model
    from workbench.spec import load, validate
    from workbench.spec.examples import find_experiment, resolve_experiment
    from workbench.training import load_data

    path = find_experiment(source)
    if path is None and Path(source).suffix.lower() in (".toml", ".json"):
        path = resolve_experiment(source, "RUN")  # raises, naming the shipped examples
    if path is not None:
        spec = load(path)
        validate(spec)
        data = load_data(spec, path.parent)
        model = build_model(spec, data.X_train.shape[1], "qmtl", seed=spec.training.seed)
        note = "untrained weights (an experiment file was given): pass a run id to evaluate trained weights"
        return model, data, spec.name, None, None, note
    from workbench.runs.store import DB_NAME, RunStore, default_runs_dir
    from workbench.training import load_trained

    root = Path(runs_dir).expanduser() if runs_dir else default_runs_dir()
    if not (root / DB_NAME).exists():
        raise UserError(f"RUN: {source!r} is neither an experiment file nor a run (no runs in {root})")
    store = RunStore(root)
    trained = load_trained(store, source)
    if trained.head_kind != "qmtl":
        raise UserError(f"RUN: run {trained.run_id} trained a {trained.head_kind!r} head; noise evaluation needs the "
                        "QMTL quantum head (head = qmtl)")
    return trained.model, trained.data, f"{trained.spec.name} (run {trained.run_id})", store, trained.run_id, ""


def run(args: argparse.Namespace) -> int:
    from workbench.analysis.noise import evaluate_noise, parse_backends, store_report

    if args.shots is not None and args.shots < 1:
        raise UserError(f"--shots: must be >= 1, got {args.shots}")
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit: must be >= 1, got {args.limit}")
    model, data, title, store, run_id, note = _load(args.run, args.runs_dir)
    head = model.head
    program = head.program
    choices = parse_backends(args.backends, program.n_qubits)
    X, Y = data.X_test, data.Y_test
    if args.limit is not None:
        X, Y = X[: args.limit], Y[: args.limit]
    if len(X) == 0:
        raise UserError("the test split is empty: nothing to evaluate")
    model.eval()
    with torch.no_grad():
        h = model.backbone(torch.as_tensor(np.asarray(X, dtype=np.float32)))
    weights = {k: v.detach() for k, v in head.weights.items()}

    def progress(msg: str) -> None:
        if not args.json:
            print(f"  ... {msg}", file=sys.stderr, flush=True)

    report = evaluate_noise(program, weights, h, Y, choices, shots=args.shots, engine=args.engine, seed=args.seed,
                            progress=progress)
    report.title, report.note = title, note
    stored = []
    if store is not None and not args.no_store:
        stored = store_report(store, run_id, report)
    if args.csv:
        try:
            Path(args.csv).write_text(report.to_csv(), encoding="utf-8")
        except OSError as exc:
            raise UserError(f"--csv: cannot write {args.csv}: {exc}") from exc
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    _print_table(report)
    if note:
        print(f"note: {note}")
    if stored:
        print(f"stored with run {run_id}: summary['noise'], artifacts {', '.join(stored)}")
    return 0


def _fmt(value: float, se: float | None) -> str:
    return f"{value:.3f}" if se is None else f"{value:.3f}±{se:.3f}"


def _print_table(report) -> None:
    mode = f"{report.shots} shots per input, shot error bars" if report.shots else "exact expectation values"
    print(f"{report.title}: {report.inputs} test inputs, {mode}")
    tasks = list(report.results[0].tasks) if report.results else []
    cells = [[r.backend, r.engine] + [f"{_fmt(s.accuracy, s.accuracy_se)} / {_fmt(s.macro_f1, s.macro_f1_se)}"
                                      for s in r.tasks.values()] + [f"{r.seconds:.1f}s"] for r in report.results]
    head = ["backend", "engine"] + [f"{t} acc / F1" for t in tasks] + ["time"]
    widths = [max(len(head[i]), *(len(c[i]) for c in cells)) for i in range(len(head))]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)))
    for r in report.results:
        print(f"  {r.backend}: {r.description}")
