"""The bounds every number and string of an experiment (and of the command line) is checked against.

They are checked before anything is built or allocated, so a hostile or mistyped value (``qubits = 2000``,
``layers = 10**9``, a 5,000-digit number, ``seed = 2**64``) is one clear line, never a minutes-long allocation
that ends in ``MemoryError``. The limits are generous for real experiments on one machine.
"""

from __future__ import annotations

import math

from workbench.errors import SpecError
from workbench.textsafe import is_identifier_like, is_unsafe_char, shown

MAX_QUBITS = 26
MAX_LAYERS = 1000
MAX_GATES = 20_000  # gates of one custom block
MAX_TOTAL_GATES = 2_000_000  # all blocks of one spec, roughly counted before anything is built
MAX_TASKS = 64
MAX_CLASSES = 4096
MAX_WIDTH = 4096  # backbone.width and each hidden size
MAX_HIDDEN_LAYERS = 32
MAX_SAMPLES = 10_000_000  # synthetic samples, dataset.max_samples
MAX_FEATURES = 100_000
MAX_EPOCHS = 1_000_000
MAX_BATCH = 1_000_000
MAX_SEED = 2**63 - 1  # torch.manual_seed takes 64 bits; numpy any; one bound for both
MAX_ABS_FLOAT = 1e12  # scales, weights, learning rates: finite and not absurd
MAX_NAME_CHARS = 64  # task names (they become Python identifiers, file names and column names)
MAX_TITLE_CHARS = 200  # the experiment's name
MAX_TEXT_CHARS = 20_000  # the description
MAX_EXPRESSION_CHARS = 200  # a gate-angle expression
MAX_LIST_ITEMS = 100_000
MAX_NESTING = 32  # tables and lists inside each other in a spec file
MAX_NUMBER_CHARS = 40  # digits of one number in a spec file
MAX_SPEC_BYTES = 8 * 2**20

# Task names become keys of torch ModuleDict/ParameterDict (a '.' or an attribute name breaks them), Python
# functions in the PennyLane export and file names; "encoder" is the shared block's key in the weights.
RESERVED_TASK_NAMES = frozenset({
    "encoder", "training", "T_destination", "dump_patches", "call_super_init", "add_module", "apply", "bfloat16",
    "buffers", "children", "compile", "cpu", "cuda", "double", "eval", "extra_repr", "float", "forward",
    "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half", "ipu", "load_state_dict",
    "modules", "mtia", "named_buffers", "named_children", "named_modules", "named_parameters", "parameters",
    "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule", "share_memory",
    "state_dict", "to", "to_empty", "train", "type", "xpu", "zero_grad", "clear", "copy", "fromkeys", "get",
    "items", "keys", "pop", "popitem", "setdefault", "update", "values"
})


def check_int(path: str, value, lo: int, hi: int, error=SpecError) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err(error, path, f"expected an integer, got {shown(value)}")
    if not lo <= value <= hi:
        return _out_of_range(error, path, value, lo, hi)
    return value


