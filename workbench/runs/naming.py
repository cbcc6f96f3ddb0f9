"""What people call a run: its label ("name · head · seed") and renaming it."""

from __future__ import annotations

from workbench.runs.errors import RunStoreError
from workbench.runs.records import RunInfo
from workbench.runs.repair import update_record
from workbench.runs.store import RunStore
from workbench.textsafe import is_unsafe_char, shown

MAX_NAME_CHARS = 200


def run_label(info: RunInfo) -> str:
    """``digits · qmtl · seed 3``: the name (the trainer's default "spec [head]" loses its now repeated head),
    the head and the seed; runs without a head or seed show what they have."""
    head = info.params.get("head")
    seed = info.params.get("seed")
    name = info.name
    if head and name.endswith(f" [{head}]"):
        name = name[: -len(head) - 3]
    parts = [name]
    if head:
        parts.append(str(head))
    if seed is not None:
        parts.append(f"seed {seed}")
    return " · ".join(parts)


def check_name(name: str) -> str:
    """The name as stored (trimmed), or RunStoreError saying what is wrong with it."""
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise RunStoreError("name: a run's name cannot be empty")
    if len(text) > MAX_NAME_CHARS:
        raise RunStoreError(f"name: at most {MAX_NAME_CHARS} characters, got {len(text)}")
    if any(is_unsafe_char(c) for c in text):
        raise RunStoreError(f"name: {shown(text)} holds control or invisible characters")
    return text


def rename(store: RunStore, run_id: str, name: str) -> str:
    """Give the run a new name (its id, files and params stay); returns the stored name."""
    text = check_name(name)
    with store._write() as conn:
        store._require(conn, run_id)
        conn.execute("UPDATE runs SET name = ? WHERE id = ?", (text, run_id))
    update_record(store.run_dir(run_id), name=text)
    return text
