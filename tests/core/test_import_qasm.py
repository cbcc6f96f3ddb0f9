"""OpenQASM 3 of a task read back into its block: round trips, Qiskit's own reading as the reference, and errors
that name the line."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from qiskit import qasm3
from qiskit.quantum_info import Statevector

from tests.core.fuzz_settings import budget
from tests.core.random_specs import random_register_spec, random_spec
from workbench.circuits.export_native import has_amplitude, native_gates
from workbench.circuits.export_qiskit import to_qiskit
from workbench.circuits.import_qasm import QasmError, import_task_block, task_qasm
from workbench.circuits.program import build_program
from workbench.cli import main
from workbench.errors import UserError
from workbench.spec import GateSpec, load
from workbench.spec.examples import EXPERIMENTS, example_names
from workbench.spec.validate import validate


def _native(block) -> list:
    """A block's gates as the export writes them (MultiRZ on one wire is the RZ it is), constants rounded."""
    out = []
    for op in native_gates(block.gates):
        params = tuple((p.kind, p.index, p.index2, p.scale, round(p.value, 9)) for p in op.params)
        out.append((op.name, op.wires, params))
    return out


def _same_block(a, b) -> None:
    assert _native(a) == _native(b)
    assert b.n_weights <= a.n_weights or not a.gates


def _drop_measurements(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "measure" not in line and not line.startswith("bit["))


def _state(circuit, params: dict) -> np.ndarray:
    bound = circuit.assign_parameters({p: params[p.name] for p in circuit.parameters})
    return Statevector(bound).data


def _values(spec, task: str, seed: int) -> dict:
    """Random values for every parameter name the task's QASM can use (_x_i_, _w_i_)."""
    program = build_program(spec)
    rng = np.random.default_rng(seed)
    n_w = program.encoder.n_weights + program.task(task).block.n_weights + 64
    values = {f"_x_{i}_": float(v) for i, v in enumerate(rng.uniform(-1, 1, program.n_features))}
    values.update({f"_w_{i}_": float(v) for i, v in enumerate(rng.uniform(-np.pi, np.pi, n_w))})
    return values


def _program_state(spec, task: str, values: dict) -> np.ndarray:
    """The task's state as the workbench builds it from the spec (Qiskit circuit from the IR, global phase kept)."""
    program = build_program(spec)
    row = np.array([values[f"_x_{i}_"] for i in range(program.n_features)]) if has_amplitude(program) else None
    qtc = to_qiskit(program, task, inputs=row)  # amplitude encoding: one row bound (no symbolic form)
    return _state(qtc.circuit, {p.name: values[f"_{p.name.replace('[', '_').rstrip(']')}_"]
                                for p in qtc.circuit.parameters})


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    return abs(np.vdot(a, b))


@pytest.mark.parametrize("name", example_names())
def test_every_shipped_task_round_trips(name):
    spec = load(EXPERIMENTS / f"{name}.toml")
    program = build_program(spec)
    for task in spec.tasks:
        text = task_qasm(program, task.name, spec.name)
        result = import_task_block(spec, task.name, text)
        again = build_program(result.spec)
        assert again.task(task.name).block.gates == program.task(task.name).block.gates
        assert again.task(task.name).block.n_weights == program.task(task.name).block.n_weights
        assert task_qasm(again, task.name, spec.name) == text  # the text, too, comes back unchanged
        assert result.spec.tasks[result.task_index].block.template == "Custom"
        others = [t for t in result.spec.tasks if t.name != task.name]
        assert others == [t for t in spec.tasks if t.name != task.name]  # no other task changed


def _round_trip(spec, seed: int) -> None:
    validate(spec)
    program = build_program(spec)
    for task in spec.tasks:
        text = task_qasm(program, task.name, spec.name)
        result = import_task_block(spec, task.name, text)
        _same_block(program.task(task.name).block, build_program(result.spec).task(task.name).block)
        values = _values(spec, task.name, seed)
        before, after = _program_state(spec, task.name, values), _program_state(result.spec, task.name, values)
        np.testing.assert_allclose(after, before, atol=1e-9)
        if not has_amplitude(program):  # Qiskit's own QASM reader agrees (up to the phase QASM has no room for)
            theirs = _state(qasm3.loads(_drop_measurements(text)), values)
            assert _overlap(theirs, before) == pytest.approx(1.0, abs=1e-9)


@budget(25)
@given(st.integers(0, 10**6))
def test_random_specs_round_trip(seed):
    _round_trip(random_spec(seed, n_max=6), seed)


