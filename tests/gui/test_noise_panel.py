"""The noise panel on a tiny trained run: a comparison with a fake backend in the worker thread fills the grouped
bar plot and the table (and is stored with the run, as ``qmtl noise`` does), in-place errors, stale results
ignored, exports."""

import time

import numpy as np
import pytest

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


def test_fake_backend_comparison_fills_the_bar_plot_and_table(panel, trained, tmp_path):
    store, rid = trained
    panel.check_device("fake_manila")
    panel.exact.setChecked(False)
    panel.shots.setValue(256)
    t0 = time.perf_counter()
    assert panel.start(), panel.error_label.text()
    assert panel.busy and not panel.run_button.isEnabled()  # the GUI thread is free while it runs
    assert panel.wait(60)
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
    # shots: every series has shot error bars of the stored size
    eb = panel.error_items["fake_manila"]
    assert np.allclose(eb.opts["top"], [summary["fake_manila"][t]["accuracy_se"] for t in ("task_0", "task_1")])
    assert panel.table.rowCount() == 6
    # exports
    text = panel.export_csv(tmp_path / "noise.csv").read_text()
    assert text.splitlines()[0].startswith("backend,source,engine,task,accuracy") and "fake_manila" in text
    assert len(text.splitlines()) == 7
    png = panel.export_plot(tmp_path / "noise.png")
    svg = panel.export_plot(tmp_path / "noise.svg")
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 2000
    assert "<svg" in svg.read_text()
    # a new panel (an app restart) shows what was stored with the run
    from workbench.gui.noise.panel import NoisePanel

    again = NoisePanel(store)
    again.set_run(rid)
    assert set(again.bar_items) >= {"ideal", "fake_manila"}
    again.deleteLater()


def test_errors_show_in_place_with_one_line(panel, trained):
    panel.extra.setText("fake_nowhere")
    assert not panel.start()
    assert panel.error_label.isVisible() and "unknown backend 'fake_nowhere'" in panel.error_label.text()
    assert "\n" not in panel.error_label.text()
    panel.extra.setText("fake_armonk")  # 1 qubit, the circuit needs 4
    assert not panel.start()
    assert "fake_armonk has 1 qubits but the circuit needs 4" in panel.error_label.text()
    # too-small devices cannot be ticked in the list
    from PySide6.QtCore import Qt

    item = next(panel.device_list.item(i) for i in range(panel.device_list.count())
                if panel.device_list.item(i).data(Qt.ItemDataRole.UserRole) == "fake_armonk")
    assert not item.flags() & Qt.ItemFlag.ItemIsEnabled and "needs 4" in item.text()
    panel.extra.setText("depolarizing:2")
    assert not panel.start() and "depolarizing" in panel.error_label.text()
    assert not panel.busy


def test_result_of_a_run_no_longer_shown_is_ignored(panel, trained):
    store, rid = trained
    panel.ideal_box.setChecked(True)
    for box, _spin in panel.channel_boxes.values():
        box.setChecked(False)
    panel.store_box.setChecked(False)
    before = dict(panel.bar_items)
    assert panel.start()
    panel.set_run(None)  # the user picked something else while it computed
    assert panel.wait(60)
    assert panel.bar_items == {} and panel.table.rowCount() == 0
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
        assert any("hardware" in panel.table.item(r, 1).text() for r in range(panel.table.rowCount()))
    finally:
        summary.pop("hardware")
        store.set_summary(rid, summary)
