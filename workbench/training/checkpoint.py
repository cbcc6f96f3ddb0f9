"""Checkpoints are data: tensors, numbers and strings, never code.

Run folders travel between colleagues, so a checkpoint is read with ``torch.load(weights_only=True)``: torch's
restricted unpickler refuses any object but tensors, plain containers and numbers, and a file that tries to
build something else (a planted ``__reduce__``) is refused with one line instead of running it.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch

from workbench.errors import UserError
from workbench.textsafe import first_line


def save_checkpoint(obj: dict, path: Path) -> None:
    """Write to a temporary file and rename: a kill never leaves half a checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path, run_id: str) -> dict:
    """The checkpoint's dict, loaded as plain data; anything else is a one-line UserError naming the file."""
    where = f"run {run_id}: {path.parent.name}/{path.name}"
    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol of files it then refuses
            warnings.simplefilter("ignore")
            ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError (refused object), RuntimeError/EOFError (damaged zip), OSError
        raise UserError(f"{where} is not a plain-data checkpoint and was not loaded ({first_line(exc)}); "
                        "delete it or train the run again") from None
    if not isinstance(ck, dict) or not isinstance(ck.get("model"), dict):
        raise UserError(f"{where} holds no model weights; delete it or train the run again")
    return ck


def load_state(module: torch.nn.Module, state: dict, where: str) -> None:
    """``load_state_dict`` whose mismatch (another spec's checkpoint) is one line, not a traceback."""
    try:
        module.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{where} does not fit this run's model ({first_line(exc)})") from None