@budget(15)
@given(st.integers(0, 10**6))
def test_random_register_specs_round_trip(seed):
    _round_trip(random_register_spec(seed), seed)


def _small():
    return load(EXPERIMENTS / "small-synthetic.toml")


def _edited(text: str, block_lines: list[str], declarations: list[str] = ()) -> str:
    """The view with ``block_lines`` in place of the task block's gates (kept: header, encoder, measurements)."""
    lines = text.splitlines()
    encoder = [i for i, line in enumerate(lines) if re.match(r"ry\(_x_\d+_\)", line)]
    measures = [i for i, line in enumerate(lines) if "= measure" in line]
    head = lines[: encoder[-1] + 1]
    at = next(i for i, line in enumerate(head) if line.startswith("qubit["))
    head = head[:at] + list(declarations) + head[at:]
    return "\n".join(head + block_lines + lines[measures[0]:])


def test_an_edited_block_is_what_qiskit_reads_from_the_same_text():
    spec = _small()
    program = build_program(spec)
    text = _edited(task_qasm(program, "task_1"), [
        "U(_w_1_, _w_2_, _w_0_) q[0];", "rx(pi/3) q[1];", "ry(theta) q[2];", "cx q[2], q[3];",
        "crz(-0.25) q[3], q[0];", "rzz(_w_4_) q[1], q[2];", "sdg q[3];", "t q[0];", "U(0.1, phi, 2*pi/5) q[1];",
        "cx q[0], q[1];", "cx q[1], q[3];", "rz(_w_7_) q[3];", "cx q[1], q[3];", "cx q[0], q[1];",
        "swap q[0], q[2];", "p(1e-3) q[1];", "id q[2];", "barrier q[0], q[1];"],
        ["input float[64] theta;", "input float[64] phi;",
         "gate rzz(t) a, b { cx a, b; rz(t) b; cx a, b; }"])
    result = import_task_block(spec, "task_1", text)
    gates = result.block.gates
    assert [g.gate for g in gates] == ["Rot", "RX", "RY", "CNOT", "CRZ", "MultiRZ", "PhaseShift", "T", "Rot",
                                       "MultiRZ", "SWAP", "PhaseShift"]
    assert gates[1] == GateSpec("RX", [1], ["pi/3"])
    assert gates[2].params == ["w8"]  # a declared input: the next weight after the block's last (_w_7_)
    assert gates[8].params == ["2*pi/5", 0.1, "w9"]  # U(theta, phi, lambda) = Rot(lambda, theta, phi)
    assert gates[9] == GateSpec("MultiRZ", [0, 1, 3], ["w7"])  # the CNOT ladder around rz, folded
    assert gates[11].params == [0.001]
    values = _values(spec, "task_1", 3)
    values.update(theta=values["_w_8_"], phi=values["_w_9_"])
    ours = _program_state(result.spec, "task_1", values)
    theirs = _state(qasm3.loads(_drop_measurements(text)), values)
    assert _overlap(ours, theirs) == pytest.approx(1.0, abs=1e-9)
    assert any("custom block of 12 gates" in n for n in result.notes)
    assert any("default block" in n for n in result.notes)
    assert result.spec.tasks[0] == spec.tasks[0] and result.changed


def test_encoder_weights_are_offset_and_named_inputs_follow_them():
    spec = _small()
    spec.quantum.encoder.trainable_layers = 1  # the encoder's weights come first: _w_0_.._w_11_
    program = build_program(spec)
    e = program.encoder.n_weights
    assert e > 0
    task = spec.tasks[0].name
    text = task_qasm(program, task)
    assert f"_w_{e}_" in text
    result = import_task_block(spec, task, text.replace(f"_w_{e}_)", f"_w_{e + 5}_)", 1))
    weights = [p for g in result.block.gates for p in g.params]
    assert "w5" in weights
    bad = text.replace(f"_w_{e}_)", "_w_0_)", 1)
    with pytest.raises(QasmError, match=rf"_w_0_ is a weight of the shared encoder .*start at _w_{e}_"):
        import_task_block(spec, task, bad)


def test_registers_layout_reads_wires_relative_to_the_register():
    spec = load(EXPERIMENTS / "registers-digits.toml")
    program = build_program(spec)
    task = spec.tasks[1].name  # a one-qubit register after the digit task's
    text = task_qasm(program, task)
    result = import_task_block(spec, task, text)
    assert all(g.wires == [0] for g in result.block.gates)  # register-relative, as the spec writes them
    wire = spec.tasks[0].qubits or 4
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("U(") and f"q[{wire}]" in t)
    lines = text.splitlines()
    lines[line - 1] = lines[line - 1].replace(f"q[{wire}]", "q[0]")
    with pytest.raises(QasmError, match=rf"line {line}: q\[0\] is outside the task's wires \[{wire}\]"):
        import_task_block(spec, task, "\n".join(lines))


