"""Sweep axes, trial planning, the sweep records and the worker-to-driver run record (no worker processes)."""

import contextlib
import io
import sys

import pytest
import torch

from workbench.cli import main
from workbench.errors import UserError
from workbench.runs import RunStore
from workbench.runs.errors import RunStoreError
from workbench.runs.recording import RecordingStore, persist
from workbench.runs.sweeps import SweepRecords
from workbench.spec import load
from workbench.spec.examples import EXPERIMENTS, small_synthetic, small_synthetic_text
from workbench.sweeps import define_trials, open_sweep, pareto_front
from workbench.sweeps.axes import apply_point, parse_axis
from workbench.training import Trainer


def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_axis_values_lists_ranges_and_grid_points():
    assert parse_axis("head=qmtl,hps", grid=True, flag="--grid").values == ("qmtl", "hps")
    assert parse_axis("seed=0..3", grid=True, flag="--grid").values == (0, 1, 2, 3)
    lr = parse_axis("training.lr=1e-3..1e-1:3:log", grid=True, flag="--grid").values
    assert lr == pytest.approx((1e-3, 1e-2, 1e-1))
    assert parse_axis("training.lr=0.1..0.3:3", grid=True, flag="--grid").values == pytest.approx((0.1, 0.2, 0.3))
    sampled = parse_axis("training.lr=1e-3..1e-1:log", grid=False, flag="--sample")
    assert sampled.is_range and sampled.log and (sampled.low, sampled.high) == (1e-3, 1e-1)


def test_grid_times_random_draws_are_reproducible_and_inside_their_ranges():
    spec = small_synthetic(samples=120, epochs=1)
    points, tasks, axes = define_trials(spec, grid=["head=qmtl,hps"], sample=["training.lr=1e-3..1e-1:log",
                                                                              "seed=0..9"], n_random=5)
    assert len(points) == len(tasks) == 10 and [a["kind"] for a in axes] == ["grid", "sample", "sample"]
    assert all(1e-3 <= p["training.lr"] <= 1e-1 and 0 <= p["seed"] <= 9 for p in points)
    again, _, _ = define_trials(spec, grid=["head=qmtl,hps"], sample=["training.lr=1e-3..1e-1:log", "seed=0..9"],
                                n_random=5)
    assert again == points
    assert 'lr = ' in tasks[0]["spec_text"] and tasks[0]["head"] == "qmtl" and tasks[-1]["head"] == "hps"
    assert load_spec_lr(tasks[0]) == points[0]["training.lr"]


def load_spec_lr(task):
    from workbench.spec import loads

    return loads(task["spec_text"]).training.lr


def test_a_task_count_axis_takes_the_first_tasks_or_makes_synthetic_ones():
    spec = small_synthetic(samples=120, epochs=1)  # synthetic, classes [2, 3]
    four, _ = apply_point(spec, {"tasks": 4})
    assert [t.name for t in four.tasks] == ["task_0", "task_1", "task_2", "task_3"]
    assert [t.classes for t in four.tasks] == [2, 3, 2, 3] and four.dataset.options["tasks"] == 4
    one, _ = apply_point(spec, {"tasks": 1})
    assert [t.name for t in one.tasks] == ["task_0"] and one.dataset.options["classes"] == [2]
    digits = load(EXPERIMENTS / "digits-3task.toml")
    two, _ = apply_point(digits, {"tasks": 2})
    assert [t.name for t in two.tasks] == [t.name for t in digits.tasks[:2]]
    with pytest.raises(UserError, match=r"^--grid tasks=4: tasks: the spec has 3 tasks"):
        define_trials(digits, grid=["tasks=1..4"])


@pytest.mark.parametrize("axis, message", [
    ("quantum.default_block.layers=1,0", "--grid quantum.default_block.layers=0: quantum.default_block.layers"),
    ("quantum.default_blok.layers=1", "quantum.default_blok: unknown field"),
    ("head=qmtl,classical", "--grid head=classical: head: 'classical' is not one of"),
    ("seed=-1,2", "--grid seed=-1: seed: an integer >= 0"),
    ("training.lr=1e-3..1e-1:log", "needs a point count"),
    ("training.optimizer=adam,rmsprop", "--grid training.optimizer=rmsprop: training.optimizer"),
    ("epochs", "expected NAME=VALUES"),
    ("seed=3..1", "low..high"),
])
def test_a_bad_axis_is_one_line_naming_the_axis_and_value_exit_2(tmp_path, axis, message):
    spec = tmp_path / "s.toml"
    spec.write_text(small_synthetic_text(samples=120, epochs=1))
    code, out, err = _cli(["sweep", str(spec), "--grid", axis, "--runs-dir", str(tmp_path / "runs")])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "runs").exists()  # checked before anything is created or trained


def test_without_ray_the_ray_executor_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes ``import ray`` fail as on a machine without it
    spec = tmp_path / "s.toml"
    spec.write_text(small_synthetic_text(samples=120, epochs=1))
    code, _, err = _cli(["sweep", str(spec), "--grid", "seed=0..1", "--executor", "ray",
                         "--runs-dir", str(tmp_path / "runs")])
    assert code == 2 and err.count("\n") == 1 and 'pip install "qmtl-workbench[cluster]"' in err, err


