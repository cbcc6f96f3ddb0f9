"""The training panel drives a real (tiny) training: live curves grow, pause/resume/stop, failures shown,
runs land in the store and the browser."""

from __future__ import annotations

import pytest

from workbench.gui.composer import commands as C
from workbench.gui.composer.document import ExperimentDocument
from workbench.gui.training.panel import TrainPanel
from workbench.runs import RunStore
from workbench.spec import loads
from workbench.spec.examples import small_synthetic


def small_spec(samples=200, epochs=2, batch=32):
    return small_synthetic(samples=samples, epochs=epochs, batch=batch)


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


@pytest.fixture
def panel(qtbot, store):
    doc = ExperimentDocument(small_spec())
    p = TrainPanel(doc, store)
    doc.setParent(p)
    qtbot.addWidget(p)
    p.resize(1100, 600)
    p.show()
    yield p
    p.shutdown(10)
    doc.undo_stack.setClean()  # a dirty stack emits cleanChanged while it is destroyed


def wait_status(qtbot, panel, *statuses, timeout=180_000):
    qtbot.waitUntil(lambda: panel.status in statuses and not panel.is_training() and not panel.timer.isActive(),
                    timeout=timeout)


def test_start_trains_the_document_and_curves_grow(qtbot, panel, store):
    C.set_value(panel.doc, ("name",), "edited-not-saved", "rename the experiment")  # an unsaved edit
    panel.epochs.setValue(6)
    panel.batch.setValue(2)  # 60 steps per epoch: the warm worker takes over a second, the curves grow between repaints
    panel.lr.setValue(0.02)
    panel.seed.setValue(11)
    kwargs, spec = panel.settings()
    assert spec is not panel.doc.spec and spec.training.batch_size == 2 and spec.training.lr == 0.02
    assert kwargs["head"] == "qmtl" and kwargs["seed"] == 11 and kwargs["epochs"] == 6
    assert panel.start_btn.isEnabled()
    seen = []
    panel.timer.timeout.connect(lambda: seen.append(panel.plots.point_count()))
    with qtbot.waitSignal(panel.runStarted, timeout=120_000) as started:
        assert panel.start()
    run_id = started.args[0]
    wait_status(qtbot, panel, "finished")
    grown = sorted({n for n in seen if n})
    assert len(grown) >= 2, f"the plots were repainted with growing data while training ({grown})"
    # every curve got data: train per step, validation per epoch, for both tasks
    for task in ("task_0", "task_1"):
        assert len(panel.plots.buffers[("train", task, "loss")]) == 6 * 60
        assert len(panel.plots.buffers[("val", task, "accuracy")]) == 6
        x, y = panel.plots.curves[("train", task, "loss")].getData()
        assert len(x) > 0
    assert panel.progress.value() == 1000
    info = store.get(run_id)
    assert info.status == "finished" and info.params["epochs"] == 6
    assert info.params["batch_size"] == 2 and info.params["seed"] == 11 and info.params["lr"] == 0.02
    assert info.name.startswith("edited-not-saved")
    assert loads(store.spec(run_id)[0], "toml", "x").name == "edited-not-saved"
    assert panel.start_btn.isEnabled() and not panel.stop_btn.isEnabled()


def test_pause_resume_stop_and_resume_from_store(qtbot, panel, store):
    panel.doc.spec.training.batch_size = 8  # many small steps: time to press the buttons
    panel.form.sync_from_spec(panel.doc.spec)
    panel.epochs.setValue(30)
    with qtbot.waitSignal(panel.runStarted, timeout=120_000) as started:
        panel.start()
    run_id = started.args[0]
    qtbot.waitUntil(lambda: panel.plots.point_count() > 0, timeout=120_000)
    panel.pause()
    qtbot.waitUntil(lambda: panel.status == "paused", timeout=60_000)
    assert panel.resume_btn.isEnabled() and not panel.pause_btn.isEnabled()
    qtbot.waitUntil(lambda: store.get(run_id).status == "paused", timeout=30_000)
    n = len(panel.plots.buffers[("train", "task_0", "loss")])
    qtbot.wait(400)
    assert len(panel.plots.buffers[("train", "task_0", "loss")]) == n, "no steps while paused"
    panel.resume()
    qtbot.waitUntil(lambda: panel.status == "running", timeout=60_000)
    qtbot.waitUntil(lambda: len(panel.plots.buffers[("train", "task_0", "loss")]) > n, timeout=60_000)
    qtbot.waitUntil(lambda: len(panel.plots.buffers[("val", "task_0", "loss")]) >= 1, timeout=120_000)
    with qtbot.waitSignal(panel.runEnded, timeout=120_000) as ended:
        panel.stop()
    assert ended.args == [run_id, "cancelled"]
    wait_status(qtbot, panel, "cancelled")  # the worker process has exited
    assert store.get(run_id).status == "cancelled"
    assert "resume" in panel.status_label.text()
    # resume the cancelled run for two more epochs in total than it has
    done = max(r.epoch for r in store.metrics(run_id, split="val"))
    assert panel.resume_run(run_id, epochs=done + 1)
    wait_status(qtbot, panel, "finished")
    assert store.get(run_id).status == "finished"
    assert max(r.epoch for r in store.metrics(run_id, split="val")) == done + 1


def test_a_failing_training_shows_its_error_and_keeps_the_run(qtbot, panel, store, monkeypatch):
    from workbench.gui.training.worker import ProcessTrainingSession

    # the worker's evaluation raises at the end of epoch 1
    monkeypatch.setattr(ProcessTrainingSession, "target", "tests.support.faults:train_failing_evaluation")
    messages = []
    panel.message.connect(lambda text, err: messages.append((text, err)))
    with qtbot.waitSignal(panel.runStarted, timeout=120_000) as started:
        panel.start()
    wait_status(qtbot, panel, "failed")
    assert "injected fault: evaluation failed" in panel.status_label.text()
    assert any("injected fault: evaluation failed" in t and err for t, err in messages)
    info = store.get(started.args[0])
    assert info.status == "failed" and "injected fault: evaluation failed" in info.error
    assert store.metrics(info.id) == [] or info.id  # the run and its record stay
    assert panel.start_btn.isEnabled()


def test_start_is_disabled_with_the_reason_while_the_spec_is_invalid(qtbot, panel):
    C.set_value(panel.doc, ("quantum", "qubits"), 0, "no qubits")
    assert not panel.doc.is_trainable()
    assert not panel.start_btn.isEnabled()
    assert "Cannot train yet" in panel.why.text()
    assert not panel.start()


def test_stale_events_of_another_run_are_ignored(qtbot, panel):
    from workbench.training.events import TrainEvent

    class Fake:
        running = True

        def __init__(self, events):
            self.events = events

        def drain(self):
            out, self.events = self.events, []
            return out

    panel.plots.reset(["task_0"])
    panel.session = Fake([TrainEvent("old-run", "step", 1, 1, 2, 4, {"train": {"task_0": {"loss": 1, "accuracy": 0}}}),
                          TrainEvent("new-run", "step", 1, 2, 2, 4, {"train": {"task_0": {"loss": 2, "accuracy": 1}}})])
    panel.run_id = "new-run"
    panel.tick()
    buf = panel.plots.buffers[("train", "task_0", "loss")]
    assert list(buf.y) == [2.0]
    panel.session = None
