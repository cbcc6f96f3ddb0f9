"""Edit-to-repaint latency of the composer on a large circuit: 16 qubits, 6 tasks, 200 gates.

``python -m workbench.gui.bench_composer [--edits N] [--live-edits N] [--probe-edits N] [--json]``

Each edit is what a user does (drop a gate, drag one, change an angle, delete, undo, redo), pushed as the
same command the canvas pushes. Timed from the push to the end of a synchronous repaint of the view, with
the whole circuit in view (every gate painted). Reported separately: the same plus the panels and the
resource budget (its counts refresh in the next event-loop turn), and edits made while the scaling study
computes in its worker process. Then edit-to-live-outputs latency at 8 qubits and 6 tasks: the same kinds of
edits, timed from the push to the live outputs panel's new bars (``workbench.gui.live.bench``), and edit-to-probe
latency on that circuit, to the probe panel's new Bloch vectors (``workbench.gui.probe.bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time


def big_spec(qubits: int = 16, tasks: int = 6, gates: int = 200, seed: int = 0):
    """A valid spec: AngleEmbedding of 16 features, then Custom blocks holding ``gates`` gates in all."""
    from workbench.spec import BlockSpec, ExperimentSpec, GateSpec, QuantumSpec, ReadoutSpec, TaskSpec, validate
    from workbench.spec.model import BackboneSpec

    rng = random.Random(seed)
    per = [gates // tasks + (1 if i < gates % tasks else 0) for i in range(tasks)]
    task_specs = []
    for t in range(tasks):
        block = []
        for _ in range(per[t]):
            kind = rng.choice(["RY", "RZ", "Rot", "CNOT", "CZ", "H", "CRX"])
            if kind in ("CNOT", "CZ", "CRX"):
                a = rng.randrange(qubits - 1)
                block.append(GateSpec(kind, [a, a + 1], ["w"] if kind == "CRX" else []))
            elif kind == "Rot":
                block.append(GateSpec(kind, [rng.randrange(qubits)], ["w", "w", "w"]))
            elif kind == "H":
                block.append(GateSpec(kind, [rng.randrange(qubits)], []))
            else:
                block.append(GateSpec(kind, [rng.randrange(qubits)], ["w"]))
        task_specs.append(TaskSpec(f"task{t + 1}", 2, BlockSpec(template="Custom", gates=block),
                                   ReadoutSpec("expval", [t], 4.0)))
    spec = ExperimentSpec(name="bench-16q-6t", tasks=task_specs, backbone=BackboneSpec(width=16),
                          quantum=QuantumSpec(qubits=qubits, encoder=BlockSpec(template="AngleEmbedding")))
    validate(spec)
    return spec


def _edits(doc, rng: random.Random):
    """An endless cycle of user edits, each one command (or one undo/redo step)."""
    from workbench.circuits.edits import effective_block, gate_columns
    from workbench.gui.composer import commands as C

    q = doc.spec.quantum.qubits
    while True:
        t = rng.randrange(len(doc.spec.tasks))
        yield "add gate", lambda t=t: C.add_gate(doc, t, rng.choice(["RX", "RY", "H", "CNOT"]), rng.randrange(q - 1),
                                                 rng.randrange(12))
        block = effective_block(doc.spec, t)
        i = rng.randrange(len(block.gates))
        cols = gate_columns(block.gates)
        delta = 1 if max(block.gates[i].wires) < q - 1 else -1
        yield "drag gate", lambda t=t, i=i, c=cols[i], d=delta: C.move_gates(doc, [(t, i)], t, d, {(t, i): c + 1})
        block = effective_block(doc.spec, t)
        rots = [j for j, g in enumerate(block.gates) if g.params]
        if rots:
            j = rng.choice(rots)
            yield "set angle", lambda t=t, j=j: C.set_param(doc, (t, j), 0, rng.choice(["pi/4", "w", "0.5"]))
        yield "delete gate", lambda t=t: C.delete_gates(doc, [(t, rng.randrange(len(
            effective_block(doc.spec, t).gates)))])
        yield "undo", doc.undo_stack.undo
        yield "redo", doc.undo_stack.redo


def _live_outputs(window, edits: int, seed: int) -> dict:
    """Edit-to-live-output latency on the live outputs' own 8-qubit, 6-task circuit (``workbench.gui.live.bench``),
    in the window's live outputs panel (a panel of its own where the window has none)."""
    from workbench.gui.live.bench import live_spec, run_live

    panel = getattr(window, "live", None)
    if panel is not None:
        window.docks.show("liveOutputsDock")  # a hidden panel asks nothing
    else:
        from workbench.gui.live.panel import LiveOutputsPanel

        panel = LiveOutputsPanel(window.doc, window._spec_dir)
        panel.resize(900, 500)
        panel.show()
    window.doc.replace(live_spec(seed), None)
    result = run_live(window.doc, panel, edits, seed)
    panel.shutdown()
    return result


