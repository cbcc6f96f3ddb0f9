"""PennyLane ``default.qubit`` under ``jax.jit`` as a torch engine: the JAX peer in ``qmtl bench --train``.

The program's QNodes (PennyLane's own templates, as in ``pennylane_engine``) run with the JAX interface; forward
and the vector-Jacobian product are each one jitted function of (inputs, weights), wrapped in a torch autograd
function, so the rest of the model (backbone, optimizer) stays torch. Batches are padded to a fixed size so that
each function compiles once. The backward recomputes the forward inside the VJP (JAX keeps no state between
the two calls). Needs the optional ``bench`` extra (jax).
"""

from __future__ import annotations

import numpy as np
import torch

from workbench.circuits.ir import QMTLProgram


class JaxEngine:
    name = "pl-jax"

    def __init__(self, program: QMTLProgram, *, dtype: str = "complex64", batch: int = 64):
        import jax

        jax.config.update("jax_enable_x64", dtype == "complex128")
        import jax.numpy as jnp
        import pennylane as qml

        from workbench.engines.pennylane_engine import _apply_block

        self.program, self.batch = program, batch
        self.rdtype = torch.float64 if dtype == "complex128" else torch.float32
        jdt = jnp.float64 if dtype == "complex128" else jnp.float32
        n = program.n_qubits
        dev = qml.device("default.qubit", wires=n)
        self.names = [b.name for b in program.blocks() if b.n_weights]

        def qnode(task):
            @qml.qnode(dev, interface="jax", diff_method="backprop")
            def circuit(x, w_enc, w):
                _apply_block(program.encoder, n, x, w_enc, True)
                _apply_block(task.block, n, x, w, True)
                r = task.readout
                if r.kind == "expval":
                    return [qml.expval(qml.PauliZ(q)) for q in r.wires]
                return qml.probs(wires=list(r.wires))
            return circuit

        nodes = [qnode(t) for t in program.tasks]
        kinds = [t.readout.kind for t in program.tasks]
        empty = jnp.zeros(0, jdt)

        def f(x, ws: dict):
            out = []
            for t, node, kind in zip(program.tasks, nodes, kinds):
                r = node(x, ws.get("encoder", empty), ws.get(t.name, empty))
                out.append(jnp.stack(r, -1) if kind == "expval" else r)
            return tuple(out)

        self._f = jax.jit(f)
        self._vjp = jax.jit(lambda x, ws, cts: jax.vjp(f, x, ws)[1](cts))
        self._jnp, self._jdt = jnp, jdt

    def _pad(self, x: np.ndarray) -> np.ndarray:
        B = x.shape[0]
        size = -(-B // self.batch) * self.batch
        return np.pad(x, ((0, size - B), (0, 0))) if size != B else x

    def _chunks(self, B: int):
        return [(i, min(i + self.batch, B)) for i in range(0, B, self.batch)]

    def forward(self, x: torch.Tensor, weights: dict) -> dict[str, torch.Tensor]:
        names = [k for k in self.names if k in weights]
        outs = _JaxFunction.apply(self, names, x, *[weights[k] for k in names])
        return {t.name: o for t, o in zip(self.program.tasks, outs)}

    __call__ = forward


class _JaxFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, engine: JaxEngine, names: list, x: torch.Tensor, *ws: torch.Tensor):
        jnp = engine._jnp
        X = engine._pad(x.detach().to(engine.rdtype).numpy())
        W = {k: jnp.asarray(w.detach().to(engine.rdtype).numpy()) for k, w in zip(names, ws)}
        B = x.shape[0]
        parts = [engine._f(jnp.asarray(X[i:i + engine.batch]), W) for i in range(0, X.shape[0], engine.batch)]
        outs = [torch.as_tensor(np.concatenate([np.asarray(p[j]) for p in parts])[:B]).to(x.dtype)
                for j in range(len(engine.program.tasks))]
        ctx.engine, ctx.names, ctx.X, ctx.W, ctx.B, ctx.dtypes = engine, names, X, W, B, [w.dtype for w in ws]
        ctx.x_dtype = x.dtype
        return tuple(outs)

    @staticmethod
    def backward(ctx, *g):
        engine, jnp = ctx.engine, ctx.engine._jnp
        X, B, step = ctx.X, ctx.B, engine.batch
        cts = [engine._pad(gi.detach().to(engine.rdtype).numpy().reshape(B, -1)) for gi in g]
        gx, gw = [], {k: 0.0 for k in ctx.names}
        for i in range(0, X.shape[0], step):
            dx, dw = engine._vjp(jnp.asarray(X[i:i + step]), ctx.W,
                                 tuple(jnp.asarray(c[i:i + step]) for c in cts))
            gx.append(np.asarray(dx))
            for k in ctx.names:
                gw[k] = gw[k] + np.asarray(dw[k])
        grad_x = torch.as_tensor(np.concatenate(gx)[:B]).to(ctx.x_dtype)
        return (None, None, grad_x, *[torch.as_tensor(np.asarray(gw[k])).to(dt)
                                      for k, dt in zip(ctx.names, ctx.dtypes)])
