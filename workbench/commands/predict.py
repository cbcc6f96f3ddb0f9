"""``qmtl predict``: what the circuit predicts for one input, task by task (the composer's live outputs as text).

SOURCE is an experiment file (or a shipped example's name): its circuit with the initial weights of a seed; or a
run id (or unique prefix): the run's spec with its trained weights. The input is a sample of the experiment's data
(``--sample N`` of ``--split``, default the test split's first) or the encoder's inputs set by hand
(``--features x0,x1,...``).
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.errors import UserError
from workbench.spec.bounds import MAX_SEED, user_int

BAR = 24  # characters of a full bar


def register(sub) -> None:
    p = sub.add_parser("predict", help="each task's readout for one input: class probabilities, predicted and true "
                                       "class",
                       description="Evaluate the circuit on one input and print each task's class probabilities (or "
                                   "regression value) as bars, with the predicted class, the true label and the raw "
                                   "readout values. The same computation as the composer's live outputs.")
    p.add_argument("source", metavar="SOURCE",
                   help="experiment file or shipped example (initial weights), or a run id or unique prefix "
                        "(its trained weights)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--sample", type=user_int("sample", 0, 10**9), default=None,
                      help="index of the data sample in the split (default 0)")
    what.add_argument("--features", default=None, metavar="X0,X1,...",
                      help="the encoder's inputs, comma-separated, instead of a data sample (the backbone and any "
                           "projection are skipped)")
    p.add_argument("--split", choices=("test", "val", "train"), default="test",
                   help="the data split the sample comes from (default test)")
    p.add_argument("--seed", type=user_int("seed", 0, MAX_SEED), default=None,
                   help="initial weights of this seed (default: the experiment's training seed; not with a run)")
    p.add_argument("--runs-dir", default=None, help="runs folder (default: $QMTL_RUNS_DIR or ./runs)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _resolve(source: str, runs_dir: str | None, seed: int | None):
    """(spec, weights source, base dir for the data)."""
    from workbench.analysis.live_results import WeightsSource
    from workbench.spec.examples import experiment_or_none

    found = experiment_or_none(source, "SOURCE")
    if found is not None:
        spec, path = found
        return spec, WeightsSource(spec.training.seed if seed is None else seed), path.parent
    if seed is not None:
        from workbench.runs.store import DB_NAME, default_runs_dir

        root = Path(runs_dir).expanduser() if runs_dir else default_runs_dir()
        if (root / DB_NAME).exists():
            raise UserError("--seed: a run brings its own trained weights; --seed applies to an experiment file")
    return run_source(source, runs_dir, "SOURCE")


def run_source(source: str, runs_dir: str | None, field: str = "--run"):
    """(the run's spec, its trained weights as a source, the run's spec folder) for a run id or unique prefix."""
    from workbench.analysis.live_results import WeightsSource
    from workbench.runs.store import DB_NAME, RunStore, default_runs_dir
    from workbench.spec import loads

    root = Path(runs_dir).expanduser() if runs_dir else default_runs_dir()
    if not (root / DB_NAME).exists():
        what = "neither an experiment file nor a run" if field == "SOURCE" else "not a run"
        raise UserError(f"{field}: {source!r} is {what} (no runs in {root})")
    store = RunStore(root)
    run_id = store.resolve(source)
    text, fmt = store.spec(run_id)
    spec = loads(text, fmt, f"run {run_id}")
    info = store.get(run_id)
    return spec, WeightsSource(int(info.params.get("seed", 0)), run_id, str(root)), info.params.get("spec_dir")


def predict(source: str, *, sample: int | None = None, features: str | None = None, split: str = "test",
            seed: int | None = None, runs_dir: str | None = None):
    """(spec, LiveOutputs) for the command's arguments."""
    from workbench.analysis.live_outputs import LiveEvaluator, encoder_width
    from workbench.data.samples import encoder_sample, load_prepared, parse_values, sample_set

    spec, weights, base_dir = _resolve(source, runs_dir, seed)
    if features is None:
        chosen = sample_set(load_prepared(spec, base_dir), split).sample(sample or 0, "--sample")
    else:
        try:  # the data's class names, when the data is at hand; the input itself does not need it
            names = sample_set(load_prepared(spec, base_dir), split).sample(0).class_names
        except UserError:
            names = None
        chosen = encoder_sample(parse_values(features), encoder_width(spec), "--features", names)
    return spec, LiveEvaluator().evaluate(spec, weights, chosen)


def format_outputs(spec, out) -> str:
    lines = [f"{spec.name}: {out.input}", f"weights: {out.weights}"]
    lines += [f"note: {n}" for n in out.notes]
    for t in out.tasks:
        lines.append("")
        if t.kind == "regression":
            lo, hi = t.target_range
            truth = f", true {t.truth_text()}" if t.truth is not None else ""
            lines.append(f"{t.name} ({t.readout} readout): value {t.value:.4g} on [{lo:g}, {hi:g}]{truth}")
            frac = 0.0 if hi == lo else min(max((t.value - lo) / (hi - lo), 0.0), 1.0)
            lines.append(f"  {'#' * round(frac * BAR):<{BAR}}  {t.value:.4g}")
        else:
            verdict = "" if t.correct is None else ("  (right)" if t.correct else "  (wrong)")
            truth = f", true {t.truth_text()}" if t.truth is not None else ""
            lines.append(f"{t.name} ({t.readout} readout): predicted {t.predicted_text()}{truth}{verdict}")
            width = max(len(n) for n in t.class_names)
            for k, (name, p) in enumerate(zip(t.class_names, t.probabilities)):
                marks = [m for m, on in (("predicted", k == t.predicted),
                                         ("true", t.truth is not None and k == int(t.truth))) if on]
                lines.append(f"  {name:>{width}}  {'#' * round(p * BAR):<{BAR}}  {p:6.1%}  {', '.join(marks)}"
                             .rstrip())
        raw = ", ".join(f"{label} = {v:.4f}" for label, v in zip(t.raw_labels[:8], t.raw[:8]))
        more = f", ... ({len(t.raw)} values)" if len(t.raw) > 8 else ""
        lines.append(f"  readout: {raw}{more}")
    return "\n".join(lines)


def run(args) -> int:
    spec, out = predict(args.source, sample=args.sample, features=args.features, split=args.split, seed=args.seed,
                        runs_dir=args.runs_dir)
    if args.json:
        print(json.dumps({"experiment": spec.name, **out.as_dict()}, indent=2))
    else:
        print(format_outputs(spec, out))
    return 0
