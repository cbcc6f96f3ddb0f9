"""The engines ``qmtl bench`` compares, each as a training step on the reference workload.

A step is forward + backward with gradients for the weights and the inputs (as when a backbone feeds the
quantum head), loss = the sum of every task's readouts. Each builder returns ``(step, note)`` or raises
``Unavailable`` with the reason (package not installed, precision not supported). Peers are written the fastest
way a user would write them:

- ``ours``: the workbench's torch engine;
- ``pl-torch``: PennyLane ``default.qubit``, torch interface, backprop, parameter broadcasting over the batch;
- ``pl-jax``: PennyLane ``default.qubit``, JAX interface, backprop, broadcasting, the whole step (all tasks, value
  and gradients for weights and inputs) under one ``jax.jit``;
- ``lightning``: PennyLane ``lightning.qubit`` with the adjoint method, torch interface.
"""

from __future__ import annotations

from collections.abc import Callable

ENGINES = ("ours", "pl-torch", "pl-jax", "lightning")
PRECISIONS = ("complex64", "complex128")


class Unavailable(Exception):
    """The engine cannot run this configuration here; the message says why."""


def _program(n: int, tasks: int):
    from workbench.analysis.bench import reference_spec
    from workbench.circuits.program import build_program

    return build_program(reference_spec(n, tasks))


def _torch_inputs(program, batch: int, rdtype):
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, program.n_features, generator=g, dtype=torch.float64).to(rdtype).requires_grad_(True)
    weights = {t.name: torch.randn(t.block.n_weights, generator=g, dtype=torch.float64).to(rdtype)
               .requires_grad_(True) for t in program.tasks}
    return x, weights


def _torch_step(engine, x, weights) -> Callable[[], None]:
    def step():
        for v in (x, *weights.values()):
            v.grad = None
        out = engine(x, weights)
        sum(v.sum() for v in out.values()).backward()

    return step


def build_ours(program, batch: int, precision: str, device: str = "cpu"):
    import torch

    from workbench.engines.torch_engine import TorchEngine

    if device == "cuda" and not torch.cuda.is_available():
        raise Unavailable(f"skipped: torch {torch.__version__} sees no CUDA device on this machine")
    engine = TorchEngine(program, dtype=precision, device=device)
    x, weights = _torch_inputs(program, batch, engine.rdtype)
    if device == "cpu":
        return _torch_step(engine, x, weights), f"torch {torch.__version__}"
    x = x.detach().to(device).requires_grad_(True)
    weights = {k: v.detach().to(device).requires_grad_(True) for k, v in weights.items()}
    inner = _torch_step(engine, x, weights)

    def step():  # GPU work is asynchronous: time it to completion
        inner()
        torch.cuda.synchronize()

    return step, f"torch {torch.__version__}, {torch.cuda.get_device_name()}"


def build_pl_torch(program, batch: int, precision: str):
    import pennylane as qml
    import torch

    if precision == "complex64":
        # default.qubit builds its state in complex128 whatever the parameters' dtype: check, don't assume
        dev = qml.device("default.qubit", wires=1)

        @qml.qnode(dev, interface="torch", diff_method="backprop")
        def probe(a):
            qml.RY(a, wires=0)
            return qml.state()

        dtype = probe(torch.tensor(0.1, dtype=torch.float32)).dtype
        if dtype != torch.complex64:
            raise Unavailable(f"default.qubit computes in {str(dtype).removeprefix('torch.')} even from float32 "
                              "parameters")
    from workbench.engines.pennylane_engine import PennyLaneEngine

    engine = PennyLaneEngine(program, "default.qubit", dtype=precision)
    x, weights = _torch_inputs(program, batch, engine.rdtype)
    return _torch_step(engine, x, weights), f"pennylane {qml.__version__}"


def build_lightning(program, batch: int, precision: str):
    import numpy as np
    import pennylane as qml

    from workbench.engines.pennylane_engine import PennyLaneEngine

    engine = PennyLaneEngine(program, "lightning.qubit", dtype=precision)
    if precision == "complex64":  # lightning has its own single-precision kernels
        dev = qml.device("lightning.qubit", wires=program.n_qubits, c_dtype=np.complex64)
        for t in program.tasks:
            engine.qnodes[t.name] = qml.QNode(engine._circuit_fn(t), dev, interface="torch", diff_method="adjoint")
    x, weights = _torch_inputs(program, batch, engine.rdtype)
    return _torch_step(engine, x, weights), f"pennylane-lightning {qml.version()}"


def build_pl_jax(program, batch: int, precision: str):
    try:
        import jax
    except ImportError as exc:
        raise Unavailable("not installed (pip install 'qmtl-workbench[bench]')") from exc
    jax.config.update("jax_enable_x64", precision == "complex128")
    import jax.numpy as jnp
    import numpy as np
    import pennylane as qml

    from workbench.engines.pennylane_engine import _apply_block

    n = program.n_qubits
    dev = qml.device("default.qubit", wires=n)
    rdtype = jnp.float64 if precision == "complex128" else jnp.float32

    def qnode_for(task):
        @qml.qnode(dev, interface="jax", diff_method="backprop")
        def circuit(x, w):
            _apply_block(program.encoder, n, x, jnp.zeros(0, rdtype), True)
            _apply_block(task.block, n, x, w, True)
            return [qml.expval(qml.PauliZ(q)) for q in task.readout.wires]

        return circuit

    qnodes = [qnode_for(t) for t in program.tasks]

    def loss(x, ws):
        return sum(jnp.sum(jnp.stack(q(x, w))) for q, w in zip(qnodes, ws))

    fn = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((batch, program.n_features)), dtype=rdtype)
    ws = tuple(jnp.asarray(rng.standard_normal(t.block.n_weights), dtype=rdtype) for t in program.tasks)

    def step():
        jax.block_until_ready(fn(x, ws))

    return step, f"jax {jax.__version__}, pennylane {qml.__version__}"


BUILDERS = {"ours": build_ours, "pl-torch": build_pl_torch, "pl-jax": build_pl_jax, "lightning": build_lightning}
# Lightning splits a broadcast batch into one tape per sample (broadcast_expand), so its step time is linear in the
# batch: above this batch it is timed on this many samples and scaled, and the row says so.
LIGHTNING_TIMED_BATCH = 64
