"""``qmtl noise``: a trained run's per-task test figures, ideal and under noise, side by side.

RUN is a run id (or unique prefix) in the run store: its trained weights (best validation epoch) are evaluated on
its test split, and the figures, with each backend's time and plan, are stored with the run (summary "noise",
artifacts noise.csv / noise.json; a cancelled comparison stores the backends it finished). A spec file is
accepted too: its head is then evaluated with freshly initialised (untrained) weights, which shows the
noise's effect on the readouts but not a trained model's accuracy; nothing is stored.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from workbench.errors import UserError
from workbench.spec.bounds import MAX_SEED, user_float, user_int


def register(sub) -> None:
    p = sub.add_parser("noise", help="evaluate a run's quantum head ideally, under noise channels and fake backends",
                       description="Per-task test figures of the same weights under each backend: ideal, uniform "
                                   "channels (e.g. depolarizing:0.01, amplitude_damping:0.01, readout:0.02, joined "
                                   "by +) or fake IBM backends (qmtl backends lists them). Exact accuracy, "
                                   "macro-F1, loss, margin, readout contraction, distance from ideal, and accuracy "
                                   "under a shot budget. Each backend is planned first and refused up front if it "
                                   "cannot finish; progress goes to stderr; Ctrl-C stops and keeps the backends "
                                   "already done.")
    p.add_argument("run", metavar="RUN", help="run id or unique prefix (or an experiment file: untrained weights)")
    p.add_argument("--backends", default="ideal,depolarizing:0.01,fake_hanoi",
                   help="comma-separated (default: ideal,depolarizing:0.01,fake_hanoi)")
    p.add_argument("--shots", type=user_int("shots", 0, 10**7), default=1024,
                   help="shot budget per input for the shot-based accuracy (default 1024; 0: exact figures only)")
    p.add_argument("--repeats", type=user_int("repeats", 1, 100_000), default=200,
                   help="shot samplings behind the shot-based accuracy's 95%% interval (default 200)")
    p.add_argument("--engine", choices=["aer", "density"], default="aer",
                   help="for fake backends: Aer's noise model on the transpiled circuit (default) or the torch "
                        "density-matrix engine's calibrated model on the circuit's own qubits")
    p.add_argument("--max-seconds", type=user_float("max-seconds", 0.0, 1e7), default=600.0,
                   help="refuse a backend whose estimated time exceeds this (default 600; 0: no limit)")
    p.add_argument("--limit", type=user_int("limit", 1, 10**7), default=None,
                   help="evaluate only the first N test inputs")
    p.add_argument("--seed", type=user_int("seed", 0, MAX_SEED), default=0, help="seed for shot sampling")
    p.add_argument("--csv", default=None, help="also write the table as CSV to this file")
    p.add_argument("--no-store", action="store_true", help="do not store the results with the run")
    p.add_argument("--json", action="store_true", help="print JSON (progress still goes to stderr)")
    p.add_argument("--runs-dir", default=None, help="runs folder (default: $QMTL_RUNS_DIR or ./runs)")
    p.set_defaults(func=run)


def _load(source: str, runs_dir: str | None, limit: int | None):
    """(program, weights, h_test, labels, title, store, run_id, note)."""
    from workbench.analysis.noise import model_inputs, trained_inputs
    from workbench.models.model import build_model
    from workbench.spec.examples import experiment_or_none
    from workbench.training import load_data

    found = experiment_or_none(source, "RUN")
    if found is not None:
        spec, path = found
        data = load_data(spec, path.parent)
        model = build_model(spec, data.X_train.shape[1], "qmtl", seed=spec.training.seed)
        note = "untrained weights (an experiment file was given): pass a run id to evaluate trained weights"
        return model_inputs(model, data, limit) + (spec.name, None, None, note)
    from workbench.runs.store import DB_NAME, RunStore, default_runs_dir

    root = Path(runs_dir).expanduser() if runs_dir else default_runs_dir()
    if not (root / DB_NAME).exists():
        raise UserError(f"RUN: {source!r} is neither an experiment file nor a run (no runs in {root})")
    store = RunStore(root)
    program, weights, h, labels, title = trained_inputs(store, source, limit, where="RUN")
    return program, weights, h, labels, title, store, store.resolve(source), ""


def run(args: argparse.Namespace) -> int:
    from workbench.analysis.noise import CancelToken, evaluate_noise, parse_backends, store_report

    for name in ("shots", "repeats", "limit", "max_seconds"):
        value = getattr(args, name)
        low = 1 if name in ("repeats", "limit") else 0
        if value is not None and value < low:
            raise UserError(f"--{name.replace('_', '-')}: must be >= {low}, got {value:g}")
    program, weights, h, Y, title, store, run_id, note = _load(args.run, args.runs_dir, args.limit)
    choices = parse_backends(args.backends, program.n_qubits)

    token = CancelToken()
    bar = NoiseProgressPrinter()

    def on_sigint(*_):
        if token.cancelled:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        token.cancel()
        bar.line("cancelling: keeping the backends already done (Ctrl-C again to quit at once)")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        report = evaluate_noise(program, weights, h, Y, choices, shots=args.shots, engine=args.engine,
                                seed=args.seed, repeats=args.repeats, max_seconds=args.max_seconds or None,
                                progress=bar, cancel=token)
    finally:
        signal.signal(signal.SIGINT, previous)
    report.title = title
    report.note = "; ".join(n for n in (note, report.note) if n)  # ours first, then the comparison's own
    stored = []
    if store is not None and not args.no_store and report.results:
        stored = store_report(store, run_id, report)
    if args.csv:
        try:
            Path(args.csv).write_text(report.to_csv(), encoding="utf-8")
        except OSError as exc:
            raise UserError(f"--csv: cannot write {args.csv}: {exc}") from exc
    if report.cancelled:
        bar.line(f"cancelled after {len(report.results)} of {len(choices)} backends")
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        _print_table(report)
        if report.note:
            print(f"note: {report.note}")
        if stored:
            print(f"stored with run {run_id}: summary['noise'], artifacts {', '.join(stored)}")
    return 130 if report.cancelled else 0


class NoiseProgressPrinter:
    """Per backend: a bar with ETA while it simulates (a plain line per phase when stderr is not a terminal) and
    a line with its time when it is done."""

    def __init__(self, stream=None, width: int = 24):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width
        self.last_draw = 0.0
        self.announced: set = set()

    def line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, ev) -> None:
        tag = f"[{ev.index + 1}/{ev.total}] {ev.backend}"
        if ev.phase == "plan":
            if self.tty:
                self.stream.write(f"\r\033[K{tag}: planning (transpile, noise model)")
                self.stream.flush()
            else:
                self.line(f"{tag}: planning")
            return
        if ev.phase == "done":
            self.line(f"{tag}: done in {ev.elapsed:.1f} s")
            return
        if (ev.backend, ev.index) not in self.announced:
            self.announced.add((ev.backend, ev.index))
            self.line(f"{tag}: simulating {ev.inputs} inputs (estimate {ev.est_seconds:.0f} s)")
        if not self.tty or time.time() - self.last_draw < 0.1:
            return
        self.last_draw = time.time()
        frac = ev.done / ev.inputs if ev.inputs else 0.0
        rate = ev.done / ev.elapsed if ev.elapsed > 0 else 0.0
        eta = (ev.inputs - ev.done) / rate if rate > 0 else max(ev.est_seconds - ev.elapsed, 0.0)
        filled = int(self.width * frac)
        self.stream.write(f"\r\033[K{tag} [{'#' * filled}{'-' * (self.width - filled)}] {frac:5.1%}  "
                          f"{ev.elapsed:.1f} s  ETA {_clock(eta)}")
        self.stream.flush()


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _print_table(report) -> None:
    mode = (f"shot accuracy: {report.shots} shots per input, mean and 95% interval over {report.repeats} "
            "samplings" if report.shots else "exact expectation values only")
    print(f"{report.title}: {report.inputs} test inputs; {mode}" + ("; CANCELLED" if report.cancelled else ""))
    # |<Z>|: |<P>| of the words for a Pauli-word readout; shift: mean |change| of the expectations from ideal
    head = ["backend", "task", "acc", "F1", "loss", "margin", "|<Z>|", "TV ideal", "shift"]
    head += [f"acc@{report.shots} [95%]"] if report.shots else []
    cells = []
    for r in report.results:
        for t, s in r.tasks.items():
            row = [r.backend, t, _fmt(s.accuracy), _fmt(s.macro_f1), _fmt(s.loss), _fmt(s.margin),
                   _fmt(s.mean_abs_z), _fmt(s.tv_from_ideal, 4), _fmt(s.expectation_shift, 4)]
            if report.shots:
                row.append(f"{_fmt(s.shots_accuracy)} [{_fmt(s.shots_accuracy_low)}, {_fmt(s.shots_accuracy_high)}]")
            cells.append(row)
    if cells:
        widths = [max(len(head[i]), *(len(c[i]) for c in cells)) for i in range(len(head))]
        print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
        for c in cells:
            print("  ".join(v.ljust(w) for v, w in zip(c, widths)))
    print("time per backend: total (plan + simulate; the rest is scoring):")
    for r in report.results:
        print(f"  {r.backend}: {r.seconds:.1f} s ({r.prepare_seconds:.1f} + {r.simulate_seconds:.1f}), "
              f"{r.plan.get('executor')} on {r.plan.get('qubits')} qubits, depth {r.plan.get('depth')}, "
              f"{r.plan.get('two_qubit_gates')} two-qubit gates; {r.description}")
    print(f"total {report.seconds:.1f} s")


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m:d}:{s:02d}"
