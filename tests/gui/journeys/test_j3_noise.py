"""J3: a trained run compared ideal / depolarizing / a fake device with shots in the Noise panel: the device
picked from the list with the keyboard, shots typed, Compare pressed; the bars are the stored figures and the
chart says which are exact and which come from shots."""

import numpy as np
from PySide6.QtCore import Qt

from tests.gui.journeys.journey import TRAIN_TIMEOUT_MS, open_window, train_and_wait, type_into
from workbench.gui.noise.panel import NoisePanel
from workbench.spec.examples import EXPERIMENTS


def test_noise_comparison_ideal_depolarizing_and_a_fake_device_with_shots(qtbot, tmp_path, answers, shot):
    win = open_window(qtbot, tmp_path, EXPERIMENTS / "small-synthetic.toml")
    run_id = train_and_wait(qtbot, win, epochs=1)

    qtbot.keyClick(win, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # Runs Browser
    qtbot.waitUntil(lambda: run_id in win.runs.runs, timeout=60000)
    win.runs.select([run_id])
    win.docks.show("noiseDock")
    qtbot.waitUntil(lambda: bool(win.findChildren(NoisePanel)), timeout=30000)
    panel = win.findChildren(NoisePanel)[0]
    qtbot.waitUntil(lambda: panel.run_id == run_id, timeout=30000)  # the panel follows the browser's run
    choices = panel.choices
    qtbot.waitUntil(lambda: choices.device_list.count() > 0, timeout=60000)

    type_into(qtbot, choices.device_filter, "manila")
    visible = [i for i in range(choices.device_list.count()) if not choices.device_list.item(i).isHidden()]
    assert len(visible) == 1
    item = choices.device_list.item(visible[0])
    view = choices.device_list
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualItemRect(item).center())
    qtbot.keyClick(view, Qt.Key.Key_Space)  # checks the current item
    assert "fake_manila" in panel.backends() and "ideal" in panel.backends()
    assert any(b.startswith("depolarizing:") for b in panel.backends())

    if choices.exact.isChecked():
        qtbot.mouseClick(choices.exact, Qt.MouseButton.LeftButton)
    type_into(qtbot, choices.shots, "256")
    assert choices.shots_or_exact() == 256
    with qtbot.waitSignal(panel.finished, timeout=TRAIN_TIMEOUT_MS):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert not panel.error_label.isVisible(), panel.error_label.text()

    stored = win.store.get(run_id).summary["noise"]
    tasks = [t.name for t in win.doc.spec.tasks]
    series = set(panel.bar_items)
    assert {"ideal", "fake_manila"} <= series and any(s.startswith("depolarizing:") for s in series)
    for name, bars in panel.bar_items.items():
        assert np.allclose(bars.opts["height"], [stored[name][t]["accuracy"] for t in tasks])
    assert "exact" in panel.results.chart.legend.text()  # exact bars are labelled as such
    panel.results.set_view("shots_accuracy")
    assert "256 shots per input" in panel.results.chart.legend.text()
    assert set(panel.error_items) >= {"fake_manila"}  # shot intervals drawn
    shot(win, "j3-noise")
    win.doc.undo_stack.setClean()
