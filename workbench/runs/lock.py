"""One process at a time trains a run: an advisory lock on the run folder's ``.lock`` file.

``flock`` is released by the kernel when its process dies, kill -9 included, so a crashed trainer never leaves a
stale lock behind; the file holds the owner's process id for the message the second process gets.
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench.runs.errors import RunStoreError

LOCK_NAME = ".lock"


class RunLock:
    """``with RunLock(run_dir, run_id):`` holds the run or raises RunStoreError naming the holder."""

    def __init__(self, run_dir: Path, run_id: str, what: str = "resumed"):
        self.path = Path(run_dir) / LOCK_NAME
        self.run_id = run_id
        self.what = what
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        try:
            import fcntl
        except ImportError:  # no flock on this platform: no protection, but nothing breaks
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)  # a recorded (sweep worker's) run has no folder yet
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pid, _, what = os.read(fd, 64).decode("ascii", "replace").strip().partition(" ")
            os.close(fd)
            raise RunStoreError(f"run {self.run_id} is being {what or 'trained'} by process {pid or '?'}; wait for "
                                "it to end (or stop it) and try again") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {self.what}\n".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
