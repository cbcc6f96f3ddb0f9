"""The hardware path in qiskit-ibm-runtime's real local testing mode (fake backends as ``mode``), with faults
injected: failed, cancelled and timed-out jobs, reattach, and service failures. Every job id must survive."""

import threading
import time

import numpy as np
import pytest
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from tests.core.test_hardware_support import BlockingManila, FailingManila, two_qubit_task
from workbench.hardware.circuits import transpile_tasks
from workbench.hardware.errors import HardwareError
from workbench.hardware.execute import Executor, cancel_job, forget_jobs, reattach
from workbench.hardware.mitigation import Mitigation
from workbench.runs import RunStore


@pytest.fixture
def store(tmp_path):
    forget_jobs()
    s = RunStore(tmp_path / "runs")
    yield s, s.create_run(name="hw local", kind="hardware")
    forget_jobs()


def _tasks(backend, B=5):
    est, _, _ = two_qubit_task(B=B)
    smp, _, _ = two_qubit_task(B=B, observables=False)
    smp.name = "toy_probs"
    return transpile_tasks([est, smp], backend)


@pytest.mark.parametrize("mode", ["job", "batch", "session"])
def test_modes_run_estimator_and_sampler_jobs_and_record_them(store, mode):
    s, rid = store
    backend = FakeManilaV2()
    isa = _tasks(backend)
    t0 = time.perf_counter()
    with Executor(s, rid, backend, mode=mode, shots=500, seed=3,
                  mitigation=Mitigation(resilience_level=2, dd=True, zne=True)) as ex:
        res = ex.run(isa)
    wall = time.perf_counter() - t0
    assert res["toy"][0].shape == (5, 2) and np.all(np.abs(res["toy"][0]) <= 1.0 + 1e-9)
    probs = res["toy_probs"][0]
    assert probs.shape == (5, 4) and np.allclose(probs.sum(1), 1.0)
    jobs = s.jobs(rid)
    assert [j.status for j in jobs] == ["DONE", "DONE"] and {j.meta["primitive"] for j in jobs} == {"estimator",
                                                                                                     "sampler"}
    assert all(j.meta["mode"] == mode and j.meta["result_file"] for j in jobs)
    est = next(j for j in jobs if j.meta["primitive"] == "estimator")
    # the settings went to the options, and local mode's "no effect" warnings were captured, not lost
    assert est.meta["options"]["resilience_level"] == 2
    assert est.meta["options"]["dynamical_decoupling"]["enable"] is True
    ignored = " ".join(est.meta["ignored_in_local_mode"])
    assert "resilience_level" in ignored and "dynamical_decoupling" in ignored and "zne_mitigation" in ignored
    assert wall < 30


def test_job_id_is_stored_before_the_result_exists_and_cancel_keeps_it(store):
    s, rid = store
    backend = BlockingManila()
    isa = _tasks(backend)[:1]
    errors = []

    def worker():
        try:
            with Executor(s, rid, backend, shots=100) as ex:
                ex.run(isa)
        except HardwareError as exc:
            errors.append(exc)

    th = threading.Thread(target=worker)
    th.start()
    try:
        assert backend.started.wait(20)
        for _ in range(200):  # the row appears while the simulation is still blocked
            if s.jobs(rid):
                break
            time.sleep(0.02)
        (row,) = s.jobs(rid)
        assert row.status in ("QUEUED", "RUNNING") and row.pending
        msg = cancel_job(s, row.job_id)
        assert "cannot stop a simulation that already started" in msg
    finally:
        backend.release.set()
        th.join(30)
    assert errors and errors[0].status == "cancelled" and errors[0].job_id == row.job_id
    (row,) = s.jobs(rid)
    assert row.status == "CANCELLED" and "discarded" in row.meta["note"]
    assert "result_file" not in row.meta
    assert s.get(rid).status == "created"  # the run record itself is untouched


