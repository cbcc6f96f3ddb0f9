"""The noise panel on a tiny trained run: a comparison with a fake backend in the worker thread fills the grouped
bar plot and the table (and is stored with the run, as ``qmtl noise`` does), views of every figure, progress,
cancel keeping the backends done, in-place errors, stale results ignored, exports."""

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from workbench.runs import RunStore
from workbench.spec.examples import small_synthetic


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from workbench.training import train

    root = tmp_path_factory.mktemp("noise_gui")
    store = RunStore(root / "runs")
    return store, train(small_synthetic(samples=150, epochs=1), store, base_dir=root).run_id


@pytest.fixture
def panel(qtbot, trained):
    from workbench.gui.noise.panel import NoisePanel

    store, rid = trained
    w = NoisePanel(store)
    qtbot.addWidget(w)
    w.set_run(rid)
    w.show()
    return w


def test_fake_backend_comparison_fills_the_bar_plot_and_table(panel, trained, tmp_path, qtbot):
    store, rid = trained
    panel.check_device("fake_manila")
    panel.choices.exact.setChecked(False)
    panel.choices.shots.setValue(256)
    t0 = time.perf_counter()
    with qtbot.waitSignal(panel.finished, timeout=180_000):
        assert panel.start(), panel.error_label.text()
        assert panel.busy and not panel.run_button.isEnabled()  # the GUI thread is free while it runs
        assert panel.cancel_button.isEnabled()
    print(f"noise comparison (ideal, depolarizing:0.01, fake_manila; 256 shots): {time.perf_counter() - t0:.2f} s")
    assert not panel.error_label.isVisible(), panel.error_label.text()
    assert set(panel.bar_items) == {"ideal", "depolarizing:0.01", "fake_manila"}
    summary = store.get(rid).summary["noise"]
    for series, bars in panel.bar_items.items():
        heights = np.asarray(bars.opts["height"], dtype=float)
        expected = [summary[series][t]["accuracy"] for t in ("task_0", "task_1")]
        assert np.allclose(heights, expected) and np.all((heights >= 0) & (heights <= 1))
        assert len(bars.opts["x"]) == 2
    # grouped: three bars side by side around each task's tick
    xs = np.array([panel.bar_items[s].opts["x"] for s in ("ideal", "depolarizing:0.01", "fake_manila")])
    assert np.all(np.diff(xs[:, 0]) > 0) and np.all(np.abs(xs.mean(0) - [0, 1]) < 1e-9)
    assert not panel.error_items  # the exact view: no shot intervals
    # the shot view: bars at the mean shot accuracy, error bars spanning the stored 95% interval
    panel.results.set_view("shots_accuracy")
    assert panel.results.metric_box.currentText() == "Accuracy (256 shots)"
    m = [summary["fake_manila"][t] for t in ("task_0", "task_1")]
    assert np.allclose(panel.bar_items["fake_manila"].opts["height"], [x["shots_accuracy"] for x in m])
    eb = panel.error_items["fake_manila"]
    assert np.allclose(eb.opts["top"], [x["shots_accuracy_high"] - x["shots_accuracy"] for x in m])
    assert np.allclose(eb.opts["bottom"], [x["shots_accuracy"] - x["shots_accuracy_low"] for x in m])
    assert "256 shots per input" in panel.results.chart.legend.text()
    # every other view draws the stored figure of every series
    for key in ("loss", "margin", "mean_abs_z", "tv_from_ideal", "macro_f1"):
        panel.results.set_view(key)
        for series, bars in panel.bar_items.items():
            assert np.allclose(bars.opts["height"], [summary[series][t][key] for t in ("task_0", "task_1")])
    assert np.allclose(panel.bar_items["ideal"].opts["height"], [0, 0]) or panel.results.metric_box.currentData() != \
        "tv_from_ideal"
    panel.results.set_view("tv_from_ideal")
    assert np.allclose(panel.bar_items["ideal"].opts["height"], [0, 0], atol=1e-9)
    assert "exact" in panel.results.chart.legend.text()
    panel.results.set_view("accuracy")
    assert panel.results.table.rowCount() == 6
    # exports
    text = panel.results.export_csv(tmp_path / "noise.csv").read_text()
    assert text.splitlines()[0].startswith("backend,source,engine,task,accuracy") and "fake_manila" in text
    assert "tv_from_ideal" in text.splitlines()[0] and "shots_accuracy_high" in text.splitlines()[0]
    assert len(text.splitlines()) == 7
    png = panel.results.export_plot(tmp_path / "noise.png")
    svg = panel.results.export_plot(tmp_path / "noise.svg")
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 2000
    assert "<svg" in svg.read_text()
    # a new panel (an app restart) shows what was stored with the run
    from workbench.gui.noise.panel import NoisePanel

    again = NoisePanel(store)
    again.set_run(rid)
    assert set(again.bar_items) >= {"ideal", "fake_manila"}
    again.results.set_view("shots_accuracy")
    assert set(again.error_items) >= {"fake_manila"}
    # clear: the plot and the table empty, the stored results stay with the run
    again.clear()
    assert again.bar_items == {} and again.results.table.rowCount() == 0 and not again.results.clear_button.isEnabled()
    assert "fake_manila" in store.get(rid).summary["noise"]
    again.deleteLater()


