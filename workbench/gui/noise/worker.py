"""The noise comparison in a worker process, for the GUI: ``python -m workbench.gui.noise.worker`` (no Qt here).

Why a process: the comparison transpiles with Qiskit and simulates with Aer and torch for seconds to a minute;
in a thread of the GUI process it competes with the GUI for the GIL, and Qiskit's circuit construction crashed
(segmentation fault in ``ParameterVector``) when a second comparison ran in a new thread of the Qt process.

Protocol (length-prefixed pickles, as the training and scaling workers): the GUI writes one job dict, then
optionally the control word "cancel"; the worker writes ``("progress", NoiseProgress)`` messages and ends with
``("done", (NoiseReport, stored files))`` or ``("error", one-line text)``. A closed stdin (the GUI went away)
cancels too. A cancelled comparison still stores and returns the backends it finished.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from workbench.gui.common.scaling_worker import read_message, write_message

FAULT_ENV = "QMTL_WORKBENCH_FAULT"  # tests: "slow-noise" makes every simulated chunk take a second longer


class ProcessNoiseComparison:
    """One comparison in its own process; ``on_message(kind, payload)`` is called from a reader thread."""

    def __init__(self, job: dict, on_message):
        self.job = job
        self.on_message = on_message
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        self._process = subprocess.Popen([sys.executable, "-m", "workbench.gui.noise.worker"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, creationflags=flags)
        write_message(self._process.stdin, self.job)
        self._reader = threading.Thread(target=self._read, name="qmtl-noise-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        proc = self._process
        ended = False
        while True:
            try:
                kind, payload = read_message(proc.stdout)
            except (EOFError, OSError, ValueError):
                break
            ended = ended or kind in ("done", "error")
            self.on_message(kind, payload)
        proc.wait()
        if not ended:
            self.on_message("error", f"the noise comparison process ended unexpectedly (exit code "
                                     f"{proc.returncode})")

    def cancel(self) -> None:
        proc = self._process
        if proc is None or proc.poll() is not None:
            return
        try:
            write_message(proc.stdin, "cancel")
        except (OSError, ValueError):
            pass

    def join(self, timeout: float | None = None) -> None:
        if self._reader is not None:
            self._reader.join(timeout)

    @property
    def running(self) -> bool:
        return self._reader is not None and self._reader.is_alive()


# ----------------------------------------------------------------------------------------------- worker
def _control_reader(stdin, token) -> None:
    while True:
        try:
            word = read_message(stdin)
        except (EOFError, OSError, ValueError):
            token.cancel()  # the GUI is gone: stop at the next chunk, keep what is done
            return
        if word == "cancel":
            token.cancel()


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the message stream
    try:
        job = read_message(stdin)
    except EOFError:
        return 0
    if hasattr(os, "nice"):
        os.nice(5)  # the GUI comes first when cores are scarce
    from workbench.analysis.noise import CancelToken
    from workbench.gui.noise.comparison import ComparisonRequest, one_line, run_comparison
    from workbench.runs import RunStore

    lock = threading.Lock()

    def send(kind, payload) -> None:
        with lock:
            try:
                write_message(stdout, (kind, payload))
            except (BrokenPipeError, OSError):
                pass

    token = CancelToken()
    threading.Thread(target=_control_reader, args=(stdin, token), daemon=True).start()
    slow = os.environ.get(FAULT_ENV) == "slow-noise"

    def progress(ev) -> None:
        send("progress", ev)
        if slow and ev.phase == "simulate":
            time.sleep(1.0)

    req = ComparisonRequest(**job["request"])
    try:
        report, stored = run_comparison(RunStore(job["root"]), req, progress, cancel=token)
    except Exception as exc:  # every failure comes back as a one-line message
        send("error", one_line(exc))
        return 1
    send("done", (report, stored))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # not sys.exit: the control reader is blocked reading stdin, and interpreter shutdown would abort

