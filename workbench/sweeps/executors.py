"""Where trials run: worker processes on this machine, or Ray tasks on a cluster.

An executor takes trials (a key and a plain task dict), runs at most ``capacity`` at once and hands back
``(key, outcome)`` pairs: the worker's own answer (``run_trial``'s dict), or, when the worker died or was
cancelled, an outcome saying so (``crashed`` / ``cancelled``). Executors never touch the run store.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for
from pathlib import Path
from typing import Any

from workbench.engines.allocator import allocator_env
from workbench.errors import UserError

RAY_HINT = 'pip install "qmtl-workbench[cluster]" (or: pip install "ray[tune]>=2.40")'
EXECUTORS = ("local", "ray")


def _died(message: str) -> dict:
    return {"ok": False, "crashed": True, "error": message}


def _signal_name(exitcode: int | None) -> str:
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


# ------------------------------------------------------------------------------------------------ local
def _stderr_fd():
    """Workers print nothing on purpose; what they do print goes to stderr, never to a stdout that may carry a
    protocol (the GUI's job server talks over its stdout)."""
    try:
        os.fstat(2)
        return 2
    except OSError:
        return subprocess.DEVNULL


class _Worker:
    """A ``python -m workbench.sweeps.worker`` process talking over a socket pair.

    Not ``multiprocessing``'s spawn: that re-runs the caller's main script in every worker (a notebook, a
    script without a main guard, the GUI). The worker runs in its own session, so a Ctrl-C in the terminal
    reaches only the driver, which decides what it means for the running trials.
    """

    def __init__(self):
        import workbench

        parent, child = socket.socketpair()
        root = str(Path(workbench.__file__).resolve().parent.parent)  # the same workbench as the driver's
        env = dict(allocator_env(), OMP_NUM_THREADS="1",
                   PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "workbench.sweeps.worker", str(child.fileno())],
                                         pass_fds=(child.fileno(),), env=env, start_new_session=True,
                                         stdin=subprocess.DEVNULL, stdout=_stderr_fd())
        finally:
            child.close()
        self.conn = Connection(parent.detach())
        self.key: Any = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self.conn.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.conn.close()


class LocalExecutor:
    """Worker processes on this machine, one trial each at a time; started on demand and reused, and one
    that dies is replaced for the next trial."""

    name = "local"

    def __init__(self, max_parallel: int | None = None):
        self.capacity = max(1, max_parallel or os.cpu_count() or 1)
        self._workers: list[_Worker] = []

    def describe(self) -> dict:
        return {"executor": "local", "max_parallel": self.capacity}

    def submit(self, key: Any, task: dict) -> int:
        idle = next((w for w in self._workers if w.key is None), None)
        if idle is None:
            if len(self._workers) >= self.capacity:
                raise RuntimeError("all workers are busy")
            idle = _Worker()
            self._workers.append(idle)
        idle.conn.send((key, task))
        idle.key = key
        return idle.pid

    @property
    def running(self) -> list:
        return [w.key for w in self._workers if w.key is not None]

    def pid(self, key: Any) -> int | None:
        return next((w.pid for w in self._workers if w.key == key), None)

    def wait(self, timeout: float) -> list[tuple[Any, dict]]:
        busy = [w for w in self._workers if w.key is not None]
        if not busy:
            time.sleep(timeout)
            return []
        # A worker that dies closes its end of the socket, so its connection turns readable (at EOF).
        ready = wait_for([w.conn for w in busy], timeout)
        done = []
        for w in busy:
            if w.conn not in ready:
                continue
            try:
                key, out = w.conn.recv()
                w.key = None
                done.append((key, out))
                continue
            except (EOFError, OSError):
                pass
            try:
                w.proc.wait(5)
            except subprocess.TimeoutExpired:  # the socket broke but the process lingers: not trustworthy
                w.proc.kill()
                w.proc.wait()
            done.append((w.key, _died(f"worker process {w.pid} died ({_signal_name(w.proc.returncode)})")))
            w.conn.close()
            self._workers.remove(w)
        return done

    def cancel_all(self) -> list:
        keys = []
        for w in [w for w in self._workers if w.key is not None]:
            keys.append(w.key)
            w.kill()
            self._workers.remove(w)
        return keys

    def close(self) -> None:
        self.cancel_all()
        for w in self._workers:
            w.stop()
        self._workers.clear()


