"""Runs every corpus spec through ``params``, ``train --epochs 1`` and ``export`` in this one process, under a
memory cap, and prints one JSON line per run: code, stderr, seconds, peak RSS growth. The test reads them."""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

COMMANDS = {
    "params": lambda spec, runs: ["params", spec, "--tasks", "1-3"],
    "train": lambda spec, runs: ["train", spec, "--epochs", "1", "--runs-dir", runs],
    "export": lambda spec, runs: ["export", spec, "--format", "qasm3"],
}


def main() -> None:
    cap = int(sys.argv[1])
    runs = sys.argv[2]
    files = sys.argv[3:]
    # a runaway allocation fails fast here (as MemoryError, which the test counts as a failure)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from workbench.cli import main as qmtl

    for path in files:
        for command, argv in COMMANDS.items():
            err = io.StringIO()
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t0 = time.perf_counter()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                try:
                    code = qmtl(argv(path, runs))
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
            seconds = time.perf_counter() - t0
            grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024
            print(json.dumps({"file": Path(path).name, "command": command, "code": code, "stderr": err.getvalue(),
                              "seconds": round(seconds, 3), "rss_growth": grew}), flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
