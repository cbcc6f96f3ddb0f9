"""The worker process: ``python -m workbench.jobs.server [--warm MODULE ...] [--nice N]`` (no Qt here).

It imports the ``--warm`` modules while it waits (torch and the trainer take seconds: paid once, before the
user presses Start, not after) and runs jobs one at a time on its main thread, so that
libraries that must not be imported or run from two threads at once (Qiskit's compiled core) never are.

Messages in (``workbench.jobs.protocol``): ``("run", id, "module:function", kwargs)``, ``("word", id, word)``,
``("cancel", id)``; ``None`` or a closed stdin ends the process (a running job is cancelled first).
Messages out: ``("started", id)``, ``("progress", id, dict)``, ``("yielded", id, value)``, then one of
``("returned", id, value)``, ``("errored", id, dict)``, ``("aborted", id)``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import queue
import sys
import threading
import traceback

from workbench.jobs.context import JobCancelled, JobContext
from workbench.jobs.protocol import read_message, write_message


def resolve(target: str):
    """``"package.module:function"`` -> the function (only names the GUI itself chose reach here)."""
    module, _, name = target.partition(":")
    if not module or not name:
        raise ValueError(f"job target: {target!r} is not 'module:function'")
    return getattr(importlib.import_module(module), name)


def ping(ctx, modules=()) -> int:
    """A job that imports ``modules`` and answers its process id: once it returns, that process is warm."""
    for module in modules:
        importlib.import_module(module)
    return os.getpid()


def error_payload(exc: BaseException) -> dict:
    from workbench.errors import UserError

    text = " ".join(str(exc).split())
    if not isinstance(exc, UserError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return {"type": type(exc).__name__, "message": text,
            "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}


class Server:
    def __init__(self, stdin, stdout):
        self.stdin, self.stdout = stdin, stdout
        self._out = threading.Lock()
        self.jobs: queue.Queue = queue.Queue()
        self.current: JobContext | None = None
        self._ctx_lock = threading.Lock()
        self._pending_words: dict[int, list] = {}

    def send(self, msg) -> None:
        with self._out:
            try:
                write_message(self.stdout, msg)
            except (BrokenPipeError, OSError, ValueError):
                pass  # the front end is gone; the reader sees EOF and ends the job

    def read_loop(self) -> None:
        """Reader thread: queue runs, hand words and cancels to the running job at once."""
        while True:
            try:
                msg = read_message(self.stdin)
            except (EOFError, OSError, ValueError):
                msg = None
            if msg is None:
                with self._ctx_lock:
                    if self.current is not None:
                        self.current.cancel()
                self.jobs.put(None)
                return
            kind, job_id = msg[0], msg[1]
            if kind == "run":
                self.jobs.put(msg)
                continue
            with self._ctx_lock:
                ctx = self.current if self.current is not None and self.current.job_id == job_id else None
                if ctx is None:  # the job has not started yet: keep the word for it
                    self._pending_words.setdefault(job_id, []).append(msg)
                    continue
            ctx.cancel() if kind == "cancel" else ctx.send_word(msg[2])

    def run_one(self, msg) -> None:
        _, job_id, target, kwargs = msg
        ctx = JobContext(job_id, self.send)
        with self._ctx_lock:
            self.current = ctx
            early = self._pending_words.pop(job_id, [])
        for m in early:
            ctx.cancel() if m[0] == "cancel" else ctx.send_word(m[2])
        self.send(("started", job_id))
        try:
            if ctx.cancelled:
                raise JobCancelled
            value = resolve(target)(ctx, **kwargs)
        except JobCancelled:
            self.send(("aborted", job_id))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the front end as data
            self.send(("errored", job_id, error_payload(exc)))
        else:
            self.send(("aborted", job_id) if ctx.cancelled and value is None else ("returned", job_id, value))
        finally:
            with self._ctx_lock:
                self.current = None

    def serve(self, warm: list[str] = (), grace_s: float = 0.5) -> int:
        """Run jobs until told to stop. The ``warm`` imports happen whenever no job is waiting (a job asked for
        at start-up runs first: it should not wait for imports it may not need)."""
        warm = list(warm)
        timeout = grace_s
        while True:
            try:
                msg = self.jobs.get(timeout=timeout if warm else None)
            except queue.Empty:
                module = warm.pop(0)
                try:
                    importlib.import_module(module)
                except Exception as exc:  # noqa: BLE001 - a job that needs it reports the error itself
                    print(f"warm-up: cannot import {module}: {exc}", file=sys.stderr)
                timeout = 0
                continue
            if msg is None:
                return 0
            self.run_one(msg)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workbench.jobs.server")
    p.add_argument("--warm", action="append", default=[], help="module to import before the first job")
    p.add_argument("--nice", type=int, default=5, help="lower priority by this much (the GUI comes first)")
    args = p.parse_args(argv)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the message stream
    if args.nice and hasattr(os, "nice"):
        os.nice(args.nice)
    server = Server(stdin, stdout)
    threading.Thread(target=server.read_loop, name="qmtl-job-reader", daemon=True).start()
    return server.serve(args.warm)


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.stderr.flush()
    os._exit(code)  # the reader thread blocks on stdin; a normal exit would wait for it