def test_progress_then_cancel_keeps_the_backends_done(panel, trained, qtbot):
    """Progress per backend reaches the bar; Cancel, clicked while the second backend runs, keeps (shows and
    stores) the first. The job is slowed (a second per chunk of inputs) so that the click lands mid-run."""
    panel.job_target = "tests.support.noise_jobs:slow_noise_comparison"
    store, rid = trained
    for box, _spin in panel.choices.channel_boxes.values():
        box.setChecked(False)
    panel.choices.extra.setText("depolarizing:0.03,amplitude_damping:0.03,depolarizing:0.07")
    fractions = []

    texts = []

    def on_progress(backend, frac):
        fractions.append((backend, frac))
        texts.append(panel.progress.format())
        if backend == "depolarizing:0.03" and frac >= 0.25 and panel.cancel_button.isEnabled():  # simulating
            qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)

    panel.progressed.connect(on_progress)
    before = set(store.get(rid).summary.get("noise") or {})
    with qtbot.waitSignal(panel.cancelled, timeout=180_000) as blocker:
        assert panel.start()
    assert blocker.args == [rid]
    shown = {r.backend for r in panel.results.rows if r.source == "simulated"}
    assert "ideal" in shown and not ({"amplitude_damping:0.03", "depolarizing:0.07"} - before) & shown
    assert panel.progress.format().startswith("cancelled: 1 of 4 backends kept")
    assert "ideal" in store.get(rid).summary["noise"]
    assert fractions[0][0] == "ideal" and all(0 <= f <= 1 for _, f in fractions)
    assert any(t.startswith("2/4 depolarizing:0.03: ") and "ETA" in t for t in texts)
    assert not panel.busy and panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_cancel_button_stops_a_comparison_and_the_panel_runs_again(panel, trained, qtbot):
    store, rid = trained
    panel.choices.extra.setText("fake_manila")
    panel.choices.store_box.setChecked(False)
    with qtbot.waitSignal(panel.finished, timeout=120_000):
        assert panel.start()
        assert panel.cancel_button.isEnabled()
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
        assert not panel.cancel_button.isEnabled()
    assert "cancel" in panel.progress.format()
    fractions = []
    panel.progressed.connect(lambda backend, frac: fractions.append(frac))
    panel.choices.exact.setChecked(True)
    with qtbot.waitSignal(panel.finished, timeout=120_000):
        assert panel.start()
    assert panel.progress.format().startswith("done in") and fractions and max(fractions) == pytest.approx(1.0)
    assert "fake_manila" in panel.bar_items and not panel.error_items
    panel.results.set_view("shots_accuracy")  # exact only: no shot figures to draw
    assert "fake_manila" not in panel.bar_items


def test_errors_show_in_place_with_one_line(panel, trained):
    panel.choices.extra.setText("fake_nowhere")
    assert not panel.start()
    assert panel.error_label.isVisible() and "unknown backend 'fake_nowhere'" in panel.error_label.text()
    assert "\n" not in panel.error_label.text()
    panel.choices.extra.setText("fake_armonk")  # 1 qubit, the circuit needs 4
    assert not panel.start()
    assert "fake_armonk has 1 qubits but the circuit needs 4" in panel.error_label.text()
    # too-small devices cannot be ticked in the list
    from PySide6.QtCore import Qt

    item = next(panel.choices.device_list.item(i) for i in range(panel.choices.device_list.count())
                if panel.choices.device_list.item(i).data(Qt.ItemDataRole.UserRole) == "fake_armonk")
    assert not item.flags() & Qt.ItemFlag.ItemIsEnabled and "needs 4" in item.text()
    panel.choices.extra.setText("depolarizing:2")
    assert not panel.start() and "depolarizing" in panel.error_label.text()
    assert not panel.busy


def test_result_of_a_run_no_longer_shown_is_ignored(panel, trained, qtbot):
    store, rid = trained
    panel.choices.ideal_box.setChecked(True)
    for box, _spin in panel.choices.channel_boxes.values():
        box.setChecked(False)
    panel.choices.store_box.setChecked(False)
    before = dict(panel.bar_items)
    assert panel.start()
    panel.set_run(None)  # the user picked something else while it computed
    qtbot.waitUntil(lambda: not panel.busy, timeout=180_000)
    assert panel.bar_items == {} and panel.results.table.rowCount() == 0
    panel.set_run(rid)
    assert set(panel.bar_items) == set(before)


def test_hardware_results_of_the_run_are_drawn_hatched(panel, trained):
    store, rid = trained
    summary = dict(store.get(rid).summary)
    summary["hardware"] = {"fake_manila": {"status": "finished", "local": True, "shots": 100, "samples": 8,
                                           "accuracy": {"task_0": {"accuracy": 0.625, "macro_f1": 0.6},
                                                        "task_1": {"accuracy": 0.25, "macro_f1": 0.2}}}}
    store.set_summary(rid, summary)
    try:
        panel.set_run(rid)
        bars = panel.bar_items["hardware: fake_manila"]
        assert np.allclose(bars.opts["height"], [0.625, 0.25])
        assert any("hardware" in panel.results.table.item(r, 1).text() for r in range(panel.results.table.rowCount()))
    finally:
        summary.pop("hardware")
        store.set_summary(rid, summary)
