"""The scaling study's worker process: ``python -m workbench.gui.common.scaling_worker`` (no Qt here).

``scaling_table`` builds torch heads for every T (about 70 ms for the demo, seconds to tens of seconds for
16 qubits and 200 gates), so it runs in its own process at low priority: the GUI thread never waits for
it or competes with it for the GIL. Messages are length-prefixed pickles on stdin/stdout:
``(client, revision, spec)`` in, ``(client, revision, rows, error)`` out; ``None`` ends the worker.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys

SCALING_TASKS = range(1, 13)
_HEADER = struct.Struct("!Q")


def write_message(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_message(stream):
    """The next message, or raise EOFError when the other side is gone."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 - only ever our own process on the other end


def rows_for(spec) -> list[tuple[int, int, int, int]]:
    """(T, d, classical params, quantum params) for T = 1..12 from ``workbench.analysis.scaling``."""
    from workbench.analysis.scaling import scaling_table

    return [(r.T, r.d, r.classical_params, r.quantum_params) for r in scaling_table(spec, tasks=SCALING_TASKS)]


def answer(spec) -> tuple[list | None, str | None]:
    try:
        return rows_for(spec), None
    except ImportError as exc:
        return None, f"workbench.analysis.scaling is not installed ({exc})"
    except Exception as exc:  # noqa: BLE001 - the study refuses this spec: the GUI says why
        return None, str(exc) or type(exc).__name__


def main() -> int:
    if hasattr(os, "nice"):
        os.nice(10)  # the editor comes first
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the message stream
    while True:
        try:
            item = read_message(stdin)
        except EOFError:
            return 0
        if item is None:
            return 0
        client, revision, spec = item
        rows, error = answer(spec)
        try:
            write_message(stdout, (client, revision, rows, error))
        except (BrokenPipeError, OSError):  # the workbench is gone
            return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
