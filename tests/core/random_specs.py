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
