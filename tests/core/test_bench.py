"""``qmtl bench``: a worker process measures a real engine; the summary names the best peer per batch and
precision; an engine that cannot run says why."""

from workbench.analysis.bench import _best_peers, run_job, run_side_by_side
from workbench.engines.allocator import allocator_env


def test_worker_measures_our_engine_in_its_own_process():
    rows = run_job({"engine": "ours", "precision": "complex128", "batches": [2, 4], "n": 3, "tasks": 2, "reps": 2,
                    "min_seconds": 0.0}, threads=1)
    assert [r["batch"] for r in rows] == [2, 4]
    for r in rows:
        assert r["status"] == "ok", r
        assert r["threads"] == 1 and r["samples_per_s"] > 0 and r["step_ms"] >= r["min_step_ms"] > 0
        assert r["allocator"] == allocator_env().get("GLIBC_TUNABLES")  # what every engine's process gets


def test_a_peer_runs_with_the_same_allocator_settings_as_ours():
    rows = run_job({"engine": "pl-torch", "precision": "complex128", "batches": [2], "n": 3, "tasks": 1,
                    "reps": 1, "min_seconds": 0.0}, threads=1)
    assert rows[0]["status"] == "ok", rows
    assert rows[0]["allocator"] == allocator_env().get("GLIBC_TUNABLES")


def test_default_qubit_single_precision_is_reported_unavailable_for_every_batch():
    rows = run_job({"engine": "pl-torch", "precision": "complex64", "batches": [2, 4], "n": 3, "tasks": 1,
                    "reps": 1, "min_seconds": 0.0}, threads=1)
    assert [r["status"] for r in rows] == ["unavailable", "unavailable"]
    assert "complex128" in rows[0]["reason"]


def test_engines_are_timed_side_by_side_in_alternating_windows():
    """Each engine in its own process, timed in one window per round; an engine that cannot run (default.qubit in
    single precision) or does not exist says why, and the others are still timed."""
    rows = run_side_by_side(("ours", "pl-torch", "no-such-engine"), "complex128", 4, rounds=3, window_s=0.05,
                            threads=1, n=3, tasks=2)
    by = {r["engine"]: r for r in rows}
    for engine in ("ours", "pl-torch"):
        r = by[engine]
        assert r["status"] == "ok", r
        assert len(r["window_step_ms"]) == 3 and r["reps"] >= 3 and r["warmup_s"] > 0 and r["peak_mib"] >= 0
        assert min(r["window_step_ms"]) >= r["min_step_ms"] - 1e-9
    assert by["no-such-engine"]["status"] == "error" and "no-such-engine" in by["no-such-engine"]["reason"]
    comparison = _best_peers(rows)[0]
    assert comparison["best_peer"] == "pl-torch"
    lo, hi = comparison["ratio_by_window_range"]
    assert lo <= comparison["ratio_by_window"] <= hi
    single = run_side_by_side(("ours", "pl-torch"), "complex64", 4, rounds=2, window_s=0.01, threads=1, n=3, tasks=1)
    assert [r["status"] for r in single] == ["ok", "unavailable"]
    assert len(single[0]["window_step_ms"]) == 2


def _row(engine, precision, batch, rate, status="ok"):
    return {"engine": engine, "precision": precision, "batch": batch, "status": status, "samples_per_s": rate,
            "best_samples_per_s": rate * 1.5, "samples_per_cpu_s": rate * 2}


def test_best_peer_is_the_fastest_peer_that_ran_at_the_same_precision():
    rows = [_row("ours", "complex64", 32, 1000), _row("pl-jax", "complex64", 32, 400),
            _row("lightning", "complex64", 32, 20), _row("pl-torch", "complex64", 32, 0, "unavailable"),
            _row("ours", "complex128", 32, 600), _row("pl-jax", "complex128", 32, 300),
            _row("pl-torch", "complex128", 32, 500)]
    by = {c["precision"]: c for c in _best_peers(rows)}
    assert by["complex64"]["best_peer"] == "pl-jax" and by["complex64"]["ratio_vs_best_peer"] == 2.5
    assert by["complex64"]["ratio_of_cpu_time"] == 2.5
    assert by["complex128"]["best_peer"] == "pl-torch"
    assert abs(by["complex128"]["ratio_vs_best_peer"] - 1.2) < 1e-12 and by["complex128"]["met"] is False


def test_thread_policy_one_thread_for_small_work_more_for_large(monkeypatch):
    from workbench.engines import threads

    monkeypatch.delenv("QMTL_THREADS", raising=False)
    monkeypatch.setattr(threads, "cpu_count", lambda: 4)
    assert threads.threads_for(8, 1024) == 1
    assert threads.threads_for(20, 64) == 4
    assert threads.threads_for(8, 1024, density=True) > 1
    monkeypatch.setenv("QMTL_THREADS", "3")
    assert threads.threads_for(8, 32) == 3
    assert threads.processes_for(10) == 4 and threads.processes_for(1) == 1
    env = threads.thread_env(1)
    assert env["OMP_NUM_THREADS"] == "1" and "intra_op_parallelism_threads=1" in env["XLA_FLAGS"]


def test_thread_scope_restores_the_previous_count():
    import torch

    from workbench.engines.threads import thread_scope

    before = torch.get_num_threads()
    with thread_scope(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_train_bench_times_our_engine_on_the_demo():
    from workbench.analysis.bench_train import measure

    row = measure("ours", 2)
    assert row["status"] == "ok" and row["epochs_timed"] == 2 and row["steps_per_epoch"] > 1
    assert row["epoch_s"] > 0 and row["final_loss"] == row["final_loss"]  # a number, not NaN
