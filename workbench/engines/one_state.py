"""Every task read from one state: when the task blocks act on disjoint wires (task registers), applying all of
them after the shared encoder leaves each task's wires exactly as its own circuit would, so one simulation serves
every task instead of one circuit per task.

The combined program has a single block (all task blocks, their weights concatenated) and a single Pauli-word
readout (every task's words; a probs readout becomes the Z-products of its wires, mapped back to probabilities).
It runs on the torch engine, so gradients, dtypes and devices are the torch engine's.
"""

from __future__ import annotations

import dataclasses
import logging

import torch

from workbench.circuits.ir import Block, QMTLProgram, Readout, TaskCircuit
from workbench.engines.lowering import lower

log = logging.getLogger(__name__)
PATHS = ("auto", "one-state", "per-task")


def block_wires(block: Block, n: int) -> set[int]:
    if block.wires is not None:
        return set(block.wires)
    touched = {w for g in block.gates for w in g.wires}
    return touched if block.gates else set()


def readout_wires(r: Readout) -> set[int]:
    return set(r.wires)


def disjoint(program: QMTLProgram) -> bool:
    """True when no two tasks share a wire, counting each task's block and the wires its readout reads."""
    seen: set[int] = set()
    for t in program.tasks:
        wires = block_wires(t.block, program.n_qubits) | readout_wires(t.readout)
        if wires & seen:
            return False
        seen |= wires
    return True


def path_costs(program: QMTLProgram, batch: int = 64) -> dict[str, float]:
    """Amplitude updates of one forward pass, roughly: per-task copies of the state against a single one.
    Both apply the same block gates, but the per-task path holds T encoded states (memory and gate work on each),
    the one-state path a single state with every block's gates."""
    D, T = 2**program.n_qubits, len(program.tasks)
    prims = [len(lower(t.block.gates)) for t in program.tasks]
    if D <= 1024 and D <= 2 * batch:  # the torch engine fuses a block into one D x D matrix: one product per copy
        per_task = sum(p * D * D for p in prims) + T * batch * D * D
        one = sum(prims) * D * D + batch * D * D
    else:
        per_task = sum(p * D * batch for p in prims) + T * D * batch  # blocks + readout on each copy
        one = sum(prims) * D * batch + D * batch
    return {"per-task": float(per_task), "one-state": float(one)}


def choose_path(program: QMTLProgram, path: str = "auto", batch: int = 64) -> str:
    if path not in PATHS:
        raise ValueError(f"unknown path {path!r} (valid: {', '.join(PATHS)})")
    can = len(program.tasks) > 1 and disjoint(program)
    if path == "one-state" and not can:
        raise ValueError("the one-state path needs task blocks and readouts on disjoint wires")
    if path != "auto":
        return path
    if not can:
        return "per-task"
    costs = path_costs(program, batch)
    return "one-state" if costs["one-state"] <= costs["per-task"] else "per-task"


def _z_subset_words(wires: tuple[int, ...]) -> list[tuple]:
    k = len(wires)
    return [tuple(("Z", wires[i]) for i in range(k) if (S >> (k - 1 - i)) & 1) for S in range(2**k)]


def _probs_from_z(k: int) -> torch.Tensor:
    """(2^k, 2^k): outcome b's probability = 2^-k sum_S (-1)^{popcount(b & S)} <Z_S>."""
    b = torch.arange(2**k)
    parity = torch.tensor([[bin(int(x) & int(S)).count("1") & 1 for S in b] for x in b])
    return (1 - 2 * parity).double() / 2**k


class OneStateEngine:
    """``forward(x, weights)`` -> each task's raw readout, like the torch engine, from one simulated state."""

    name = "torch"
    path = "one-state"

    def __init__(self, program: QMTLProgram, *, dtype="complex64", device="cpu", fuse: str = "auto"):
        from workbench.engines.torch_engine import TorchEngine

        self.program = program
        gates, words, self.slices, self.maps, offset = [], [], [], {}, 0
        for t in program.tasks:
            for g in t.block.gates:
                params = tuple(dataclasses.replace(p, index=p.index + offset) if p.kind == "weight" else p
                               for p in g.params)
                gates.append(dataclasses.replace(g, params=params))
            offset += t.block.n_weights
            r = t.readout
            task_words = list(_z_subset_words(r.wires)) if r.kind == "probs" else list(r.word_list())
            if r.kind == "probs":
                self.maps[t.name] = _probs_from_z(len(r.wires))
            self.slices.append((t.name, len(words), len(words) + len(task_words)))
            words += task_words
        self.n_weights = offset
        block = Block("tasks", "task", gates, offset)
        readout = Readout("pauli", tuple(sorted({w for word in words for _, w in word})), 0, 1.0, tuple(words))
        combined = QMTLProgram(program.n_qubits, program.n_features, program.encoder,
                               [TaskCircuit("tasks", 0, block, readout)])
        self.inner = TorchEngine(combined, dtype=dtype, device=device, fuse=fuse)
        log.info("one-state path: %d task blocks on disjoint wires applied to one %d-qubit state",
                 len(program.tasks), program.n_qubits)

    def forward(self, x: torch.Tensor, weights: dict) -> dict[str, torch.Tensor]:
        parts = [weights[t.name].reshape(-1) for t in self.program.tasks if t.block.n_weights]
        inner = {"encoder": weights["encoder"]} if weights and "encoder" in weights else {}
        if parts:
            inner["tasks"] = torch.cat([p.to(parts[0].dtype) for p in parts])
        raw = self.inner(x, inner)["tasks"]
        out = {}
        for name, a, b in self.slices:
            v = raw[..., a:b]
            if name in self.maps:
                v = v @ self.maps[name].to(device=v.device, dtype=v.dtype).T
            out[name] = v
        return out

    __call__ = forward

    def encode(self, x, weights=None):
        return self.inner.encode(x, weights)
