"""OpenQASM 3 of one task circuit, through ``qiskit.qasm3.dumps`` of the Qiskit export.

Unbound parameters become ``input float[64]`` declarations named ``_x_3_`` (input feature 3) and ``_w_5_``
(weight 5 of the exported layout: encoder weights first, then the task block's). Trained weights, when given,
are written as numbers. The readout wires are measured into ``bit[k] meas`` with ``meas[k-1-i]`` holding
``wires[i]``. OpenQASM has no global phase, which changes no measurement.
"""

from __future__ import annotations

from qiskit import qasm3

from workbench.circuits.export_qiskit import to_qiskit, with_measurements
from workbench.circuits.ir import QMTLProgram
from workbench.textsafe import escape


def to_qasm3(program: QMTLProgram, task_name: str, *, weights=None, inputs=None, measure: bool = True,
             header: str = "") -> str:
    qtc = to_qiskit(program, task_name, inputs=inputs, weights=weights)
    qc = with_measurements(qtc) if measure else qtc.circuit
    text = qasm3.dumps(qc)
    r = qtc.readout
    lines = [f"// QMTL task {escape(repr(task_name))}: {program.n_qubits} qubits, readout {r.kind} on wires "
             f"{list(r.wires)} ({r.classes} classes)"]
    if header:  # a user string: every line a comment, control characters escaped
        lines += [f"// {escape(line)}" for line in header.splitlines()]
    layout = ", ".join(f"{escape(k)} = w[{a}:{b}]" for k, (a, b) in qtc.weight_layout.items()) or "none"
    lines.append(f"// weights: {'bound (trained values)' if weights is not None else layout}")
    lines.append(f"// inputs: _x_i_ = h[i], {program.n_features} features" if inputs is None
                 else "// inputs: bound (one row)")
    if measure:
        k = len(qtc.measured_wires)
        lines.append(f"// meas[{k - 1}-i] holds wire wires[i]; the measured bitstring's integer value is the class "
                     "index (probs readout)")
    first, _, rest = text.partition("\n")
    return "\n".join([first, *lines, rest])
