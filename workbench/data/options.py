"""Typed reading of a source's ``options`` dict, so a typo or a wrong type is reported, not ignored."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.data.dataset import DataError
from workbench.textsafe import shown


class Options:
    def __init__(self, options: dict | None, where: str, allowed: Iterable[str]):
        self.where = where
        self.values: dict[str, Any] = dict(options or {})
        allowed = sorted(allowed)
        for key in self.values:
            if key not in allowed:
                valid = ", ".join(allowed) if allowed else "none"
                raise DataError(f"{where}: unknown option {shown(key)} (valid options: {valid})")

    def _bad(self, key: str, want: str, value: Any) -> DataError:
        return DataError(f"{self.where}: option {shown(key)} must be {want}, got {shown(value)}")

    def get_int(self, key: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.values.get(key, default)
        # bool is an int subclass; "tasks = true" is a mistake, not 1.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad(key, "an integer", value)
        if minimum is not None and value < minimum:
            raise self._bad(key, f">= {minimum}", value)
        if maximum is not None and value > maximum:
            raise self._bad(key, f"<= {maximum}", value)
        return value

    def get_float(self, key: str, default: float, minimum: float | None = None,
                  maximum: float | None = None) -> float:
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._bad(key, "a number", value)
        value = float(value)
        if value != value:  # NaN passes every comparison below
            raise self._bad(key, "a number", value)
        if minimum is not None and value < minimum:
            raise self._bad(key, f">= {minimum}", value)
        if maximum is not None and value > maximum:
            raise self._bad(key, f"<= {maximum}", value)
        return value

    def get_bool(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            raise self._bad(key, "true or false", value)
        return value

    def get_str(self, key: str, default: str | None) -> str | None:
        value = self.values.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self._bad(key, "a string", value)
        return value

    def get_names(self, key: str, length: int) -> list[str] | None:
        """An optional list of ``length`` distinct non-empty names (task or class names)."""
        value = self.values.get(key)
        if value is None:
            return None
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise self._bad(key, "a list of names", value)
        if len(value) != length:
            raise DataError(f"{self.where}: option '{key}' lists {len(value)} names, the data needs {length}")
        if len(set(value)) != len(value):
            raise self._bad(key, "a list of distinct names", value)
        return list(value)
