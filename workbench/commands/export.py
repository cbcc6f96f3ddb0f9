"""``qmtl export``: a spec's (or a trained run's) task circuits as OpenQASM 3, Qiskit QPY or a PennyLane script.

SPEC_OR_RUN is an experiment file, or a run id (or unique prefix) in the run store. A run exports with its
trained weights bound when the training layer can load them; otherwise its recorded spec is exported with
symbolic weights and a note says so.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import UserError

FORMATS = ("qasm3", "qiskit", "pennylane")


def register(sub) -> None:
    p = sub.add_parser("export", help="export task circuits as OpenQASM 3, Qiskit (QPY) or a PennyLane script",
                       description="Export each task's circuit (shared encoder + the task's block + its readout). "
                                   "Inputs stay symbolic (x[i]); weights are bound when exporting a trained run.")
    p.add_argument("source", metavar="SPEC_OR_RUN", help="experiment file (TOML/JSON) or a run id / prefix")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--task", help="one task (default: every task)")
    p.add_argument("--out", help="file to write (several tasks in qasm3: one file per task, named FILE-TASK.qasm); "
                                 "default: standard output (qiskit needs --out, QPY is binary)")
    p.add_argument("--inputs", help="bind one input row, comma-separated (needed for AmplitudeEmbedding)")
    p.add_argument("--runs-dir", default=None, help="runs folder (default: $QMTL_RUNS_DIR or ./runs)")
    p.set_defaults(func=run)


@dataclass
class ExportSource:
    program: object  # QMTLProgram
    weights: dict | None
    title: str
    note: str = ""


def load_source(source: str, runs_dir: str | None) -> ExportSource:
    """A spec file, or a run: its trained head (program + weights) when loadable, else its recorded spec."""
    from workbench.circuits.program import build_program
    from workbench.spec import loads
    from workbench.spec.examples import experiment_or_none

    found = experiment_or_none(source, "SPEC_OR_RUN")
    if found is not None:
        spec = found[0]
        return ExportSource(build_program(spec), None, spec.name)
    from workbench.runs.store import DB_NAME, RunStore, default_runs_dir

    root = Path(runs_dir).expanduser() if runs_dir else default_runs_dir()
    if not (root / DB_NAME).exists():
        raise UserError(f"SPEC_OR_RUN: {source!r} is neither an experiment file nor a run (no runs in {root})")
    store = RunStore(root)
    run_id = store.resolve(source)
    trained = _load_trained(store, run_id)
    if trained is not None:
        head = trained.model.head
        program = getattr(head, "program", None)
        if program is None:
            raise UserError(f"run {run_id}: head {trained.head_kind!r} has no quantum circuit to export")
        weights = {k: v.detach().cpu().numpy() for k, v in head.weights.items()}
        return ExportSource(program, weights, f"{trained.spec.name} (run {run_id}, trained weights)")
    text, fmt = store.spec(run_id)
    spec = loads(text, fmt, f"run {run_id}")
    return ExportSource(build_program(spec), None, f"{spec.name} (run {run_id}, spec only)",
                        note=f"run {run_id}: trained weights are not loadable; exported its spec with symbolic "
                             "weights")


def _load_trained(store, run_id):
    try:
        from workbench.training import load_trained
    except ImportError:
        return None
    return load_trained(store, run_id)


def _parse_row(text: str | None, width: int):
    if text is None:
        return None
    import numpy as np

    from workbench.textsafe import shown

    parts = text.split(",")
    if len(parts) != width:
        raise UserError(f"--inputs: the head reads {width} features, got {len(parts)}")
    try:
        row = np.array([float(v) if len(v) <= 40 else float("nan") for v in parts])
    except ValueError:
        raise UserError(f"--inputs: expected comma-separated numbers, got {shown(text)}") from None
    if not np.isfinite(row).all():
        k = int(np.argmin(np.isfinite(row)))
        raise UserError(f"--inputs: value {k + 1} is not a finite number ({shown(parts[k].strip())})")
    if row.size != width:
        raise UserError(f"--inputs: the head reads {width} features, got {row.size}")
    return row


def run(args: argparse.Namespace) -> int:
    src = load_source(args.source, args.runs_dir)
    program = src.program
    from workbench.circuits.export_qiskit import check_task

    if args.task is not None:
        check_task(program, args.task)
    tasks = [args.task] if args.task else [t.name for t in program.tasks]
    row = _parse_row(args.inputs, program.n_features)
    if src.note:
        print(f"note: {src.note}", file=sys.stderr)
    if args.format == "pennylane":
        from workbench.circuits.export_pennylane import to_pennylane_source

        text = to_pennylane_source(program, src.weights, tasks=tasks, title=src.title)
        _emit(text, args.out)
        return 0
    if args.format == "qasm3":
        from workbench.circuits.export_qasm import qasm3_programs

        if args.out:  # the same files as the GUI's File > Export writes
            from workbench.circuits.export_files import qasm3_outputs

            for path, text in qasm3_outputs(program, tasks, args.out, weights=src.weights, inputs=row,
                                            header=src.title):
                _emit(text, str(path))
                print(f"wrote {path}", file=sys.stderr)
            return 0
        for task in tasks:
            # one program per measured circuit: a Pauli-word readout may need several bases
            for suffix, text in qasm3_programs(program, task, weights=src.weights, inputs=row, header=src.title):
                if len(tasks) > 1 or suffix:
                    print(f"// ===== task {task}{suffix} =====")
                print(text)
        return 0
    # qiskit: QPY, one file holding every exported task circuit (in task order; metadata names the task)
    if not args.out:
        raise UserError("--out: the qiskit format writes a binary QPY file; give --out FILE.qpy")
    from qiskit import qpy

    from workbench.circuits.export_qiskit import to_qiskit

    circuits = [to_qiskit(program, task, inputs=row, weights=src.weights).circuit for task in tasks]
    path = Path(args.out)
    try:
        with open(path, "wb") as fh:
            qpy.dump(circuits, fh)
    except OSError as exc:
        raise UserError(f"--out: cannot write {path}: {exc}") from exc
    print(f"wrote {path}: {len(circuits)} circuit(s) ({', '.join(tasks)}); load with qiskit.qpy.load",
          file=sys.stderr)
    return 0


def _emit(text: str, out: str | None) -> None:
    if not out:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from workbench.circuits.export_files import write_text

    write_text(out, text)
