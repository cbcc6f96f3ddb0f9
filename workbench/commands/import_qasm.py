"""``qmtl import-qasm``: a task's circuit edited as OpenQASM 3, read back into the experiment as that task's
custom block (the same reading as the GUI's code view: errors name the line)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.errors import UserError

MAX_FILE_BYTES = 8 * 2**20


def register(sub) -> None:
    p = sub.add_parser("import-qasm", help="read a task's circuit from OpenQASM 3 into the experiment",
                       description="Read FILE.qasm (a task's circuit as qmtl export --format qasm3 writes it: the "
                                   "shared encoder's gates unchanged, then the task's block) and write the "
                                   "experiment with that block as the task's custom block.")
    p.add_argument("experiment", metavar="EXPERIMENT", help="experiment file (TOML/JSON) or a shipped example's name")
    p.add_argument("qasm", metavar="FILE.qasm", help="the task's circuit in OpenQASM 3")
    p.add_argument("--task", help="the task whose block the file holds (needed when there are several tasks)")
    p.add_argument("-o", "--out", required=True, help="the experiment file to write (TOML or JSON)")
    p.set_defaults(func=run)


def _read(path: str) -> str:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UserError(f"FILE.qasm: {path} has {size} bytes (at most {MAX_FILE_BYTES})")
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"FILE.qasm: no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"FILE.qasm: cannot read {path}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    from workbench.circuits.import_qasm import QasmError, import_task_block
    from workbench.spec import load, save
    from workbench.spec.examples import resolve_experiment
    from workbench.spec.io import format_for

    spec = load(resolve_experiment(args.experiment, "EXPERIMENT"))
    task = args.task
    if task is None:
        if len(spec.tasks) != 1:
            raise UserError(f"--task: the experiment has {len(spec.tasks)} tasks; name one of "
                            f"{', '.join(t.name for t in spec.tasks)}")
        task = spec.tasks[0].name
    out = Path(args.out)
    if out.suffix.lower() not in (".toml", ".json"):
        raise UserError(f"--out: {args.out!r} needs a .toml or .json name")
    format_for(out)
    text = _read(args.qasm)
    try:
        result = import_task_block(spec, task, text)
    except QasmError as exc:
        raise UserError(f"{Path(args.qasm).name}: {exc}") from None
    try:
        save(result.spec, out)
    except OSError as exc:
        raise UserError(f"--out: cannot write {out}: {exc}") from None
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {out}: task {result.spec.tasks[result.task_index].name!r} has a custom block of "
          f"{len(result.block.gates)} gates", file=sys.stderr)
    return 0
