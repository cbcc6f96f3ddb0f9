"""The live outputs panel with real widgets and its real worker process: edits through the document's commands,
the input chooser and re-draw change the bars to exactly what the core computes for that input and weights."""

import os
import subprocess
import sys

import pytest

from workbench.gui.composer import commands as C
from workbench.gui.composer.document import ExperimentDocument
from workbench.spec import load
from workbench.spec.examples import EXPERIMENTS

WAIT_MS = 180_000  # the first answer starts the worker process (torch's import) on a busy machine


def _core(spec, source, sample):
    from workbench.analysis.live_outputs import LiveEvaluator

    return LiveEvaluator().evaluate(spec, source, sample)


def _shown(panel):
    return [list(bar.output.probabilities) if bar.output.kind == "classification" else [bar.output.value]
            for bar in panel.grid.bars]


def _expected(out):
    return [t.probabilities if t.kind == "classification" else [t.value] for t in out.tasks]


def _assert_same(panel, out):
    shown = _shown(panel)
    assert len(shown) == len(out.tasks)
    for got, want in zip(shown, _expected(out)):
        assert got == pytest.approx(want, abs=1e-6)


@pytest.fixture
def live(qtbot):
    from workbench.gui.live.panel import LiveOutputsPanel

    path = EXPERIMENTS / "small-synthetic.toml"
    doc = ExperimentDocument(load(path), path)
    panel = LiveOutputsPanel(doc, lambda: EXPERIMENTS)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    if panel.outputs is None:
        with qtbot.waitSignal(panel.outputsShown, timeout=WAIT_MS):
            pass
    yield doc, panel
    panel.shutdown()


def test_a_gate_edit_changes_the_bars_to_what_the_core_computes(qtbot, live):
    doc, panel = live
    before = _shown(panel)
    _assert_same(panel, _core(doc.spec, panel.source(), panel.chooser.current()))
    assert panel.source_label.text() == "Weights: initial weights, seed 7"
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        C.add_gate(doc, 1, "RX", 2)  # what a drop from the palette pushes: task_1's block becomes custom gates
    assert doc.spec.tasks[1].block.template == "Custom"
    after = _shown(panel)
    assert after[1] != pytest.approx(before[1], abs=1e-6)  # the edited task moved
    assert after[0] == pytest.approx(before[0], abs=1e-6)  # the other did not
    _assert_same(panel, _core(doc.spec, panel.source(), panel.chooser.current()))
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        doc.undo_stack.undo()
    assert _shown(panel)[1] == pytest.approx(before[1], abs=1e-6)


def test_the_input_chooser_changes_the_bars(qtbot, live):
    doc, panel = live
    first = panel.chooser.current()
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        panel.chooser.index_box.setValue(5)
    sample = panel.chooser.current()
    assert sample != first and sample.text.startswith("test sample 5")
    assert sample.labels == tuple(int(v) for v in panel.chooser.samples.Y[5])
    out = _core(doc.spec, panel.source(), sample)
    _assert_same(panel, out)
    assert [b.output.truth for b in panel.grid.bars] == list(sample.labels)
    assert "task_0 = " in panel.chooser.labels.text()
    # sliders over the encoder's four inputs
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        panel.chooser.set_mode("encoder")
    assert len(panel.chooser._sliders) == 4 and panel.chooser.current().kind == "encoder"
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        panel.chooser._sliders[2].setValue(150)  # x2 = 1.5
    sample = panel.chooser.current()
    assert sample.values == pytest.approx((0, 0, 1.5, 0))
    _assert_same(panel, _core(doc.spec, panel.source(), sample))
    assert all(b.output.truth is None for b in panel.grid.bars)


def test_redraw_changes_the_weights_source_and_the_bars(qtbot, live, monkeypatch):
    doc, panel = live
    before = _shown(panel)
    monkeypatch.setattr("workbench.gui.live.panel.random.randint", lambda lo, hi: 4242)
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        panel.redraw_btn.click()
    assert panel.source_label.text() == "Weights: initial weights, seed 4242"
    assert panel.source().seed == 4242 and _shown(panel) != before
    _assert_same(panel, _core(doc.spec, panel.source(), panel.chooser.current()))


def test_a_spec_problem_is_said_instead_of_stale_bars(qtbot, live):
    doc, panel = live
    with qtbot.waitSignal(doc.changed, timeout=10_000):
        C.set_value(doc, ("quantum", "qubits"), 0, "qubits")
    assert "not computed: " in panel.status.text() and panel.grid.bars == []
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        doc.undo_stack.undo()
    assert len(panel.grid.bars) == 2


def test_the_gui_process_never_imports_torch_for_live_outputs():
    code = ("import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen';"
            "from PySide6.QtWidgets import QApplication; app = QApplication([]);"
            "from workbench.gui.live.panel import LiveOutputsPanel;"
            "from workbench.gui.live.presentation import PredictionPage;"
            "from workbench.analysis.live_results import LiveOutputs;"
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))[:3])")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """(store, run id, spec) of a small run trained once for this module's tests."""
    from workbench.runs import RunStore
    from workbench.spec.examples import small_synthetic
    from workbench.training import Trainer

    spec = small_synthetic(epochs=2)
    store = RunStore(tmp_path_factory.mktemp("live") / "runs")
    return store, Trainer(spec, store).run().run_id, spec


