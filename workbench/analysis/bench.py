"""Engine benchmark: our torch engine against PennyLane default.qubit on the reference workload, side by side.

Reference workload: n qubits, T tasks, AngleEmbedding(RY), two StronglyEntanglingLayers per task block,
<Z> on 2 wires per task; one step = forward + backward (gradients for the weights and the inputs, as when a
backbone feeds the head). PennyLane is written the fastest way a user would: one QNode per task, torch
interface, backprop, parameter broadcasting over the batch.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import psutil
import torch

from workbench.circuits.program import build_program
from workbench.spec.model import BackboneSpec, BlockSpec, ExperimentSpec, QuantumSpec, ReadoutSpec, TaskSpec


def reference_spec(n: int = 8, tasks: int = 3, layers: int = 2) -> ExperimentSpec:
    return ExperimentSpec(
        name=f"bench-n{n}-T{tasks}",
        tasks=[TaskSpec(name=f"task{t}", classes=2, readout=ReadoutSpec("expval", [(2 * t) % n, (2 * t + 1) % n]))
               for t in range(tasks)],
        backbone=BackboneSpec(kind="identity", width=n),
        quantum=QuantumSpec(qubits=n, encoder=BlockSpec(template="AngleEmbedding", rotation="Y"),
                            default_block=BlockSpec(template="StronglyEntanglingLayers", layers=layers)),
    )


class _PeakRSS:
    """Peak resident memory above the level at start, sampled every millisecond in a thread."""

    def __init__(self):
        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.001)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def mib(self) -> float:
        return (self.peak - self.base) / 2**20


@dataclass
class Timing:
    engine: str
    n: int
    batch: int
    samples_per_s: float
    step_ms: float
    peak_mib: float
    reps: int


def _time_steps(step: Callable[[], None], reps: int, min_seconds: float) -> tuple[float, int]:
    step()  # warm-up: first-call compilation and allocator growth are not what we measure
    times = []
    start = time.perf_counter()
    while len(times) < reps or (time.perf_counter() - start < min_seconds and len(times) < 50 * reps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def measure(engine_name: str, n: int, batch: int, tasks: int = 3, reps: int = 5, min_seconds: float = 0.5,
            dtype: str = "complex64") -> Timing:
    program = build_program(reference_spec(n, tasks))
    g = torch.Generator().manual_seed(0)
    if engine_name == "torch":
        from workbench.engines.torch_engine import TorchEngine

        engine = TorchEngine(program, dtype=dtype)
        rdtype = torch.float32 if dtype == "complex64" else torch.float64
    else:
        from workbench.engines.pennylane_engine import PennyLaneEngine

        engine = PennyLaneEngine(program, engine_name, dtype="complex64" if dtype == "complex64" else "complex128")
        rdtype = engine.rdtype
    x = torch.randn(batch, n, generator=g, dtype=rdtype, requires_grad=True)
    weights = {t.name: torch.randn(t.block.n_weights, generator=g, dtype=rdtype, requires_grad=True)
               for t in program.tasks}

    def step():
        out = engine(x, weights)
        loss = sum(v.sum() for v in out.values())
        loss.backward()

    with _PeakRSS() as mem:
        seconds, count = _time_steps(step, reps, min_seconds)
    return Timing(engine_name, n, batch, batch / seconds, seconds * 1e3, mem.mib, count)


def run_benchmark(quick: bool = False, progress: Callable[[str], None] | None = None) -> dict:
    say = progress or (lambda s: None)
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    reps = 3 if quick else 7
    min_s = 0.3 if quick else 1.5
    rows = []
    comparison = []
    for batch in (32, 1024):
        say(f"n=8 T=3 batch {batch}: torch engine")
        ours = measure("torch", 8, batch, reps=reps, min_seconds=min_s)
        say(f"n=8 T=3 batch {batch}: PennyLane default.qubit")
        ref = measure("default.qubit", 8, batch, reps=max(2, reps // 2), min_seconds=min_s)
        rows += [asdict(ours), asdict(ref)]
        comparison.append({"batch": batch, "torch_samples_per_s": ours.samples_per_s,
                           "default_qubit_samples_per_s": ref.samples_per_s,
                           "ratio": ours.samples_per_s / ref.samples_per_s,
                           "goal": 30 if batch == 32 else 5})
    sweep = []
    for n in range(4, 15, 2 if quick else 1):
        say(f"torch engine, n={n}, batch 32")
        sweep.append(asdict(measure("torch", n, 32, reps=reps, min_seconds=min_s / 2)))
    return {
        "workload": "n=8, T=3, AngleEmbedding(RY), 2 StronglyEntanglingLayers per task, <Z> on 2 wires per task, "
                    "forward+backward (weights and inputs)",
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "comparison": comparison,
        "timings": rows,
        "qubit_sweep": sweep,
    }
