"""``qmtl train``: train a QMTL model or a baseline on a spec; every run is kept in the run store."""

from __future__ import annotations

import json
import signal

from workbench.commands.progress import ProgressPrinter
from workbench.errors import UserError
from workbench.models.heads import HEADS
from workbench.runs import RunStore, default_runs_dir
from workbench.spec import load
from workbench.spec.bounds import MAX_EPOCHS, MAX_SEED, user_int
from workbench.spec.examples import resolve_experiment
from workbench.training import EventBus, TrainControl, Trainer, resume


def register(sub) -> None:
    p = sub.add_parser("train", help="train a model on an experiment spec",
                       description="Train the QMTL head (or a baseline) end to end with its backbone. Progress "
                                   "goes to stderr; with --json, stdout gets one JSON object at the end.")
    p.add_argument("spec", nargs="?",
                   help="experiment file (TOML or JSON) or a shipped example name; not needed with --resume")
    p.add_argument("--head", default="qmtl", choices=HEADS, help="qmtl (default), hps, hybrid or single")
    p.add_argument("--engine", default=None, help="engine name (default: the spec's quantum.engine)")
    p.add_argument("--epochs", type=user_int("epochs", 1, MAX_EPOCHS), default=None,
                   help="epochs (default: the spec's training.epochs)")
    p.add_argument("--seed", type=user_int("seed", 0, MAX_SEED), default=None,
                   help="seed (default: the spec's training.seed)")
    p.add_argument("--device", default=None, choices=("cpu", "cuda"))
    p.add_argument("--runs-dir", default=None, help="run store folder (default: $QMTL_RUNS_DIR or ./runs)")
    p.add_argument("--resume", metavar="RUN", default=None, help="continue a run from its last checkpoint")
    p.add_argument("--tag", action="append", default=[], help="tag the run (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object with the results")
    p.add_argument("--memory-limit", default=None, metavar="SIZE",
                   help="refuse specs whose training needs more (e.g. 8G; default: $QMTL_MEMORY_LIMIT or 3/4 of "
                        "this machine's memory)")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.memory_limit is not None:
        from workbench.spec.memory import parse_size, set_memory_limit

        set_memory_limit(parse_size(args.memory_limit))
    store = RunStore(args.runs_dir or default_runs_dir())
    bus, control = EventBus(), TrainControl()
    bus.subscribe(ProgressPrinter())
    # Ctrl-C stops cleanly between steps: the run stays resumable from its last epoch checkpoint.
    previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
    try:
        if args.resume:
            if args.spec:
                raise UserError("--resume: give a run id or a spec, not both")
            result = resume(store, args.resume, epochs=args.epochs, bus=bus, control=control)
        else:
            if not args.spec:
                raise UserError("spec: an experiment file is required (or --resume RUN)")
            path = resolve_experiment(args.spec)
            spec = load(path)
            result = Trainer(spec, store, head=args.head, engine=args.engine, epochs=args.epochs, seed=args.seed,
                             device=args.device, base_dir=path.resolve().parent, tags=args.tag,
                             bus=bus, control=control).run()
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        _print_result(result)
    return 0 if result.status == "finished" else 130


def _print_result(r) -> None:
    if r.status != "finished":
        print(f"run {r.run_id} {r.status} after epoch {r.epochs_run}; resume with: qmtl train --resume {r.run_id}")
        return
    print(f"run {r.run_id}  head {r.head}  engine {r.engine}  {r.wall_time_s:.1f} s  "
          f"best epoch {r.best_epoch}/{r.epochs_run}")
    print(f"{'task':<14} {'accuracy':>9} {'macro-F1':>9}")
    for task, m in r.test.items():
        if "accuracy" not in m:  # a regression task
            print(f"{task:<14} MAE {m['mae']:.4f}  R^2 {m['r2']:.3f}  Spearman {m['spearman']:.3f}")
            continue
        print(f"{task:<14} {m['accuracy']:>9.3f} {m['macro_f1']:>9.3f}")
    print(f"{'mean':<14} {r.mean_test_accuracy:>9.3f}")
    p = r.params
    print(f"parameters: head {p['head_total']} (shared {p['shared_head']}, per task {p['task_heads']}), "
          f"backbone {p['backbone']}, total {p['total']}")
