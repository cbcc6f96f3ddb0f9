"""``qmtl probe``: the state inside a task circuit after one column, as the composer's probe shows it."""

from __future__ import annotations

import json

from workbench.errors import UserError
from workbench.spec import load
from workbench.spec.bounds import MAX_SEED, user_int
from workbench.spec.examples import resolve_experiment


def register(sub) -> None:
    p = sub.add_parser("probe", help="Bloch vectors, purities and mutual information after a column of a task circuit",
                       description="Simulate task T's circuit (the shared encoder, then T's block) up to column C as "
                                   "the composer draws it, for one input, with a run's trained weights (--run) or a "
                                   "seed's initial weights, and print each qubit's Bloch vector and purity and the "
                                   "mutual information between two wires (bits).")
    p.add_argument("spec", nargs="?", default=None,
                   help="experiment file (TOML or JSON) or a shipped example name (qmtl examples); with --run, "
                        "default: the run's own spec")
    p.add_argument("--task", default="0", help="task name or number (default 0)")
    p.add_argument("--column", type=user_int("column", -4096, 4096), default=-1,
                   help="column of the task circuit, encoder columns first (default -1: the last)")
    p.add_argument("--sample", type=user_int("sample", 0, 10**9), default=None,
                   help="input: this sample of the data split, through the weights' backbone (default 0)")
    p.add_argument("--split", choices=("train", "val", "test"), default="test", help="data split of --sample")
    p.add_argument("--input", default=None, metavar="V,V,...",
                   help="input: the encoder's features given directly (instead of a data sample)")
    p.add_argument("--mi", default="0,1", metavar="A,B", help="the two wires of the mutual information (default 0,1)")
    p.add_argument("--seed", type=user_int("seed", 0, MAX_SEED), default=None,
                   help="initial weights of this seed (default: training.seed; not with --run)")
    p.add_argument("--run", default=None, metavar="RUN_ID",
                   help="the trained weights of this run (id or unique prefix), as the live outputs show them")
    p.add_argument("--runs-dir", default=None, help="runs folder of --run (default: $QMTL_RUNS_DIR or ./runs)")
    p.add_argument("--matrices", action="store_true", help="also print each drawn gate's matrix at its angle")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _numbers(text: str, field: str, kind=float) -> list:
    try:
        return [kind(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise UserError(f"{field}: expected numbers separated by commas, got {text[:60]!r}") from None


def run(args) -> int:
    import numpy as np

    from workbench.analysis import probe as P
    from workbench.analysis.live_results import WeightsSource
    from workbench.circuits.edits import ENCODER
    from workbench.commands.predict import run_source
    from workbench.spec import validate

    if args.run is not None:
        if args.seed is not None:
            raise UserError("--seed: a run brings its own trained weights; --seed applies without --run")
        run_spec, source, spec_dir = run_source(args.run, args.runs_dir)
        path = resolve_experiment(args.spec) if args.spec is not None else None
        spec = load(path) if path is not None else run_spec
        base_dir = path.resolve().parent if path is not None else spec_dir
    elif args.spec is None:
        raise UserError("spec: name an experiment file (or a run with --run)")
    else:
        path = resolve_experiment(args.spec)
        spec = load(path)
        source, base_dir = WeightsSource(spec.training.seed if args.seed is None else args.seed), path.resolve().parent
    validate(spec)
    task = P.resolve_task(spec, args.task)
    pair = _numbers(args.mi, "--mi", int)
    if len(pair) != 2:
        raise UserError(f"--mi: name two wires, e.g. 0,1; got {args.mi!r}")
    if args.input is not None:
        if args.sample is not None:
            raise UserError("--input and --sample: give one input, not both")
        features, input_text = np.array(_numbers(args.input, "--input")), "given features"
    else:
        s = P.sample_features(spec, args.sample or 0, base_dir, args.split, source=source)
        features = s.features
        input_text = f"{s.split} sample {s.index} (labels {', '.join(f'{k}={v}' for k, v in s.labels.items())})"
    loaded = P.source_weights(spec, source)
    weights = loaded.head_weights()
    result = P.probe(spec, task, args.column, features, weights, (pair[0], pair[1]))
    mats = {}
    if args.matrices:
        mats = {k: m for k, m in P.circuit_matrices(spec, features, weights).items() if k[0] in (ENCODER, task)}
    if args.json:
        out = {"task": result.task, "column": result.column, "columns": result.columns, "where": result.where,
               "input": input_text, "seed": source.seed, "run": source.run_id, "weights": loaded.weights,
               "notes": loaded.notes, "bloch": [list(v) for v in result.bloch], "purity": result.purity,
               "mi": {"wires": list(result.pair), "bits": result.mi},
               "block_mi": None if result.block_mi is None else {"wires": result.block_wires,
                                                                 "bits": result.block_mi}}
        if args.matrices:
            out["matrices"] = [{"block": k[0], "gate": k[1], "real": m.real.tolist(), "imag": m.imag.tolist()}
                               for k, m in mats.items()]
        print(json.dumps(out, indent=2))
        return 0
    print(f"input: {input_text}; weights: {loaded.weights}")
    for note in loaded.notes:
        print(f"note: {note}")
    for line in result.lines():
        print(line)
    for (key, i), m in mats.items():
        block = P.ops.effective_block(spec, key)
        where = "encoder" if key == ENCODER else spec.tasks[key].name
        print(f"\n{where} gate {i}: {block.gates[i].gate} on {block.gates[i].wires}")
        print(P.format_matrix(m))
    return 0
