"""OpenQASM 3 of one task circuit, through ``qiskit.qasm3.dumps`` of the Qiskit export.

Unbound parameters become ``input float[64]`` declarations named ``_x_3_`` (input feature 3) and ``_w_5_``
(weight 5 of the exported layout: encoder weights first, then the task block's). Trained weights, when given,
are written as numbers. The readout wires are measured into ``bit[k] meas`` with ``meas[k-1-i]`` holding
``wires[i]``. OpenQASM has no global phase, which changes no measurement.

A Pauli-word readout is measured in bases (words that agree on every wire share one): each basis is one program
with its basis change (H for X, S^dagger then H for Y) written before the measurement; ``qasm3_programs`` gives
them all, and each header says which words it reads and how.
"""

from __future__ import annotations

from qiskit import qasm3

from workbench.circuits.export_qiskit import measurement_bases, to_qiskit, with_measurements
from workbench.circuits.ir import QMTLProgram
from workbench.circuits.pauli import word_label
from workbench.textsafe import escape


def qasm3_programs(program: QMTLProgram, task_name: str, **kw) -> list[tuple[str, str]]:
    """(file suffix, program) per measured circuit of the task: one, or one per basis of a Pauli-word readout."""
    r = program.task(task_name).readout
    if r.kind != "pauli" or kw.get("measure") is False:
        return [("", to_qasm3(program, task_name, **kw))]
    bases = measurement_bases(r)
    if len(bases) == 1:
        return [("", to_qasm3(program, task_name, **kw))]
    return [(f"-basis{b}", to_qasm3(program, task_name, basis=b, **kw)) for b in range(len(bases))]


def to_qasm3(program: QMTLProgram, task_name: str, *, weights=None, inputs=None, measure: bool = True,
             header: str = "", basis: int = 0) -> str:
    qtc = to_qiskit(program, task_name, inputs=inputs, weights=weights)
    qc = with_measurements(qtc, basis) if measure else qtc.circuit
    text = qasm3.dumps(qc)
    r = qtc.readout
    lines = [f"// QMTL task {escape(repr(task_name))}: {program.n_qubits} qubits, readout {r.kind} on wires "
             f"{list(r.wires)} ({'regression' if r.regression else f'{r.classes} classes'})"]
    if r.kind == "pauli":
        lines.append(f"// Pauli words: {', '.join(word_label(w) for w in r.words)}")
    if header:  # a user string: every line a comment, control characters escaped
        lines += [f"// {escape(line)}" for line in header.splitlines()]
    layout = ", ".join(f"{escape(k)} = w[{a}:{b}]" for k, (a, b) in qtc.weight_layout.items()) or "none"
    lines.append(f"// weights: {'bound (trained values)' if weights is not None else layout}")
    lines.append(f"// inputs: _x_i_ = h[i], {program.n_features} features" if inputs is None
                 else "// inputs: bound (one row)")
    if measure and r.kind == "pauli":
        rotation, members, wires = measurement_bases(r)[basis]
        k = len(wires)
        lines.append(f"// basis {basis + 1} of {len(measurement_bases(r))}: "
                     + ", ".join(f"{rotation[w]} on wire {w}" for w in wires)
                     + " (H before measuring X, sdg then H for Y)")
        lines.append(f"// meas[{k - 1}-i] holds wire {list(wires)}[i]; words read here: "
                     + ", ".join(word_label(r.words[i]) for i in members)
                     + "; <word> = mean over shots of the product of (-1)^bit over the word's wires")
    elif measure:
        k = len(qtc.measured_wires)
        lines.append(f"// meas[{k - 1}-i] holds wire wires[i]; the measured bitstring's integer value is the class "
                     "index (probs readout)")
    first, _, rest = text.partition("\n")
    return "\n".join([first, *lines, rest])
