"""Inside a task circuit: the state right after one column of the composer's drawing, for one input.

A task circuit is drawn as the shared encoder followed by the task's block; each band is cut into the columns
the composer draws (``gate_columns`` of a Custom block's gates; a template is one box, so one column). Column
``c`` of task ``t`` counts over the encoder's columns, then the block's. The state after a column is simulated by
the torch engine on the circuit's prefix (the gates drawn in that column or left of it), so the probe shows what
the engine computes, not a second simulator's idea of it.

From the state: each qubit's reduced density matrix as a Bloch vector and its purity, and the mutual information
I(A:B) = S(A) + S(B) - S(AB) (von Neumann entropies, in bits) between two chosen wires, and between the task
block's wires and the others when the block acts on some wires only (task registers).

Weights: those the live outputs use for a weights source (``live_outputs.head_weights``): a run's trained weights,
or the initial weights a seed draws (what training starts from). Input: the features the shared encoder loads
(h, or its projection), e.g. a data sample passed through that source's backbone.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.circuits import edits as ops
from workbench.circuits.edits import ENCODER, BlockKey
from workbench.circuits.ir import Block, Gate, Param, QMTLProgram, Readout, TaskCircuit
from workbench.errors import UserError
from workbench.spec import layout as L
from workbench.spec.model import ExperimentSpec

MAX_PROBE_QUBITS = 14  # a 2^14 state and its partial traces stay well under a second
MAX_MATRIX_GATES = 400  # hover matrices computed per edit: beyond this, the rest are left out


# ----------------------------------------------------------------------------------------------- columns

@dataclass(frozen=True)
class Column:
    """One column of a task circuit as the composer draws it: band ``key``, its ``local`` column there."""

    key: BlockKey
    local: int

    @property
    def label(self) -> str:
        where = "encoder" if self.key == ENCODER else f"task {self.key}"
        return f"{where}, column {self.local}"


def band_columns(spec: ExperimentSpec, key: BlockKey) -> int:
    """How many columns band ``key`` draws: a Custom block's gate columns, a template's one box."""
    block = ops.effective_block(spec, key)
    if block.template != "Custom":
        return 1
    return max(max(ops.gate_columns(block.gates), default=-1) + 1, 1)


def task_columns(spec: ExperimentSpec, task: int) -> list[Column]:
    """The columns of task ``task``'s circuit, left to right: the encoder's, then its block's."""
    return [Column(ENCODER, c) for c in range(band_columns(spec, ENCODER))] + \
        [Column(task, c) for c in range(band_columns(spec, task))]


def global_column(spec: ExperimentSpec, key: BlockKey, local: int) -> int:
    """Band ``key``'s column ``local`` as a column of its task's circuit (encoder columns count first)."""
    return local if key == ENCODER else band_columns(spec, ENCODER) + local


def _gates_through(spec: ExperimentSpec, key: BlockKey, local: int, block: Block) -> list[Gate]:
    """The IR gates of band ``key`` drawn in column ``local`` or left of it, in circuit order.

    A Custom block's IR gate i is its drawn gate i (gates a template adds after them, such as an encoder's
    trainable layers, belong to its last column); commuting gates on other wires keep their order, so the prefix
    is the state at that cut."""
    spec_block = ops.effective_block(spec, key)
    last = band_columns(spec, key) - 1
    if spec_block.template != "Custom" or local >= last:
        return list(block.gates)
    cols = ops.gate_columns(spec_block.gates)
    return [g for i, g in enumerate(block.gates) if i < len(cols) and cols[i] <= local]


def prefix_program(spec: ExperimentSpec, program: QMTLProgram, task: int, column: int) -> QMTLProgram:
    """The task circuit cut after ``column``: one task whose block holds the block's gates up to that column
    (none when the column is the encoder's). Weight indices are kept, so the full weight vectors apply."""
    cols = task_columns(spec, task)
    at = cols[column]
    t = program.tasks[task]
    enc = program.encoder
    if at.key == ENCODER:
        enc_gates, block_gates = _gates_through(spec, ENCODER, at.local, enc), []
    else:
        enc_gates, block_gates = list(enc.gates), _gates_through(spec, task, at.local, t.block)
    encoder = dataclasses.replace(enc, gates=enc_gates)
    block = dataclasses.replace(t.block, gates=block_gates)
    readout = Readout("expval", (0,), 1)  # not read: the probe looks at the state
    return QMTLProgram(program.n_qubits, program.n_features, encoder, [TaskCircuit(t.name, t.classes, block, readout)])


