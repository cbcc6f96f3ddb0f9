"""Safe arithmetic for gate angles typed by users: ``pi/4``, ``-2*pi/3``, ``0.5``. No names but pi/e/tau."""

from __future__ import annotations

import ast
import math
import operator

_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCS = {"sqrt": math.sqrt}


class ExpressionError(ValueError):
    pass


def evaluate(text: str | float | int) -> float:
    """Return the value of a constant angle expression or raise ExpressionError saying why."""
    if isinstance(text, bool):
        raise ExpressionError(f"{text!r} is not a number")
    if isinstance(text, (int, float)):
        return float(text)
    try:
        tree = ast.parse(str(text).strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"'{text}' is not an expression ({exc.msg})") from None
    try:
        value = _eval(tree.body, text)
    except ZeroDivisionError:
        raise ExpressionError(f"'{text}' divides by zero") from None
    if not math.isfinite(value):
        raise ExpressionError(f"'{text}' is not finite")
    return float(value)


def _eval(node: ast.AST, text) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ExpressionError(f"unknown name '{node.id}' in '{text}' (allowed: pi, e, tau)")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, text), _eval(node.right, text))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, text))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS \
            and len(node.args) == 1 and not node.keywords:
        return _FUNCS[node.func.id](_eval(node.args[0], text))
    raise ExpressionError(f"'{text}' is not a constant arithmetic expression")