def test_failed_job_gives_a_status_line_and_keeps_the_row(store):
    s, rid = store
    backend = FailingManila()
    isa = _tasks(backend)
    with pytest.raises(HardwareError) as e:
        with Executor(s, rid, backend, shots=100) as ex:
            ex.run(isa)
    assert e.value.status == "failed" and "simulated QPU fault" in str(e.value) and "\n" not in str(e.value)
    jobs = s.jobs(rid)
    assert len(jobs) == 2 and all(j.status == "ERROR" and "simulated QPU fault" in j.meta["error"] for j in jobs)


def test_timeout_then_reattach_in_process_then_after_a_restart(store):
    s, rid = store
    backend = BlockingManila()
    isa = _tasks(backend)[:1]
    try:
        with pytest.raises(HardwareError) as e:
            with Executor(s, rid, backend, shots=200, deadline_s=0.5) as ex:
                ex.run(isa)
        assert e.value.status == "timeout" and "still RUNNING" in str(e.value)
        (row,) = s.jobs(rid)
        assert row.pending and row.meta["wait_timed_out"] and row.job_id == e.value.job_id
    finally:
        backend.release.set()
    # same process: the job object cache finds the job; the result is collected and stored
    (r,) = reattach(s, rid, deadline_s=30)
    assert r.status == "DONE" and r.source == "job cache" and r.raw["toy"].shape == (5, 2)
    (row,) = s.jobs(rid)
    assert row.status == "DONE" and (s.run_dir(rid) / row.meta["result_file"]).exists()
    # "restart": the cache is gone; the finished job's result is re-read from the stored file
    forget_jobs()
    (r2,) = reattach(s, rid)
    assert r2.source == "stored result" and np.array_equal(r2.raw["toy"], r.raw["toy"])


def test_pending_local_job_after_restart_is_reported_lost_not_left_pending(store):
    import os

    s, rid = store
    backend = BlockingManila()
    isa = _tasks(backend)[:1]
    try:
        with pytest.raises(HardwareError):
            with Executor(s, rid, backend, shots=50, deadline_s=0.3) as ex:
                ex.run(isa)
    finally:
        backend.release.set()
    (row,) = s.jobs(rid)
    # a job whose submitting process is still alive elsewhere is left alone
    s.update_job(row.job_id, row.status, {"pid": os.getppid()})
    forget_jobs()
    (r,) = reattach(s, rid)
    assert r.status == row.status and "still running in process" in r.message
    # once that process is gone (here: this process, after "restarting"), the job cannot come back
    s.update_job(row.job_id, row.status, {"pid": os.getpid()})
    (r,) = reattach(s, rid)
    assert r.status == "ERROR" and "lost" in r.message
    (row,) = s.jobs(rid)
    assert row.status == "ERROR" and not row.pending and "local testing mode job lost" in row.meta["error"]


def test_tiny_finetune_in_local_mode_spsa_and_shift(store):
    from workbench.hardware.finetune import TrainTask, finetune
    from workbench.hardware.preflight import FineTune

    s, rid = store
    backend = FakeManilaV2()
    task, X, W = two_qubit_task(B=4)
    it = transpile_tasks([task], backend)[0]
    tt = TrainTask(it, task.values, (X[:, 0] > 0).astype(int), {f"w[{i}]": i for i in range(4)})
    for method in ("spsa", "shift"):
        with Executor(s, rid, backend, shots=256, seed=1, mode="session") as ex:
            def run_step(values, k, ex=ex, method=method):
                return {n: r for n, (r, _) in ex.run([it], values, purpose=f"finetune-{method}-{k}").items()}

            res = finetune([tt], W, FineTune(method, steps=2, batch=4, lr=0.1), run_step)
        assert len(res.history) == 2 and np.all(np.isfinite(res.theta)) and not np.allclose(res.theta, W)
        assert res.bindings == 2 * 4 * (3 if method == "spsa" else 9)
    jobs = s.jobs(rid)
    assert len(jobs) == 4 and all(j.status == "DONE" for j in jobs)
    assert sum(j.meta["bindings"]["toy"] for j in jobs) == 2 * 4 * 3 + 2 * 4 * 9