def resolve_column(spec: ExperimentSpec, task: int, column: int) -> int:
    """``column`` checked against task ``task``'s circuit; -1 (or any negative) counts from the end."""
    n = len(task_columns(spec, task))
    c = column + n if column < 0 else column
    if not 0 <= c < n:
        raise UserError(f"--column: {column} is outside the circuit of task {spec.tasks[task].name}, which has "
                        f"{n} column{'s' * (n != 1)} (0..{n - 1}, or -1 for the last)")
    return c


def resolve_task(spec: ExperimentSpec, task: str | int) -> int:
    names = [t.name for t in spec.tasks]
    if isinstance(task, int) or (isinstance(task, str) and task.isdigit() and task not in names):
        i = int(task)
        if 0 <= i < len(names):
            return i
    elif task in names:
        return names.index(task)
    raise UserError(f"--task: no task {task!r} (tasks: {', '.join(names)}, or their numbers 0..{len(names) - 1})")


# ----------------------------------------------------------------------------------------------- weights, inputs

def _quiet_rng():
    """Drawing initial weights re-seeds torch's global generator; keep the caller's state."""
    import torch

    return torch.random.fork_rng(devices=[])


def head_width(spec: ExperimentSpec) -> int:
    """d, the width of h the head reads (an identity backbone hands over the data, whose width the spec states)."""
    return spec.backbone.width


def initial_weights(spec: ExperimentSpec, seed: int | None = None) -> dict:
    """The quantum head's weights as training starts them for ``seed`` (default: training.seed): the same
    generator draws in the same order as ``build_model``."""
    import torch

    from workbench.models.heads import make_head

    seed = spec.training.seed if seed is None else seed
    with _quiet_rng():
        head = make_head("qmtl", spec, head_width(spec), engine="torch", generator=torch.Generator().manual_seed(seed))
    return {k: v.detach().clone() for k, v in head.weights.items()}


@dataclass
class Sample:
    """One data sample as the probe's input: the encoder's features and what they came from."""

    features: np.ndarray  # what the shared encoder loads
    index: int
    split: str
    labels: dict[str, int | float]


def sample_features(spec: ExperimentSpec, index: int = 0, base_dir: str | Path | None = None,
                    split: str = "test", seed: int | None = None, source=None) -> Sample:
    """Data sample ``index`` of ``split`` passed through the backbone (and projection) of the weights ``source``
    (a ``WeightsSource``; default: the initial weights of ``seed``): the features the shared encoder loads for it."""
    import torch

    from workbench.analysis.live_outputs import evaluator
    from workbench.analysis.live_results import WeightsSource
    from workbench.training.trainer import load_data

    data = load_data(spec, base_dir)
    X, Y = {"train": (data.X_train, data.Y_train), "val": (data.X_val, data.Y_val),
            "test": (data.X_test, data.Y_test)}[split]
    if len(X) == 0:
        split, X, Y = "train", data.X_train, data.Y_train
    if not 0 <= index < len(X):
        raise UserError(f"--sample: {index} is outside the {split} split's {len(X)} samples (0..{len(X) - 1})")
    source = source or WeightsSource(spec.training.seed if seed is None else seed)
    with _quiet_rng():
        model = evaluator().load(spec, source, X.shape[1]).model
    with torch.no_grad():
        h = model.backbone(torch.as_tensor(X[index:index + 1], dtype=torch.float32))
        if model.head.projection is not None:
            h = model.head.projection(h)
    labels = {t.name: Y[index, i].item() for i, t in enumerate(spec.tasks)}
    return Sample(h[0].double().numpy(), index, split, labels)


