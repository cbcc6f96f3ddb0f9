"""The torch engine on CUDA gives the CPU engine's outputs and gradients (runs where a GPU is present).

Standalone on a GPU machine without the rest of the stack:
``python3 -m pytest -q -p no:cacheprovider --noconftest tests/core/test_cuda_engine.py``
(this file needs only torch, numpy and the core; tests/core/conftest.py is not needed).
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from workbench.analysis.bench_gpu import check

ROOT = Path(__file__).resolve().parents[2]
NO_CUDA = f"no CUDA device: torch {torch.__version__} reports torch.cuda.is_available() == False"


@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
@pytest.mark.parametrize("precision", ["complex64", "complex128"])
def test_cuda_engine_matches_cpu_engine(precision):
    rows = check("cuda", precisions=(precision,))
    assert len(rows) == 12  # 3 programs x 2 backward paths x 2 batch sizes
    bad = [r for r in rows if not r["ok"]]
    assert not bad, "\n".join(f"{r['program']} {r['backward']} batch {r['batch']}: {r['max_abs_diff']:.2e}"
                              for r in bad)


BLOCKED = ("pennylane", "qiskit", "qiskit_aer", "qiskit_ibm_runtime", "PySide6", "pyqtgraph", "tomli_w", "psutil",
           "sklearn", "scipy", "pandas", "jax", "matplotlib")


def test_gpu_check_and_bench_need_only_torch_and_numpy(tmp_path):
    """What a bare GPU machine has: the check and the benchmark run with the quantum, ML-data and GUI stacks
    blocked (on the CPU here when there is no GPU)."""
    code = textwrap.dedent(f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {BLOCKED!r}:
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        from workbench.analysis import bench_gpu
        dev = "cuda" if bench_gpu.torch.cuda.is_available() else "cpu"
        rows = bench_gpu.check(dev, batches=(3,), precisions=("complex64",))
        assert rows and all(r["ok"] for r in rows), rows
        assert bench_gpu.benchmark(dev, batches=(4,), precisions=("complex64",))
        print(bench_gpu.main(["--skip-check", "--batches", "4", "--json", sys.argv[1]]))
    """)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "gpu.json")], cwd=ROOT,
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("0")
    assert (tmp_path / "gpu.json").read_text().startswith("{")


def test_gpu_bench_refuses_a_bad_batch_list(capsys):
    from workbench.analysis.bench_gpu import main

    assert main(["--batches", "32,abc"]) == 2
    assert "--batches" in capsys.readouterr().err
