"""``qmtl examples``: the experiments shipped with the workbench; any command takes their names as a spec."""

from __future__ import annotations

import json

from workbench.spec.examples import examples


def register(sub) -> None:
    p = sub.add_parser("examples", help="list the shipped experiments (use a name wherever a spec file goes)",
                       description="The experiments shipped inside the workbench. Every command that takes an "
                                   "experiment file also takes one of these names, e.g. qmtl train digits-3task.")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    rows = examples()
    if args.json:
        print(json.dumps([{"name": e.name, "tasks": e.tasks, "qubits": e.qubits, "description": e.description,
                           "path": str(e.path)} for e in rows], indent=2))
        return 0
    width = max(len(e.name) for e in rows)
    print(f"{'name':<{width}}  tasks  qubits  description")
    for e in rows:
        print(f"{e.name:<{width}}  {e.tasks:>5}  {e.qubits:>6}  {e.description}")
    return 0
