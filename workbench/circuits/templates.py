"""Template expansion: encoders and ansatz families to IR gates.

Weight layouts follow PennyLane's templates so that weights can be handed to them unchanged:
StronglyEntanglingLayers (L, n, 3), BasicEntanglerLayers (L, n).
"""

from __future__ import annotations

import math
from itertools import combinations

from workbench.circuits.ir import Block, Gate, Param
from workbench.errors import SpecError
from workbench.spec.model import BlockSpec
from workbench.spec.params import parse_param


def entangler_pairs(n: int, pattern: str) -> list[tuple[int, int]]:
    if n < 2 or pattern == "none":
        return []
    if pattern == "linear":
        return [(i, i + 1) for i in range(n - 1)]
    if pattern == "ring":
        return [(i, (i + 1) % n) for i in range(n)] if n > 2 else [(0, 1)]
    if pattern == "full":
        return list(combinations(range(n), 2))
    raise ValueError(f"unknown entanglement {pattern!r}")


def sel_ranges(spec: BlockSpec, n: int) -> list[int]:
    if spec.ranges is not None:
        return list(spec.ranges)
    return [(l % (n - 1)) + 1 for l in range(spec.layers)] if n > 1 else [0] * spec.layers


def _strongly_entangling(n: int, layers: int, ranges: list[int], offset: int = 0) -> list[Gate]:
    gates = []
    for l in range(layers):
        for q in range(n):
            base = offset + (l * n + q) * 3
            gates.append(Gate("Rot", (q,), tuple(Param.weight(base + k) for k in range(3))))
        if n > 1:
            for q in range(n):
                gates.append(Gate("CNOT", (q, (q + ranges[l]) % n)))
    return gates


def _basic_entangler(n: int, layers: int, rotation: str) -> list[Gate]:
    gates = []
    for l in range(layers):
        for q in range(n):
            gates.append(Gate(f"R{rotation}", (q,), (Param.weight(l * n + q),)))
        if n == 2:
            gates.append(Gate("CNOT", (0, 1)))
        elif n > 2:
            gates.extend(Gate("CNOT", (q, (q + 1) % n)) for q in range(n))
    return gates


def _hardware_efficient(n: int, spec: BlockSpec) -> list[Gate]:
    gates, w = [], 0
    for _ in range(spec.layers):
        for q in range(n):
            for r in spec.rotations:
                gates.append(Gate(r, (q,), (Param.weight(w),)))
                w += 1
        gates.extend(Gate(spec.entangler, pair) for pair in entangler_pairs(n, spec.entanglement))
    return gates


def _custom(spec: BlockSpec, input_scale: float) -> tuple[list[Gate], int]:
    """A plain ``"w"`` takes the lowest index that no numbered ``"wN"`` of the block claims, so it never
    shares an angle by accident; ``"wN"`` written twice shares angle N on purpose."""
    tokens = [[parse_param(t) for t in g.params] for g in spec.gates]
    claimed = {t.index for row in tokens for t in row if t.kind == "weight" and t.index is not None}
    gates, free, n_weights = [], 0, 0
    for g, row in zip(spec.gates, tokens):
        params = []
        for tok in row:
            if tok.kind == "weight":
                idx = tok.index
                if idx is None:
                    while free in claimed:
                        free += 1
                    idx = free
                    free += 1
                n_weights = max(n_weights, idx + 1)
                params.append(Param.weight(idx))
            elif tok.kind == "input":
                params.append(Param.input(tok.index, input_scale))
            else:
                params.append(Param.const(tok.value))
        gates.append(Gate(g.gate, tuple(g.wires), tuple(params)))
    return gates, n_weights


def upload_layers(spec: BlockSpec, n_features: int, n: int) -> int:
    return max(spec.layers, math.ceil(n_features / n)) if n_features else 0


