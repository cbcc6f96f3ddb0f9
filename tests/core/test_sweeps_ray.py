"""The Ray executor against a local Ray started here (two CPUs, no dashboard): the CLI's 8-trial sweep, a trial
that raises and a Ray worker killed (-9) mid-trial."""

import contextlib
import csv
import io
import json
import os
import signal
import threading
import time

import psutil
import pytest

from tests.support.sweep_data import synthetic_csv_spec
from workbench.cli import main
from workbench.runs import RunStore
from workbench.spec.examples import small_synthetic_text
from workbench.sweeps import RayExecutor, define_trials, open_sweep, run_sweep

ray = pytest.importorskip("ray", reason="Ray comes with the cluster extra, which the test extra includes")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def test_cli_sweep_on_ray_finishes_8_trials_tagged_with_the_sweep(tmp_path, local_ray):
    spec = tmp_path / "small.toml"
    spec.write_text(small_synthetic_text(samples=120, epochs=1))
    runs = str(tmp_path / "runs")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["sweep", str(spec), "--grid", "head=qmtl,hps", "--grid", "seed=0..3", "--executor", "ray",
                     "--json", "--runs-dir", runs])
    assert code == 0, err.getvalue()
    result = json.loads(out.getvalue())
    assert result["executor"]["executor"] == "ray" and result["complete"]
    assert len(result["trials"]) == 8 and {t["status"] for t in result["trials"]} == {"finished"}
    assert {(t["head"], t["seed"]) for t in result["trials"]} == {(h, s) for h in ("qmtl", "hps") for s in range(4)}
    tagged = RunStore(runs).list_runs(tag=result["sweep"])
    assert len(tagged) == 8 and all(r.status == "finished" for r in tagged)
    assert ray.is_initialized()  # a Ray the sweep did not start is left running

    # the results: runs list shows the tag, show/export/list read the sweep back
    code, text, _ = _cli(["runs", "--runs-dir", runs, "list"])
    assert code == 0 and text.count(result["sweep"]) == 8
    code, text, _ = _cli(["sweep", "show", result["sweep"][len("sweep-"):], "--pareto", "--json", "--runs-dir", runs])
    front = json.loads(text)["trials"]
    assert code == 0 and front and len(front) <= 8
    accs = {t["trial"]: (t["head_params"], t["mean_test_accuracy"]) for t in result["trials"]}
    for f in front:  # nothing beats a front trial on both parameters and accuracy
        assert not any(p <= f["head_params"] and a > f["mean_test_accuracy"] for p, a in accs.values())
    code, text, _ = _cli(["sweep", "export", result["sweep"], "--format", "csv", "--runs-dir", runs])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert code == 0 and len(rows) == 8 and {"head", "seed", "task_0.accuracy", "head_params"} <= set(rows[0])
    assert [float(r["mean_test_accuracy"]) for r in rows] == [t["mean_test_accuracy"] for t in result["trials"]]
    code, text, _ = _cli(["sweep", "list", "--runs-dir", runs])
    assert code == 0 and result["sweep"] in text and "8/8" in text


def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _kill_ray_trial_worker(killed: list, deadline_s: float = 120) -> None:
    """Kill -9 the Ray worker process while it executes run_trial (Ray titles it ``ray::run_trial``)."""
    me = os.getpid()
    end = time.time() + deadline_s
    while time.time() < end and not killed:
        for p in psutil.process_iter(["pid", "cmdline"]):
            try:
                if " ".join(p.info["cmdline"] or []).startswith("ray::run_trial") and \
                        any(a.pid == me for a in p.parents()):  # this test's Ray, not another one on the machine
                    os.kill(p.info["pid"], signal.SIGKILL)
                    killed.append(p.info["pid"])
                    return
            except psutil.Error:
                continue
        time.sleep(0.05)


def test_ray_trial_that_raises_and_a_killed_ray_worker(tmp_path, local_ray):
    store = RunStore(tmp_path / "store")
    # trial 0 trains for seconds (time to find and kill its worker); trial 1's data file is not there
    spec, axis = synthetic_csv_spec(tmp_path, samples=300, epochs=100)
    points, tasks, axes = define_trials(spec, grid=[axis])
    sid, _ = open_sweep(store, spec, points, tasks, axes=axes)
    executor = RayExecutor(max_parallel=1)  # one at a time, so the worker killed is trial 0's
    killed: list[int] = []
    killer = None

    def on_event(ev):
        nonlocal killer
        if ev.kind == "started" and ev.idx == 0 and killer is None:
            killer = threading.Thread(target=_kill_ray_trial_worker, args=(killed,), daemon=True)
            killer.start()

    try:
        out = run_sweep(store, sid, executor, on_event=on_event)
    finally:
        executor.close()
    killer.join(5)
    t0, t1 = out.trials
    assert killed, "no ray::run_trial process was seen"
    assert t0.status == "finished" and t0.attempts == 2 and len(t0.errors) == 1
    assert t0.errors[0].startswith("Ray worker died:"), t0.errors
    assert t1.status == "failed" and t1.attempts == 2
    assert t1.errors == [f"DataError: csv: file not found: {tmp_path / 'missing.csv'}"] * 2
    assert [r.id for r in store.list_runs(tag=sid)] == [t0.run_id]
