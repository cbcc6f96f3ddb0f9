"""The results view on real widgets and the real SQLite store: sorting the metrics table from its header, the
scatter's marks and Pareto front against the store and the core, right-click rename / delete / restore, the
trash's purge on a fixed clock, and the curves' wall-clock and log axes."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.support.clock import Clock
from workbench.cli import main
from workbench.gui.runs.browser import RunsBrowser
from workbench.gui.runs.table_model import ID_ROLE
from workbench.runs import RunStore
from workbench.runs.tradeoff import pareto_front
from workbench.runs.trash import purge_expired
from workbench.testing import make_fake_run


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    s = RunStore(tmp_path / "runs", clock=clock)
    s.ids = {}
    sizes = {"qmtl": 48, "hps": 390, "hybrid": 80, "single": 96}
    offsets = {"qmtl": 0.0, "hps": 0.04, "hybrid": -0.06, "single": 0.01}
    for head, params in sizes.items():
        for seed in (1, 2):
            rid = make_fake_run(s, f"digits [{head}]", seed=seed, epochs=3, head=head,
                                offset=offsets[head] + 0.01 * seed)
            summary = s.get(rid).summary
            summary["head_params"] = params
            s.set_summary(rid, summary)
            s.ids[f"{head}{seed}"] = rid
    s.ids["stopped"] = make_fake_run(s, "stopped", seed=4, epochs=2, status="cancelled")
    return s


@pytest.fixture
def browser(qtbot, store):
    b = RunsBrowser(store, poll_ms=300)
    qtbot.addWidget(b)
    b.resize(1280, 800)
    b.show()
    qtbot.waitUntil(lambda: len(b.runs) == 9, timeout=20000)
    yield b
    b.shutdown()


def row_of(browser, run_id) -> int:
    return next(r for r in range(browser.proxy.rowCount()) if browser.proxy.index(r, 0).data(ID_ROLE) == run_id)


def right_click(qtbot, browser, run_id):
    view = browser.table
    rect = view.visualRect(browser.proxy.index(row_of(browser, run_id), 0))
    pos = rect.center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    qtbot.waitUntil(lambda: browser.actions.menu is not None and browser.actions.menu.isVisible(), timeout=5000)
    return browser.actions.menu


def answer_dialog(qtbot, browser, text):
    dlg = browser.actions.dialog
    qtbot.waitUntil(dlg.isVisible, timeout=5000)
    edit = dlg.findChild(QLineEdit)
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_clicking_a_header_sorts_the_runs_by_that_column(qtbot, browser, store):
    header = browser.table.horizontalHeader()
    col = browser.model.col("head_params")
    pos = QPoint(header.sectionViewportPosition(col) + header.sectionSize(col) // 2, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    params = [store.get(i).summary.get("head_params") for i in browser.visible_ids()]
    have = [p for p in params if p is not None]
    assert have == sorted(have) or have == sorted(have, reverse=True)
    first = have[0]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)  # the other way round
    params2 = [store.get(i).summary.get("head_params") for i in browser.visible_ids()]
    assert [p for p in params2 if p is not None][0] != first
    assert params[-1] is None and params2[-1] is None, "a run without the figure sorts last"
    # text columns sort too, and the labels are what the table shows
    browser.table.sort_by("label")
    labels = [browser.proxy.index(r, 0).data() for r in range(browser.proxy.rowCount())]
    assert labels == sorted(labels, key=str.lower) and "digits · qmtl · seed 1" in labels


def test_scatter_marks_are_the_stores_numbers_and_the_front_is_the_cores(qtbot, browser, store):
    scatter = browser.scatter
    browser.bottom.setCurrentWidget(scatter)
    assert len(scatter.points) == 4  # four heads, two seeds each; the stopped run has no accuracy
    for head in ("qmtl", "hps", "hybrid", "single"):
        accs = [store.get(store.ids[f"{head}{s}"]).summary["mean_test_accuracy"] for s in (1, 2)]
        params = store.get(store.ids[f"{head}1"]).summary["head_params"]
        x, y = scatter.marks[head].getData()
        assert list(x) == [params] and y[0] == pytest.approx(np.mean(accs))
        point = next(p for p in scatter.points if p.head == head)
        assert point.std == pytest.approx(np.std(accs, ddof=1))
    symbols = {h: item.opts["symbol"] for h, item in scatter.marks.items()}
    assert len(set(symbols.values())) == 4, "each head kind has its own mark"
    front = pareto_front([(p.params, p.accuracy) for p in scatter.points])
    assert {scatter.points[i].head for i in front} == {p.head for p in scatter.front}
    fx, fy = scatter.front_item.getData()
    assert {(a, b) for a, b in zip(fx, fy)} >= {(p.params, p.accuracy) for p in scatter.front}
    scatter.logx_box.setChecked(True)
    x, _ = scatter.marks["hps"].getData()
    assert x[0] == pytest.approx(np.log10(390))
    # the filter narrows the scatter as it narrows the table
    browser.filter.setText("head!=hps")
    assert {p.head for p in scatter.points} == {"qmtl", "hybrid", "single"}


def test_right_click_rename_changes_the_label_in_the_table_and_the_cli(qtbot, browser, store, capsys):
    rid = store.ids["qmtl1"]
    menu = right_click(qtbot, browser, rid)
    assert [a.text() for a in menu.actions() if a.text()] == ["Rename…", "Tags…", "Open report",
                                                              "Delete (to the trash)"]
    browser.actions.action("Rename…").trigger()
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        answer_dialog(qtbot, browser, "shallow encoder")
    assert browser.proxy.index(row_of(browser, rid), 0).data() == "shallow encoder · qmtl · seed 1"
    assert main(["runs", "--runs-dir", str(store.root), "list"]) == 0
    assert "shallow encoder" in capsys.readouterr().out
    # tags from the same menu; a run then filters by its tag
    right_click(qtbot, browser, rid)
    browser.actions.action("Tags…").trigger()
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        answer_dialog(qtbot, browser, "paper, baseline")
    assert store.get(rid).tags == ["baseline", "paper"]
    browser.filter.setText("tag=paper")
    assert browser.visible_ids() == [rid]
    right_click(qtbot, browser, rid)
    with qtbot.waitSignal(browser.reportRequested, timeout=5000) as report:
        browser.actions.action("Open report").trigger()
    assert report.args == [[rid]]


def test_a_bad_name_is_refused_with_a_message(qtbot, browser, store, monkeypatch):
    from workbench.gui.common import messages

    shown = []
    monkeypatch.setattr(messages, "error", lambda parent, title, text, detail="": shown.append(text))
    rid = store.ids["hps1"]
    right_click(qtbot, browser, rid)
    browser.actions.action("Rename…").trigger()
    answer_dialog(qtbot, browser, "   ")
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown == ["name: a run's name cannot be empty"] and store.get(rid).name == "digits [hps]"


def test_delete_moves_to_the_trash_and_restore_brings_it_back(qtbot, browser, store, clock):
    rid = store.ids["hybrid2"]
    right_click(qtbot, browser, rid)
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        browser.actions.action("Delete").trigger()
    assert rid not in browser.visible_ids() and len(browser.runs) == 8
    assert rid not in {i.id for i in store.list_runs()}
    assert next(p for p in browser.scatter.points if p.head == "hybrid").seeds == 1
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        browser.view_box.setCurrentIndex(browser.view_box.findData(True))
    assert browser.visible_ids() == [rid] and "in the trash" in browser.count_label.text()
    menu = right_click(qtbot, browser, rid)
    assert [a.text() for a in menu.actions()] == ["Restore 1 run(s)"]
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        browser.actions.action("Restore").trigger()
    assert browser.visible_ids() == []
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        browser.view_box.setCurrentIndex(browser.view_box.findData(False))
    assert rid in browser.visible_ids()


def test_trash_older_than_thirty_days_is_purged(qtbot, browser, store, clock):
    rid = store.ids["single1"]
    right_click(qtbot, browser, rid)
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        browser.actions.action("Delete").trigger()
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        browser.view_box.setCurrentIndex(browser.view_box.findData(True))
    assert browser.visible_ids() == [rid]
    clock.now += timedelta(days=29)
    assert purge_expired(store) == []
    clock.now += timedelta(days=1, seconds=1)
    assert purge_expired(store) == [rid]
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        browser.reload()
    assert browser.visible_ids() == [] and not store.run_dir(rid).exists()


def test_curves_on_wall_clock_and_log_axes(qtbot, browser, store):
    rid = store.ids["qmtl1"]
    rows = store.metrics(rid, key="mean_accuracy", split="val")
    browser.select([rid])
    qtbot.waitUntil(lambda: len(browser.plot.line_items()) == 1, timeout=20000)
    browser.curves.x_box.setCurrentText("wall clock")
    x, _ = browser.plot.line_items()[0].getData()
    start = min(r.time for r in store.metrics(rid))
    assert list(x) == pytest.approx([r.time - start for r in rows])
    assert "wall-clock" in browser.plot.getAxis("bottom").labelText
    browser.curves.x_box.setCurrentText("epoch")
    browser.curves.logy_box.setChecked(True)
    assert browser.plot.getPlotItem().ctrl.logYCheck.isChecked()
    _, y = browser.plot.line_items()[0].getData()
    assert list(y) == pytest.approx(np.log10([r.value for r in rows]))  # drawn in log units
    assert browser.plot.line_items()[0].name() == "digits · qmtl · seed 1"


def test_presentation_cost_page_shows_the_scatter_and_the_comparison(qtbot, store):
    from workbench.gui.report.presentation import COST, PresentationView

    view = PresentationView(store)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    assert not view.cost.isVisible()
    view.metric_box.setCurrentText(COST)
    assert view.cost.isVisible() and not view.plots.isVisible()
    points = {p.head: p for p in view.cost.scatter.points}
    assert set(points) == {"qmtl", "hps", "hybrid", "single"}
    accs = [store.get(store.ids[f"hps{s}"]).summary["mean_test_accuracy"] for s in (1, 2)]
    assert points["hps"].accuracy == pytest.approx(np.mean(accs)) and points["hps"].params == 390
    text = view.cost.headline.text()
    best_quantum = max((p for p in points.values() if p.head != "hps"), key=lambda p: p.accuracy)
    assert f"{best_quantum.accuracy:.3f}" in text and f"{390 / best_quantum.params:.1f}×" in text
    view.metric_box.setCurrentText("accuracy")
    assert view.plots.isVisible() and not view.cost.isVisible()
