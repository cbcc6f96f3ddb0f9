"""Edit-to-live-output latency: 8 qubits, 6 tasks, one data sample, each edit pushed as the command the canvas
pushes, timed from the push to the new bars on screen (the answer from the live outputs' worker process)."""

from __future__ import annotations

import random
import statistics
import time


def live_spec(seed: int = 0):
    """8 qubits and 6 tasks on synthetic data: a re-uploading encoder of 16 features, StronglyEntanglingLayers
    blocks, two probability readouts (4 and 3 classes) and four expectations."""
    from workbench.spec import BlockSpec, DatasetSpec, ExperimentSpec, QuantumSpec, ReadoutSpec, TaskSpec, validate
    from workbench.spec.model import BackboneSpec

    classes = [4, 2, 2, 3, 2, 2]
    readouts = [ReadoutSpec("probs", [0, 1]), ReadoutSpec("expval", [4], 4.0), ReadoutSpec("expval", [5], 4.0),
                ReadoutSpec("probs", [2, 3]), ReadoutSpec("expval", [6], 4.0), ReadoutSpec("expval", [7], 4.0)]
    tasks = [TaskSpec(f"task_{t}", c, BlockSpec(template="StronglyEntanglingLayers", layers=2), r)
             for t, (c, r) in enumerate(zip(classes, readouts))]
    spec = ExperimentSpec(
        name="bench-live-8q-6t", tasks=tasks,
        dataset=DatasetSpec(source="synthetic", options={"tasks": 6, "classes": classes, "samples": 600,
                                                         "features": 16, "seed": seed}),
        backbone=BackboneSpec(hidden=[32], width=16),
        quantum=QuantumSpec(qubits=8, encoder=BlockSpec(template="ReUploading", layers=1, rotations=["RY", "RZ"])))
    validate(spec)
    return spec


def wait_for(signal, timeout_s: float) -> bool:
    """Run the event loop until ``signal`` fires (True) or the time is up (False)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    fired = []

    def done(*_args):
        fired.append(True)
        loop.quit()

    signal.connect(done)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(done)
    return bool(fired)


def time_edits(doc, shown, edits: int, seed: int = 0, on_shown=lambda: None) -> tuple[list[float], int]:
    """Push ``edits`` user edits to ``doc``, each timed from the push until ``shown`` fires and ``on_shown()`` (a
    synchronous repaint) returns, in ms; and how many answers never came."""
    from workbench.gui.composer.bench import _edits

    rng = random.Random(seed)
    gen = _edits(doc, rng)
    times: list[float] = []
    missed = 0
    for _ in range(edits):
        _kind, edit = next(gen)
        t0 = time.perf_counter()
        revision = doc.revision
        edit()
        if doc.revision == revision:  # the edit changed nothing (an undo with nothing to undo)
            continue
        if not wait_for(shown, 30):
            missed += 1
            continue
        on_shown()
        times.append((time.perf_counter() - t0) * 1000)
    return times, missed


def stats(xs: list[float]) -> dict:
    return {"median_ms": round(statistics.median(xs), 2), "max_ms": round(max(xs), 2), "n": len(xs)}


def run_live(doc, panel, edits: int = 50, seed: int = 0) -> dict:
    """Push ``edits`` user edits to ``doc`` (holding ``live_spec()``) and time each one to ``panel``'s new bars."""
    if panel.outputs is None and not wait_for(panel.outputsShown, 120):
        raise RuntimeError(f"the live outputs never came: {panel.status.text()}")
    worker, cpu = [], []

    def shown():
        panel.grid.repaint()  # the new bars painted, not only scheduled
        worker.append(panel.outputs.seconds * 1000)
        cpu.append(panel.outputs.cpu_seconds * 1000)

    times, missed = time_edits(doc, panel.outputsShown, edits, seed, shown)
    return {"circuit": {"qubits": 8, "tasks": 6, "input": "one data sample", "engine": "torch, one thread"},
            "edit_to_live_outputs": stats(times), "evaluation_in_worker": stats(worker),
            "evaluation_cpu": stats(cpu), "missed": missed,
            "budget_ms": 50.0}
