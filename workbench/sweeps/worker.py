"""One trial, run where the worker is (a local process or a Ray task): train, and return the run as data.

The worker never opens the run store. The ordinary trainer writes into a ``RecordingStore``; what comes back
is plain data (metric rows, summary, the checkpoint files as bytes), written into the store by the driver.
A failing trial comes back as an error message, not as an exception, so an executor only has to tell apart
"the trial said" from "the worker died".
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback


def run_trial(task: dict) -> dict:
    import torch

    from workbench.runs.recording import RecordingStore
    from workbench.spec import loads
    from workbench.training.trainer import Trainer

    # One thread per trial: the circuits are small, and the trials themselves fill the cores.
    torch.set_num_threads(int(task.get("threads") or 1))
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="qmtl-trial-") as scratch:
        store = RecordingStore(scratch)
        try:
            spec = loads(task["spec_text"], task.get("spec_format", "toml"), "sweep trial")
            result = Trainer(spec, store, head=task.get("head") or "qmtl", engine=task.get("engine"),
                             epochs=task.get("epochs"), seed=task.get("seed"), device=task.get("device"),
                             base_dir=task.get("base_dir"), name=task.get("name"), tags=task.get("tags")).run()
        except Exception as exc:  # the trial's own failure: reported, the worker lives on
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "pid": os.getpid(),
                    "traceback": traceback.format_exc(limit=12), "wall_time_s": time.time() - t0}
        if result.status != "finished":
            return {"ok": False, "error": f"trial {result.status}", "pid": os.getpid(),
                    "wall_time_s": time.time() - t0}
        return {"ok": True, "record": store.export(), "result": result.as_dict(), "pid": os.getpid(),
                "wall_time_s": time.time() - t0}


def serve(fd: int) -> None:
    """A local sweep worker: trials in, results out, over the socket the driver handed down as ``fd``."""
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    import workbench.training.trainer  # noqa: F401 - the heavy imports, while the driver is still handing out work

    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the driver went away
            return
        if msg is None:
            return
        key, task = msg
        try:
            out = run_trial(task)
        except BaseException as exc:  # noqa: B036 - whatever escapes is still this trial's failure
            out = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "pid": os.getpid()}
        try:
            conn.send((key, out))
        except (BrokenPipeError, OSError):
            return


if __name__ == "__main__":
    import sys

    serve(int(sys.argv[1]))
