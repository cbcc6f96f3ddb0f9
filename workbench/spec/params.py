"""Gate-parameter tokens of custom blocks: a trainable angle, an input feature or a constant expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.spec.expressions import ExpressionError, evaluate

_WEIGHT = re.compile(r"^w(\d*)$")
_INPUT = re.compile(r"^x(\d+)$")


@dataclass(frozen=True)
class ParamToken:
    kind: str  # "weight" | "input" | "const"
    index: int | None = None  # weight index (None = next free), or feature index
    value: float = 0.0


def parse_param(token) -> ParamToken:
    """``"w"`` new trainable angle, ``"w3"`` trainable angle 3, ``"x2"`` input feature 2, else an expression."""
    if isinstance(token, str):
        text = token.strip()
        m = _WEIGHT.match(text)
        if m:
            return ParamToken("weight", int(m.group(1)) if m.group(1) else None)
        m = _INPUT.match(text)
        if m:
            return ParamToken("input", int(m.group(1)))
    try:
        return ParamToken("const", value=evaluate(token))
    except ExpressionError as exc:
        raise ValueError(f"{exc}; use a number, an expression such as pi/4, 'w' (trainable) "
                         f"or 'x<i>' (input feature)") from None
