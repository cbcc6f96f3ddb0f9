"""The Sweep panel drives a real sweep of the editor's experiment (worker processes, real store): live trials
table, scatter by head with the Pareto front, click a point to open its run, bad axes and cancel."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt

from workbench.gui.composer.document import ExperimentDocument
from workbench.gui.sweeps.panel import SweepPanel
from workbench.runs import RunStore
from workbench.runs.sweeps import SweepRecords
from workbench.spec.examples import small_synthetic


@pytest.fixture
def make_panel(qtbot, tmp_path):
    made = []

    def make(samples=120, epochs=1):
        doc = ExperimentDocument(small_synthetic(samples=samples, epochs=epochs))
        panel = SweepPanel(doc, RunStore(tmp_path / "runs"))
        doc.setParent(panel)
        qtbot.addWidget(panel)
        panel.resize(1200, 500)
        panel.show()
        made.append(panel)
        return panel

    yield make
    for p in made:
        assert p.shutdown(30)
        p.doc.undo_stack.setClean()


def set_axes(panel, *axes):
    panel.axes.setRowCount(0)
    for name, values in axes:
        panel.add_axis(name, values)


def test_a_bad_axis_is_refused_with_the_axis_and_value_named(make_panel):
    panel = make_panel()
    set_axes(panel, ("quantum.default_block.layers", "1,0"))
    assert not panel.start()
    assert "quantum.default_block.layers=0" in panel.status.text() and not panel.is_running()
    assert panel.start_btn.isEnabled()


def test_a_sweep_fills_the_table_and_the_scatter_and_a_click_opens_the_run(qtbot, make_panel):
    panel = make_panel()
    set_axes(panel, ("head", "qmtl,hps"), ("seed", "0..1"))
    panel.parallel.setValue(2)
    opened = []
    panel.runOpened.connect(opened.append)
    with qtbot.waitSignal(panel.sweepEnded, timeout=240_000) as ended:
        assert panel.start()
        assert panel.is_running() and not panel.start_btn.isEnabled() and panel.cancel_btn.isEnabled()
    assert ended.args[1] == "complete" and panel.state == "complete"
    assert panel.trials.rowCount() == 4
    assert [panel.trials.item(r, 2).text() for r in range(4)] == ["finished"] * 4
    assert [panel.trials.item(r, 1).text() for r in range(4)] == ["head=qmtl seed=0", "head=qmtl seed=1",
                                                                   "head=hps seed=0", "head=hps seed=1"]
    assert len(panel.scatter["QMTL"].points()) == 2 and len(panel.scatter["classical (HPS)"].points()) == 2
    runs = {r["run_id"] for r in panel.rows.values()}
    assert set(panel.pareto_runs()) <= runs and panel.pareto_runs()
    xs, _ = panel.front.getData()
    assert len(xs) == len(panel.pareto_runs())
    store = panel.store
    assert {r.id for r in store.list_runs(tag=panel.sweep_id)} == runs

    # click the first QMTL point on screen: its run is opened
    point = panel.scatter["QMTL"].points()[0]
    vb = panel.plot.getPlotItem().getViewBox()
    scene_pos = vb.mapViewToScene(QPointF(point.pos().x(), point.pos().y()))
    qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=panel.plot.mapFromScene(scene_pos))
    qtbot.waitUntil(lambda: bool(opened), timeout=5000)
    assert opened[0] == point.data() and opened[0] in runs

    # the same axes again: the sweep is resumed, nothing left to train
    with qtbot.waitSignal(panel.sweepEnded, timeout=120_000):
        assert panel.start()
    assert panel.state == "complete" and len(SweepRecords(store).list_sweeps()) == 1
    assert len(store.list_runs(tag=panel.sweep_id)) == 4


def test_cancel_stops_the_running_trials_and_keeps_them_pending(qtbot, make_panel):
    panel = make_panel(samples=300, epochs=300)
    set_axes(panel, ("seed", "0..2"))
    panel.parallel.setValue(2)
    assert panel.start()
    qtbot.waitUntil(lambda: sum(r["status"] == "running" for r in panel.rows.values()) == 2, timeout=120_000)
    with qtbot.waitSignal(panel.sweepEnded, timeout=60_000) as ended:
        panel.cancel()
    assert ended.args[1] == "cancelled"
    assert sorted(r["status"] for r in panel.rows.values()) == ["cancelled", "cancelled", "pending"]
    assert panel.store.list_runs(tag=panel.sweep_id) == [] and panel.start_btn.isEnabled()