def check_features(features, n_features: int) -> np.ndarray:
    x = np.asarray(features, dtype=np.float64).reshape(-1)
    if x.shape[0] != n_features:
        raise UserError(f"input: the shared encoder loads {n_features} features, got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise UserError("input: the features must be finite numbers")
    return x


# ----------------------------------------------------------------------------------------------- states

def probe_state(spec: ExperimentSpec, task: int, column: int, features, weights: dict | None = None,
                program: QMTLProgram | None = None) -> np.ndarray:
    """The statevector (2^n complex, wire 0 most significant) of task ``task``'s circuit after ``column``."""
    import torch

    from workbench.circuits.program import build_program
    from workbench.engines.torch_engine import TorchEngine

    program = program or build_program(spec, head_width(spec))
    if program.n_qubits > MAX_PROBE_QUBITS:
        raise UserError(f"quantum.qubits: the probe shows states of up to {MAX_PROBE_QUBITS} qubits, "
                        f"this circuit has {program.n_qubits}")
    weights = initial_weights(spec) if weights is None else weights
    x = torch.as_tensor(check_features(features, program.n_features))[None]
    cut = prefix_program(spec, program, task, column)
    name = cut.tasks[0].name
    w = {"encoder": weights["encoder"]} if "encoder" in weights else {}
    if name in weights:
        w[name] = weights[name]
    state = TorchEngine(cut, dtype="complex128", fuse="never").final_states(x, w)[name]
    return state[0].detach().numpy()


def reduced_density(state: np.ndarray, wires) -> np.ndarray:
    """Partial trace of the pure state onto ``wires`` (in that order; wire 0 most significant)."""
    n = int(round(math.log2(state.size)))
    wires = list(wires)
    psi = np.moveaxis(state.reshape([2] * n), wires, list(range(len(wires)))).reshape(2 ** len(wires), -1)
    return psi @ psi.conj().T


def bloch_vector(rho: np.ndarray) -> tuple[float, float, float]:
    """(<X>, <Y>, <Z>) of a one-qubit density matrix."""
    return (float(2 * rho[0, 1].real), float(-2 * rho[0, 1].imag), float((rho[0, 0] - rho[1, 1]).real))


def purity(rho: np.ndarray) -> float:
    return float(np.real(np.trace(rho @ rho)))


def entropy_bits(rho: np.ndarray) -> float:
    """Von Neumann entropy in bits."""
    ev = np.linalg.eigvalsh((rho + rho.conj().T) / 2)
    ev = ev[ev > 1e-12]
    return float(max(0.0, -np.sum(ev * np.log2(ev))))


def mutual_information(state: np.ndarray, a, b) -> float:
    """I(A:B) in bits between wire sets ``a`` and ``b`` (disjoint) of a pure state."""
    a, b = list(a), list(b)
    if set(a) & set(b):
        raise UserError(f"mutual information: the wire sets {a} and {b} overlap")
    s = entropy_bits(reduced_density(state, a)) + entropy_bits(reduced_density(state, b)) \
        - entropy_bits(reduced_density(state, a + b))
    return max(0.0, s)


# ----------------------------------------------------------------------------------------------- result

@dataclass
class Probe:
    """What the probe shows for one task, column and input."""

    task: str
    column: int
    columns: int
    where: str  # "shared encoder, column 2" / "block of t1, column 0"
    bloch: list[tuple[float, float, float]]
    purity: list[float]
    pair: tuple[int, int]
    mi: float  # I(pair[0] : pair[1]) in bits
    block_wires: list[int] = field(default_factory=list)  # the task block's wires when a proper subset
    block_mi: float | None = None  # I(block wires : the other wires) in bits

    def lines(self) -> list[str]:
        out = [f"task {self.task}, after column {self.column} (of 0..{self.columns - 1}; {self.where})",
               "wire      x       y       z   purity"]
        for w, ((x, y, z), p) in enumerate(zip(self.bloch, self.purity)):
            out.append(f"q{w:<3} {x:7.3f} {y:7.3f} {z:7.3f}   {p:6.3f}")
        out.append(f"I(q{self.pair[0]} : q{self.pair[1]}) = {self.mi:.4f} bits")
        if self.block_mi is not None:
            wires = ",".join(map(str, self.block_wires))
            out.append(f"I(task block wires {wires} : other wires) = {self.block_mi:.4f} bits")
        return out


def probe(spec: ExperimentSpec, task: int, column: int, features, weights: dict | None = None,
          pair: tuple[int, int] = (0, 1)) -> Probe:
    """Bloch vectors, purities and mutual information of task ``task``'s circuit after ``column``."""
    from workbench.circuits.program import build_program

    program = build_program(spec, head_width(spec))
    n = program.n_qubits
    column = resolve_column(spec, task, column)
    if n < 2:
        pair = (0, 0)
    else:
        for w in pair:
            if not 0 <= w < n:
                raise UserError(f"--mi: wire {w} does not exist (the circuit has wires 0..{n - 1})")
        if pair[0] == pair[1]:
            raise UserError(f"--mi: name two different wires, got {pair[0]} twice")
    state = probe_state(spec, task, column, features, weights, program)
    rhos = [reduced_density(state, [w]) for w in range(n)]
    mi = mutual_information(state, [pair[0]], [pair[1]]) if n >= 2 else 0.0
    wires = sorted(L.task_wires(spec, task))
    block_mi = None
    if 0 < len(wires) < n:
        rest = [w for w in range(n) if w not in wires]
        block_mi = mutual_information(state, wires, rest)
    cols = task_columns(spec, task)
    at = cols[column]
    where = ("shared encoder" if at.key == ENCODER else f"block of {spec.tasks[task].name}") + f", column {at.local}"
    return Probe(spec.tasks[task].name, column, len(cols), where, [bloch_vector(r) for r in rhos],
                 [purity(r) for r in rhos], tuple(pair), mi, wires if block_mi is not None else [], block_mi)


# ----------------------------------------------------------------------------------------------- gate matrices

def param_value(p: Param, x: np.ndarray | None, w) -> float:
    """The angle a parameter reference takes for input ``x`` and weight vector ``w``."""
    if p.kind == "const":
        return float(p.value)
    if p.kind == "weight":
        return float(p.scale * float(w[p.index]))
    v = p.scale * float(x[p.index])
    return float(v * float(x[p.index2])) if p.index2 >= 0 else float(v)


def gate_matrix(gate: Gate, angles: list[float] | tuple[float, ...] = ()) -> np.ndarray:
    """The 2^k x 2^k matrix (first wire most significant) the torch engine applies for ``gate`` at ``angles``.

    Read off the engine itself: basis state |b> is prepared with RY(pi) on the wires whose bit is set (exactly
    |1>), the gate acts, and the final states are the matrix's columns."""
    import torch

    from workbench.engines.torch_engine import TorchEngine

    k = len(gate.wires)
    local = Gate(gate.name, tuple(range(k)), tuple(Param.const(a) for a in angles))
    encoder = Block("encoder", "encoder", [Gate("RY", (q,), (Param.input(q, math.pi),)) for q in range(k)], 0, k)
    block = Block("gate", "task", [local], 0)
    program = QMTLProgram(k, k, encoder, [TaskCircuit("gate", 1, block, Readout("expval", (0,), 1))])
    bits = torch.tensor([[(b >> (k - 1 - q)) & 1 for q in range(k)] for b in range(2**k)], dtype=torch.float64)
    states = TorchEngine(program, dtype="complex128", fuse="never").final_states(bits, {})["gate"]
    return states.detach().numpy().T


def drawn_gate_angles(spec: ExperimentSpec, features, weights: dict | None = None) -> dict[tuple, tuple]:
    """(band key, gate index) -> (IR gate, its angles now), for every gate the composer draws (Custom bands).

    Trainable angles take ``weights`` (default: the seed's initial weights); input angles the given features."""
    from workbench.circuits.program import build_program

    program = build_program(spec, head_width(spec))
    x = check_features(features, program.n_features)
    weights = initial_weights(spec) if weights is None else weights
    out: dict[tuple, tuple] = {}
    blocks = [program.encoder] + [t.block for t in program.tasks]
    for key, block in zip([ENCODER, *range(len(spec.tasks))], blocks):
        drawn = ops.effective_block(spec, key)
        if drawn.template != "Custom":
            continue
        w = weights.get("encoder" if key == ENCODER else program.tasks[key].name)
        w = w.detach().numpy() if hasattr(w, "detach") else w
        for i, g in enumerate(block.gates[:len(drawn.gates)]):
            out[(key, i)] = (g, tuple(param_value(p, x, w) for p in g.params))
    return out


# (gate, wires, angles) -> matrix, kept by the worker process between edits: one edit changes a gate or two, so
# the next answer recomputes only those
_MATRICES: dict[tuple, np.ndarray] = {}
MAX_CACHED_MATRICES = 4096


def circuit_matrices(spec: ExperimentSpec, features, weights: dict | None = None,
                     angles: dict | None = None) -> dict[tuple, np.ndarray]:
    """(band key, gate index) -> matrix at its current angle, for every gate the composer draws (Custom bands),
    up to MAX_MATRIX_GATES of them."""
    angles = drawn_gate_angles(spec, features, weights) if angles is None else angles
    out: dict[tuple, np.ndarray] = {}
    for ref, (g, values) in list(angles.items())[:MAX_MATRIX_GATES]:
        sig = (g.name, len(g.wires), tuple(round(v, 12) for v in values))
        m = _MATRICES.get(sig)
        if m is None:
            if len(_MATRICES) >= MAX_CACHED_MATRICES:
                _MATRICES.clear()
            m = _MATRICES[sig] = gate_matrix(g, values)
            m.setflags(write=False)
        out[ref] = m
    return out


def format_matrix(m: np.ndarray, digits: int = 2) -> str:
    """A matrix as rows of compact complex numbers: ``0.71``, ``-0.71i``, ``0.5+0.5i``, ``0``."""
    def fmt(z: complex) -> str:
        re, im = round(z.real, digits), round(z.imag, digits)
        re = 0.0 if re == 0 else re
        im = 0.0 if im == 0 else im
        if im == 0:
            return f"{re:g}"
        if re == 0:
            return f"{im:g}i"
        return f"{re:g}{'+' if im > 0 else '-'}{abs(im):g}i"

    cells = [[fmt(complex(z)) for z in row] for row in m]
    width = max(len(c) for row in cells for c in row)
    return "\n".join("[ " + "  ".join(c.rjust(width) for c in row) + " ]" for row in cells)


# ----------------------------------------------------------------------------------------------- worker job

def source_weights(spec: ExperimentSpec, source=None):
    """The live outputs' ``LoadedModel`` for a ``WeightsSource`` (default: the initial weights of training.seed)."""
    from workbench.analysis.live_outputs import head_weights
    from workbench.analysis.live_results import WeightsSource

    with _quiet_rng():
        return head_weights(spec, source or WeightsSource(spec.training.seed))


def insight_job(ctx, *, spec: ExperimentSpec, features=None, task: int | None = None, column: int | None = None,
                pair: tuple[int, int] = (0, 1), matrices: bool = True, source=None) -> dict:
    """What the composer shows inside the circuit, as one background job: the probe (when placed) and the matrix
    of every drawn gate at its current angle, with the weights of ``source`` (a ``WeightsSource``, as the live
    outputs use it; default: the initial weights of training.seed). Errors come back as one line, per part."""
    import time

    from workbench.circuits.program import build_program

    t0 = time.perf_counter()
    out: dict = {"probe": None, "probe_error": None, "matrices": {}, "matrices_error": None, "angles": {},
                 "weights": None, "weights_notes": [], "seconds": 0.0}
    try:
        program = build_program(spec, head_width(spec))
        x = np.zeros(program.n_features) if features is None else check_features(features, program.n_features)
        loaded = source_weights(spec, source)
        weights = loaded.head_weights()
        out["weights"], out["weights_notes"] = loaded.weights, list(loaded.notes)
    except Exception as exc:  # noqa: BLE001 - a spec mid-edit: say why in one line
        out["probe_error"] = out["matrices_error"] = _one_line(exc)
        return out
    if task is not None and column is not None:
        try:
            out["probe"] = probe(spec, task, column, x, weights, pair)
        except Exception as exc:  # noqa: BLE001
            out["probe_error"] = _one_line(exc)
    if matrices:
        try:
            angles = drawn_gate_angles(spec, x, weights)
            out["angles"] = {ref: list(values) for ref, (_, values) in angles.items()}
            out["matrices"] = circuit_matrices(spec, x, weights, angles)
        except Exception as exc:  # noqa: BLE001
            out["matrices_error"] = _one_line(exc)
    out["seconds"] = time.perf_counter() - t0
    return out


def default_input_job(ctx, *, spec: ExperimentSpec, base_dir: str | None = None) -> dict:
    """The first test sample's encoder features, or zeros (with why) when the data cannot be read."""
    try:
        s = sample_features(spec, 0, base_dir)
        return {"features": s.features, "text": f"{s.split} sample {s.index}", "error": None}
    except Exception as exc:  # noqa: BLE001
        from workbench.circuits.program import build_program

        try:
            n = build_program(spec, head_width(spec)).n_features
        except Exception:  # noqa: BLE001
            n = spec.backbone.width
        return {"features": np.zeros(n), "text": "zeros", "error": _one_line(exc)}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