def _error(text: str, spec=None, task: str = "task_1") -> QasmError:
    with pytest.raises(QasmError) as info:
        import_task_block(spec or _small(), task, text)
    return info.value


def _with_block_line(extra: str) -> tuple[str, int]:
    """The small example's task_1 view with ``extra`` added after the block's last gate; its line number."""
    text = task_qasm(build_program(_small()), "task_1")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "= measure" in line)
    lines.insert(at, extra)
    return "\n".join(lines), at + 1


@pytest.mark.parametrize("extra, message", [
    ("foo q[1];", "unknown gate 'foo'"),
    ("rx(0.5) q[9];", "qubit q[9] out of range, the circuit has 4"),
    ("rx(0.5) r[1];", "unknown qubit register 'r'"),
    ("rx(0.5) q;", "apply gates to single qubits such as q[0]"),
    ("rx(0.5, 0.2) q[1];", "rx takes 1 angle(s), got 2"),
    ("cx q[1];", "cx acts on 2 qubit(s), got 1"),
    ("cx q[1], q[1];", "cx uses q[1] twice"),
    ("rx(_x_0_) q[1];", "_x_0_ is input feature 0: input features belong in the shared encoder"),
    ("rx(2*_w_3_) q[1];", "a trainable angle stands alone"),
    ("rx(theta) q[1];", "unknown name 'theta' (declare it with input float[64] theta;"),
    ("rx(pi/0) q[1];", "divides by zero"),
    ("rx(1e300) q[1];", "too large"),
    ("rx(q[99999999999]) q[1];", "angle 'q[99999999999]'"),
    ("ctrl @ x q[0], q[1];", "gate modifiers"),
    ("reset q[0];", "'reset' is not read here"),
    ("if (meas[0]) x q[0];", "'if' is not read here"),
    ("gate foo a { x a; }", "gate definitions are not imported ('foo')"),
    ("rx(0.5) q[1234567890123];", "out of range, the circuit has 4"),
    ("rx(_w_99999999_) q[1];", "at most 160000 weights in one block"),
    ("rx(0.5) q[1]", "does not end with ';'"),
    ("/* never closed", "a /* comment is never closed"),
    ("rx(\x1b[31m) q[1];", "'\\x1b[31m'"),
])
def test_bad_lines_say_what_and_where(extra, message):
    text, line = _with_block_line(extra)
    err = _error(text)
    assert message in err.message, err.message
    assert err.line == line and str(err).startswith(f"line {line}: ")


def test_program_level_errors():
    text = task_qasm(build_program(_small()), "task_1")
    assert _error(text.replace("qubit[4] q;", "qubit[5] q;")).message.startswith(
        "qubit[5] q: the experiment has 4 qubits")
    assert "OpenQASM 3" in _error(text.replace("OPENQASM 3.0;", "OPENQASM 2.0;")).message
    assert "a gate before the qubit register is declared" in _error(text.replace("qubit[4] q;", "")).message
    assert "no qubit register" in _error("OPENQASM 3.0;\n").message
    assert "register of 1 to 26 qubits" in _error(text.replace("qubit[4] q;", "qubit[99999999999999] q;")).message
    lines = text.splitlines()
    enc = next(i for i, line in enumerate(lines) if line.startswith("ry(_x_2_)"))
    changed = "\n".join(lines[:enc] + ["ry(_x_3_) q[2];"] + lines[enc + 1:])
    err = _error(changed)
    assert err.line == enc + 1 and "the shared encoder's gate 3 is ry(_x_2_) q[2]" in err.message
    meas = next(i for i, line in enumerate(lines) if "= measure" in line)
    late = "\n".join(lines + ["x q[0];"])
    assert "after the measurements" in _error(late).message
    assert _error(late).line == len(lines) + 1 and meas < len(lines)
    with pytest.raises(UserError, match="no task 'nope'"):
        import_task_block(_small(), "nope", text)
    assert "at most" in _error("x" * (8 * 2**20 + 1)).message


def test_measurements_are_not_imported_and_a_changed_one_is_noted():
    spec = _small()
    text = task_qasm(build_program(spec), "task_1")
    same = import_task_block(spec, "task_1", text)
    assert not any("measurements" in n for n in same.notes)
    moved = import_task_block(spec, "task_1", text.replace("meas[0] = measure q[2];", "meas[0] = measure q[3];"))
    assert any("measurements are not imported" in n for n in moved.notes)
    assert moved.block == same.block


