"""Random but valid experiment specs covering every encoder, ansatz family, gate and readout kind."""

from __future__ import annotations

import math
import random

from workbench.spec import BackboneSpec, BlockSpec, ExperimentSpec, GateSpec, QuantumSpec, ReadoutSpec, TaskSpec
from workbench.spec.vocabulary import ANSATZE, ENCODERS, GATES


def _random_gates(rng: random.Random, n: int, count: int, d: int | None) -> list[GateSpec]:
    names = [g for g in GATES if GATES[g][0] in (1, None) or n >= 2]
    gates = []
    for _ in range(count):
        name = rng.choice(names)
        nwires, nparams = GATES[name]
        k = nwires if nwires is not None else rng.randint(1, n)
        wires = rng.sample(range(n), k)
        params = []
        for _ in range(nparams):
            r = rng.random()
            if d is not None and r < 0.4:
                params.append(f"x{rng.randrange(d)}")
            elif r < 0.8:
                params.append("w")
            else:
                params.append(rng.choice(["pi/4", "-0.3", "2*pi/3", 0.7]))
        gates.append(GateSpec(gate=name, wires=wires, params=params))
    return gates


def random_block(rng: random.Random, n: int, encoder: bool, d: int) -> BlockSpec:
    template = rng.choice(ENCODERS if encoder else ANSATZE)
    b = BlockSpec(template=template, layers=rng.randint(0 if encoder else 1, 2))
    b.rotation = rng.choice("XYZ")
    b.rotations = rng.sample(["RX", "RY", "RZ"], rng.randint(1, 2))
    b.entangler = rng.choice(["CNOT", "CZ"])
    b.entanglement = rng.choice(["linear", "ring", "full", "none"])
    b.input_scale = rng.choice([1.0, 0.5, math.pi / 2])
    if encoder and template in ("AngleEmbedding", "ReUploading") and rng.random() < 0.3:
        b.trainable_layers = 1
    if template == "StronglyEntanglingLayers" and n > 2 and rng.random() < 0.3:
        b.ranges = [rng.randint(1, n - 1) for _ in range(b.layers)]
    if template == "Custom" and not encoder:  # encoder gates need d, drawn later by random_spec
        b.gates = _random_gates(rng, n, rng.randint(1, 3 * n), None)
    return b


def random_spec(seed: int, n_min: int = 1, n_max: int = 10) -> ExperimentSpec:
    rng = random.Random(seed)
    n = rng.randint(n_min, n_max)
    encoder = random_block(rng, n, encoder=True, d=0)
    if encoder.template in ("AngleEmbedding", "IQPEmbedding"):
        d = rng.randint(1, n)
    elif encoder.template == "AmplitudeEmbedding":
        d = rng.randint(1, min(2**n, 24))
    else:
        d = rng.randint(1, 2 * n + 3)
    if encoder.template == "Custom":
        encoder.gates = _random_gates(rng, n, rng.randint(1, 3 * n), d)
    tasks = []
    for i in range(rng.randint(1, 3)):
        classes = rng.randint(2, 5)
        if rng.random() < 0.5 and classes <= n:
            readout = ReadoutSpec("expval", rng.sample(range(n), classes), scale=rng.choice([1.0, 3.0]))
        else:
            k = max(math.ceil(math.log2(classes)), 1)
            if k > n:
                classes, k = 2, 1
            readout = ReadoutSpec("probs", rng.sample(range(n), rng.randint(k, min(n, k + 1))))
        block = random_block(rng, n, encoder=False, d=d) if rng.random() < 0.8 else None
        tasks.append(TaskSpec(name=f"t{i}", classes=classes, block=block, readout=readout))
    return ExperimentSpec(name=f"random-{seed}", tasks=tasks, backbone=BackboneSpec(width=d),
                          quantum=QuantumSpec(qubits=n, encoder=encoder,
                                              default_block=random_block(rng, n, encoder=False, d=d)))


def _random_word(rng: random.Random, k: int, max_factors: int = 3) -> str:
    wires = rng.sample(range(k), rng.randint(1, min(k, max_factors)))
    return " ".join(f"{rng.choice('XYZ')}{w}" for w in wires)


