"""A run folder is data: a planted pickle in any file a command reads from it is refused, never run.

Every command that reads a run (train --resume, export, noise, hardware preflight) is pointed at a copy of a
trained run whose checkpoint (last.pt or best.pt) holds an object whose unpickling would create a marker file.
Each must exit with code 2 and one line on stderr, and the marker must never appear.
"""

import contextlib
import io
import pickle
import shutil
import zipfile

import numpy as np
import pytest
import torch

from workbench.cli import main
from workbench.runs import RunStore
from workbench.spec.examples import small_synthetic


class Payload:
    """Unpickling this runs ``exec``: it creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)


def torch_zip_payload(marker) -> bytes:
    buf = io.BytesIO()
    torch.save({"model": {}, "epoch": Payload(marker)}, buf)
    return buf.getvalue()


def raw_pickle_payload(marker) -> bytes:
    return pickle.dumps({"model": Payload(marker)})


PAYLOADS = {"torch-zip": torch_zip_payload, "raw-pickle": raw_pickle_payload}


@pytest.fixture(scope="module")
def trained_root(tmp_path_factory):
    from workbench.training import Trainer

    root = tmp_path_factory.mktemp("dataonly") / "runs"
    store = RunStore(root)
    spec = small_synthetic(samples=120, epochs=2, batch=32)
    result = Trainer(spec, store).run()
    return root, result.run_id


@pytest.fixture
def run_copy(trained_root, tmp_path):
    root, run_id = trained_root
    dest = tmp_path / "runs"
    shutil.copytree(root, dest)
    return dest, run_id


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_the_payloads_do_run_when_unpickled_unsafely(tmp_path, payload):
    # the guard of this file: the planted files really are code, so the refusals below mean something
    marker = tmp_path / "marker"
    data = PAYLOADS[payload](marker)
    with contextlib.suppress(RuntimeError):  # the raw pickle runs first, then fails torch's magic-number check
        torch.load(io.BytesIO(data), weights_only=False)
    assert marker.exists()


COMMANDS = {
    "resume": lambda root, rid: ["train", "--resume", rid, "--runs-dir", str(root)],
    "export": lambda root, rid: ["export", rid, "--format", "pennylane", "--runs-dir", str(root)],
    "noise": lambda root, rid: ["noise", rid, "--backends", "ideal", "--limit", "4", "--no-store",
                                "--runs-dir", str(root)],
    "preflight": lambda root, rid: ["hardware", "--runs-dir", str(root), "preflight", rid, "--backend",
                                    "fake_manila", "--local", "--samples", "4"],
}


@pytest.mark.parametrize("which", ["last.pt", "best.pt"])
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_planted_checkpoint_is_refused_with_one_line(run_copy, tmp_path, capsys, monkeypatch, command, payload,
                                                     which):
    root, run_id = run_copy
    monkeypatch.setenv("QMTL_CONFIG_DIR", str(tmp_path / "config"))
    store = RunStore(root)
    ckdir = store.run_dir(run_id) / "checkpoints"
    marker = tmp_path / "marker"
    (ckdir / which).write_bytes(PAYLOADS[payload](marker))
    if command == "resume":
        # an unfinished run resumes without --epochs: last.pt first, then best.pt for the final test
        store.set_status(run_id, "cancelled")
    if which == "last.pt":
        (ckdir / "best.pt").unlink()  # readers prefer best.pt; without it they read last.pt
    capsys.readouterr()
    code = main(COMMANDS[command](root, run_id))
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "not a plain-data checkpoint" in err and which in err
    assert not marker.exists()


def test_damaged_checkpoint_is_one_line(run_copy, capsys):
    root, run_id = run_copy
    ckdir = RunStore(root).run_dir(run_id) / "checkpoints"
    (ckdir / "best.pt").write_bytes((ckdir / "best.pt").read_bytes()[:200])
    code = main(["export", run_id, "--format", "qasm3", "--runs-dir", str(root)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "best.pt" in err


def test_pickled_hardware_result_is_refused(run_copy, tmp_path):
    from workbench.errors import UserError
    from workbench.hardware.execute import load_result

    root, run_id = run_copy
    store = RunStore(root)
    marker = tmp_path / "marker"
    rel = "hardware/evil.npz"
    path = store.run_dir(run_id) / rel
    path.parent.mkdir(parents=True)
    np.savez(path, raw__t=np.array([Payload(marker)], dtype=object))
    with zipfile.ZipFile(path) as z:  # the array really is a pickle inside the npz
        assert b"exec" in z.read("raw__t.npy")
    with pytest.raises(UserError, match="not a readable result file"):
        load_result(store, run_id, rel)
    assert not marker.exists()


def test_pickles_in_the_json_records_are_data_to_the_rebuild(run_copy, tmp_path, capsys):
    # run.json and provenance.json are read when the index is rebuilt: as JSON, so a pickle there is just junk
    root, run_id = run_copy
    marker = tmp_path / "marker"
    run_dir = RunStore(root).run_dir(run_id)
    for name in ("run.json", "provenance.json"):
        (run_dir / name).write_bytes(raw_pickle_payload(marker))
    for p in root.glob("runs.sqlite*"):
        p.unlink()
    code = main(["runs", "--runs-dir", str(root), "list", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and run_id in out
    assert not marker.exists()