def test_the_same_trials_resume_the_same_sweep_record(tmp_path):
    store = RunStore(tmp_path)
    spec = small_synthetic(samples=120, epochs=1)
    points, tasks, axes = define_trials(spec, grid=["head=qmtl,hps", "seed=0..1"])
    sid, resumed = open_sweep(store, spec, points, tasks, axes=axes)
    assert not resumed and len(SweepRecords(store).trials(sid)) == 4
    assert open_sweep(store, spec, points, tasks, axes=axes) == (sid, True)
    other = open_sweep(store, spec, points[:2], tasks[:2], axes=axes)
    assert other[0] != sid and not other[1]
    assert open_sweep(store, spec, points, tasks, axes=axes, fresh=True)[0] not in (sid, other[0])
    records = SweepRecords(store)
    assert records.resolve(sid[len("sweep-"):]) == sid
    records.update_trial(sid, 1, status="running", add_attempt=True)
    records.update_trial(sid, 1, status="failed", error="boom")
    t = records.trials(sid)[1]
    assert (t.status, t.attempts, t.errors) == ("failed", 1, ["boom"])
    with pytest.raises(RunStoreError):
        records.update_trial(sid, 1, status="exploded")


def test_a_recorded_run_persisted_by_the_driver_equals_a_run_trained_into_the_store(tmp_path):
    """The worker path (trainer -> RecordingStore -> plain record -> persist) stores what training directly does."""
    torch.set_num_threads(1)
    spec = small_synthetic(samples=120, epochs=2)
    direct_store = RunStore(tmp_path / "direct")
    direct = Trainer(spec, direct_store, head="qmtl", seed=3, tags=["x"]).run()

    rec = RecordingStore(tmp_path / "scratch")
    recorded = Trainer(spec, rec, head="qmtl", seed=3, tags=["x"]).run()
    record = rec.export()
    assert set(record["files"]) == {"checkpoints/last.pt", "checkpoints/best.pt"}
    store = RunStore(tmp_path / "driver")
    run_id = persist(store, record, tags=["sweep-x"], params={"sweep_trial": 0})

    a, b = direct_store.get(direct.run_id), store.get(run_id)
    assert b.status == "finished" and b.tags == ["sweep-x", "x"] and b.params["sweep_trial"] == 0
    assert {k: v for k, v in b.params.items() if k != "sweep_trial"} == a.params
    assert b.summary["test"] == a.summary["test"] == recorded.test == direct.test
    rows = lambda s, r: [(m.step, m.epoch, m.split, m.key, m.value) for m in s.metrics(r)]  # noqa: E731
    assert rows(store, run_id) == rows(direct_store, direct.run_id)
    ck = torch.load(store.run_dir(run_id) / "checkpoints" / "best.pt", weights_only=True)
    ref = torch.load(direct_store.run_dir(direct.run_id) / "checkpoints" / "best.pt", weights_only=True)
    assert ck["model"].keys() == ref["model"].keys()
    assert all(torch.equal(ck["model"][k], ref["model"][k]) for k in ref["model"])


def test_persist_refuses_files_outside_the_run_folder(tmp_path):
    store = RunStore(tmp_path)
    record = {"create": {"name": "x"}, "files": {"../evil.pt": b"x"}, "status": "finished"}
    with pytest.raises(RunStoreError, match="outside its run folder"):
        persist(store, record)
    assert store.list_runs() == []


def test_pareto_front_keeps_the_undominated_trials():
    rows = [{"trial": 0, "head_params": 24, "mean_test_accuracy": 0.70},
            {"trial": 1, "head_params": 25, "mean_test_accuracy": 0.80},
            {"trial": 2, "head_params": 30, "mean_test_accuracy": 0.75},  # more params, less accurate than 1
            {"trial": 3, "head_params": 24, "mean_test_accuracy": 0.65},  # as many params as 0, less accurate
            {"trial": 4, "head_params": 60, "mean_test_accuracy": 0.90},
            {"trial": 5, "head_params": None, "mean_test_accuracy": None}]  # unfinished
    assert [r["trial"] for r in pareto_front(rows)] == [0, 1, 4]


def test_after_a_driver_died_a_stored_run_is_adopted_and_running_trials_run_again(tmp_path):
    """The driver stored trial 0's run but died before linking it, with trial 1 still running: the next
    driver adopts the run and trains only trial 1 (here: nothing is trained, it is only handed out)."""
    from workbench.sweeps.engine import _recover
    from workbench.sweeps.worker import run_trial

    store = RunStore(tmp_path)
    spec = small_synthetic(samples=120, epochs=1)
    points, tasks, axes = define_trials(spec, grid=["seed=0..1"])
    sid, _ = open_sweep(store, spec, points, tasks, axes=axes)
    records = SweepRecords(store)
    for idx in (0, 1):
        records.update_trial(sid, idx, status="running", add_attempt=True)
    out = run_trial(tasks[0])  # the worker's answer, in this process
    assert out["ok"], out.get("error")
    run_id = persist(store, out["record"], tags=[sid], params={"sweep": sid, "sweep_trial": 0})
    half = store.create_run(name="half-stored", tags=[sid], params={"sweep_trial": 1})  # died mid-persist

    _recover(records, store, sid)
    t0, t1 = records.trials(sid)
    assert (t0.status, t0.run_id) == ("finished", run_id)
    assert t1.status == "pending" and t1.run_id is None
    assert store.get(half).status == "failed" and "stopped before" in store.get(half).error