def check_float(path: str, value, lo: float, hi: float, error=SpecError, *, open_lo: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _err(error, path, f"expected a number, got {shown(value)}")
    try:
        value = float(value)
    except OverflowError:
        raise _err(error, path, f"{shown(value)} is too large") from None
    if not math.isfinite(value):
        raise _err(error, path, f"must be a finite number, got {value!r}")
    if value < lo or value > hi or (open_lo and value == lo):
        rng = f"({lo:g}, {hi:g}]" if open_lo else f"[{lo:g}, {hi:g}]"
        raise _err(error, path, f"must be in {rng}, got {value:g}")
    return value


def _out_of_range(error, path, value, lo, hi):
    text = str(value) if abs(value) < 10**30 else f"a {len(str(abs(value)))}-digit number"
    raise _err(error, path, f"must be in {lo}..{hi}, got {text}")


def _err(error, path, message):
    if error is SpecError:
        return SpecError(path, message)
    return error(f"{path}: {message}")


def check_text(path: str, value: str, limit: int, *, allow_newlines: bool = False) -> None:
    if len(value) > limit:
        raise SpecError(path, f"at most {limit} characters, got {len(value)}")
    for c in value:
        if is_unsafe_char(c) and not (allow_newlines and c in "\n\t"):
            raise SpecError(path, f"control or invisible character {shown(c)} in {shown(value)}")


def check_task_name(path: str, name: str) -> None:
    if len(name) > MAX_NAME_CHARS:
        raise SpecError(path, f"at most {MAX_NAME_CHARS} characters, got {len(name)}")
    if not is_identifier_like(name):
        raise SpecError(path, f"{shown(name)} is not a task name: use letters, digits, '_' and '-', starting with "
                              "a letter or '_' (set label = \"...\" to read a data column of another name)")
    if name in RESERVED_TASK_NAMES:
        raise SpecError(path, f"{shown(name)} is reserved (it names part of the model or of the exported "
                              "code); choose another task name")


def check_document(data, path: str = "", depth: int = 0) -> None:
    """Nesting depth, list lengths, key and string sizes of a parsed spec document (iterative below the top)."""
    stack = [(data, path, depth)]
    while stack:
        value, where, d = stack.pop()
        if d > MAX_NESTING:
            raise SpecError(where, f"nested more than {MAX_NESTING} levels deep")
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str) or len(k) > 100:
                    raise SpecError(where, f"key {shown(k)} is not a field name")
                stack.append((v, f"{where}.{k}" if where else k, d + 1))
        elif isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS:
                raise SpecError(where, f"a list of {len(value)} items (at most {MAX_LIST_ITEMS})")
            stack.extend((v, f"{where}[{i}]", d + 1) for i, v in enumerate(value))
        elif isinstance(value, str):
            if len(value) > MAX_TEXT_CHARS:
                raise SpecError(where, f"a string of {len(value)} characters (at most {MAX_TEXT_CHARS})")
        elif isinstance(value, int) and not isinstance(value, bool):
            if abs(value) >= 10**MAX_NUMBER_CHARS:
                raise SpecError(where, f"a number with more than {MAX_NUMBER_CHARS} digits")


def max_bracket_depth(text: str) -> int:
    """How deeply ``[``/``{`` nest in a JSON or TOML text, ignoring quoted strings: checked before parsing, so
    the parsers never recurse deep enough to fail."""
    depth = best = 0
    quote = None
    escaped = False
    for c in text:
        if quote:
            if escaped:
                escaped = False
            elif c == "\\" and quote == '"':
                escaped = True
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "[{":
            depth += 1
            best = max(best, depth)
        elif c in "]}":
            depth -= 1
        elif c == "\n" and quote is None:
            continue
    return best


def user_int(name: str, lo: int, hi: int):
    """An argparse ``type=`` for a bounded integer: ``--seed 99999999999999999999999`` is refused by name."""
    import argparse

    def parse(text: str) -> int:
        try:
            if len(text.strip()) > MAX_NUMBER_CHARS:
                raise ValueError
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {shown(text)}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be in {lo}..{hi}, got {value}")
        return value

    parse.__name__ = name
    return parse


def user_float(name: str, lo: float, hi: float, *, open_lo: bool = False):
    """An argparse ``type=`` for a finite, bounded number: ``--alpha inf`` and ``--alpha 1e12`` are refused."""
    import argparse

    def parse(text: str) -> float:
        try:
            if len(text.strip()) > MAX_NUMBER_CHARS:
                raise ValueError
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {shown(text)}") from None
        if not math.isfinite(value) or value < lo or value > hi or (open_lo and value == lo):
            rng = f"({lo:g}, {hi:g}]" if open_lo else f"[{lo:g}, {hi:g}]"
            raise argparse.ArgumentTypeError(f"must be a finite number in {rng}, got {text.strip()[:40]}")
        return value

    parse.__name__ = name
    return parse

