"""Edit-to-probe latency: the live outputs' 8-qubit, 6-task circuit (``workbench.gui.live.bench``) with a probe placed
on the last column of the first task, each edit timed from the push to the probe panel repainted with the new Bloch
vectors (the answer from the worker process, which also computes every drawn gate's matrix)."""

from __future__ import annotations

import time

from workbench.gui.live.bench import stats, time_edits, wait_for


def run_probe(doc, panel, edits: int = 50, seed: int = 0) -> dict:
    """Place a probe on the canvas of ``panel`` (a shown ``ProbePanel`` on ``doc``, holding ``live_spec()``), wait
    for its first answer, then time ``edits`` user edits to the probe's new vectors on screen. The probe starts on
    the first task's last column; the canvas keeps it within the band as edits add and remove columns."""
    c = panel.controller
    panel.scene.probes.set_at((0, 10**6))  # as a click on the canvas: the first task's last column
    while not (c.current and c.input_text != "zeros" and c.result.get("probe") is not None):
        if not wait_for(c.resultChanged, 120):
            raise RuntimeError(f"the probe never answered: {panel.error.text() or 'no answer'}")
    job, paint = [], []

    def shown():
        job.append(c.result["seconds"] * 1000)
        t0 = time.perf_counter()
        panel.repaint()  # the new spheres painted, not only scheduled
        paint.append((time.perf_counter() - t0) * 1000)

    times, missed = time_edits(doc, c.resultChanged, edits, seed, shown)
    return {"circuit": {"qubits": 8, "tasks": 6, "input": c.input_text,
                        "where": "probe placed on the last column of task 0"},
            "edit_to_probe": stats(times), "job_in_worker": stats(job), "panel_repaint": stats(paint),
            "missed": missed}