def expand_encoder(spec: BlockSpec, n: int, n_features: int) -> Block:
    s = spec.input_scale
    gates: list[Gate] = []
    n_weights = 0
    trainable = spec.trainable_layers
    t = spec.template
    if t == "AngleEmbedding":
        gates = [Gate(f"R{spec.rotation}", (i,), (Param.input(i, s),)) for i in range(n_features)]
    elif t == "IQPEmbedding":
        wires = range(n_features)
        for _ in range(max(spec.layers, 1)):
            for i in wires:
                gates.append(Gate("H", (i,)))
                gates.append(Gate("RZ", (i,), (Param.input(i, s),)))
            for i, j in combinations(wires, 2):
                gates.append(Gate("MultiRZ", (i, j), (Param.input(i, s * s, j),)))
    elif t == "AmplitudeEmbedding":
        gates = [Gate("AmplitudeEmbedding", tuple(range(n)),
                      tuple(Param.input(i) for i in range(n_features)))]
    elif t == "ReUploading":
        # Multi-feature angle loading: upload layer l loads features l*n .. l*n+n-1 (cyclically once
        # the features run out, which is data re-uploading proper), alternating the rotation axis so
        # that consecutive loads on a wire do not merge into one angle; entangle between layers.
        n_layers = upload_layers(spec, n_features, n)
        pairs = entangler_pairs(n, spec.entanglement)
        for l in range(n_layers):
            rot = spec.rotations[l % len(spec.rotations)] if spec.rotations else "RY"
            for q in range(n):
                gates.append(Gate(rot, (q,), (Param.input((l * n + q) % n_features, s),)))
            if trainable:
                ranges = [(k % (n - 1)) + 1 if n > 1 else 0 for k in range(trainable)]
                gates.extend(_strongly_entangling(n, trainable, ranges, offset=n_weights))
                n_weights += 3 * n * trainable
            elif l < n_layers - 1:
                gates.extend(Gate(spec.entangler, pair) for pair in pairs)
        trainable = 0  # already interleaved
    elif t == "Custom":
        gates, n_weights = _custom(spec, s)
    else:
        raise SpecError("quantum.encoder.template", f"unknown encoder {t!r}")
    if trainable:
        ranges = [(k % (n - 1)) + 1 if n > 1 else 0 for k in range(trainable)]
        gates = gates + _strongly_entangling(n, trainable, ranges, offset=n_weights)
        n_weights += 3 * n * trainable
    return Block("encoder", "encoder", gates, n_weights, n_features, source=spec)


def expand_ansatz(spec: BlockSpec, n: int, name: str) -> Block:
    """The block on every wire, or (``spec.wires``) its template on those wires only: expanded on
    len(wires) qubits, then wire i of the expansion is ``wires[i]`` of the circuit."""
    if spec.wires is not None and list(spec.wires) != list(range(n)):
        wires = tuple(spec.wires)
        inner = _expand_ansatz(spec, len(wires), name)
        inner.gates = [Gate(g.name, tuple(wires[w] for w in g.wires), g.params) for g in inner.gates]
        inner.wires = wires
        return inner
    return _expand_ansatz(spec, n, name)


def _expand_ansatz(spec: BlockSpec, n: int, name: str) -> Block:
    t = spec.template
    if t == "StronglyEntanglingLayers":
        gates, n_weights = _strongly_entangling(n, spec.layers, sel_ranges(spec, n)), 3 * n * spec.layers
    elif t == "BasicEntanglerLayers":
        gates, n_weights = _basic_entangler(n, spec.layers, spec.rotation), n * spec.layers
    elif t == "HardwareEfficient":
        gates, n_weights = _hardware_efficient(n, spec), n * spec.layers * len(spec.rotations)
    elif t == "Custom":
        gates, n_weights = _custom(spec, 1.0)
    else:
        raise SpecError("template", f"unknown ansatz {t!r}")
    return Block(name, "task", gates, n_weights, 0, source=spec)
