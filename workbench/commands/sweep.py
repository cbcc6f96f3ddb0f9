"""``qmtl sweep``: many trainings of one spec over axes, in parallel, recorded and resumable; and its results."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from pathlib import Path

from workbench.errors import UserError
from workbench.runs import RunStore, default_runs_dir
from workbench.runs.records import json_safe
from workbench.runs.store import DB_NAME
from workbench.runs.table import format_time, render_table

FORMS = """forms:
  qmtl sweep SPEC [--grid AXIS=VALUES]... [--sample AXIS=RANGE... --random N] [--max-parallel K]
                  [--executor local|ray] [--address ADDR] [--resources CPU=1,...] [--json]
  qmtl sweep show SWEEP [--pareto] [--json]
  qmtl sweep export SWEEP [--format csv] [--out FILE]
  qmtl sweep list [--json]
(qmtl sweep SPEC --help lists the options of a sweep)"""

AXES_HELP = ("AXIS: head, seed, engine, epochs, tasks (first k tasks, or k synthetic tasks) or a dotted spec field "
             "such as quantum.default_block.layers; VALUES: a,b,c or an integer range 0..4, or lo..hi:N[:log] "
             "for N evenly (or geometrically) spaced numbers")


def register(sub) -> None:
    p = sub.add_parser("sweep", help="train a spec over axes of settings, in parallel (local processes or Ray)",
                       description="Sweeps: every combination of the axes is a trial, trained as an ordinary run "
                                   "tagged with the sweep id. Re-running the same command resumes the sweep.",
                       epilog=FORMS, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="SPEC|show|export|list", help="an experiment file, or a subcommand")
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qmtl sweep SPEC", description="Train SPEC over the axes; progress on stderr.")
    p.add_argument("--grid", action="append", default=[], metavar="AXIS=VALUES", help="a grid axis. " + AXES_HELP)
    p.add_argument("--sample", action="append", default=[], metavar="AXIS=RANGE",
                   help="an axis drawn --random N times: lo..hi (uniform), lo..hi:log (log-uniform), a,b,c (choice)")
    p.add_argument("--random", type=int, default=None, metavar="N", help="draws from the --sample axes")
    p.add_argument("--sample-seed", type=int, default=0, help="seed of the random draws (default 0)")
    p.add_argument("--max-parallel", type=int, default=None, metavar="K",
                   help="trials at once (default: the cores here, or what the Ray cluster's CPUs fit)")
    p.add_argument("--executor", default="local", choices=("local", "ray"),
                   help="local worker processes (default) or Ray tasks")
    p.add_argument("--address", default=None, help="Ray cluster to join (default: start a local Ray for the sweep)")
    p.add_argument("--resources", default=None, metavar="CPU=1,GPU=0,...",
                   help="Ray resources per trial (default one CPU)")
    p.add_argument("--name", default=None, help="sweep name (default: the spec's name)")
    p.add_argument("--fresh", action="store_true", help="start a new sweep even if the same one exists (no resume)")
    p.add_argument("--runs-dir", default=None, help="run store folder (default: $QMTL_RUNS_DIR or ./runs)")
    p.add_argument("--json", action="store_true", help="print one JSON object with the trials at the end")
    return p


def _show_parser(name: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"qmtl sweep {name}")
    if name != "list":
        p.add_argument("sweep", help="sweep id or a unique prefix of it")
    if name == "show":
        p.add_argument("--pareto", action="store_true", help="only the accuracy-vs-head-parameters Pareto front")
    if name == "export":
        p.add_argument("--format", choices=["csv"], default="csv")
        p.add_argument("--out", default=None, help="file to write (default: standard output)")
    else:
        p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--runs-dir", default=None, help="run store folder (default: $QMTL_RUNS_DIR or ./runs)")
    return p


def run(args) -> int:
    if args.target in ("show", "export", "list"):
        sub = _show_parser(args.target).parse_args(args.rest)
        return {"show": _show, "export": _export, "list": _list}[args.target](sub)
    opts = _run_parser().parse_args(args.rest)
    opts.spec = args.target
    return _sweep(opts)


# ------------------------------------------------------------------------------------------------ progress
def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m:d}:{s:02d}" if m < 60 else f"{m // 60:d}:{m % 60:02d}:{s:02d}"


class SweepProgress:
    """Trials done / running / failed and an ETA on stderr: one redrawn bar on a terminal, else a line per trial."""

    def __init__(self, stream=None, width: int = 24):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width

    def __call__(self, ev) -> None:
        c = ev.counts
        status = (f"{c['done']}/{c['total']} done  {c['running']} running  {c['failed']} failed  "
                  f"elapsed {_clock(ev.elapsed_s)}  ETA {_clock(ev.eta_s)}")
        from workbench.sweeps.plan import point_label

        label = f"trial {ev.idx} {point_label(ev.point)}" if ev.idx is not None else ""
        line = None
        if ev.kind == "finished":
            r = ev.result
            acc = r.get("mean_test_accuracy")
            line = (f"{label}: finished, mean acc {acc:.3f}, head params {r.get('head_params')}, "
                    f"{r.get('wall_time_s', 0):.1f} s -> run {ev.run_id}" if acc is not None else f"{label}: finished")
        elif ev.kind in ("failed", "retrying", "cancelled"):
            line = f"{label}: {ev.kind}" + (f" ({ev.message})" if ev.message else "")
        elif ev.kind == "stopping":
            line = f"stopping: {ev.message}"
        if self.tty:
            self.stream.write("\r\033[K")
            if line:
                self.stream.write(line + "\n")
            if ev.kind != "done":
                frac = c["done"] / c["total"] if c["total"] else 1.0
                filled = int(self.width * frac)
                self.stream.write(f"[{'#' * filled}{'-' * (self.width - filled)}] {status}")
            self.stream.flush()
        elif line:
            self.stream.write(f"{line}  [{status}]\n")
            self.stream.flush()


# -------------------------------------------------------------------------------------------------- sweep
def _sweep(opts) -> int:
    from workbench.spec import load
    from workbench.spec.examples import resolve_experiment
    from workbench.sweeps import SweepControl, define_trials, make_executor, open_sweep, run_sweep, trial_rows

    path = resolve_experiment(opts.spec)  # a file, or a shipped example's name
    spec = load(path)
    points, tasks, axes = define_trials(spec, grid=opts.grid, sample=opts.sample, n_random=opts.random,
                                        sample_seed=opts.sample_seed, base_dir=path.resolve().parent)
    if opts.executor == "local" and (opts.address or opts.resources):
        raise UserError("--address/--resources: only with --executor ray")
    if opts.max_parallel is not None and opts.max_parallel < 1:
        raise UserError(f"--max-parallel: must be >= 1, got {opts.max_parallel}")
    store = RunStore(opts.runs_dir or default_runs_dir())
    if opts.executor == "ray":
        from workbench.sweeps.executors import import_ray

        import_ray()  # without Ray: one line saying how to install it, before anything else is said
        print("connecting to Ray at " + opts.address if opts.address else "starting a local Ray for the sweep",
              file=sys.stderr, flush=True)
    settings = {"grid": opts.grid, "sample": opts.sample, "random": opts.random, "sample_seed": opts.sample_seed,
                "spec_file": str(path.resolve())}
    control = SweepControl()

    def on_sigint(*_):
        what = control.interrupt()
        print("\ninterrupted: no new trials; the running ones finish (Ctrl-C again cancels them)" if what == "stop"
              else "\ncancelling the running trials", file=sys.stderr, flush=True)

    t0 = time.time()
    # Ray prints notices of its own (starting up, a worker that died) on stdout, which is kept for the results.
    with contextlib.redirect_stdout(sys.stderr):
        executor = make_executor(opts.executor, max_parallel=opts.max_parallel, address=opts.address,
                                 resources=opts.resources)
        try:
            sweep_id, resumed = open_sweep(store, spec, points, tasks, axes=axes, settings=settings,
                                           name=opts.name, fresh=opts.fresh)
            print(f"sweep {sweep_id}: {len(tasks)} trials{' (resuming)' if resumed else ''}, "
                  f"{executor.describe()['executor']} executor, {executor.capacity} at once; runs go to "
                  f"{store.root}", file=sys.stderr, flush=True)
            previous = signal.signal(signal.SIGINT, on_sigint)
            try:
                outcome = run_sweep(store, sweep_id, executor, on_event=SweepProgress(), control=control)
            finally:
                signal.signal(signal.SIGINT, previous)
        finally:
            executor.close()
    rows = trial_rows(store, sweep_id)
    counts = {s: sum(1 for t in outcome.trials if t.status == s) for s in ("finished", "failed", "cancelled",
                                                                           "pending")}
    if opts.json:
        print(json.dumps(json_safe({"sweep": sweep_id, "resumed": resumed, "executor": executor.describe(),
                                    "complete": outcome.complete, "counts": counts,
                                    "wall_time_s": round(time.time() - t0, 2), "trials": rows}), indent=2))
    else:
        _print_rows(rows, outcome.trials)
    if outcome.stopped or outcome.cancelled:
        print(f"qmtl sweep: interrupted with {len(outcome.trials) - counts['finished']} trials left; run the same "
              f"command again to resume", file=sys.stderr)
        return 130
    if not outcome.complete:
        print(f"qmtl sweep: {counts['failed']} trial(s) failed twice; `qmtl sweep show {sweep_id}` has the reasons, "
              f"and running the same command again retries them", file=sys.stderr)
        return 1
    return 0


# ------------------------------------------------------------------------------------------------ results
def _store(args) -> RunStore:
    root = Path(args.runs_dir).expanduser() if args.runs_dir else default_runs_dir()
    if not (root / DB_NAME).exists():
        raise UserError(f"no runs recorded in {root} (set --runs-dir or QMTL_RUNS_DIR)")
    return RunStore(root)


def _axes_names(trials) -> list[str]:
    names: list[str] = []
    for t in trials:
        for k in t.point:
            if k not in names:
                names.append(k)
    return names


def _print_rows(rows: list[dict], trials) -> None:
    if not rows:
        print("(no trials)")
        return
    axes = _axes_names(trials)
    task_cols = [k for k in rows[0] if k.endswith(".accuracy")] if rows else []
    for r in rows[1:]:
        task_cols += [k for k in r if k.endswith(".accuracy") and k not in task_cols]
    headers = ["trial", *axes, "status", "mean acc", *task_cols, "head params", "time s", "run"]
    body = [[r["trial"], *(r.get(a) for a in axes), r["status"], r.get("mean_test_accuracy"),
             *(r.get(c) for c in task_cols), r.get("head_params"), r.get("wall_time_s"), r.get("run_id")]
            for r in rows]
    for i, r in enumerate(body):
        body[i] = [round(v, 4) if isinstance(v, float) else v for v in r]
    print(render_table(headers, body))
    failed = [r for r in rows if r.get("error")]
    for r in failed:
        print(f"trial {r['trial']} ({r['status']}, {r['attempts']} attempts): {r['error']}")


def _show(args) -> int:
    from workbench.runs.sweeps import SweepRecords
    from workbench.sweeps import pareto_front, trial_rows

    store = _store(args)
    records = SweepRecords(store)
    sweep_id = records.resolve(args.sweep)
    info = records.get(sweep_id)
    trials = records.trials(sweep_id)
    rows = trial_rows(store, sweep_id)
    if args.pareto:
        rows = pareto_front(rows)
    if args.json:
        print(json.dumps(json_safe({"sweep": sweep_id, "name": info.name, "created": info.created,
                                    "axes": info.axes, "pareto": args.pareto, "trials": rows}), indent=2))
        return 0
    axes = ", ".join(f"{a['kind']} {a['text']}" for a in info.axes) or "(explicit trials)"
    print(f"sweep {sweep_id}  {info.name}  created {format_time(info.created)}  axes: {axes}")
    if args.pareto:
        print("Pareto front: no other trial has both fewer (or as many) head parameters and a higher (or equal) "
              "mean test accuracy")
    _print_rows(rows, trials)
    return 0


def _export(args) -> int:
    from workbench.runs.sweeps import SweepRecords
    from workbench.sweeps import to_csv, trial_rows

    store = _store(args)
    sweep_id = SweepRecords(store).resolve(args.sweep)
    text = to_csv(trial_rows(store, sweep_id))
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"--out: cannot write {args.out}: {exc}") from exc
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _list(args) -> int:
    from workbench.runs.sweeps import SweepRecords

    root = Path(args.runs_dir).expanduser() if args.runs_dir else default_runs_dir()
    sweeps = SweepRecords(RunStore(root)).list_sweeps() if (root / DB_NAME).exists() else []
    if args.json:
        print(json.dumps([{"id": i.id, "name": i.name, "created": i.created, "axes": i.axes, "trials": c}
                          for i, c in sweeps], indent=2))
        return 0
    if not sweeps:
        print(f"no sweeps in {root}")
        return 0
    rows = [[i.id, i.name, format_time(i.created), f"{c.get('finished', 0)}/{sum(c.values())}", c.get("failed", 0),
             " ".join(a["text"] for a in i.axes)] for i, c in sweeps]
    print(render_table(["id", "name", "created", "done", "failed", "axes"], rows))
    return 0
