"""The allocator settings for simulating processes: merged into a child's environment, set in the engine's own
process, and what they are for: no page faults per training step."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench.engines import allocator

ROOT = Path(__file__).resolve().parents[2]
GLIBC = allocator._glibc()
needs_glibc = pytest.mark.skipif(not GLIBC, reason="glibc's allocator settings apply to Linux with glibc only")


@needs_glibc
def test_a_childs_environment_gets_the_tunables_and_keeps_the_users(monkeypatch):
    monkeypatch.delenv("QMTL_MALLOC", raising=False)
    env = allocator.allocator_env({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0:glibc.malloc.tcache_count=0"})
    parts = env["GLIBC_TUNABLES"].split(":")
    assert "glibc.malloc.hugetlb=0" in parts and "glibc.malloc.tcache_count=0" in parts  # the user's, kept
    assert f"glibc.malloc.mmap_threshold={allocator.MMAP_THRESHOLD}" in parts
    assert not any(p.startswith("glibc.malloc.hugetlb=1") for p in parts)


def test_qmtl_malloc_system_leaves_the_environment_alone(monkeypatch):
    monkeypatch.setenv("QMTL_MALLOC", "system")
    assert allocator.allocator_env({"A": "1"}) == {"A": "1"}
    assert not allocator.enabled()


@needs_glibc
def test_a_job_process_of_the_app_starts_with_them():
    """The GUI's job processes, sweep workers and benchmark workers are started with ``allocator_env``."""
    code = "import os; print(os.environ.get('GLIBC_TUNABLES'))"
    env = {k: v for k, v in os.environ.items() if k not in ("GLIBC_TUNABLES", "QMTL_MALLOC")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=allocator.allocator_env(env))
    assert "glibc.malloc.hugetlb=1" in out.stdout


_FAULTS = textwrap.dedent("""
    import resource, torch
    torch.set_num_threads(1)
    from workbench.analysis.bench_peers import build_ours, _program
    step, _ = build_ours(_program(8, 3), 512, "complex64")
    for _ in range(40):  # the heap grows to the step's size (glibc settles its free lists over a few dozen steps)
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        step()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
""")


@needs_glibc
def test_the_settings_remove_the_page_faults_of_a_step():
    """The measurable reason for the settings: a steady training step at batch 512 page-faults its temporaries
    back in with glibc's defaults, and does not once the engine has tuned the process."""
    faults = {}
    for mode in ("system", "workbench"):
        env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
        env.update(QMTL_MALLOC=mode, PYTHONPATH=str(ROOT))
        out = subprocess.run([sys.executable, "-c", _FAULTS], capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, out.stderr[-2000:]
        faults[mode] = float(out.stdout.strip().splitlines()[-1])
    assert faults["system"] > 100, faults  # what the settings are for: thousands a step without them
    assert faults["workbench"] < faults["system"] / 5, faults
