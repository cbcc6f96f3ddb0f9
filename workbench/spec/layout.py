"""Where each task's block acts and what it reads: the shared-wires and the task-register layouts.

Shared wires: every task block acts on all qubits (or on its ``block.wires``) after the shared encoder.
Task registers (the authors' GLUE code): each task owns consecutive qubits sized by its outputs: 1 for a binary or
regression task, 2 for 3 classes, 4 (and twice the block layers) for more; the circuit width is the sum, and the
logits are Pauli-word expectations on the register (``<Z>`` single logit; ``<Z0>, <Z1>, <X0 X1>``; ``<Z_i>`` then
``<Z_i Z_i+1>``). Torch-free, like the rest of the spec package.
"""

from __future__ import annotations

import dataclasses
import re

from workbench.spec.model import BlockSpec, ExperimentSpec, ReadoutSpec, TaskSpec

_TOKEN = re.compile(r"^([XYZxyz])(\d+)$")
# registers layout: encoding layers of the shared encoder, so its input is this many times the width
REGISTER_ENCODING_LAYERS = 3


def parse_word(text: str) -> tuple[tuple[str, int], ...]:
    """``"Z0 X2"`` -> (("Z", 0), ("X", 2)). Factors are separated by spaces or ``*``; a wire appears once."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"empty Pauli word {text!r}; write e.g. \"Z0\", \"Z0 Z1\" or \"X0 X1\"")
    out, seen = [], set()
    for token in text.replace("*", " ").split():
        m = _TOKEN.match(token)
        if not m:
            raise ValueError(f"{text!r}: {token!r} is not a Pauli factor (X, Y or Z followed by a wire, e.g. Z0)")
        op, wire = m.group(1).upper(), int(m.group(2))
        if wire in seen:
            raise ValueError(f"{text!r}: wire {wire} appears twice")
        seen.add(wire)
        out.append((op, wire))
    return tuple(out)


def format_word(word: tuple[tuple[str, int], ...]) -> str:
    return " ".join(f"{op}{w}" for op, w in word)


def default_register_size(task: TaskSpec) -> int:
    """The authors' rule: 1 qubit for a binary or regression task, 2 for 3 classes, 4 for more."""
    if task.is_regression or task.classes <= 2:
        return 1
    return 2 if task.classes == 3 else 4


def register_size(task: TaskSpec) -> int:
    return task.qubits if task.qubits is not None else default_register_size(task)


def registers_width(tasks: list[TaskSpec]) -> int:
    return sum(register_size(t) for t in tasks)


def task_registers(spec: ExperimentSpec) -> list[list[int]]:
    """Consecutive wires per task, in task order (registers layout)."""
    out, start = [], 0
    for t in spec.tasks:
        k = register_size(t)
        out.append(list(range(start, start + k)))
        start += k
    return out


def task_wires(spec: ExperimentSpec, index: int) -> list[int]:
    """The wires task ``index``'s block acts on and its relative Pauli words count from."""
    if spec.quantum.layout == "registers":
        return task_registers(spec)[index]
    block = spec.block_for(spec.tasks[index])
    return list(block.wires) if block.wires else list(range(spec.quantum.qubits))


def effective_block(spec: ExperimentSpec, index: int) -> BlockSpec:
    """The task's block as it is expanded. In the registers layout a task without its own block gets the default
    block on its register, with twice the layers for more than 3 classes."""
    task = spec.tasks[index]
    if spec.quantum.layout != "registers":
        return spec.block_for(task)
    wires = task_wires(spec, index)
    if task.block is not None:
        return dataclasses.replace(task.block, wires=wires)
    base = spec.quantum.default_block
    layers = base.layers * (2 if not task.is_regression and task.classes > 3 else 1)
    ranges = base.ranges if base.ranges is not None and layers == base.layers else None
    return dataclasses.replace(base, layers=layers, ranges=ranges, wires=wires)


def default_words(outputs: int, k: int) -> list[str]:
    """``outputs`` Pauli words on a k-qubit register: the authors' choice first (Z_i, then Z_i Z_i+1 for more than
    3 classes; Z0, Z1, X0 X1 for 3 classes on 2 qubits), then X_i, X_i X_i+1, Y_i, Y_i Y_i+1 when more are needed."""
    if outputs == 3 and k == 2:
        return ["Z0", "Z1", "X0 X1"]
    words = []
    for op in "ZXY":
        words += [f"{op}{i}" for i in range(k)]
        words += [f"{op}{i} {op}{i + 1}" for i in range(k - 1)]
    return words[:outputs]


def max_default_words(k: int) -> int:
    return 3 * (2 * k - 1)


def registers_readout(task: TaskSpec, k: int) -> ReadoutSpec:
    """The authors' readout: Pauli words used directly as logits (scale 1); one logit for two classes."""
    if task.is_regression:
        return ReadoutSpec(kind="pauli", words=["Z0"], scale=1.0, mapping="tanh")
    if task.classes == 2:
        return ReadoutSpec(kind="pauli", words=["Z0"], scale=1.0, binary="single-logit")
    return ReadoutSpec(kind="pauli", words=default_words(task.classes, k), scale=1.0)


def encoder_width(spec: ExperimentSpec, d: int | None = None) -> int:
    """Features the shared encoder loads: the projection's width, else h's width ``d`` (the backbone's)."""
    if spec.quantum.projection is not None:
        return spec.quantum.projection
    return spec.backbone.width if d is None else d


def absolute_words(readout: ReadoutSpec, wires: list[int]) -> list[tuple[tuple[str, int], ...]]:
    """The readout's words with absolute wires (relative words index ``wires``). Raises ValueError."""
    out = []
    for text in readout.words:
        word = parse_word(text)
        if readout.relative:
            for _, w in word:
                if not 0 <= w < len(wires):
                    raise ValueError(f"{text!r}: relative wire {w} is outside the task's {len(wires)} wire(s) "
                                     f"(0..{len(wires) - 1})")
            word = tuple((op, wires[w]) for op, w in word)
        out.append(word)
    return out
