"""Steps the journeys share: a window on its own run store, a data file on disk, palette drags, training."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit

from tests.gui.gui_helpers import band_point, drop_mime

TRAIN_TIMEOUT_MS = 600_000  # a busy 2-core machine: worker start-up plus training


def open_window(qtbot, tmp_path, spec=None):
    from workbench.gui.shell.mainwindow import MainWindow

    win = MainWindow(spec, theme="light", autosave=False, runs_dir=tmp_path / "runs")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=10000)
    return win


def write_shapes_csv(path, rows: int = 240, broken: bool = False):
    """Three measurements and two label columns: a 3-class text label and a 2-class integer label."""
    rng = np.random.default_rng(3)
    shape = rng.integers(0, 3, rows)
    size = rng.integers(0, 2, rows)
    df = pd.DataFrame({"width": shape + rng.normal(0, .3, rows), "height": size + rng.normal(0, .3, rows),
                       "depth": rng.normal(0, 1, rows),
                       "shape": np.array(["round", "square", "star"])[shape], "size": size.astype(float)})
    if broken:
        df.loc[5, "size"] = np.nan  # a label went missing on disk after the experiment was checked
    df.to_csv(path, index=False)
    return path


def drag_from_palette(win, monkeypatch, name, key, wire=0) -> bool:
    """The palette's own drag (QDrag.exec cannot run offscreen: it records the mime data), then the drag
    enter/move/drop events on the canvas at ``key``'s band."""
    captured = {}

    def fake_exec(drag, *args, **kwargs):
        captured["mime"] = drag.mimeData()
        return Qt.DropAction.CopyAction

    with monkeypatch.context() as patch:  # undoes this patch only, not the test's scripted answers
        patch.setattr(QDrag, "exec", fake_exec)
        item = win.palette.item_for(name)
        win.palette.setCurrentItem(item)
        win.palette.startDrag(Qt.DropAction.CopyAction)
    moved, dropped = drop_mime(win, captured["mime"], band_point(win, key, wire=wire))
    return moved and dropped


def type_into(qtbot, widget, text: str) -> None:
    """Select what the field holds and type ``text`` over it, then Enter."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def choose_file(qtbot, dialog, path) -> None:
    """In an open (non-native) QFileDialog: go to the file's folder, type its name, click Open. (Typing a whole
    path makes the dialog change folders as each "/" arrives, asynchronously, which a test cannot follow.)"""
    qtbot.waitUntil(dialog.isVisible, timeout=10000)
    dialog.setDirectory(str(path.parent))
    edit = dialog.findChild(QLineEdit, "fileNameEdit")
    assert edit is not None
    edit.setFocus()
    qtbot.keyClicks(edit, path.name)
    box = dialog.findChild(QDialogButtonBox, "buttonBox")
    qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Open), Qt.MouseButton.LeftButton)


def train_and_wait(qtbot, win, epochs: int, head: str | None = None) -> str:
    """Set the head and epochs in the train panel, press Start, watch the curves grow; returns the run id."""
    panel = win.train
    win.show_train()
    if head is not None:
        panel.head.setCurrentIndex(panel.head.findData(head))
    type_into(qtbot, panel.epochs, str(epochs))
    assert panel.epochs.value() == epochs
    qtbot.waitUntil(panel.start_btn.isEnabled, timeout=120000)
    with qtbot.waitSignal(panel.runEnded, timeout=TRAIN_TIMEOUT_MS) as ended:
        qtbot.mouseClick(panel.start_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.plots.point_count() > 0, timeout=TRAIN_TIMEOUT_MS)
        first = panel.plots.point_count()
        qtbot.waitUntil(lambda: panel.plots.point_count() > first or panel.status != "running",
                        timeout=TRAIN_TIMEOUT_MS)
    run_id, status = ended.args
    # with the warm worker a short run can deliver every point in one 10 Hz drain; then there is nothing to grow
    # after the first repaint, but every epoch must be on the curves
    val_points = [len(b) for (split, _, _), b in panel.plots.buffers.items() if split == "val"]
    assert panel.plots.point_count() > first or (val_points and min(val_points) == epochs), \
        "the curves grew while training"
    assert status == "finished", panel.status_label.text()
    return run_id
