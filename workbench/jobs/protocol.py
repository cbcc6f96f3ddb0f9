"""Length-prefixed pickles over a pipe: the framing between the GUI and its own worker processes (both ends are
this package; nothing from outside is ever unpickled)."""

from __future__ import annotations

import pickle
import struct

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