def test_the_view_leaves_out_what_one_program_cannot_hold():
    glue = load(EXPERIMENTS / "glue-structure-9task.toml")
    text = task_qasm(build_program(glue), "mnli")  # Z0, Z1 and X0 X1: two bases
    assert "= measure" not in text and "\nbit[" not in text and "one program per basis" in text
    seed = next(s for s in range(400) if random_spec(s).quantum.encoder.template == "AmplitudeEmbedding")
    spec = random_spec(seed)
    program = build_program(spec)
    task = spec.tasks[0].name
    view = task_qasm(program, task)
    assert "AmplitudeEmbedding) is left out" in view and "_x_" not in view.split("qubit[")[1]
    assert import_task_block(spec, task, view).block.gates is not None


def test_a_spec_with_a_problem_is_refused_before_reading():
    spec = _small()
    broken = copy.deepcopy(spec)
    broken.tasks[0].classes = 1
    with pytest.raises(UserError, match="problem to fix first"):
        import_task_block(broken, "task_1", "OPENQASM 3.0;")


def test_cli_import_qasm(tmp_path, capsys):
    out = tmp_path / "edited.toml"
    qasm = tmp_path / "t1.qasm"
    assert main(["export", "small-synthetic", "--format", "qasm3", "--task", "task_1", "--out", str(qasm)]) == 0
    text = qasm.read_text()
    qasm.write_text(text.replace("cx q[3], q[0];", "cx q[3], q[0];\nrx(pi/3) q[1];"))
    assert main(["import-qasm", "small-synthetic", str(qasm), "--task", "task_1", "-o", str(out)]) == 0
    spec = load(out)
    assert spec.tasks[1].block.gates[-1] == GateSpec("RX", [1], ["pi/3"])
    assert "custom block of 9 gates" in capsys.readouterr().err
    qasm.write_text(text.replace("cx q[3], q[0];", "cx q[3], q[0];\nfoo q[1];"))
    assert main(["import-qasm", "small-synthetic", str(qasm), "--task", "task_1", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    line = text.splitlines().index("cx q[3], q[0];") + 2
    assert f"t1.qasm: line {line}: unknown gate 'foo'" in err and "Traceback" not in err
    assert main(["import-qasm", "small-synthetic", str(qasm), "-o", str(out)]) == 2
    assert "--task: the experiment has 2 tasks" in capsys.readouterr().err
    assert main(["import-qasm", "small-synthetic", str(tmp_path / "none.qasm"), "--task", "task_1",
                 "-o", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["import-qasm", "small-synthetic", str(qasm), "--task", "task_1", "-o", str(tmp_path / "x.txt")]) == 2
    assert "needs a .toml or .json name" in capsys.readouterr().err


def test_angles_keep_their_expression_or_value():
    spec = _small()
    text, _ = _with_block_line("rz(-2*pi/3) q[0];")
    gates = import_task_block(spec, "task_1", text).block.gates
    assert gates[-1].params == ["-2*pi/3"]
    text, _ = _with_block_line("rz(0.125) q[0];")
    assert import_task_block(spec, "task_1", text).block.gates[-1].params == [0.125]


_PIECES = list("q[]();{},=-+*/_wx0123456789 \n\"@$πe.") + ["/*", "//", "pi", "measure", "gate", "U", "rzz"]
_NOISE = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)


@budget(300)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 8), _NOISE), min_size=1, max_size=4))
def test_mangled_programs_are_read_or_refused_in_one_line(edits):
    """Random cuts and insertions into a valid program: it reads, or one UserError line, never anything else."""
    spec = _small()
    text = task_qasm(build_program(spec), "task_1")
    for at, cut, noise in edits:
        at %= len(text) + 1
        text = text[:at] + noise + text[at + cut:]
    try:
        result = import_task_block(spec, "task_1", text)
    except QasmError as exc:
        assert exc.line >= 0 and "\n" not in str(exc)
    except UserError as exc:
        assert "\n" not in str(exc)
    else:
        validate(result.spec)


def test_unicode_pi_and_bad_unicode_names():
    spec = _small()
    text, line = _with_block_line("rz(π/2) q[0];")
    assert import_task_block(spec, "task_1", text).block.gates[-1].params == ["pi/2"]
    text, line = _with_block_line("rz(θ) q[0];")
    err = _error(text)
    assert err.line == line
