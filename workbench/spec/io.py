"""Load and save experiment specs (TOML or JSON), turning every mistake into a field-named SpecError."""

from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from workbench.errors import SpecError
from workbench.spec import bounds as B
from workbench.spec.model import SPEC_VERSION, ExperimentSpec
from workbench.textsafe import first_line, shown

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
        if len(errors) == 1 and errors[0].path != path:  # X | None: say which item of X is wrong
            raise errors[0]
        raise SpecError(path, f"expected {_describe(tp)}, got {shown(value)}")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise SpecError(path, f"expected a table, got {shown(value)}")
        return _from_dict(tp, value, path)
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise SpecError(path, f"expected a list, got {shown(value)}")
        (item_tp,) = typing.get_args(tp)
        return [_convert(v, item_tp, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is tuple:  # tuple[X, ...]: a list in the file
        if not isinstance(value, (list, tuple)):
            raise SpecError(path, f"expected a list, got {shown(value)}")
        item_tp = typing.get_args(tp)[0]
        return tuple(_convert(v, item_tp, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise SpecError(path, f"expected a table, got {shown(value)}")
        return dict(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise SpecError(path, f"expected true or false, got {shown(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise SpecError(path, f"expected an integer, got {shown(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(path, f"expected a number, got {shown(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise SpecError(path, f"expected a string, got {shown(value)}")
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

    B.check_document(data)
    version = data.get("version", SPEC_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise SpecError("version", f"expected an integer, got {shown(version)}")
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
    import tomli_w  # here: reading and building specs (the engines, the GPU check) works without it

    return tomli_w.dumps(data)


def _json_int(text: str) -> int:
    if len(text) > B.MAX_NUMBER_CHARS:
        raise ValueError(f"a number with {len(text)} digits (at most {B.MAX_NUMBER_CHARS})")
    return int(text)


def _json_float(text: str) -> float:
    if len(text) > B.MAX_NUMBER_CHARS:
        raise ValueError(f"a number with {len(text)} characters (at most {B.MAX_NUMBER_CHARS})")
    return float(text)


def _json_constant(name: str):
    raise ValueError(f"{name} is not a number a spec may hold")


def parse_document(text: str, fmt: str = "toml", source: str = "<string>") -> dict:
    """A spec file's text -> its table, bounded: size, nesting and number lengths are checked before the parser
    runs, so no input makes it recurse, allocate or convert without limit."""
    if len(text) > B.MAX_SPEC_BYTES:
        raise SpecError("", f"{source} is {len(text)} characters long; an experiment file is at most "
                            f"{B.MAX_SPEC_BYTES}")
    depth = B.max_bracket_depth(text)
    if depth > B.MAX_NESTING:
        raise SpecError("", f"{source}: lists or tables nested {depth} deep (at most {B.MAX_NESTING})")
    try:
        if fmt == "json":
            data = json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise SpecError("", f"{source} does not parse as {fmt.upper()}: {first_line(exc)}") from None
    except (ValueError, RecursionError, OverflowError) as exc:  # number hooks, int digit limit, deep nesting
        raise SpecError("", f"{source} does not parse as {fmt.upper()}: {first_line(exc)}") from None
    if not isinstance(data, dict):
        raise SpecError("", f"{source}: expected a table at the top level")
    return data


def loads(text: str, fmt: str = "toml", source: str = "<string>") -> ExperimentSpec:
    data = parse_document(text, fmt, source)
    if not isinstance(data, dict):
        raise SpecError("", f"{source}: expected a table at the top level")
    return spec_from_dict(data)


def format_for(path: Path) -> str:
    return "json" if path.suffix.lower() == ".json" else "toml"


def load(path: str | Path) -> ExperimentSpec:
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > B.MAX_SPEC_BYTES:
            raise SpecError("", f"{path} is {path.stat().st_size} bytes; an experiment file is at most "
                                f"{B.MAX_SPEC_BYTES}")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecError("", f"no such experiment file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError("", f"cannot read {path}: {first_line(exc)}") from exc
    try:
        return loads(text, format_for(path), str(path))
    except SpecError as exc:
        # name the file too, so a message seen in a log still says where to look
        raise SpecError(f"{path.name}:{exc.path}" if exc.path else "", exc.message) from None


def save(spec: ExperimentSpec, path: str | Path) -> None:
    """Write atomically: a crash mid-write never leaves a half-written experiment file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(spec, format_for(path)), encoding="utf-8")
    tmp.replace(path)
