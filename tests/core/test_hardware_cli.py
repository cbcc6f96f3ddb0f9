"""``qmtl hardware`` end to end on a small trained QMTL run in local testing mode (FakeManilaV2), the QMTL
runner's fault paths, and the check that the account token never reaches the store, run files, logs or output."""

import json
import logging

import numpy as np
import pytest

from tests.core.test_hardware_support import SPEC, BlockingManila, FailingManila
from workbench.cli import main
from workbench.hardware.execute import forget_jobs
from workbench.runs import RunStore

TOKEN = "QmtlCliKey-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"  # 44 characters


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from workbench.spec import loads
    from workbench.training import Trainer

    root = tmp_path_factory.mktemp("hw")
    store = RunStore(root / "runs")
    result = Trainer(loads(SPEC, "toml", "test"), store, base_dir=root).run()
    return store, result.run_id


@pytest.fixture
def env(tmp_path, monkeypatch):
    import workbench.commands.hardware as hw

    monkeypatch.setenv("QMTL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setattr(hw, "SERVICE_FACTORY", None)
    forget_jobs()
    yield tmp_path
    forget_jobs()


def cli(capsys, store, *argv):
    code = main(["hardware", "--runs-dir", str(store.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_backends_local_json(capsys, env):
    code = main(["hardware", "backends", "--local", "--json"])
    out, _ = capsys.readouterr()
    data = {b["name"]: b for b in json.loads(out)}
    assert code == 0 and data["fake_manila"]["num_qubits"] == 5 and data["fake_manila"]["pending_jobs"] == 0


def test_no_account_means_local_mode_and_says_so(capsys, env):
    code = main(["hardware", "backends", "--min-qubits", "100"])
    out, err = capsys.readouterr()
    assert code == 0 and "no IBM Quantum account set: using local testing mode" in err
    assert "local testing mode" in out and "fake_manila" not in out and "fake_torino" in out


def test_preflight_json_is_sane(capsys, env, trained):
    store, rid = trained
    code, out, err = cli(capsys, store, "preflight", rid, "--backend", "fake_manila", "--local", "--samples", "6",
                         "--shots", "300", "--json", "--finetune", "spsa", "--steps", "3", "--batch", "2")
    assert code == 0, err
    pf = json.loads(out)
    assert [t["primitive"] for t in pf["tasks"]] == ["estimator", "sampler"]
    for t in pf["tasks"]:
        assert t["isa_two_qubit"] >= t["logical_two_qubit"] > 0 and t["bindings"] == 6
    assert pf["total_shots"] == 12 * 300 and pf["jobs"] == 2 and pf["qpu_s"] > 0
    assert pf["finetune"]["bindings_per_step"] == 2 * 3 * 2 and pf["finetune"]["bindings"] == 36
    assert store.jobs(rid) == []  # nothing submitted


def test_run_refuses_without_yes_when_there_is_no_terminal(capsys, env, trained):
    store, rid = trained
    before = len(store.jobs(rid))
    code, out, err = cli(capsys, store, "run", rid, "--backend", "fake_manila", "--local", "--samples", "4")
    assert code == 2 and "--yes: no terminal to confirm on" in err and "pre-flight:" in out
    assert len(store.jobs(rid)) == before


@pytest.mark.parametrize("args, field", [
    (["--shots", "0"], "--shots: must be 1..1000000, got 0"),
    (["--resilience-level", "5"], "--resilience-level: must be 0, 1 or 2, got 5"),
    (["--samples", "0"], "--samples: must be >= 1, got 0"),
    (["--dd-sequence", "ZZ"], "--dd-sequence: unknown sequence 'ZZ'"),
    (["--backend", "fake_nowhere"], "--backend: no fake backend 'fake_nowhere'"),
    (["--timeout", "-1"], "--timeout: must be > 0 seconds, got -1.0"),
    (["--finetune", "spsa", "--steps", "0"], "--steps: must be 1..10000, got 0"),
])
def test_bad_run_inputs_are_one_line_errors(capsys, env, trained, args, field):
    store, rid = trained
    argv = ["run", rid, "--backend", "fake_manila", "--local", "--yes", *args]
    code, out, err = cli(capsys, store, *argv)
    assert code == 2 and field in err and err.count("\n") == 1, err


def test_run_stores_per_task_hardware_accuracy_and_jobs(capsys, env, trained):
    store, rid = trained
    code, out, err = cli(capsys, store, "run", rid, "--backend", "FakeManilaV2", "--local", "--samples", "12",
                         "--shots", "400", "--yes", "--seed", "5", "--resilience-level", "1", "--dd", "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert rep["status"] == "finished" and set(rep["accuracy"]) == {"parity", "kind"}
    assert any("no effect in local testing mode" in w for w in rep["ignored_in_local_mode"])
    summary = store.get(rid).summary["hardware"]["fake_manila"]
    assert summary["status"] == "finished" and summary["accuracy"]["kind"]["accuracy"] == rep["accuracy"]["kind"][
        "accuracy"]
    rows = {m.key: m.value for m in store.metrics(rid, split="hardware:fake_manila")}
    assert {"parity.accuracy", "kind.accuracy", "mean_accuracy"} <= set(rows)
    assert 0.0 <= rows["mean_accuracy"] <= 1.0
    jobs = [j for j in store.jobs(rid) if j.job_id in rep["jobs"]]
    assert len(jobs) == 2 and all(j.status == "DONE" and j.meta["purpose"] == "evaluate" for j in jobs)
    assert {j.meta["primitive"] for j in jobs} == {"estimator", "sampler"}
    # the job list, and a reattach that re-reads stored results
    code, out, _ = cli(capsys, store, "jobs", rid, "--reattach", "--local")
    assert code == 0 and all(j.job_id in out for j in jobs) and "stored result" in out
    code, out, _ = cli(capsys, store, "cancel", jobs[0].job_id, "--local")
    assert code == 0 and "already DONE" in out
    code, _, err = cli(capsys, store, "cancel", "no-such-job", "--local")
    assert code == 2 and "JOB: no job 'no-such-job'" in err


def test_finetune_then_evaluate_via_cli(capsys, env, trained):
    store, rid = trained
    code, out, err = cli(capsys, store, "run", rid, "--backend", "fake_manila", "--local", "--samples", "6",
                         "--shots", "200", "--yes", "--finetune", "spsa", "--steps", "2", "--batch", "3",
                         "--mode", "session", "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert rep["finetune"]["method"] == "spsa" and len(rep["finetune"]["history"]) == 2
    assert rep["finetune"]["bindings"] == 2 * 2 * 3 * 3
    assert (store.run_dir(rid) / rep["finetune"]["weights_file"]).exists()
    purposes = [j.meta["purpose"] for j in store.jobs(rid) if j.job_id in rep["jobs"]]
    assert purposes.count("evaluate") == 2 and sum(p.startswith("finetune-spsa") for p in purposes) == 4
    assert len(store.metrics(rid, split="hardware:fake_manila:finetune", key="loss")) >= 2


def test_runner_failure_and_timeout_keep_every_job_and_reattach_scores(env, trained):
    from workbench.hardware.errors import HardwareError
    from workbench.hardware.qmtl import HardwareSettings, execute_plan, make_plan, reattach_run
    from workbench.hardware.service import connect

    store, rid = trained
    provider = connect(local=True)
    # a device fault: status 'failed', recorded in the summary with the job ids
    plan = make_plan(store, rid, provider, HardwareSettings("fake_manila", samples=4, shots=100),
                     backend=FailingManila())
    with pytest.raises(HardwareError) as e:
        execute_plan(store, plan)
    assert e.value.status == "failed"
    entry = store.get(rid).summary["hardware"]["fake_manila"]
    assert entry["status"] == "failed" and "simulated QPU fault" in entry["error"] and len(entry["jobs"]) == 2
    assert all(j.status == "ERROR" for j in store.jobs(rid) if j.job_id in entry["jobs"])
    # a timeout: job ids kept as pending; reattach (same process) collects and scores them into the run
    backend = BlockingManila()
    plan = make_plan(store, rid, provider, HardwareSettings("fake_manila", samples=5, shots=100, deadline_s=0.5),
                     backend=backend)
    try:
        with pytest.raises(HardwareError) as e:
            execute_plan(store, plan)
        assert e.value.status == "timeout"
        entry = store.get(rid).summary["hardware"]["fake_manila"]
        assert entry["status"] == "timeout" and len(entry["jobs"]) == 2
        assert all(j.pending for j in store.jobs(rid) if j.job_id in entry["jobs"])
    finally:
        backend.release.set()
    out = reattach_run(store, rid, deadline_s=30)
    assert sum(r.status == "DONE" and r.source == "job cache" for r in out) == 2
    entry = store.get(rid).summary["hardware"]["fake_manila"]
    assert entry["status"] == "finished" and set(entry["accuracy"]) == {"parity", "kind"}
    assert all(j.status == "DONE" for j in store.jobs(rid) if j.job_id in entry["jobs"])


def test_token_never_reaches_store_files_logs_or_output(capsys, caplog, env, trained, monkeypatch):
    import io
    import sys

    import workbench.commands.hardware as hw

    store, rid = trained
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(sys, "stdin", io.StringIO(TOKEN + "\n"))
    code, out, err = cli(capsys, store, "account", "set", "--instance", "my-instance")
    assert code == 0 and ("OS keyring" in out or "mode 0600" in out)
    code, out, err = cli(capsys, store, "account", "show")
    assert code == 0 and "hidden" in out

    class RemoteLike:
        """Stands in for a reachable IBM service: holds the account (as QiskitRuntimeService does) and hands out
        fake backends, whose jobs then run in local testing mode."""

        def __init__(self, account):
            self._account = account

        def backend(self, name):
            from workbench.hardware.service import connect

            return connect(local=True).backend(name)

    monkeypatch.setattr(hw, "SERVICE_FACTORY", RemoteLike)
    code, out, err = cli(capsys, store, "run", rid, "--backend", "fake_manila", "--samples", "4", "--shots", "100",
                         "--yes")
    assert code == 0, err
    assert all(not j.meta["local"] for j in store.jobs(rid)[-2:])  # it went through the account's service
    # the real service with this token: fails offline (or is refused), as a status line without the token
    monkeypatch.setattr(hw, "SERVICE_FACTORY", None)
    code, out2, err2 = cli(capsys, store, "preflight", rid, "--backend", "ibm_torino")
    assert code == 2 and err2.startswith("qmtl hardware: error: ") and err2.count("\n") == 1
    # exports and listings of the run
    texts = [out, err, out2, err2, caplog.text]
    for argv in (["runs", "--runs-dir", str(store.root), "show", rid, "--json"],
                 ["runs", "--runs-dir", str(store.root), "export", rid],
                 ["hardware", "--runs-dir", str(store.root), "jobs", "--json", "--local"]):
        assert main(argv) == 0
        texts.extend(capsys.readouterr())
    assert all(TOKEN not in t for t in texts)
    # every byte under the runs folder: the SQLite database with its WAL, result files, checkpoints
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".npz") for p in files) and any(p.name == "runs.sqlite" for p in files)
    for p in files:
        assert TOKEN.encode() not in p.read_bytes(), p
    code, out, _ = cli(capsys, store, "account", "delete")
    assert code == 0 and "removed" in out
    assert np.isfinite(store.get(rid).summary["hardware"]["fake_manila"]["mean_accuracy"])


def test_hardware_core_imports_without_qt():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, workbench.hardware.qmtl, workbench.hardware.account, workbench.commands.hardware;"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken6', 'workbench.gui'))];"
            "print(bad); sys.exit(1 if bad else 0)")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
