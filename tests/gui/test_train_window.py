"""The main window with the training panel and runs browser: a run shows up in the browser, closing during a
training asks and stops the worker cleanly (the run stays resumable), clone loads a run into the composer."""

from __future__ import annotations

import pytest

from tests.gui.test_train_panel import small_spec
from workbench.gui.shell.mainwindow import MainWindow


@pytest.fixture
def win(qtbot, answers, tmp_path):
    w = MainWindow(theme="light", autosave=False, runs_dir=tmp_path / "runs")
    qtbot.addWidget(w)
    w.doc.replace(small_spec(epochs=40, batch=8), None)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.doc.undo_stack.setClean()


def test_close_during_training_asks_then_stops_cleanly_and_the_browser_resumes(qtbot, win, answers):
    assert win.start_training()
    qtbot.waitUntil(lambda: win.train.run_id is not None and win.train.plots.point_count() > 0, timeout=120_000)
    run_id = win.train.run_id
    qtbot.waitUntil(lambda: run_id in win.runs.runs, timeout=60_000)  # the browser polls the store
    assert win.runs.runs[run_id].status in ("running", "created")
    answers.queue = ["Cancel"]
    assert not win.close(), "Cancel keeps the window and the training"
    assert win.train.is_training()
    assert "Training in progress" in answers.asked[-1]
    answers.queue = ["Stop and Close", "Discard"]
    session = win.train.session
    assert win.close()
    assert not session.running, "the worker ended before the window closed"
    assert win.store.get(run_id).status == "cancelled"
    # a new window offers Resume for the cancelled run and trains it to the end
    other = MainWindow(theme="light", autosave=False, runs_dir=win.store.root)
    qtbot.addWidget(other)
    other.runs.wait_idle()
    other.runs.select([run_id])
    assert other.runs.resume_btn.isEnabled()
    done = max((r.epoch for r in other.store.metrics(run_id, split="val")), default=0)
    assert other.train.resume_run(run_id, epochs=done + 1)
    qtbot.waitUntil(lambda: other.train.status == "finished" and not other.train.timer.isActive(), timeout=180_000)
    assert other.store.get(run_id).status == "finished"
    other.doc.undo_stack.setClean()


def test_clone_loads_a_runs_spec_as_a_new_untitled_document(qtbot, win):
    from workbench.testing import bench_spec_text, make_fake_run

    rid = make_fake_run(win.store, "old [hps]", head="hps", spec_text=bench_spec_text(samples=700))
    win.runs.wait_idle()
    win.runs.refresh()
    win.runs.wait_idle()
    win.runs.select([rid])
    win.runs.clone_btn.click()
    assert win.doc.path is None and win.doc.is_modified()
    assert win.doc.spec.dataset.options["samples"] == 700 and rid in win.doc.spec.name
    assert win.train.head.currentData() == "hps"