def random_register_spec(seed: int, max_tasks: int = 4) -> ExperimentSpec:
    """A random spec of the newer layouts: task registers (sizes by the rule or overridden, default or Pauli-word
    readouts, relative or absolute words, regression tasks), or shared wires with task blocks on random subsets of
    the wires and Pauli-word readouts."""
    from workbench.spec.layout import REGISTER_ENCODING_LAYERS, registers_width

    rng = random.Random(10_000 + seed)
    registers = rng.random() < 0.6
    tasks = []
    for i in range(rng.randint(1, max_tasks)):
        kind = "regression" if rng.random() < 0.2 else "classification"
        classes = 0 if kind == "regression" else rng.choice([2, 2, 3, 4, 5])
        t = TaskSpec(name=f"t{i}", classes=classes, kind=kind)
        if registers and rng.random() < 0.25:
            t.qubits = rng.randint(1, 3)
        tasks.append(t)
    if registers:
        while registers_width(tasks) > 9:
            tasks.pop()
        n = registers_width(tasks)
    else:
        n = rng.randint(2, 7)
    start = 0
    for t in tasks:
        if registers:
            k = t.qubits if t.qubits is not None else (1 if t.is_regression or t.classes <= 2 else
                                                       2 if t.classes == 3 else 4)
            wires, start = list(range(start, start + k)), start + k
        else:
            wires = sorted(rng.sample(range(n), rng.randint(1, n)))
        if rng.random() < 0.7:
            block = random_block(rng, len(wires), encoder=False, d=0)
            block.wires = None if registers else wires
            t.block = block
        elif not registers:
            t.block = BlockSpec(template="StronglyEntanglingLayers", layers=1, wires=wires)
        outputs = 1 if t.is_regression else t.classes
        if registers and t.qubits is None and rng.random() < 0.4:
            continue  # the layout's default readout
        if not registers and rng.random() < 0.2 and not t.is_regression and t.classes <= len(wires):
            t.readout = ReadoutSpec("expval", rng.sample(wires, t.classes) if t.classes > 2 else [wires[0]])
            continue
        binary = "single-logit" if outputs == 2 and rng.random() < 0.5 else "two-logit"
        count = 1 if binary == "single-logit" else outputs
        relative = rng.random() < 0.6
        words = [_random_word(rng, len(wires)) for _ in range(count)]
        if not relative:  # the same words written with absolute wires
            words = [" ".join(f"{f[0]}{wires[int(f[1:])]}" for f in w.split()) for w in words]
        scales = [rng.choice([1.0, 2.0, 0.5]) for _ in words] if rng.random() < 0.4 else None
        t.readout = ReadoutSpec("pauli", words=words, relative=relative, scales=scales, binary=binary,
                                mapping=rng.choice(["linear", "tanh"]))
    if registers:
        d = REGISTER_ENCODING_LAYERS * n
        projection = d if rng.random() < 0.3 else None
        encoder = BlockSpec(template="ReUploading", layers=REGISTER_ENCODING_LAYERS,
                            rotations=rng.sample(["RX", "RY", "RZ"], 2))
        width = rng.randint(2, 12) if projection else d
    else:
        encoder = random_block(rng, n, encoder=True, d=0)
        if encoder.template == "Custom":
            encoder = BlockSpec(template="ReUploading")
        d = rng.randint(1, n) if encoder.template in ("AngleEmbedding", "IQPEmbedding") else rng.randint(1, 2 * n)
        projection, width = None, d
    default_block = random_block(rng, n, encoder=False, d=d)
    if registers:  # the default block serves registers of any size: a template with no fixed wires
        if default_block.template == "Custom":
            default_block.template = "StronglyEntanglingLayers"
        default_block.ranges = None
    return ExperimentSpec(name=f"random-registers-{seed}", tasks=tasks, backbone=BackboneSpec(width=width),
                          quantum=QuantumSpec(qubits=n, layout="registers" if registers else "shared",
                                              projection=projection, encoder=encoder, default_block=default_block))
