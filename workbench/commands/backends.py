"""``qmtl backends``: the fake IBM backends (offline calibration snapshots) usable as noise models."""

from __future__ import annotations

import json

from workbench.spec.bounds import user_int


def register(sub) -> None:
    p = sub.add_parser("backends", help="list the fake IBM backends usable for noisy simulation",
                       description="Fake backends shipped with qiskit-ibm-runtime: qubit counts and basis gates, read "
                                   "from their configuration files (no backend is built).")
    p.add_argument("--min-qubits", type=user_int("min_qubits", 0, 10**6), default=0,
                   help="only backends with at least this many qubits")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from workbench.engines.fake_backends import catalog
    from workbench.errors import UserError

    if args.min_qubits < 0:
        raise UserError(f"--min-qubits: must be >= 0, got {args.min_qubits}")
    rows = [b for b in catalog() if b.qubits >= args.min_qubits]
    if args.json:
        print(json.dumps([b.as_dict() for b in rows], indent=2))
        return 0
    if not rows:
        print("no fake backends found (is qiskit-ibm-runtime installed?)" if not catalog()
              else f"no fake backend has {args.min_qubits} or more qubits")
        return 0
    width = max(len(b.name) for b in rows)
    print(f"{'backend':<{width}}  {'qubits':>6}  {'2q basis':<10}  {'1q basis':<14}  device")
    for b in rows:
        print(f"{b.name:<{width}}  {b.qubits:>6}  {','.join(b.two_qubit_basis) or '-':<10}  "
              f"{','.join(b.one_qubit_basis):<14}  {b.device}")
    print(f"{len(rows)} backends; use a name with qmtl noise --backends or qmtl bench --noise --backend")
    return 0
