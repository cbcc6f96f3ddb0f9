"""Inside the circuit through real events: a probe placed on the canvas shows the reduced states PennyLane
computes; a gate's angle edited in place is one undoable command; gate tooltips carry the gate's matrix."""

from __future__ import annotations

import copy
import html
import math

import numpy as np
import pennylane as qml
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QSplitter, QToolTip

from workbench.analysis import probe as P
from workbench.circuits.edits import ENCODER
from workbench.circuits.ir import Gate
from workbench.circuits.program import build_program
from workbench.gui.composer.angle_editor import AngleEditor, slider_token
from workbench.gui.composer.document import ExperimentDocument
from workbench.gui.composer.editor import ComposerEditor
from workbench.gui.composer.items import BAND_PAD, COL_W, RAIL_H, GateItem
from workbench.gui.composer.scene import ComposerScene
from workbench.gui.composer.view import ComposerView
from workbench.gui.probe.panel import ProbePanel
from workbench.spec import GateSpec, load
from workbench.spec.examples import EXPERIMENTS
from workbench.spec.model import BlockSpec

WAIT = 120_000  # the worker process starts on a busy machine
FEATURES = np.array([0.4, -0.9, 1.3, 0.2])


@pytest.fixture
def composer(qtbot):
    path = EXPERIMENTS / "small-synthetic.toml"
    spec = load(path)
    spec.tasks[0].block = BlockSpec(template="Custom", gates=[
        GateSpec("RX", [0], [0.5]), GateSpec("RY", [1], ["w"]),  # column 0
        GateSpec("CNOT", [0, 1], []),  # column 1
        GateSpec("CRZ", [1, 2], ["pi/3"]),  # column 2
    ])
    doc = ExperimentDocument(spec, path)
    scene = ComposerScene(doc)
    editor = ComposerEditor(doc, scene)
    view = ComposerView(scene)
    panel = ProbePanel(doc, scene)
    split = QSplitter()
    split.addWidget(view)
    split.addWidget(panel)
    split.resize(1200, 600)
    qtbot.addWidget(split)
    split.show()
    qtbot.waitExposed(split)
    panel.set_input(FEATURES, "test features")
    yield doc, scene, view, panel, editor


def _viewport_point(view, scene_pos: QPointF) -> QPoint:
    view.ensureVisible(scene_pos.x() - 5, scene_pos.y() - 5, 10, 10, 20, 20)
    return view.mapFromScene(scene_pos)


def _rail_point(scene, key, column: int) -> QPointF:
    band = scene.bands[key]
    return QPointF(band.pos().x() + BAND_PAD + (column + 0.5) * COL_W, scene.wires_bottom + RAIL_H / 2)


def _open_editor(view) -> AngleEditor:
    (editor,) = [e for e in view.viewport().findChildren(AngleEditor) if e.isVisible()]
    return editor


def _gate(scene, ref) -> GateItem:
    return next(it for it in scene.gate_items() if it.ref == ref)


def _pennylane_blochs(spec, cut: int, features) -> list:
    """Reference: PennyLane default.qubit on the encoder and the first ``cut`` gates of task 0's block."""
    program = build_program(spec, spec.backbone.width)
    weights = P.initial_weights(spec)
    gates = [(g, "encoder") for g in program.encoder.gates] + \
            [(g, program.tasks[0].name) for g in program.tasks[0].block.gates[:cut]]
    dev = qml.device("default.qubit", wires=program.n_qubits)

    @qml.qnode(dev)
    def rho(w):
        for g, name in gates:
            wv = weights[name].numpy() if name in weights else None
            getattr(qml, g.name)(*[P.param_value(p, features, wv) for p in g.params], wires=list(g.wires))
        return qml.density_matrix(wires=[w])

    out = []
    for w in range(program.n_qubits):
        r = np.asarray(rho(w))
        out.append((2 * r[0, 1].real, -2 * r[0, 1].imag, (r[0, 0] - r[1, 1]).real))
    return out


