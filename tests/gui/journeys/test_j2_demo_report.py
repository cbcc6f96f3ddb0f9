"""J2: the demo trained with the QMTL head and the classical HPS head (one epoch each), overlaid in the runs
browser, and a report written whose headline compares them."""

from PySide6.QtCore import Qt

from tests.gui.journeys.journey import open_window, train_and_wait
from workbench.gui.common import messages
from workbench.gui.report.report import ReportPreview


def test_demo_with_qmtl_and_hps_and_a_report(qtbot, tmp_path, monkeypatch, answers, shot):
    win = open_window(qtbot, tmp_path)
    assert win.doc.spec.name and [t.name for t in win.doc.spec.tasks] == ["digit", "parity", "ge5"]
    qmtl_run = train_and_wait(qtbot, win, epochs=1, head="qmtl")
    hps_run = train_and_wait(qtbot, win, epochs=1, head="hps")

    qtbot.keyClick(win, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # Runs Browser
    browser = win.runs
    qtbot.waitUntil(lambda: {qmtl_run, hps_run} <= set(browser.runs), timeout=60000)
    browser.select([qmtl_run, hps_run])
    qtbot.waitUntil(lambda: len(browser.plot.line_items()) == 2, timeout=60000)  # overlaid

    out = tmp_path / "report.html"
    monkeypatch.setattr(messages, "save_path", lambda *a, **k: str(out))
    qtbot.mouseClick(browser.report_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(out.exists, timeout=120000)
    html = out.read_text()
    head = html[html.index("<h2>Headline</h2>"):]
    q, c = win.store.get(qmtl_run).summary, win.store.get(hps_run).summary
    assert f"QMTL reaches a mean test accuracy of <b>{q['mean_test_accuracy']:.3f}</b>" in head
    assert f"classical HPS head ({c['mean_test_accuracy']:.3f})" in head
    assert f"<b>{q['head_params']}</b> head parameters against {c['head_params']}" in head
    qtbot.waitUntil(lambda: any(p.isVisible() for p in win.findChildren(ReportPreview)), timeout=30000)
    preview = next(p for p in win.findChildren(ReportPreview) if p.isVisible())
    assert "Headline" in preview.view.toPlainText() and "QMTL reaches" in preview.view.toPlainText()
    shot(preview, "j2-report")
    shot(win, "j2-overlay")
    preview.close()
    win.doc.undo_stack.setClean()
