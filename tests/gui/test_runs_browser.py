"""The runs browser: filter, sort, tags and notes, overlays, seed bands, spec diff, clone, exports, live
refresh while the store changes."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt

from workbench.gui.common import messages
from workbench.gui.runs.browser import RunsBrowser
from workbench.gui.runs.table_model import ID_ROLE
from workbench.runs import RunStore
from workbench.testing import bench_spec_text, make_fake_run


@pytest.fixture
def store(tmp_path):
    s = RunStore(tmp_path / "runs")
    s.ids = {}
    for seed in (1, 2, 3):  # three seeds of one spec and head
        s.ids[f"seed{seed}"] = make_fake_run(s, "digits [qmtl]", seed=seed, epochs=6, offset=0.01 * seed)
    other = bench_spec_text(samples=900, seed=1)
    s.ids["wide"] = make_fake_run(s, "wide data [qmtl]", seed=1, epochs=6, spec_text=other, tags=["wide"])
    s.ids["hps"] = make_fake_run(s, "digits [hps]", seed=1, epochs=6, head="hps", offset=-0.1)
    s.ids["stopped"] = make_fake_run(s, "stopped run", seed=4, epochs=3, status="cancelled")
    return s


@pytest.fixture
def browser(qtbot, store):
    b = RunsBrowser(store, poll_ms=200)
    qtbot.addWidget(b)
    b.resize(1200, 800)
    b.show()
    b.wait_idle()
    yield b
    b.shutdown()


def test_table_lists_the_store_and_filters(browser, store):
    assert browser.model.rowCount() == 6
    browser.filter.setText("wide")
    assert browser.visible_ids() == [store.ids["wide"]]
    browser.filter.setText("digits hps")  # every word must match somewhere in the row
    assert browser.visible_ids() == [store.ids["hps"]]
    browser.filter.setText("")
    browser.status_filter.setCurrentIndex(browser.status_filter.findData("cancelled"))
    assert browser.visible_ids() == [store.ids["stopped"]]
    assert "1 of 6" in browser.count_label.text()


def test_sort_by_test_accuracy_is_numeric(browser, store):
    browser.table.sort_by("mean_accuracy", Qt.SortOrder.DescendingOrder)
    ids = browser.visible_ids()
    accs = [store.get(i).summary.get("mean_test_accuracy", -1) for i in ids]
    assert accs == sorted(accs, reverse=True)
    assert ids[-1] == store.ids["stopped"]  # no test accuracy sorts last


def test_tags_and_notes_are_edited_in_place(qtbot, browser, store):
    rid = store.ids["seed1"]
    row = next(r for r in range(browser.model.rowCount()) if browser.model.item(r, 0).data(ID_ROLE) == rid)
    browser.model.item(row, browser.model.col("note")).setText("best so far")
    browser.model.item(row, browser.model.col("tags")).setText("baseline, paper")
    info = store.get(rid)
    assert info.note == "best so far" and info.tags == ["baseline", "paper"]
    row = next(r for r in range(browser.model.rowCount()) if browser.model.item(r, 0).data(ID_ROLE) == rid)
    browser.model.item(row, browser.model.col("tags")).setText("paper")
    assert store.get(rid).tags == ["paper"]


def test_overlay_and_seed_bands(qtbot, browser, store):
    ids = [store.ids[k] for k in ("seed1", "seed2", "seed3", "hps")]
    browser.select(ids)
    browser.wait_idle()
    assert len(browser.plot.line_items()) == 4
    x, y = browser.plot.line_items()[0].getData()
    assert list(x) == [1, 2, 3, 4, 5, 6]
    browser.group_box.setChecked(True)
    lines, bands = browser.plot.line_items(), browser.plot.band_items()
    assert len(lines) == 2 and len(bands) == 1, "three seeds -> one band; the HPS run stays a line"
    # the band's mean is the mean of the three seeds' curves
    rows = {i: [r.value for r in store.metrics(i, key="mean_accuracy", split="val")] for i in ids[:3]}
    means = [sum(v) / 3 for v in zip(*rows.values())]
    mean_line = next(i for i in lines if "3 seeds" in i.name())
    assert list(mean_line.getData()[1]) == pytest.approx(means)
    browser.split_box.setCurrentText("train")
    browser.metric_box.setCurrentText("task_1.loss")
    browser.wait_idle()
    assert "task_1.loss" in browser.plot.getAxis("left").labelText


def test_spec_diff_of_two_runs(browser, store):
    browser.select([store.ids["seed1"], store.ids["wide"]])
    lines = browser.show_diff()
    assert any(line.startswith("-") and "samples = 600" in line for line in lines)
    assert any(line.startswith("+") and "samples = 900" in line for line in lines)
    assert "samples = 900" in browser.diff_view.toPlainText()
    browser.select([store.ids["seed1"], store.ids["hps"]])
    lines = browser.show_diff()
    assert "head: 'qmtl' → 'hps'" in lines


def test_clone_emits_the_runs_spec(qtbot, browser, store):
    browser.select([store.ids["wide"]])
    with qtbot.waitSignal(browser.cloneRequested) as sig:
        browser.clone_btn.click()
    spec, rid, head = sig.args
    assert rid == store.ids["wide"] and head == "qmtl" and spec.dataset.options["samples"] == 900


def test_resume_only_for_stopped_runs(qtbot, browser, store):
    browser.select([store.ids["seed1"]])
    assert not browser.resume_btn.isEnabled()
    browser.select([store.ids["stopped"]])
    assert browser.resume_btn.isEnabled()
    with qtbot.waitSignal(browser.resumeRequested) as sig:
        browser.resume_btn.click()
    assert sig.args == [store.ids["stopped"]]


def test_exports_csv_and_plot(browser, store, tmp_path, monkeypatch):
    ids = [store.ids["seed1"], store.ids["hps"]]
    browser.select(ids)
    browser.wait_idle()
    out = tmp_path / "m.csv"
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(out))
    n = browser.export_csv()
    rows = list(csv.DictReader(out.open()))
    assert n == len(rows) > 0 and {r["run_id"] for r in rows} == set(ids)
    png = browser.export_plot(str(tmp_path / "p.png"))
    svg = browser.export_plot(str(tmp_path / "p.svg"))
    assert png.stat().st_size > 1000 and "<svg" in svg.read_text()


def test_refreshes_while_the_store_changes(qtbot, browser, store):
    rid = make_fake_run(store, "arrived later", seed=9, epochs=2, status="running")
    qtbot.waitUntil(lambda: rid in browser.runs, timeout=5000)
    store.set_status(rid, "finished")
    qtbot.waitUntil(lambda: browser.runs[rid].status == "finished", timeout=5000)