def test_click_a_column_places_a_probe_showing_the_reduced_states(composer, qtbot):
    doc, scene, view, panel, _ = composer
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_viewport_point(view, _rail_point(scene, 0, 1)))
    assert scene.probes.at == (0, 1) and scene.probes.marker.isVisible()
    qtbot.waitUntil(lambda: panel.probe is not None, timeout=WAIT)
    p = panel.probe
    assert p.column == 2 and p.where == "block of task_0, column 1"  # the encoder template is column 0
    core = P.probe(doc.spec, 0, 2, FEATURES)
    np.testing.assert_allclose(p.bloch, core.bloch, atol=1e-12)
    np.testing.assert_allclose(p.bloch, _pennylane_blochs(doc.spec, 3, FEATURES), atol=1e-9)
    np.testing.assert_allclose([s.vector for s in panel.spheres], core.bloch, atol=1e-12)
    assert panel.purities[0].text() == f"purity {core.purity[0]:.3f}"
    assert p.mi > 0.01 and panel.mi.text() == f"= {core.mi:.4f} bits"  # the CNOT entangled q0 and q1
    # another pair of wires: a product of q0 and q3 has no mutual information
    with qtbot.waitSignal(panel.controller.resultChanged, timeout=WAIT):
        panel.wire_b.setCurrentIndex(3)
        panel.wire_b.activated.emit(3)
    assert panel.probe.pair == (0, 3) and panel.probe.mi == pytest.approx(0.0, abs=1e-9)
    # an edit recomputes: after the RX is gone, the probe shows the new circuit's state
    block = copy.deepcopy(doc.spec.tasks[0].block)
    block.gates[0].params = [1.7]
    from workbench.gui.composer import commands as C

    C.set_block(doc, 0, block, "test edit")
    qtbot.waitUntil(lambda: panel.probe is not None and panel.controller.current, timeout=WAIT)
    np.testing.assert_allclose(panel.probe.bloch, _pennylane_blochs(doc.spec, 3, FEATURES), atol=1e-9)
    # clicking the same column again removes the probe
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_viewport_point(view, _rail_point(scene, 0, 1)))
    assert scene.probes.at is None and not scene.probes.marker.isVisible()
    assert panel.probe is None and panel.where.text().startswith("No probe placed")
    # Esc on the canvas removes it too
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=_viewport_point(view, _rail_point(scene, ENCODER, 0)))
    assert scene.probes.at == (ENCODER, 0)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert scene.probes.at is None


def test_double_click_edits_an_angle_in_place_as_one_undoable_command(composer, qtbot):
    doc, scene, view, panel, _ = composer
    before = copy.deepcopy(doc.spec)
    steps = doc.undo_stack.count()
    pos = _viewport_point(view, _gate(scene, (0, 0)).sceneBoundingRect().center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    editor = _open_editor(view)
    assert editor is not None and editor.isVisible() and editor.ref == (0, 0)
    box = editor.boxes[0]
    assert box.isVisible() and box.text() == "0.5" and editor.sliders[0].value() == round(0.5 * 360 / math.pi)
    # a bad expression: said in plain words, nothing changes
    box.selectAll()
    qtbot.keyClicks(box, "pi/")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert editor.error.isVisible() and editor.error.text().startswith("Not applied:")
    assert "expression" in editor.error.text()
    assert doc.spec == before and doc.undo_stack.count() == steps
    # a good one: one command, and undo restores
    box.selectAll()
    qtbot.keyClicks(box, "pi/3")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert doc.spec.tasks[0].block.gates[0].params == ["pi/3"]
    assert doc.undo_stack.count() == steps + 1
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)  # Enter applies and closes
    doc.undo_stack.undo()
    assert doc.spec == before
    # the slider applies one command when released
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    editor = _open_editor(view)
    slider = editor.sliders[0]
    slider.setSliderDown(True)
    slider.setValue(-270)
    assert editor.boxes[0].text() == "-3*pi/4" and doc.spec == before  # dragging: not applied yet
    slider.setSliderDown(False)
    slider.sliderReleased.emit()
    assert doc.spec.tasks[0].block.gates[0].params == [slider_token(-270)] == ["-3*pi/4"]
    assert doc.undo_stack.count() == steps + 1
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)
    # a trainable angle is shown read-only, with its value
    qtbot.waitUntil(lambda: panel.controller.current, timeout=WAIT)
    pos = _viewport_point(view, _gate(scene, (0, 1)).sceneBoundingRect().center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    editor = _open_editor(view)
    assert editor.ref == (0, 1) and not editor.boxes[0].isVisible() and editor.notes[0].isVisible()
    w = float(P.initial_weights(doc.spec)["task_0"][0])
    assert editor.notes[0].text().startswith(f"trainable (w): now {w:.4f} rad")


def test_hover_shows_the_gate_matrix_at_its_current_angle(composer, qtbot):
    doc, scene, view, panel, _ = composer
    qtbot.waitUntil(lambda: panel.controller.current, timeout=WAIT)
    vp = view.viewport()
    pos = _viewport_point(view, _gate(scene, (0, 0)).sceneBoundingRect().center())
    QApplication.sendEvent(vp, QHelpEvent(QEvent.Type.ToolTip, pos, vp.mapToGlobal(pos)))
    qtbot.waitUntil(lambda: QToolTip.isVisible(), timeout=5000)
    text = QToolTip.text()
    assert "RX on wire 0" in text
    for line in P.format_matrix(P.gate_matrix(Gate("RX", (0,)), [0.5])).splitlines():
        assert html.escape(line) in text
    assert "0.97" in text and "-0.25i" in text  # RX(0.5) = [[cos .25, -i sin .25], [-i sin .25, cos .25]]


def test_the_main_window_shows_the_probe_dock_when_a_probe_is_placed(window, qtbot):
    scene, view = window.scene, window.view
    assert not window.probe.controller.active  # nothing computed for a window that never probes
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_viewport_point(view, _rail_point(scene, 1, 0)))
    assert scene.probes.at == (1, 0)
    qtbot.waitUntil(lambda: window.probe_dock.isVisible() and window.probe.probe is not None
                    and window.probe.controller.input_text != "zeros" and window.probe.controller.current,
                    timeout=WAIT)
    c = window.probe.controller
    ref = P.probe(window.doc.spec, 1, -1, c.features)
    assert window.probe.probe.column == ref.column and window.probe.probe.task == window.doc.spec.tasks[1].name
    np.testing.assert_allclose(window.probe.probe.bloch, ref.bloch, atol=1e-12)
    # the default input is the first test sample through the seed's backbone, as `qmtl probe --sample 0` uses
    sample = P.sample_features(window.doc.spec, 0, window.doc.path.parent)
    np.testing.assert_allclose(c.features, sample.features, atol=1e-12)
    assert c.input_text.startswith("test sample 0")  # from the probe itself, or the live outputs it follows


