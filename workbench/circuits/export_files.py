"""The files an export writes: one place for their names and their writing, so ``qmtl export`` and the GUI's
File > Export write the same files."""

from __future__ import annotations

from pathlib import Path

from workbench.circuits.ir import QMTLProgram
from workbench.errors import UserError
from workbench.textsafe import safe_filename

SUFFIX = {"qasm3": ".qasm", "qiskit": ".qpy", "pennylane": ".py"}


def out_path(out: str | Path, name: str, several: bool, fmt: str) -> Path:
    """``out`` itself, or ``OUT-NAME.suffix`` when one export writes several files (tasks, bases)."""
    p = Path(out)
    if not several:
        return p
    suffix = p.suffix or SUFFIX[fmt]
    return p.with_name(f"{p.stem}-{safe_filename(name)}{suffix}")


def qasm3_outputs(program: QMTLProgram, tasks: list[str], out: str | Path, **kw) -> list[tuple[Path, str]]:
    """(path, program text) of every file ``qmtl export --format qasm3 --out OUT`` writes for ``tasks``: one per
    task, or one per measurement basis of a Pauli-word readout."""
    from workbench.circuits.export_qasm import qasm3_programs

    files = []
    for task in tasks:
        programs = qasm3_programs(program, task, **kw)
        for suffix, text in programs:
            files.append((out_path(out, task + suffix, len(tasks) > 1 or bool(suffix), "qasm3"), text))
    return files


def write_text(path: str | Path, text: str, field: str = "--out") -> None:
    """Write UTF-8 text ending in one newline; an unwritable path is a ``UserError`` naming ``field`` and it."""
    try:
        Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{field}: cannot write {path}: {exc}") from exc
