"""Plain-text layout for the ``qmtl runs`` commands: aligned columns a person can scan."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any


def format_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def format_time(iso: str | None) -> str:
    """An ISO UTC stamp as local time to the second; the stored form stays UTC."""
    if not iso:
        return "-"
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _is_numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def render_table(headers: list[str], rows: list[list[Any]], indent: str = "") -> str:
    """Columns padded to their widest cell; numeric columns right-aligned so digits line up."""
    cells = [[format_value(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    numeric = [
        bool(rows) and all(_is_numeric(row[i]) or row[i] is None for row in rows) for i in range(len(headers))
    ]

    def line(values: list[str]) -> str:
        padded = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return (indent + "  ".join(padded)).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def table_width(headers: list[str], rows: list[list[Any]]) -> int:
    widths = [max([len(h)] + [len(format_value(row[i])) for row in rows]) for i, h in enumerate(headers)]
    return sum(widths) + 2 * (len(widths) - 1)


def render_transposed(headers: list[str], rows: list[list[Any]], indent: str = "") -> str:
    """One line per column and one column per row: how wide comparisons stay readable in a terminal."""
    if not rows:
        return render_table(headers, rows, indent)
    return render_table([headers[0], *(format_value(r[0]) for r in rows)],
                        [[h, *(r[i] for r in rows)] for i, h in enumerate(headers) if i], indent)


def render_pairs(pairs: list[tuple[str, Any]], indent: str = "  ") -> str:
    """``key  value`` lines with the values aligned."""
    if not pairs:
        return indent + "(none)"
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{indent}{k.ljust(width)}  {format_value(v)}".rstrip() for k, v in pairs)