def _probe(window, edits: int, seed: int) -> dict:
    """Edit-to-probe latency on the live outputs' 8-qubit, 6-task circuit, in the window's probe panel (the live
    outputs closed first: the probe is timed on its own)."""
    from workbench.gui.live.bench import live_spec
    from workbench.gui.probe.bench import run_probe

    window.doc.replace(live_spec(seed), None)
    window.probe_dock.show()
    return run_probe(window.doc, window.probe, edits, seed)


def run(edits: int = 300, seed: int = 0, live_edits: int = 50, probe_edits: int = 50) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QMTL_WORKBENCH_DATA_DIR", tempfile.mkdtemp(prefix="qmtl-bench-"))
    from PySide6.QtCore import QSettings

    from workbench.gui.shell.app import make_app, settle

    app = make_app([sys.argv[0]])
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      os.path.join(os.environ["QMTL_WORKBENCH_DATA_DIR"], "settings"))
    from workbench.gui.shell.mainwindow import MainWindow

    window = MainWindow(autosave=False, restore_layout=False, demo=False, persist=False)
    window.doc.replace(big_spec(), None)
    window.resize(1600, 1000)
    window.show()
    for _ in range(5):
        app.processEvents()
    window.view.fit()  # every gate in view: the most painting an edit can cause
    app.processEvents()
    settle()  # as the app does once its window is up
    viewport = window.view.viewport()
    rng = random.Random(seed)
    gen = _edits(window.doc, rng)
    canvas, full, by_kind = [], [], {}
    for _ in range(edits):
        kind, edit = next(gen)
        t0 = time.perf_counter()
        edit()
        viewport.repaint()
        t1 = time.perf_counter()
        app.processEvents()  # panels' queued work and the budget counts (the plot waits for a pause)
        t2 = time.perf_counter()
        canvas.append((t1 - t0) * 1000)
        full.append((t2 - t0) * 1000)
        by_kind.setdefault(kind, []).append((t1 - t0) * 1000)
    # edits while the scaling study computes in its worker process (it takes seconds on this circuit)
    busy = []
    window.budget.start_scaling()
    time.sleep(0.5)
    for _ in range(max(edits // 10, 10)):
        kind, edit = next(gen)
        t0 = time.perf_counter()
        edit()
        viewport.repaint()
        busy.append((time.perf_counter() - t0) * 1000)
        window.budget.start_scaling()
        app.processEvents()
    gates = sum(len(t.block.gates) for t in window.doc.spec.tasks if t.block is not None)
    live = _live_outputs(window, live_edits, seed) if live_edits else None
    probe = _probe(window, probe_edits, seed) if probe_edits and hasattr(window, "probe") else None
    window.doc.undo_stack.setClean()
    window.close()

    def stats(xs):
        return {"median_ms": round(statistics.median(xs), 2), "p95_ms": round(sorted(xs)[int(0.95 * len(xs)) - 1], 2),
                "max_ms": round(max(xs), 2), "n": len(xs)}

    return {
        "circuit": {"qubits": 16, "tasks": 6, "gates_at_start": 200, "gates_at_end": gates},
        "view": {"size": [viewport.width(), viewport.height()], "zoom": round(window.view.zoom, 3)},
        "edit_to_canvas_repaint": stats(canvas),
        "edit_to_canvas_panels_and_counts": stats(full),
        "edit_to_canvas_repaint_while_scaling_runs": stats(busy),
        "by_edit": {k: stats(v) for k, v in by_kind.items()},
        "budget_ms": 50.0,
        **({"live_outputs": live} if live else {}),
        **({"probe": probe} if probe else {}),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workbench.gui.bench_composer", description=__doc__.splitlines()[0])
    p.add_argument("--edits", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--live-edits", type=int, default=50,
                   help="edits timed to the live outputs at 8 qubits x 6 tasks (0: skip)")
    p.add_argument("--probe-edits", type=int, default=50,
                   help="edits timed to the probe's Bloch vectors at 8 qubits x 6 tasks (0: skip)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    result = run(args.edits, args.seed, args.live_edits, args.probe_edits)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    c = result["circuit"]
    print(f"composer: {c['qubits']} qubits, {c['tasks']} tasks, {c['gates_at_start']} gates "
          f"(view {result['view']['size'][0]}x{result['view']['size'][1]}, zoom {result['view']['zoom']})")
    rows = [("edit -> canvas repaint", result["edit_to_canvas_repaint"]),
            ("edit -> canvas + panels + counts", result["edit_to_canvas_panels_and_counts"]),
            ("edit -> canvas, scaling study running", result["edit_to_canvas_repaint_while_scaling_runs"])]
    rows += [(f"  {k}", v) for k, v in result["by_edit"].items()]
    print(f"{'':40} {'median':>8} {'p95':>8} {'max':>8} {'n':>5}")
    for name, s in rows:
        print(f"{name:40} {s['median_ms']:8.2f} {s['p95_ms']:8.2f} {s['max_ms']:8.2f} {s['n']:5d}")
    ok = result["edit_to_canvas_repaint"]["max_ms"] < result["budget_ms"]
    print(f"budget {result['budget_ms']:.0f} ms per edit: {'met' if ok else 'NOT met'} (max edit -> repaint)")
    live = result.get("live_outputs")
    if live:
        c, s, w = live["circuit"], live["edit_to_live_outputs"], live["evaluation_in_worker"]
        print(f"live outputs: {c['qubits']} qubits, {c['tasks']} tasks, {c['input']} ({c['engine']})")
        print(f"{'edit -> live outputs on screen':40} {s['median_ms']:8.2f} {'':>8} {s['max_ms']:8.2f} {s['n']:5d}")
        print(f"{'  of which the evaluation':40} {w['median_ms']:8.2f} {'':>8} {w['max_ms']:8.2f} {w['n']:5d}")
        u = live["evaluation_cpu"]
        print(f"{'  its CPU time':40} {u['median_ms']:8.2f} {'':>8} {u['max_ms']:8.2f} {u['n']:5d}")
        ok = s["max_ms"] < live["budget_ms"]
        print(f"budget {live['budget_ms']:.0f} ms per edit: {'met' if ok else 'NOT met'} (worst edit -> live outputs)"
              + (f"; {live['missed']} edits got no answer in 30 s" if live["missed"] else ""))
    probe = result.get("probe")
    if probe:
        c, s = probe["circuit"], probe["edit_to_probe"]
        print(f"probe: {c['qubits']} qubits, {c['tasks']} tasks, {c['where']}, {c['input']}")
        print(f"{'edit -> probe on screen':40} {s['median_ms']:8.2f} {'':>8} {s['max_ms']:8.2f} {s['n']:5d}")
        for name, key in (("  of which the job (probe + matrices)", "job_in_worker"),
                          ("  of which the panel's repaint", "panel_repaint")):
            u = probe[key]
            print(f"{name:40} {u['median_ms']:8.2f} {'':>8} {u['max_ms']:8.2f} {u['n']:5d}")
        if probe["missed"]:
            print(f"{probe['missed']} edits got no probe answer in 30 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
