"""File > Export > OpenQASM 3… and PennyLane Script…: the files ``qmtl export`` writes for the same experiment."""

from __future__ import annotations

from pathlib import Path

from workbench.circuits.export_files import qasm3_outputs, write_text
from workbench.circuits.export_pennylane import to_pennylane_source
from workbench.circuits.program import build_program
from workbench.errors import UserError
from workbench.gui.common import messages
from workbench.gui.composer.document import ExperimentDocument
from workbench.textsafe import is_unsafe_char, safe_filename, shown

QASM_FILTER = "OpenQASM 3 (*.qasm);;All files (*)"
PYTHON_FILTER = "Python script (*.py);;All files (*)"


def checked_path(text: str, suffix: str) -> Path:
    """The chosen file: no control or invisible characters in its name, an existing folder, ``suffix`` added
    when the name has none. Raises UserError saying what is wrong."""
    path = Path(text).expanduser()
    if any(is_unsafe_char(c) for c in str(path)):
        raise UserError(f"file name {shown(str(path))}: it holds control or invisible characters")
    if not path.name or path.is_dir():
        raise UserError(f"{shown(str(path))} is a folder; choose a file name")
    if not path.parent.is_dir():
        raise UserError(f"folder {shown(str(path.parent))} does not exist")
    return path if path.suffix else path.with_suffix(suffix)


def _program(doc: ExperimentDocument):
    problem = doc.first_spec_problem()
    if problem is not None:
        raise UserError(f"fix the experiment first: {problem}")
    return build_program(doc.spec)


def _ask(parent, doc: ExperimentDocument, start_dir: Path, name: str, caption: str, filters: str, suffix: str):
    chosen = messages.save_path(parent, str(start_dir / (safe_filename(name) + suffix)), caption, filters)
    return checked_path(chosen, suffix) if chosen else None


def export_qasm(parent, doc: ExperimentDocument, task: str, start_dir: Path) -> list[Path]:
    """Ask for a file and write task ``task`` as ``qmtl export SPEC --format qasm3 --task TASK --out FILE`` does
    (a Pauli-word readout measured in several bases: one file per basis). Returns the files written."""
    program = _program(doc)
    path = _ask(parent, doc, start_dir, f"{doc.spec.name}-{task}", f"Export task {task} as OpenQASM 3",
                QASM_FILTER, ".qasm")
    if path is None:
        return []
    files = qasm3_outputs(program, [task], path, header=doc.spec.name)
    for file, text in files:
        write_text(file, text, "export")
    return [file for file, _ in files]


def export_pennylane(parent, doc: ExperimentDocument, start_dir: Path) -> list[Path]:
    """Ask for a file and write every task's QNode as ``qmtl export SPEC --format pennylane --out FILE`` does."""
    program = _program(doc)
    path = _ask(parent, doc, start_dir, doc.spec.name, "Export the PennyLane script", PYTHON_FILTER, ".py")
    if path is None:
        return []
    tasks = [t.name for t in program.tasks]
    write_text(path, to_pennylane_source(program, None, tasks=tasks, title=doc.spec.name), "export")
    return [path]
