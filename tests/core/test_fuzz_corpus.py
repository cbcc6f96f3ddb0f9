"""The hostile corpus (``tests/corpus``: specs and the data files they read, by category) through ``params``,
``train --epochs 1`` and ``export``: every run exits with code 2 and one stderr line, no traceback, in bounded
time and memory (the runner caps its address space, so a runaway allocation fails instead of swapping)."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import workbench

REPO = Path(workbench.__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus" / "spec"
MEMORY_CAP = 6 * 2**30  # address space of the runner: torch and Qiskit reserve a lot of virtual memory
MAX_SECONDS = 20.0  # one hostile input, one command
MAX_RSS_GROWTH = 512 * 2**20  # new peak resident memory a hostile input may cause


def corpus_files() -> list[Path]:
    return sorted(CORPUS.iterdir())


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    runs = tmp_path_factory.mktemp("corpus-runs")
    env = dict(os.environ, PYTHONPATH=str(REPO), QMTL_LOG_DIR=str(runs / "logs"), QMTL_MEMORY_LIMIT="4G")
    files = [str(p) for p in corpus_files()]
    proc = subprocess.run([sys.executable, "-m", "tests.corpus.runner", str(MEMORY_CAP), str(runs), *files],
                          env=env, capture_output=True, text=True, timeout=900, cwd=CORPUS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def test_corpus_has_every_category():
    categories = Counter(p.name.split("-")[0] for p in corpus_files())
    assert set(categories) >= {"numbers", "sizes", "names", "expressions", "structure", "dataset", "training",
                               "encoding", "data"}
    assert sum(categories.values()) >= 80


def reads_data(result) -> bool:
    """Data files are read by training only: params and export of such a spec never open them."""
    return result["file"].startswith(("data-", "dataset-csv-")) and result["command"] != "train"


def test_every_hostile_input_is_one_line_and_exit_2(results):
    assert len(results) == 3 * len(corpus_files())
    bad = []
    for r in results:
        lines = r["stderr"].strip().splitlines()
        if reads_data(r):
            if r["code"] != 0 or r["stderr"].strip():
                bad.append((r["file"], r["command"], r["code"], r["stderr"][-300:]))
            continue
        ok = r["code"] == 2 and len(lines) == 1 and "Traceback" not in r["stderr"] and len(lines[0]) <= 700 \
            and "\x1b" not in r["stderr"] and "\u202e" not in r["stderr"] and "\x00" not in r["stderr"]
        if not ok:
            bad.append((r["file"], r["command"], r["code"], r["stderr"][-300:]))
    assert not bad, "\n".join(map(str, bad))


def test_every_hostile_input_is_quick_and_small(results):
    slow = [(r["file"], r["command"], r["seconds"]) for r in results if r["seconds"] > MAX_SECONDS]
    big = [(r["file"], r["command"], r["rss_growth"]) for r in results if r["rss_growth"] > MAX_RSS_GROWTH]
    assert not slow and not big, (slow, big)


def test_no_code_ran():
    assert not Path("/tmp/qmtl-corpus-marker").exists()