def _run_probabilities(store, run_id, x):
    import torch

    from workbench.training import load_trained

    trained = load_trained(store, run_id)
    with torch.no_grad():
        logits = trained.model(torch.tensor(x))
    return {name: torch.softmax(v[0], -1).tolist() for name, v in logits.items()}


def test_a_run_derived_document_uses_the_runs_trained_weights(qtbot, trained_run):
    from workbench.gui.live.panel import LiveOutputsPanel

    store, run_id, spec = trained_run
    doc = ExperimentDocument(spec)
    panel = LiveOutputsPanel(doc, lambda: None, runs_root=store.root)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.outputsShown, timeout=WAIT_MS, check_params_cb=lambda out: "run" in out.weights):
        panel.use_run(run_id)
    assert panel.source_label.text() == f"Weights: trained weights of run {run_id} (best validation epoch)"
    i = panel.chooser.index_box.value()
    want = _run_probabilities(store, run_id, panel.chooser.samples.X[i:i + 1])
    for bar in panel.grid.bars:
        assert bar.output.probabilities == pytest.approx(want[bar.output.name], abs=1e-6)
    # Re-draw leaves the run for a new seed; the run's weights stay one click away
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        panel.redraw()
    assert "initial weights, seed" in panel.source_label.text() and panel.run_btn.isVisible()
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        panel.run_btn.click()
    assert "trained weights of run" in panel.source_label.text()
    panel.shutdown()


def test_presentation_shows_what_the_run_predicts_for_a_sample(qtbot, trained_run):
    from workbench.gui.report.presentation import PresentationView

    store, run_id, _spec = trained_run
    view = PresentationView(store)
    qtbot.addWidget(view)
    view.show()
    page = view.prediction
    with qtbot.waitSignal(page.outputsShown, timeout=WAIT_MS):
        view.metric_box.setCurrentText("prediction")
    assert page.isVisible() and not view.plots.isVisible()
    with qtbot.waitSignal(page.outputsShown, timeout=60_000):
        page.chooser.set_index(4)
    text = page.headline.text()
    assert "test sample 4" in text and "predicted" in text and f"trained weights of run {run_id}" in text
    want = _run_probabilities(store, run_id, page.chooser.samples.X[4:5])
    for bar in page.grid.bars:
        assert bar.output.probabilities == pytest.approx(want[bar.output.name], abs=1e-6)
        assert bar.font().pointSizeF() >= 14  # large type
    view.close()


def test_a_hidden_panel_asks_nothing_until_it_is_shown(qtbot):
    from workbench.gui.live.panel import LiveOutputsPanel

    path = EXPERIMENTS / "small-synthetic.toml"
    doc = ExperimentDocument(load(path), path)
    panel = LiveOutputsPanel(doc, lambda: EXPERIMENTS)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.chooser.current() is not None, timeout=60_000)
    C.add_gate(doc, 0, "RY", 1)
    assert panel.requester._serial == 0 and panel.outputs is None
    with qtbot.waitSignal(panel.outputsShown, timeout=WAIT_MS):
        panel.show()
    _assert_same(panel, _core(doc.spec, panel.source(), panel.chooser.current()))
    panel.shutdown()


def test_the_window_docks_the_panel_and_a_cloned_run_brings_its_weights(qtbot, window, answers):
    import copy

    from workbench.spec.examples import small_synthetic
    from workbench.training import Trainer

    spec = small_synthetic(epochs=1)
    run_id = Trainer(spec, window.store).run().run_id
    answers.default = "Discard"
    window.act_live.trigger()  # Run > Live Outputs shows and raises the dock
    panel = window.live
    assert window.live_dock.isVisible() and panel.isVisible()
    with qtbot.waitSignal(panel.outputsShown, timeout=WAIT_MS, check_params_cb=lambda out: "run" in out.weights):
        window.runs.cloneRequested.emit(copy.deepcopy(spec), run_id, "qmtl")  # what the browser's Clone sends
    assert window.doc.spec.name.endswith(f"(clone of {run_id})")
    assert panel.source_label.text().startswith(f"Weights: trained weights of run {run_id}")
    i = panel.chooser.index_box.value()
    want = _run_probabilities(window.store, run_id, panel.chooser.samples.X[i:i + 1])
    for bar in panel.grid.bars:
        assert bar.output.probabilities == pytest.approx(want[bar.output.name], abs=1e-6)
    # an edit on the canvas's document keeps the run's weights for what did not change
    with qtbot.waitSignal(panel.outputsShown, timeout=60_000):
        C.add_gate(window.doc, 1, "RX", 0)
    assert panel.outputs.weights.startswith(f"trained weights of run {run_id}")
    assert panel.outputs.notes == [f"task 'task_1' block: changed since run {run_id}, initial weights of seed 7"]
    assert panel.grid.bars[0].output.probabilities == pytest.approx(want["task_0"], abs=1e-6)


def test_the_benchmark_drives_real_edits_to_the_panel(qtbot):
    """The latency benchmark's loop on a few edits (figures are the benchmark's business, not the test's)."""
    from workbench.gui.live.bench import live_spec, run_live
    from workbench.gui.live.panel import LiveOutputsPanel

    doc = ExperimentDocument(live_spec())
    panel = LiveOutputsPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    result = run_live(doc, panel, edits=6)
    assert result["edit_to_live_outputs"]["n"] >= 4 and result["missed"] == 0
    assert len(panel.grid.bars) == 6
    _assert_same(panel, _core(doc.spec, panel.source(), panel.chooser.current()))
    panel.shutdown()
