"""The same program compiled to PennyLane QNodes: an alternative engine and the reference in tests.

Where PennyLane has the template (AngleEmbedding, IQPEmbedding, AmplitudeEmbedding,
StronglyEntanglingLayers, BasicEntanglerLayers) the QNode calls PennyLane's own template rather than our
expansion, so a test against this engine also checks our template expansion. One QNode per task (PennyLane
cannot share the encoder state between QNodes); the batch goes through parameter broadcasting.
"""

from __future__ import annotations

import pennylane as qml
import torch

from workbench.circuits.ir import Block, Gate, Param, QMTLProgram
from workbench.circuits.templates import sel_ranges

DEVICES = ("default.qubit", "lightning.qubit", "default.mixed")

_GATES = {
    "RX": qml.RX, "RY": qml.RY, "RZ": qml.RZ, "Rot": qml.Rot, "PhaseShift": qml.PhaseShift,
    "H": qml.Hadamard, "X": qml.PauliX, "Y": qml.PauliY, "Z": qml.PauliZ, "S": qml.S, "T": qml.T,
    "CNOT": qml.CNOT, "CZ": qml.CZ, "SWAP": qml.SWAP, "CRX": qml.CRX, "CRY": qml.CRY, "CRZ": qml.CRZ,
    "MultiRZ": qml.MultiRZ,
}


def _angle(p: Param, x, w):
    if p.kind == "weight":
        return w[p.index] * p.scale
    if p.kind == "input":
        v = x[:, p.index] * p.scale
        return v * x[:, p.index2] if p.index2 >= 0 else v
    return torch.tensor(p.value, dtype=x.dtype)  # a tensor, so that Rot can mix it with tensor angles


def _apply_gates(gates: list[Gate], x, w) -> None:
    for g in gates:
        if g.name == "AmplitudeEmbedding":
            qml.AmplitudeEmbedding(x[:, [p.index for p in g.params]], wires=list(g.wires), pad_with=0.0,
                                   normalize=True)
            continue
        _GATES[g.name](*[_angle(p, x, w) for p in g.params], wires=list(g.wires))


def _apply_block(block: Block, n: int, x, w, native: bool) -> None:
    src = block.source
    if native and src is not None and src.trainable_layers == 0:
        d = block.n_inputs
        if block.role == "encoder":
            if src.template == "AngleEmbedding":
                qml.AngleEmbedding(x[:, :d] * src.input_scale, wires=range(d), rotation=src.rotation)
                return
            if src.template == "IQPEmbedding":
                qml.IQPEmbedding(x[:, :d] * src.input_scale, wires=range(d), n_repeats=max(src.layers, 1))
                return
            if src.template == "AmplitudeEmbedding":
                qml.AmplitudeEmbedding(x[:, :d], wires=range(n), pad_with=0.0, normalize=True)
                return
        else:
            wires = list(block.wires) if block.wires is not None else list(range(n))
            k = len(wires)  # a block on a subset of the wires (a task register) runs its template there
            if src.template == "StronglyEntanglingLayers":
                qml.StronglyEntanglingLayers(w.reshape(src.layers, k, 3), wires=wires,
                                             ranges=sel_ranges(src, k) if k > 1 else None)
                return
            if src.template == "BasicEntanglerLayers":
                qml.BasicEntanglerLayers(w.reshape(src.layers, k), wires=wires,
                                         rotation=_GATES[f"R{src.rotation}"])
                return
    _apply_gates(block.gates, x, w)


_PAULI = {"X": qml.PauliX, "Y": qml.PauliY, "Z": qml.PauliZ}


def pauli_operator(word):
    """A Pauli word (("Z", 0), ("X", 2)) as a PennyLane operator (a tensor product of Pauli operators)."""
    ops = [_PAULI[op](w) for op, w in word]
    return ops[0] if len(ops) == 1 else qml.prod(*ops)


class PennyLaneEngine:
    """``forward(x, weights)`` returns each task's raw readout values, like the torch engine."""

    def __init__(self, program: QMTLProgram, device_name: str = "default.qubit", *, dtype: str = "complex128",
                 native_templates: bool = True):
        if device_name not in DEVICES:
            raise ValueError(f"unknown PennyLane device {device_name!r} (valid: {', '.join(DEVICES)})")
        self.program = program
        self.name = device_name
        self.rdtype = torch.float64 if dtype == "complex128" else torch.float32
        n = program.n_qubits
        diff = "backprop" if device_name in ("default.qubit", "default.mixed") else "adjoint"
        dev = qml.device(device_name, wires=n)
        self.qnodes = {}
        for t in program.tasks:
            self.qnodes[t.name] = qml.QNode(self._circuit_fn(t), dev, interface="torch", diff_method=diff)
        self.native = native_templates

    def _circuit_fn(self, task):
        enc, block, r, n = self.program.encoder, task.block, task.readout, self.program.n_qubits

        def circuit(x, w_enc, w_task):
            _apply_block(enc, n, x, w_enc, self.native)
            _apply_block(block, n, x, w_task, self.native)
            if r.kind == "expval":
                return [qml.expval(qml.PauliZ(w)) for w in r.wires]
            if r.kind == "pauli":
                return [qml.expval(pauli_operator(word)) for word in r.words]
            return qml.probs(wires=list(r.wires))

        return circuit

    def forward(self, x: torch.Tensor, weights: dict) -> dict[str, torch.Tensor]:
        x = x.to(self.rdtype)
        empty = torch.zeros(0, dtype=self.rdtype)
        w_enc = weights.get("encoder", empty).to(self.rdtype) if weights else empty
        out = {}
        for t in self.program.tasks:
            w = weights.get(t.name, empty).to(self.rdtype)
            res = self.qnodes[t.name](x, w_enc, w)
            if isinstance(res, (list, tuple)):
                res = torch.stack([torch.as_tensor(v) for v in res], dim=-1)
            if res.dim() == 1:  # no gate read the inputs, so PennyLane did not broadcast
                res = res.expand(x.shape[0], -1)
            out[t.name] = res
        return out

    __call__ = forward
