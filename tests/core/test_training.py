"""The trainer: determinism, events, pause/resume/cancel from another thread, kill -9 and --resume."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch

from workbench.cli import main
from workbench.runs import RunStore
from workbench.spec import load
from workbench.training import EventBus, TrainControl, Trainer, load_trained

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _state(store, run_id, which="last"):
    return torch.load(store.run_dir(run_id) / f"checkpoints/{which}.pt", weights_only=True)["model"]


def test_same_seed_gives_bit_identical_runs(tmp_path, small_spec_file):
    spec = load(small_spec_file(epochs=2))
    store = RunStore(tmp_path / "runs")
    a = Trainer(spec, store).run()
    b = Trainer(spec, store).run()
    assert a.run_id != b.run_id and a.status == b.status == "finished"
    sa, sb = _state(store, a.run_id), _state(store, b.run_id)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a.test == b.test
    c = Trainer(spec, store, seed=99).run()
    sc = _state(store, c.run_id)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_events_metrics_and_summary(tmp_path, small_spec_file):
    spec = load(small_spec_file(epochs=3))
    store = RunStore(tmp_path / "runs")
    events = []
    bus = EventBus()
    bus.subscribe(events.append)
    result = Trainer(spec, store, bus=bus).run()
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and kinds[-1] == "finished"
    assert kinds.count("epoch") == 3 and kinds.count("step") == 3 * events[1].steps_per_epoch
    assert all(e.run_id == result.run_id for e in events)
    epochs = [e for e in events if e.kind == "epoch"]
    assert set(epochs[-1].metrics["val"]) == {"task_0", "task_1"}
    val = store.metrics(result.run_id, key="task_1.accuracy", split="val")
    assert [m.epoch for m in val] == [1, 2, 3]
    info = store.get(result.run_id)
    assert info.status == "finished"
    assert info.summary["head_params"] == 2 * 12  # SEL(1 layer) on 4 qubits per task
    assert 0 <= info.summary["mean_test_accuracy"] <= 1
    trained = load_trained(store, result.run_id)
    assert trained.head_kind == "qmtl" and trained.data.X_test.shape[1] == 8


def test_pause_resume_and_cancel_from_another_thread(tmp_path, small_spec_file):
    spec = load(small_spec_file(samples=600, epochs=50, batch=8))
    store = RunStore(tmp_path / "runs")
    control, bus = TrainControl(), EventBus()
    seen = []
    bus.subscribe(lambda e: seen.append(e.kind))
    trainer = Trainer(spec, store, bus=bus, control=control)
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=trainer.run()))
    thread.start()
    while "epoch" not in seen:
        time.sleep(0.01)
    control.pause()
    while "paused" not in seen:
        time.sleep(0.01)
    assert store.get(trainer.run_id).status == "paused"
    steps = seen.count("step")
    time.sleep(0.3)
    assert seen.count("step") == steps  # nothing moves while paused
    control.resume()
    while "resumed" not in seen:
        time.sleep(0.01)
    control.cancel()
    thread.join(30)
    assert not thread.is_alive()
    assert box["result"].status == "cancelled"
    assert store.get(trainer.run_id).status == "cancelled"
    assert (store.run_dir(trainer.run_id) / "checkpoints/last.pt").exists()


def test_kill_9_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path, small_spec_file):
    spec_path = small_spec_file(samples=1500, epochs=4, batch=8)
    runs = tmp_path / "runs"
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "train", str(spec_path), "--runs-dir", str(runs)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = None
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            if (runs / "runs.sqlite").exists():
                store = store or RunStore(runs)
                listed = store.list_runs()
                if listed and store.metrics(listed[0].id, split="val"):
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("the training subprocess never finished an epoch")
        time.sleep(0.3)  # well inside epoch 2
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    run_id = store.list_runs()[0].id
    assert store.get(run_id).status == "running"  # killed, not finished
    done_epochs = {m.epoch for m in store.metrics(run_id, split="val")}
    assert done_epochs and max(done_epochs) < 4
    assert main(["train", "--resume", run_id[:12], "--runs-dir", str(runs), "--json"]) == 0
    assert store.get(run_id).status == "finished"
    assert sorted({m.epoch for m in store.metrics(run_id, split="val")}) == [1, 2, 3, 4]
    assert len(store.metrics(run_id, key="task_0.accuracy", split="val")) == 4  # no epoch logged twice

    straight = Trainer(load(spec_path), store).run()
    a, b = _state(store, run_id), _state(store, straight.run_id)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_cli_json_and_bad_input(tmp_path, small_spec_file, capsys):
    spec_path = small_spec_file(epochs=1)
    assert main(["train", str(spec_path), "--runs-dir", str(tmp_path / "r"), "--json", "--head", "hps"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["head"] == "hps" and set(out["test"]) == {"task_0", "task_1"}
    assert {"run_id", "mean_test_accuracy", "head_params", "total_params", "wall_time_s"} <= set(out)
    bad = tmp_path / "bad.toml"
    bad.write_text(spec_path.read_text().replace("classes = 3", "classes = 4"))
    assert main(["train", str(bad), "--runs-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "task_1" in err[0] and "4" in err[0]
    assert main(["train", "--resume", "nope", "--runs-dir", str(tmp_path / "r")]) == 2
    assert main(["train", str(spec_path), "--engine", "warp", "--runs-dir", str(tmp_path / "r")]) == 2
    assert "warp" in capsys.readouterr().err


def test_training_session_runs_in_a_thread_and_buffers_events(tmp_path, small_spec_file):
    from workbench.training import TrainingSession

    store = RunStore(tmp_path / "runs")
    session = TrainingSession({"epochs": 2}, store, spec=load(small_spec_file(epochs=2)))
    session.start()
    session.join(120)
    events = session.drain()
    assert not session.running and session.error is None
    assert events[0].kind == "start" and events[-1].kind == "finished"
    assert session.drain() == []  # drained once
    assert session.result.status == "finished" and store.get(session.run_id).status == "finished"

    again = TrainingSession({"epochs": 3}, store, resume_run=session.run_id)
    again.start()
    again.join(120)
    assert again.result.status == "finished" and again.run_id == session.run_id
    assert sorted({m.epoch for m in store.metrics(session.run_id, split="val")}) == [1, 2, 3]

    broken = load(small_spec_file(epochs=2))
    broken.dataset.source = "no-such-source"
    failing = TrainingSession({}, store, spec=broken)
    failing.start()
    failing.join(60)
    assert failing.error is not None and failing.drain()[-1].kind == "failed"


def test_noise_aware_training_from_the_spec(tmp_path, small_spec_file):
    spec = load(small_spec_file(epochs=1))
    spec.quantum.engine = "density"
    spec.quantum.noise = "depolarizing:0.02"
    store = RunStore(tmp_path / "runs")
    result = Trainer(spec, store).run()
    assert result.status == "finished" and result.engine == "density"
    ideal = Trainer(load(small_spec_file(epochs=1)), store).run()
    # same seed, same data: only the channels differ, so the trained weights must too
    a, b = _state(store, result.run_id), _state(store, ideal.run_id)
    assert any(not torch.equal(a[k], b[k]) for k in a if k.startswith("head."))


def test_bad_noise_names_the_field(small_spec_file):
    from workbench.errors import SpecError

    text = small_spec_file(epochs=1).read_text().replace("qubits = 4", 'qubits = 4\nnoise = "depolarising:0.1"')
    with pytest.raises(SpecError) as exc:
        from workbench.spec import loads
        loads(text)
    assert "quantum.noise" in str(exc.value) and "depolarising" in str(exc.value)
