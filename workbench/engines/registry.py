"""Engines by name: the fast torch engine and the PennyLane devices, one interface."""

from __future__ import annotations

from workbench.circuits.ir import QMTLProgram
from workbench.errors import UserError
from workbench.spec.vocabulary import ENGINES


def engine_names() -> list[str]:
    return list(ENGINES)


def make_engine(name: str, program: QMTLProgram, *, dtype: str = "complex64", device: str = "cpu",
                noise: str | None = None):
    """An engine whose ``forward(x, weights)`` returns each task's raw readout values (B, width).
    ``noise`` (channels such as "depolarizing:0.01") is what the density engine simulates."""
    if name == "density":
        from workbench.engines.density_engine import DensityEngine

        return DensityEngine(program, noise, dtype="complex128" if dtype == "complex128" else "complex64",
                             device=device)
    if name == "torch":
        from workbench.engines.torch_engine import TorchEngine

        if device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise UserError("training.device: 'cuda' was asked for, but torch sees no CUDA device")
        from workbench.engines.one_state import OneStateEngine, choose_path

        if choose_path(program) == "one-state":  # task registers: every task read from one state
            return OneStateEngine(program, dtype=dtype, device=device)
        engine = TorchEngine(program, dtype=dtype, device=device)
        engine.path = "per-task"
        return engine
    if name in ("default.qubit", "lightning.qubit", "default.mixed"):
        from workbench.engines.pennylane_engine import PennyLaneEngine

        return PennyLaneEngine(program, name, dtype=dtype)
    raise UserError(f"unknown engine {name!r} (valid: {', '.join(engine_names())})")
