"""Training in a worker process, for the GUI: ``ProcessTrainingSession`` has ``TrainingSession``'s interface
(start, pause, resume, stop, drain, run_id, running, result, error) but runs the core ``Trainer`` in
``python -m workbench.gui.training.worker`` (no Qt here).

Why a process: a training thread in the GUI process competes with the GUI thread for the GIL. Measured with
``bench_training`` on 2 cores, the GUI thread stalled 100-150 ms at a time while a small run trained and the
run itself took 3x longer, because every Qt call that releases the GIL hands it to the trainer for a full
switch interval. In a process, the GUI keeps its interpreter to itself.

Protocol (length-prefixed pickles, as the scaling worker): the GUI writes one job dict, then control words
("pause", "resume", "cancel"); the worker writes ``("event", TrainEvent)`` messages and ends with
``("result", dict)`` or ``("error", text)``. A closed stdin (the GUI went away) cancels the run, which keeps it
resumable from its last epoch checkpoint.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field

from workbench.gui.common.scaling_worker import read_message, write_message

FAULT_ENV = "QMTL_WORKBENCH_FAULT"  # tests: "evaluate" makes the end-of-epoch evaluation raise


@dataclass
class ProcessResult:
    status: str
    data: dict = field(default_factory=dict)


class ProcessTrainingSession:
    def __init__(self, trainer_kwargs: dict, store, spec=None, resume_run: str | None = None,
                 threads: int | None = None):
        from workbench.spec import dumps

        self.store = store
        self.job = {"kwargs": dict(trainer_kwargs), "root": str(store.root), "threads": threads,
                    "spec": dumps(spec) if spec is not None else None, "resume": None}
        self._run_id: str | None = None
        self.tasks: list[str] = [t.name for t in spec.tasks] if spec is not None else []
        if resume_run is not None:
            from workbench.spec import loads

            rid = store.resolve(resume_run)
            text, fmt = store.spec(rid)
            self.tasks = [t.name for t in loads(text, fmt, f"run {rid}").tasks]
            self.job["resume"] = rid
            self._run_id = rid
        self._events: deque = deque()
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self.result: ProcessResult | None = None
        self.error: BaseException | None = None

    # -- front-end side
    def start(self) -> None:
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        self._process = subprocess.Popen([sys.executable, "-m", "workbench.gui.training.worker"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, creationflags=flags)
        write_message(self._process.stdin, self.job)
        self._reader = threading.Thread(target=self._read, name="qmtl-train-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        proc = self._process
        while True:
            try:
                kind, payload = read_message(proc.stdout)
            except (EOFError, OSError, ValueError):
                break
            if kind == "event":
                with self._lock:
                    if self._run_id is None and payload.run_id:
                        self._run_id = payload.run_id
                    self._events.append(payload)
            elif kind == "result":
                self.result = ProcessResult(payload.get("status", "finished"), payload)
            elif kind == "error":
                self.error = RuntimeError(payload)
        proc.wait()
        if self.result is None and self.error is None:
            self.error = RuntimeError(f"the training process ended unexpectedly (exit code {proc.returncode})")
            from workbench.training.events import TrainEvent

            with self._lock:
                self._events.append(TrainEvent(self._run_id or "", "failed", message=str(self.error)))

    def drain(self) -> list:
        with self._lock:
            out = list(self._events)
            self._events.clear()
        return out

    @property
    def run_id(self) -> str | None:
        return self._run_id

    @property
    def running(self) -> bool:
        return self._reader is not None and self._reader.is_alive()

    def _send(self, word: str) -> None:
        proc = self._process
        if proc is None or proc.poll() is not None:
            return
        try:
            write_message(proc.stdin, word)
        except (OSError, ValueError):
            pass

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def stop(self, wait: float | None = None) -> None:
        """Cancel between steps; the run stays resumable from its last epoch checkpoint."""
        self._send("cancel")
        if wait is not None:
            self.join(wait)

    def join(self, timeout: float | None = None) -> None:
        if self._reader is not None:
            self._reader.join(timeout)

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()


# ----------------------------------------------------------------------------------------------- worker
def _control_reader(stdin, control) -> None:
    while True:
        try:
            word = read_message(stdin)
        except (EOFError, OSError, ValueError):
            control.cancel()  # the GUI is gone: stop cleanly, resumable
            return
        if word == "pause":
            control.pause()
        elif word == "resume":
            control.resume()
        elif word == "cancel":
            control.cancel()


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the message stream
    try:
        job = read_message(stdin)
    except EOFError:
        return 0
    if hasattr(os, "nice") and job.get("nice", 5):
        os.nice(job.get("nice", 5))  # the GUI comes first when cores are scarce; the run loses little
    import torch

    if job.get("threads"):
        torch.set_num_threads(int(job["threads"]))
    from workbench.runs import RunStore
    from workbench.spec import loads
    from workbench.training import trainer as trainer_mod
    from workbench.training.control import TrainControl
    from workbench.training.events import EventBus, TrainEvent
    from workbench.training.session import TrainingSession

    if os.environ.get(FAULT_ENV) == "evaluate":
        def boom(*_a, **_k):
            raise RuntimeError("injected fault: evaluation failed")

        trainer_mod.evaluate = boom
    out_lock = threading.Lock()

    def send(kind, payload) -> None:
        with out_lock:
            try:
                write_message(stdout, (kind, payload))
            except (BrokenPipeError, OSError):
                pass

    store = RunStore(job["root"])
    spec = loads(job["spec"], "toml", "the workbench") if job.get("spec") else None
    control = TrainControl()
    threading.Thread(target=_control_reader, args=(stdin, control), daemon=True).start()
    bus = EventBus()
    bus.subscribe(lambda ev: send("event", ev))
    run_id = None
    try:
        if job.get("resume"):
            session = TrainingSession(job["kwargs"], store, resume_run=job["resume"])
            trainer = session.trainer
        else:
            trainer = trainer_mod.Trainer(spec, store, **job["kwargs"])
        trainer.bus, trainer.control = bus, control
        result = trainer.run()
        run_id = result.run_id
        send("result", {"status": result.status, "run_id": result.run_id, **result.as_dict()})
    except BaseException as exc:  # the GUI shows it; the run keeps its data (status failed in the store)
        text = f"{type(exc).__name__}: {exc}"
        run_id = getattr(locals().get("trainer"), "run_id", None) or run_id
        send("event", TrainEvent(run_id or "", "failed", message=text))
        send("error", text)
        return 1
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.stderr.flush()
    os._exit(code)  # the control reader blocks on stdin; a normal exit would wait for it at shutdown
