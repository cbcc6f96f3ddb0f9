"""``qmtl params``: parameter and resource scaling of the classical and quantum heads with T."""

from __future__ import annotations

import json
import math

from workbench.analysis.scaling import COLUMNS, exponents, parse_task_range, scaling_table, upper_half
from workbench.errors import UserError
from workbench.spec import load
from workbench.spec.bounds import MAX_CLASSES, MAX_WIDTH, user_float, user_int
from workbench.spec.examples import resolve_experiment

_HEADERS = {"T": "T", "d": "d", "classical_params": "classical head", "quantum_params": "quantum head",
            "depth": "depth", "two_qubit": "2q gates", "encoder_layers": "enc layers", "qubits": "qubits",
            "statevector_bytes": "state"}


def register(sub) -> None:
    p = sub.add_parser("params", help="parameter and resource scaling of classical vs quantum heads with T",
                       description="Instantiate the heads for each number of tasks T under d = alpha*T and count "
                                   "parameters (from the torch modules), circuit depth and two-qubit gates.")
    p.add_argument("spec", help="experiment file (TOML or JSON) or a shipped example name (qmtl examples)")
    p.add_argument("--tasks", default="1-12", help="task counts, e.g. 1-12 or 1,2,4 (default 1-12)")
    p.add_argument("--alpha", type=user_float("alpha", 0.0, 4096.0, open_lo=True), default=None,
                   help="capacity-matching factor, d = alpha*T (default: the spec's width / its task count)")
    p.add_argument("--classes", type=user_int("classes", 2, MAX_CLASSES), default=None,
                   help="give every task C classes (default: cycle through the spec's tasks)")
    p.add_argument("--layout", choices=("shared", "registers"), default=None,
                   help="circuit layout to scale (default: the spec's); registers: one register per task, so the "
                        "width grows with T")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _fmt(v: float) -> str:
    return "n/a" if math.isnan(v) else f"{v:.2f}"


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:g} {unit}"
        n /= 1024
    return str(n)


def spec_heads(spec) -> dict:
    """The spec's own heads (not scaled): circuit width, encoder inputs and the QMTL and HPS head parameters,
    counted from the instantiated modules."""
    from workbench.circuits.program import build_program
    from workbench.models.heads import make_head

    d = spec.backbone.width
    program = build_program(spec, d)
    heads = {}
    for kind in ("qmtl", "hps"):
        head = make_head(kind, spec, d, engine="torch")
        tasks, shared = head.task_counts(), head.shared_count()
        heads[kind] = {"shared": shared, "tasks": tasks, "total": shared + sum(tasks.values())}
    from workbench.engines.one_state import choose_path

    # which simulation the torch engine runs: every task read from one state (disjoint task blocks) or one
    # circuit per task
    return {"width": program.n_qubits, "encoder_inputs": program.n_features, "d": d, "heads": heads,
            "statevector_bytes": 8 * 2**program.n_qubits, "engine_path": choose_path(program)}


def run(args) -> int:
    spec = load(resolve_experiment(args.spec))
    ts = parse_task_range(args.tasks)
    if args.classes is not None and args.classes < 2:
        raise UserError(f"--classes: needs at least 2 classes, got {args.classes}")
    alpha = args.alpha if args.alpha is not None else spec.backbone.width / len(spec.tasks)
    if alpha * max(ts) > MAX_WIDTH:
        raise UserError(f"--alpha: d = alpha * T reaches {alpha * max(ts):g} features at T = {max(ts)}; "
                        f"at most {MAX_WIDTH}")
    notes: list[str] = []
    rows = scaling_table(spec, ts, alpha, notes, classes=args.classes, layout=args.layout)
    layout = args.layout or spec.quantum.layout
    fit_all, fit_upper = exponents(rows), exponents(upper_half(rows))
    upper_ts = [r.T for r in upper_half(rows)]
    if args.json:
        print(json.dumps({
            "spec": str(args.spec), "alpha": alpha, "qubits": spec.quantum.qubits, "layout": layout,
            **spec_heads(spec),
            "encoder": spec.quantum.encoder.template, "block": spec.quantum.default_block.template,
            "rows": [r.as_dict() for r in rows],
            # The growth claim is asymptotic: fit where the +1 bias terms, a fixed encoder and the mix of the
            # first few tasks no longer dominate (the upper half of the range); the full-range fit is given too.
            "exponents": fit_upper,
            "fit_range": [min(upper_ts), max(upper_ts)],
            "exponents_full_range": {"T": [ts[0], ts[-1]], **fit_all},
            "notes": notes,
        }, indent=2))
        return 0
    width = "register widths" if layout == "registers" else f"{spec.quantum.qubits} qubits"
    rule = "d = 3 x width" if layout == "registers" and spec.quantum.projection is None else f"d = {alpha:g} * T"
    print(f"{spec.name}: {rule}, {width}, encoder {spec.quantum.encoder.template}, "
          f"task blocks {spec.quantum.default_block.template}")
    keys = list(_HEADERS)
    widths = [max(len(_HEADERS[k]), 6) for k in keys]
    print("  ".join(_HEADERS[k].rjust(w) for k, w in zip(keys, widths)))
    for r in rows:
        d = r.as_dict()
        d["statevector_bytes"] = _human(d["statevector_bytes"])
        print("  ".join(str(d[k]).rjust(w) for k, w in zip(keys, widths)))
    label_w = sum(widths[:2]) + 2
    for label, fit in ((f"exponent, T={ts[0]}..{ts[-1]}", fit_all),
                       (f"exponent, T={upper_ts[0]}..{upper_ts[-1]}", fit_upper)):
        cells = [_fmt(fit[c]).rjust(w) for c, w in zip(COLUMNS, widths[2:])]
        print(label.rjust(label_w) + "  " + "  ".join(cells))
    print("classical heads grow as sum_t (d+1) C_t, quadratic in T; the quantum head as the blocks, linear in T.")
    print("2q gates count every task circuit as executed on hardware (each re-runs the shared encoder)."
          if layout != "registers" else
          "depth and 2q gates: one circuit (the encoder and every register's block); every task is read from it.")
    print("state: one complex64 statevector of the circuit's width"
          + (" (it doubles with every qubit a task adds: the fine print of task registers)." if layout == "registers"
             else "."))
    for note in dict.fromkeys(notes):
        print(f"note: {note}")
    return 0
