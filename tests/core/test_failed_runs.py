"""A training that cannot start or stops with an error is kept in the run store as failed, with its reason."""

from workbench.cli import main
from workbench.runs import RunStore
from workbench.spec import dumps, load
from workbench.training import train


def test_a_run_whose_data_does_not_match_is_kept_as_failed(tmp_path, small_spec_file):
    spec = load(small_spec_file(epochs=1))
    spec.tasks[0].classes += 3  # the data has fewer classes than the spec says
    store = RunStore(tmp_path / "runs")
    try:
        train(spec, store)
    except Exception as exc:  # noqa: BLE001 - the error itself is checked below, in the store
        raised = str(exc)
    else:
        raise AssertionError("training a mismatched spec did not fail")
    (info,) = store.list_runs()
    assert info.status == "failed" and info.kind == "train"
    assert info.error == raised and "classes" in info.error and "Error:" not in info.error


def test_qmtl_runs_list_shows_the_failed_run_and_its_error(tmp_path, small_spec_file, capsys):
    spec = load(small_spec_file(epochs=1))
    spec.tasks[1].name = "not-a-task"
    bad = tmp_path / "bad.toml"
    bad.write_text(dumps(spec))
    runs = tmp_path / "runs"
    assert main(["train", str(bad), "--runs-dir", str(runs)]) == 2
    capsys.readouterr()
    assert main(["runs", "list", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    row = out.splitlines()[2]
    assert "failed" in row and "error:" in row and "not-a-task" in row


def test_a_readout_on_a_missing_wire_fails_in_plain_words(tmp_path, small_spec_file):
    from workbench.spec.model import ReadoutSpec

    spec = load(small_spec_file(epochs=1))
    spec.tasks[0].readout = ReadoutSpec(kind="expval", wires=[7])  # the circuit has fewer wires
    store = RunStore(tmp_path / "runs")
    try:
        train(spec, store)
    except Exception:  # noqa: BLE001 - what matters is what the store keeps
        pass
    (info,) = store.list_runs()
    assert info.status == "failed" and "wire 7 does not exist" in info.error and "index" not in info.error