def test_the_probe_looks_at_the_input_the_live_outputs_show(window, qtbot):
    window.docks.show("liveOutputsDock")
    with qtbot.waitSignal(window.live.outputsShown, timeout=WAIT) as shown:
        pass
    out = shown.args[0]
    c = window.probe.controller
    np.testing.assert_allclose(c.features, out.encoder_inputs, atol=1e-12)
    assert c.input_text == out.input
    window.live.chooser.set_index(3)  # another sample: the probe follows
    qtbot.waitUntil(lambda: "sample 3" in c.input_text, timeout=WAIT)
    assert not np.allclose(c.features, out.encoder_inputs)


def test_the_probe_takes_the_weights_the_live_outputs_show(window, qtbot, answers):
    """A clone from the runs browser: the live outputs and the probe both show the run's trained weights; a
    re-draw moves both to a seed's initial weights."""
    from workbench.spec.examples import small_synthetic
    from workbench.training import Trainer, load_trained

    spec = small_synthetic(epochs=1)
    run_id = Trainer(spec, window.store).run().run_id
    answers.default = "Discard"
    window.docks.show("liveOutputsDock")
    with qtbot.waitSignal(window.live.outputsShown, timeout=WAIT, check_params_cb=lambda out: "run" in out.weights):
        window.runs.cloneRequested.emit(copy.deepcopy(spec), run_id, "qmtl")  # what the browser's Clone sends
    scene, view = window.scene, window.view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_viewport_point(view, _rail_point(scene, 1, 0)))
    c, label = window.probe.controller, window.probe.input_label
    qtbot.waitUntil(lambda: c.current and window.probe.probe is not None
                    and np.allclose(c.features, window.live.outputs.encoder_inputs), timeout=WAIT)
    assert f"Trainable angles: trained weights of run {run_id} (best validation epoch)." in label.text()
    trained = {k: v.detach().clone() for k, v in load_trained(window.store, run_id).model.head.weights.items()}
    ref = P.probe(window.doc.spec, 1, -1, c.features, trained)
    np.testing.assert_allclose(window.probe.probe.bloch, ref.bloch, atol=1e-6)
    assert not np.allclose(ref.bloch, P.probe(window.doc.spec, 1, -1, c.features).bloch, atol=1e-4)

    window.live.redraw()  # a new seed's initial weights: the probe follows
    seed = window.live.source().seed
    qtbot.waitUntil(lambda: c.current and f"initial weights, seed {seed}" in label.text()
                    and np.allclose(c.features, window.live.outputs.encoder_inputs), timeout=WAIT)
    ref = P.probe(window.doc.spec, 1, -1, c.features, P.initial_weights(window.doc.spec, seed))
    np.testing.assert_allclose(window.probe.probe.bloch, ref.bloch, atol=1e-6)


def test_the_benchmark_times_real_edits_to_the_probe(qtbot):
    """The probe latency benchmark's loop on a few edits (figures are the benchmark's business, not the test's)."""
    from workbench.gui.live.bench import live_spec
    from workbench.gui.probe.bench import run_probe

    doc = ExperimentDocument(live_spec())
    scene = ComposerScene(doc)
    panel = ProbePanel(doc, scene)
    qtbot.addWidget(panel)
    panel.show()
    result = run_probe(doc, panel, edits=6)
    assert result["edit_to_probe"]["n"] >= 4 and result["missed"] == 0
    c = panel.controller
    qtbot.waitUntil(lambda: c.current, timeout=WAIT)
    assert c.result["probe_error"] is None, c.result["probe_error"]
    ref = P.probe(doc.spec, 0, c.at[1], c.features)
    np.testing.assert_allclose(panel.probe.bloch, ref.bloch, atol=1e-9)
