"""Load and save experiment specs (TOML or JSON), turning every mistake into a field-named SpecError."""

from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

import tomli_w

from workbench.errors import SpecError
from workbench.spec.model import SPEC_VERSION, ExperimentSpec

_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "a table"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp) if a is not type(None))
    if dataclasses.is_dataclass(tp):
        return "a table"
    return _TYPE_NAMES.get(tp, getattr(tp, "__name__", str(tp)))


def _convert(value: Any, tp: Any, path: str) -> Any:
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, path)
            except SpecError as exc:
                errors.append(exc)
        raise SpecError(path, f"expected {_describe(tp)}, got {value!r}")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise SpecError(path, f"expected a table, got {value!r}")
        return _from_dict(tp, value, path)
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise SpecError(path, f"expected a list, got {value!r}")
        (item_tp,) = typing.get_args(tp)
        return [_convert(v, item_tp, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise SpecError(path, f"expected a table, got {value!r}")
        return dict(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise SpecError(path, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise SpecError(path, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(path, f"expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise SpecError(path, f"expected a string, got {value!r}")
        return value
    return value


def _from_dict(cls: type, data: dict, path: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        sub = f"{path}.{key}" if path else key
        if key not in names:
            raise SpecError(sub, f"unknown field (valid: {', '.join(sorted(names))})")
        kwargs[key] = _convert(value, hints[key], sub)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        missing = [f.name for f in dataclasses.fields(cls)
                   if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                   and f.name not in kwargs]
        if missing:
            raise SpecError(f"{path}.{missing[0]}" if path else missing[0], "required field is missing") from exc
        raise SpecError(path, str(exc)) from exc


def spec_from_dict(data: dict) -> ExperimentSpec:
    """Build and validate a spec from a plain dict (as parsed from TOML or JSON)."""
    from workbench.spec.validate import validate

    version = data.get("version", SPEC_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise SpecError("version", f"expected an integer, got {version!r}")
    if version > SPEC_VERSION:
        raise SpecError("version", f"file version {version} is newer than this workbench understands "
                                   f"(up to {SPEC_VERSION}); update QMTL Workbench")
    spec = _from_dict(ExperimentSpec, data, "")
    validate(spec)
    return spec


def _prune(value: Any) -> Any:
    """TOML has no null: drop None fields; keep everything else as is."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def spec_to_dict(spec: ExperimentSpec) -> dict:
    return _prune(dataclasses.asdict(spec))


def dumps(spec: ExperimentSpec, fmt: str = "toml") -> str:
    data = spec_to_dict(spec)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    return tomli_w.dumps(data)


def loads(text: str, fmt: str = "toml", source: str = "<string>") -> ExperimentSpec:
    try:
        data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise SpecError("", f"{source} does not parse as {fmt.upper()}: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError("", f"{source}: expected a table at the top level")
    return spec_from_dict(data)


def format_for(path: Path) -> str:
    return "json" if path.suffix.lower() == ".json" else "toml"


def load(path: str | Path) -> ExperimentSpec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecError("", f"no such experiment file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError("", f"cannot read {path}: {exc}") from exc
    try:
        return loads(text, format_for(path), str(path))
    except SpecError as exc:
        # name the file too, so a message seen in a log still says where to look
        raise SpecError(f"{path.name}:{exc.path}" if exc.path else "",
                        exc.message if exc.path else exc.message) from exc


def save(spec: ExperimentSpec, path: str | Path) -> None:
    """Write atomically: a crash mid-write never leaves a half-written experiment file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(spec, format_for(path)), encoding="utf-8")
    tmp.replace(path)
