"""The training memory estimate: refuses with the figure and the limit, follows --memory-limit, and is not below
what a real training step takes (measured in a fresh process)."""

import json

import pytest

from workbench.analysis.memory_probe import measure
from workbench.cli import main
from workbench.errors import SpecError
from workbench.spec import dumps, loads
from workbench.spec.examples import small_synthetic
from workbench.spec.memory import human_bytes, parse_size, set_memory_limit, spec_training_bytes


@pytest.fixture(autouse=True)
def reset_limit():
    yield
    set_memory_limit(None)


def big(qubits=20, batch=32):
    spec = small_synthetic()
    spec.quantum.qubits, spec.training.batch_size = qubits, batch
    return spec


def test_a_spec_that_does_not_fit_is_refused_with_the_figure_and_the_limit():
    set_memory_limit(8 * 2**30)
    need, _ = spec_training_bytes(big())
    with pytest.raises(SpecError) as exc:
        loads(dumps(big()))
    assert exc.value.path == "quantum.qubits"
    assert human_bytes(need) in str(exc.value) and "8.0 GiB" in str(exc.value) and "--memory-limit" in str(exc.value)


def test_memory_limit_option_moves_the_limit(tmp_path, capsys):
    path = tmp_path / "big.toml"
    spec = big(qubits=16, batch=64)
    need, _ = spec_training_bytes(spec)
    set_memory_limit(need * 2)
    path.write_text(dumps(spec))
    set_memory_limit(None)
    code = main(["train", str(path), "--memory-limit", "64M", "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2 and "the memory limit is 64.0 MiB" in err and err.count("\n") == 1
    assert not [p for p in (tmp_path / "runs").glob("*") if p.is_dir()]  # refused before any run was created


@pytest.mark.parametrize("text, value", [("8G", 8 * 2**30), ("512M", 512 * 2**20), ("1.5GiB", int(1.5 * 2**30))])
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "lots", "1e9", "-1G", "1K", "99999999999T"])
def test_parse_size_refuses(text):
    with pytest.raises(Exception, match="--memory-limit"):
        parse_size(text)


def test_estimate_is_not_below_a_measured_training_step():
    r = measure(12, 32)
    assert "error" not in r, r
    assert r["estimate"] >= r["measured"], json.dumps(r)
