"""Shared pieces of the hardware tests: a small QMTL spec with both readout kinds, exact primitives, and fake
backends that block or fail inside local testing mode's job thread."""

from __future__ import annotations

import threading

import numpy as np
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

SPEC = """
version = 1
name = "hw-small"

[dataset]
source = "synthetic"
options = { tasks = 2, classes = [2, 3], samples = 160, features = 6, relatedness = 0.7, seed = 3 }
val_fraction = 0.2
test_fraction = 0.25

[[tasks]]
name = "parity"
label = "task_0"
classes = 2

[[tasks]]
name = "kind"
label = "task_1"
classes = 3
readout = { kind = "probs", wires = [1, 2] }

[backbone]
kind = "mlp"
hidden = [6]
width = 3

[quantum]
qubits = 3

[quantum.encoder]
template = "AngleEmbedding"

[quantum.default_block]
template = "StronglyEntanglingLayers"
layers = 1

[training]
lr = 0.05
epochs = 1
batch_size = 32
seed = 7
"""


def program_and_weights(seed: int = 0):
    from workbench.circuits.program import build_program
    from workbench.spec import loads

    spec = loads(SPEC, "toml", "test")
    program = build_program(spec)
    rng = np.random.default_rng(seed)
    weights = {b.name: rng.uniform(0, 2 * np.pi, b.n_weights) for b in program.blocks() if b.n_weights}
    return spec, program, weights


def exact_factory(shots_seed: int = 11):
    """A primitive factory with Qiskit's exact reference primitives (no noise, estimator without shot noise)."""
    from qiskit.primitives import StatevectorEstimator, StatevectorSampler

    def make(primitive, mode, options):
        if primitive == "estimator":
            return StatevectorEstimator(seed=shots_seed)
        return StatevectorSampler(default_shots=options["default_shots"], seed=shots_seed)

    return make


def BlockingManila():  # noqa: N802 - reads like the class it makes
    """A FakeManilaV2 whose simulation waits for ``.release`` (set it in a finally: a blocked job thread would
    hold up the interpreter's exit). Local testing mode deep-copies the backend it is given, so the events live
    on a class made per call, which copies share."""

    class _Blocking(FakeManilaV2):
        release = threading.Event()
        started = threading.Event()

        def run(self, *args, **kwargs):
            type(self).started.set()
            if not type(self).release.wait(60):
                raise TimeoutError("test backend was never released")
            return super().run(*args, **kwargs)

    return _Blocking()


class FailingManila(FakeManilaV2):
    def run(self, *args, **kwargs):
        raise RuntimeError("simulated QPU fault: readout chain lost")


def two_qubit_task(B: int = 6, seed: int = 1, observables: bool = True):
    """A 2-qubit circuit with 2 inputs and 4 weights (each in one rotation), its values, names of weights."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.quantum_info import SparsePauliOp

    from workbench.hardware.circuits import CircuitTask

    x, w = ParameterVector("x", 2), ParameterVector("w", 4)
    qc = QuantumCircuit(2)
    qc.ry(x[0], 0)
    qc.ry(x[1], 1)
    qc.ry(w[0], 0)
    qc.rx(0.5 * w[1], 1)
    qc.cx(0, 1)
    qc.rx(w[2], 0)
    qc.ry(w[3], 1)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (B, 2))
    W = rng.uniform(0, 2 * np.pi, 4)
    names = [p.name for p in qc.parameters]
    values = np.zeros((B, len(names)))
    for j, n in enumerate(names):
        values[:, j] = X[:, int(n[2])] if n.startswith("x") else W[int(n[2])]
    obs = [SparsePauliOp.from_sparse_list([("Z", [q], 1.0)], 2) for q in (0, 1)] if observables else None
    if not observables:
        qc.measure_all()
    trainable = tuple(p.name for p in qc.parameters if p.name.startswith("w"))
    return CircuitTask("toy", qc, values, obs, trainable), X, W
