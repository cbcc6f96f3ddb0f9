"""How much memory training a spec takes, per engine, and the limit it is checked against.

What training holds at its peak, for a batch of B inputs, T tasks and an n-qubit head:

- torch (statevector, backprop): the encoded state once per batch, then every task block from it; autograd
  keeps about one state per gate application for the backward pass, so
  ``B x 2^n x amplitude x (encoder gates + sum of the task blocks' gates + 3 T)``, plus the gradients that
  flow back through the same tensors (a factor ``BACKWARD``);
- density (noise-aware): the same with ``4^n`` real Pauli coefficients per sample instead of ``2^n``
  amplitudes, and one extra coefficient vector per noise channel;
- PennyLane devices simulate one sample at a time inside a batch: the same count with ``default.mixed`` at
  ``4^n``;
- evaluation (no autograd) holds a few states per sample of its own batch, which the trainer sizes to fit.

The figures were fitted against the peak resident memory of real training steps (``python -m
workbench.analysis.memory_probe``: 1.2-2x the measured growth from 10 to 18 qubits, more above) and err on the
high side: a refusal names the figure and the limit, and
``--memory-limit`` (or ``QMTL_MEMORY_LIMIT``) moves the limit when the machine has more to give.
"""

from __future__ import annotations

import os
import re

from workbench.errors import SpecError, UserError

BACKWARD = 1.25  # states autograd keeps per gate application, fitted to measured peaks (see memory_probe)
OVERHEAD_BYTES = 400 * 2**20  # the interpreter, torch and the model, before any state is allocated
DEFAULT_LIMIT_FRACTION = 0.75  # of the machine's physical memory

_limit_override: int | None = None


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def total_memory_bytes() -> int:
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:  # no psutil or no /proc: the POSIX figure
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return 16 * 2**30


def parse_size(text: str, what: str = "--memory-limit") -> int:
    """``"8G"``, ``"512M"``, ``"2.5GiB"``, ``"1000000"`` (bytes) -> bytes."""
    m = re.fullmatch(r"\s*(\d{1,9}(?:\.\d{1,6})?)\s*([KMGT]?)(?:i?B)?\s*", str(text)[:40], re.IGNORECASE)
    if not m:
        raise UserError(f"{what}: expected a size such as 8G or 512M, got {str(text)[:40]!r}")
    value = float(m.group(1)) * 1024 ** " KMGT".index(m.group(2).upper() or " ")
    if not 64 * 2**20 <= value <= 2**50:
        raise UserError(f"{what}: must be between 64M and 1024T, got {str(text)[:40]!r}")
    return int(value)


def set_memory_limit(limit: int | None) -> None:
    """Set (None: reset) the limit for this process, e.g. from ``--memory-limit``."""
    global _limit_override
    _limit_override = limit


def memory_limit() -> int:
    if _limit_override is not None:
        return _limit_override
    env = os.environ.get("QMTL_MEMORY_LIMIT")
    if env:
        return parse_size(env, "QMTL_MEMORY_LIMIT")
    return int(total_memory_bytes() * DEFAULT_LIMIT_FRACTION)


def _per_sample(qubits: int, engine: str, dtype: str) -> tuple[int, str]:
    amp = 8 if dtype == "complex64" else 16
    if engine == "density":
        return 4**qubits * amp // 2, f"4^{qubits} Pauli coefficients"  # real coefficients
    if engine == "default.mixed":
        return 4**qubits * amp, f"4^{qubits} density-matrix entries"
    return 2**qubits * amp, f"2^{qubits} amplitudes"


def training_bytes(qubits: int, batch: int, tasks: int, gates: int, *, engine: str = "torch",
                   dtype: str = "complex64", noise_channels: int = 0) -> int:
    """Peak bytes of one training step (see the module notes); ``gates`` counts the encoder once and every task
    block's gates."""
    per_sample, _ = _per_sample(qubits, engine, dtype)
    saved = gates * (1 + noise_channels) + 3 * tasks
    return int(batch * per_sample * saved * BACKWARD) + OVERHEAD_BYTES


def spec_training_bytes(spec) -> tuple[int, str]:
    """(bytes, how they add up) for training ``spec`` with its own batch size and engine."""
    from workbench.circuits.program import build_program

    q = spec.quantum
    program = build_program(spec)
    gates = len(program.encoder.gates) + sum(len(t.block.gates) for t in program.tasks)
    channels = 0
    if q.engine == "density" and q.noise:
        channels = len([c for c in q.noise.split("+") if c.strip() and not c.strip().startswith("readout")])
    batch, T = spec.training.batch_size, len(spec.tasks)
    need = training_bytes(q.qubits, batch, T, gates, engine=q.engine, dtype=q.dtype, noise_channels=channels)
    _, unit = _per_sample(q.qubits, q.engine, q.dtype)
    how = (f"batch {batch} x {unit} x {gates} gates of the encoder and {T} task blocks kept for backprop, "
           f"engine {q.engine}")
    return need, how


def check_training_fits(spec, path: str = "quantum.qubits") -> None:
    need, how = spec_training_bytes(spec)
    limit = memory_limit()
    if need > limit:
        raise SpecError(path, f"{spec.quantum.qubits} qubits need about {human_bytes(need)} to train ({how}); "
                              f"the memory limit is {human_bytes(limit)} (--memory-limit or QMTL_MEMORY_LIMIT "
                              "to change it; a smaller training.batch_size or fewer qubits to fit)")


def eval_batch(qubits: int, engine: str = "torch", dtype: str = "complex64", cap: int = 2048) -> int:
    """An evaluation batch whose states fit in an eighth of the limit (no autograd: a few states a sample)."""
    per_sample, _ = _per_sample(qubits, engine, dtype)
    return max(1, min(cap, memory_limit() // 8 // max(1, per_sample * 6)))
