"""Safe arithmetic for gate angles typed by users: ``pi/4``, ``-2*pi/3``, ``0.5``. No names but pi/e/tau."""

from __future__ import annotations

import ast
import math
import operator

_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCS = {"sqrt": math.sqrt}


MAX_CHARS = 200  # an angle expression longer than this is not a typo worth evaluating
MAX_DEPTH = 100  # nested operations (200 characters cannot nest deeper anyway)
MAX_EXPONENT = 1000.0  # |b| in a ** b; angles never need more, and it keeps pow away from huge numbers


class ExpressionError(ValueError):
    pass




def _quoted(text) -> str:
    from workbench.textsafe import shown

    return shown(str(text), 60)


def evaluate(text: str | float | int) -> float:
    """Return the value of a constant angle expression or raise ExpressionError saying why."""
    if isinstance(text, bool):
        raise ExpressionError(f"{text!r} is not a number")
    if isinstance(text, (int, float)):
        try:
            value = float(text)
        except OverflowError:
            raise ExpressionError("the number is too large for an angle") from None
        if not math.isfinite(value):
            raise ExpressionError(f"{value!r} is not a finite angle")
        return value
    source = str(text).strip()
    if len(source) > MAX_CHARS:
        raise ExpressionError(f"an angle expression of {len(source)} characters (at most {MAX_CHARS})")
    shown = _quoted(source)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"{shown} is not an expression ({exc.msg})") from None
    except (ValueError, RecursionError, MemoryError):  # NUL bytes, a number too long to convert, deep nesting
        raise ExpressionError(f"{shown} is not a constant arithmetic expression") from None
    try:
        value = _eval(tree.body, shown, 0)
    except ZeroDivisionError:
        raise ExpressionError(f"{shown} divides by zero") from None
    except (OverflowError, RecursionError):
        raise ExpressionError(f"{shown} is too large for an angle") from None
    except ValueError as exc:  # math domain errors: sqrt(-1)
        if isinstance(exc, ExpressionError):
            raise
        raise ExpressionError(f"{shown} has no real value ({exc})") from None
    if isinstance(value, complex):
        raise ExpressionError(f"{shown} has no real value (it is complex)")
    if not math.isfinite(value):
        raise ExpressionError(f"{shown} is not finite")
    return float(value)


def _pow(base: float, exponent: float) -> float:
    if abs(exponent) > MAX_EXPONENT:
        raise OverflowError
    result = base**exponent
    if isinstance(result, complex):
        raise ValueError("a negative number to a fractional power is complex")
    return result


def _eval(node: ast.AST, text: str, depth: int) -> float:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"{text} nests more than {MAX_DEPTH} operations")
    depth += 1
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ExpressionError(f"unknown name {_quoted(node.id)} in {text} (allowed: pi, e, tau)")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _pow(_eval(node.left, text, depth), _eval(node.right, text, depth))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, text, depth), _eval(node.right, text, depth))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, text, depth))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS \
            and len(node.args) == 1 and not node.keywords:
        return _FUNCS[node.func.id](_eval(node.args[0], text, depth))
    raise ExpressionError(f"{text} is not a constant arithmetic expression")