# -------------------------------------------------------------------------------------------------- ray
def import_ray():
    try:
        import ray
    except ImportError:
        raise UserError(f"--executor ray: Ray is not installed; install it with {RAY_HINT}") from None
    return ray


def parse_resources(text: str | None) -> dict[str, float]:
    """``CPU=2,GPU=0.5,memory=2e9,my_label=1`` as numbers; an empty text means one CPU per trial."""
    out: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not sep or not key or not number >= 0:
            raise UserError(f"--resources: {item.strip()!r} is not NAME=AMOUNT with AMOUNT >= 0")
        out[key] = number
    return out


class RayExecutor:
    """Each trial a Ray task; the driver starts a local Ray for the sweep when not given a cluster address."""

    name = "ray"

    def __init__(self, address: str | None = None, max_parallel: int | None = None, resources: str | None = None,
                 local_cpus: int | None = None):
        ray = self.ray = import_ray()
        from workbench.sweeps.worker import run_trial

        wanted = parse_resources(resources)
        self.num_cpus = wanted.pop("CPU", 1.0)
        num_gpus = wanted.pop("GPU", 0.0)
        memory = wanted.pop("memory", None)
        self.owns = False
        if not ray.is_initialized():
            quiet = {"log_to_driver": False, "logging_level": "ERROR"}
            try:
                if address:
                    ray.init(address=address, **quiet)
                else:
                    cpus = local_cpus or max_parallel or os.cpu_count() or 1
                    ray.init(num_cpus=cpus, include_dashboard=False, **quiet)
                    self.owns = True
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise UserError(f"--address {address or '(local)'}: cannot start or reach Ray: "
                                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        self.address = address or "local"
        options: dict[str, Any] = {"num_cpus": self.num_cpus, "max_retries": 0}
        if num_gpus:
            options["num_gpus"] = num_gpus
        if memory:
            options["memory"] = memory
        if wanted:
            options["resources"] = wanted
        self._remote = ray.remote(run_trial).options(**options)
        cluster_cpus = float(ray.cluster_resources().get("CPU", 1.0))
        fits = int(cluster_cpus // self.num_cpus) if self.num_cpus else int(cluster_cpus)
        self.capacity = max(1, max_parallel or fits)
        self._refs: dict[Any, Any] = {}  # ObjectRef -> key

    def describe(self) -> dict:
        return {"executor": "ray", "address": self.address, "max_parallel": self.capacity,
                "num_cpus": self.num_cpus}

    def submit(self, key: Any, task: dict) -> None:
        self._refs[self._remote.remote(task)] = key

    @property
    def running(self) -> list:
        return list(self._refs.values())

    def pid(self, key: Any) -> None:
        return None

    def wait(self, timeout: float) -> list[tuple[Any, dict]]:
        if not self._refs:
            time.sleep(timeout)
            return []
        ray = self.ray
        ready, _ = ray.wait(list(self._refs), num_returns=len(self._refs), timeout=timeout)
        done = []
        for ref in ready:
            key = self._refs.pop(ref)
            try:
                out = ray.get(ref)
            except ray.exceptions.TaskCancelledError:
                out = {"ok": False, "cancelled": True, "error": "cancelled"}
            except ray.exceptions.RayError as exc:
                first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
                out = _died(f"Ray worker died: {type(exc).__name__}: {first}")
            done.append((key, out))
        return done

    def cancel_all(self) -> list:
        keys = list(self._refs.values())
        for ref in list(self._refs):
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - already finished or gone: nothing left to cancel
                pass
        self._refs.clear()
        return keys

    def close(self) -> None:
        self.cancel_all()
        if self.owns:
            self.ray.shutdown()


def make_executor(name: str, *, max_parallel: int | None = None, address: str | None = None,
                  resources: str | None = None):
    if max_parallel is not None and max_parallel < 1:
        raise UserError(f"--max-parallel: must be >= 1, got {max_parallel}")
    if name == "local":
        if address or resources:
            raise UserError("--address/--resources: only for --executor ray")
        return LocalExecutor(max_parallel)
    if name == "ray":
        return RayExecutor(address=address, max_parallel=max_parallel, resources=resources)
    raise UserError(f"--executor: {name!r} is not one of {', '.join(EXECUTORS)}")
