"""J1: File > New, a CSV from disk with two label columns, two task blocks composed by drag and drop,
2 epochs of training with growing curves, and the run in the browser."""

from PySide6.QtCore import Qt

from tests.gui.journeys.journey import choose_file, drag_from_palette, open_window, train_and_wait, write_shapes_csv
from workbench.gui.runs.table_model import ID_ROLE
from workbench.runs.naming import run_label


def test_new_experiment_from_a_csv_file(qtbot, tmp_path, monkeypatch, answers, shot):
    csv = write_shapes_csv(tmp_path / "shapes.csv")
    win = open_window(qtbot, tmp_path)

    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # File > New
    qtbot.waitUntil(lambda: win.new_dialog is not None and win.new_dialog.isVisible(), timeout=10000)
    dialog = win.new_dialog
    create = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    qtbot.waitUntil(create.isEnabled, timeout=120000)  # the built-in digits are read first
    qtbot.mouseClick(dialog.data.browse, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.data.previewReady, timeout=120000):
        choose_file(qtbot, dialog.data.file_dialog, csv)
    scratch = dialog.scratch.spec
    assert scratch.dataset.source == "csv" and scratch.dataset.labels == ["shape", "size"]
    qtbot.waitUntil(lambda: dialog.scratch.data_state == "ok" and create.isEnabled(), timeout=120000)
    shot(dialog, "j1-new-dialog")
    qtbot.mouseClick(create, Qt.MouseButton.LeftButton)

    spec = win.doc.spec
    assert [(t.name, t.classes) for t in spec.tasks] == [("shape", 3), ("size", 2)]
    assert spec.dataset.path == str(csv) and spec.dataset.features == ["width", "height", "depth"]
    qtbot.waitUntil(lambda: win.doc.data_state == "ok", timeout=120000)
    assert "ready to train" in win.status_valid.text()

    # two task blocks from the palette, dropped on the two task lanes
    assert drag_from_palette(win, monkeypatch, "BasicEntanglerLayers", 0)
    assert drag_from_palette(win, monkeypatch, "HardwareEfficient", 1)
    assert [win.doc.spec.block_for(t).template for t in win.doc.spec.tasks] == ["BasicEntanglerLayers",
                                                                                 "HardwareEfficient"]
    qtbot.waitUntil(lambda: win.doc.is_trainable(), timeout=120000)

    run_id = train_and_wait(qtbot, win, epochs=2)
    info = win.store.get(run_id)
    assert info.status == "finished" and info.params["epochs"] == 2 and info.params["dataset"] == "csv"

    qtbot.keyClick(win, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # Runs Browser
    qtbot.waitUntil(lambda: run_id in win.runs.runs, timeout=60000)
    win.runs.select([run_id])
    qtbot.waitUntil(lambda: len(win.runs.plot.line_items()) >= 1, timeout=60000)
    shot(win, "j1-runs")
    model = win.runs.table.model()
    shown = {model.index(r, 0).data(ID_ROLE): model.index(r, 0).data() for r in range(model.rowCount())}
    assert shown[run_id] == run_label(win.store.get(run_id))  # the run by name, head and seed, not by id
    # the overlay plot in the picture holds the run's curve: not one flat colour
    plot = shot(win.runs.plot, "j1-overlay")
    colours = {plot.pixel(x, y) for x in range(5, plot.width() - 5, 29) for y in range(5, plot.height() - 5, 17)}
    assert len(colours) > 5
    win.doc.undo_stack.setClean()
