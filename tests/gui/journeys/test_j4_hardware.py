"""Journey J4: a trained run goes to hardware in local testing mode, driven with the mouse and keyboard through
the real main window: pick the run in the runs browser, open the Hardware tab, pick a fake device, set shots
and test samples, pre-flight, confirm in the real question box, watch the job monitor, read the result; the
application stays up. Ends with a screenshot (saved in the test's tmp dir) checked for what it shows."""

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox, QTabBar

from tests.core.test_hardware_support import SPEC
from workbench.runs import RunStore

T = 240_000  # ms: worker processes start slowly on a busy 2-core machine; everything waits on the GUI's state


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from workbench.spec import loads
    from workbench.training import train

    root = tmp_path_factory.mktemp("j4")
    store = RunStore(root / "runs")
    return store, train(loads(SPEC, "toml", "j4"), store, base_dir=root).run_id


@pytest.fixture
def window(qtbot, trained, tmp_path, monkeypatch):
    from workbench.gui.shell.mainwindow import MainWindow

    monkeypatch.setenv("QMTL_CONFIG_DIR", str(tmp_path / "config"))  # no IBM account: local testing mode
    store, _ = trained
    w = MainWindow(theme="light", autosave=False, runs_dir=store.root)
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.doc.undo_stack.setClean()


def click_tab(qtbot, window, title: str) -> None:
    for bar in window.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.tabText(i) == title and bar.isVisible():
                qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(i).center())
                return
    raise AssertionError(f"no visible tab {title!r}")


def click_row(qtbot, table, row: int) -> None:
    index = table.model().index(row, 0)
    table.scrollTo(index)
    rect = table.visualRect(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def type_into(qtbot, spin, text: str) -> None:
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Tab)


def test_j4_hardware_in_local_testing_mode(qtbot, window, trained, tmp_path):
    store, rid = trained
    runs = window.runs
    # 1. the run, picked with the mouse in the runs browser
    click_tab(qtbot, window, "Runs")
    qtbot.waitUntil(lambda: runs.proxy.rowCount() > 0, timeout=T)
    row = next(r for r in range(runs.proxy.rowCount()) if runs.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 1)
               == rid)
    click_row(qtbot, runs.table, row)
    qtbot.waitUntil(lambda: runs.selected_ids() == [rid], timeout=T)
    # 2. the Hardware tab: local testing mode without an account, the run shown, fake devices listed
    click_tab(qtbot, window, "Hardware")
    dock = window.findChild(type(window.runs_dock), "hardwareDock")
    qtbot.waitUntil(lambda: hasattr(dock.widget(), "backend_table"), timeout=T)
    panel = dock.widget()
    assert panel.run_id == rid and panel.local and rid in panel.header.text()
    qtbot.waitUntil(lambda: panel.backend_table.rowCount() > 0, timeout=T)
    names = [panel.backend_table.item(i, 0).text() for i in range(panel.backend_table.rowCount())]
    click_row(qtbot, panel.backend_table, names.index("fake_manila"))
    assert panel.selected_backend() == "fake_manila"
    type_into(qtbot, panel.samples, "4")
    type_into(qtbot, panel.shots, "100")
    assert (panel.samples.value(), panel.shots.value()) == (4, 100)
    # 3. pre-flight, then the real confirmation box: its text shows the estimate; Submit is clicked
    asked = []

    def answer():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.windowTitle() == "Submit to hardware" and not asked:
            asked.append(box.text())
            button = next(b for b in box.buttons() if b.text() == "Submit")
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    watcher = QTimer()
    watcher.timeout.connect(answer)
    watcher.start(50)
    before = {j.job_id for j in store.jobs(rid)}
    assert panel.submit_button.isEnabled()
    qtbot.mouseClick(panel.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(asked), timeout=T)
    assert "fake_manila" in asked[0] and "QPU time" in asked[0] and "local testing mode" in asked[0]
    # 4. the job monitor shows the new jobs; the run ends with its accuracy in the status line
    qtbot.waitUntil(lambda: "accuracy" in panel.status.text() or "⚠" in panel.status.text(), timeout=T)
    watcher.stop()
    assert "⚠" not in panel.status.text(), panel.status.text()
    assert f"run {rid} on fake_manila: finished" in panel.status.text()
    new = [j for j in store.jobs(rid) if j.job_id not in before]
    assert new and all(j.status == "DONE" for j in new)
    qtbot.waitUntil(lambda: all((panel.job_row(j.job_id) or {}).get("Status") == "done" for j in new), timeout=T)
    assert all(panel.job_row(j.job_id)["Run"] == rid for j in new)
    summary = store.get(rid).summary["hardware"]["fake_manila"]
    assert summary["status"] == "finished" and summary["accuracy"]
    assert all(0.0 <= m["accuracy"] <= 1.0 for m in summary["accuracy"].values())
    assert panel.submit_button.isEnabled() and panel.submit_button.text() == "Pre-flight and submit…"
    # 5. the application is alive: the GUI answers, other tabs still work
    click_tab(qtbot, window, "Runs")
    qtbot.waitUntil(lambda: runs.isVisible(), timeout=T)
    click_tab(qtbot, window, "Hardware")
    qtbot.waitUntil(lambda: panel.isVisible(), timeout=T)
    # 6. the screenshot: saved, the window's size, and it shows the monitor's rows in the job table's place
    path = tmp_path / "j4-hardware.png"
    assert window.grab().save(str(path))
    image = QImage(str(path))
    assert not image.isNull() and image.width() == window.width() * image.devicePixelRatio()
    table = panel.job_table
    top_left = table.viewport().mapTo(window, QPoint(0, 0))
    first = table.visualRect(table.model().index(0, 0))
    y = top_left.y() + first.center().y()
    colours = {image.pixel(x, y) for x in range(top_left.x(), top_left.x() + table.viewport().width(), 2)}
    assert len(colours) > 3, "the job table's first row is drawn (text on it, not an empty band)"
