"""J6: the first window on a 1280x800 or 1366x768 laptop (and a high-DPI screen) fits, keeps every dock
usable, gives the canvas at least 40% of the width, and Reset Layout / Fit Circuit / the theme switch work."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QToolButton


def _screen(name):
    for s in QApplication.screens():
        if s.name() == name:
            return s
    pytest.skip(f"no offscreen screen {name} (run with QT_QPA_PLATFORM=offscreen: tests/gui/screens.json)")


def _check_fits(win, screen):
    avail = screen.availableGeometry()
    assert avail.contains(win.frameGeometry()), (win.frameGeometry(), avail)
    for dock in win._all_docks():
        if dock.isVisible() and not dock.isFloating() and dock.widget().isVisible():
            assert dock.widget().geometry().width() >= dock.widget().minimumWidth(), dock.objectName()
    assert win.palette_dock.width() >= 150 and win.inspector_dock.width() >= 250
    assert win.view.width() >= 0.4 * win.width(), (win.view.width(), win.width())
    ext = win.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert ext is None or not ext.isVisible(), "the toolbar overflows"
    text = win.status_valid
    assert text.width() >= min(text.sizeHint().width(), text.maximumWidth()) - 2


@pytest.mark.parametrize("screen_name", ["laptop-1280x800", "laptop-1366x768", "hidpi-1440x900@2"])
def test_first_window_fits_the_laptop_screen(qtbot, answers, tmp_path, shot, screen_name):
    from workbench.gui.shell.mainwindow import MainWindow

    screen = _screen(screen_name)
    win = MainWindow(theme="light", autosave=False, runs_dir=tmp_path / "runs")
    qtbot.addWidget(win)
    win.fit_to_screen(screen)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.view.width() >= 0.4 * win.width(), timeout=10000)
    _check_fits(win, screen)

    # Reset Layout after squeezing the side docks: palette and inspector come back readable.
    win.resizeDocks([win.palette_dock, win.inspector_dock], [40, 40], Qt.Orientation.Horizontal)
    win.act_reset_layout.trigger()
    qtbot.waitUntil(lambda: win.palette_dock.width() >= 150 and win.inspector_dock.width() >= 250, timeout=10000)
    _check_fits(win, screen)

    # Fit Circuit (Ctrl+9): the whole circuit shows, and it fills the view in one direction.
    win.view.set_zoom(0.3)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=10000)
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
    rect = win.view.mapFromScene(win.scene.sceneRect()).boundingRect()
    vp = win.view.viewport().rect()
    assert rect.width() >= 0.9 * vp.width() or rect.height() >= 0.9 * vp.height() or win.view.zoom == 1.5
    assert win.view.zoom > 0.3

    # The toolbar's theme switch goes both ways and does not move the toolbar's buttons.
    start = win.toolbar.widgetForAction(win.act_start).geometry()
    switch = win.toolbar.widgetForAction(win.act_toggle_theme)
    qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    assert win.theme.dark and win.act_toggle_theme.isChecked()
    qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    assert not win.theme.dark and not win.act_toggle_theme.isChecked()
    for _ in range(3):  # a few edits: the undo button's text (and the toolbar) stay put
        win.experiment.add_btn.click()
    assert win.toolbar.widgetForAction(win.act_start).geometry() == start
    assert win.act_undo.text() == "&Undo" and "Add task" in win.act_undo.toolTip()

    image = shot(win, f"j6-{screen_name}")
    assert image.width() >= win.width() and image.height() >= win.height()
    # the canvas part of the picture shows the circuit (not one flat colour)
    top_left = win.view.mapTo(win, win.view.rect().topLeft())
    colours = {image.pixel(top_left.x() + x, top_left.y() + y)
               for x in range(10, win.view.width() - 10, 37) for y in range(10, win.view.height() - 10, 23)}
    assert len(colours) > 5
    win.doc.undo_stack.setClean()
