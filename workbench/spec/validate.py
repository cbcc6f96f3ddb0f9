"""Semantic checks of an experiment spec. Every error names the field path and the bad value."""

from __future__ import annotations

import math

from workbench.errors import SpecError
from workbench.spec import bounds as B
from workbench.spec import layout as L
from workbench.spec import vocabulary as V
from workbench.spec.bounds import MAX_QUBITS  # noqa: F401 - the GUI's qubit spin box reads it here
from workbench.spec.memory import check_training_fits, human_bytes, memory_limit, total_memory_bytes  # noqa: F401
from workbench.spec.model import BlockSpec, ExperimentSpec, ReadoutSpec, TaskSpec
from workbench.spec.params import parse_param
from workbench.textsafe import shown


def _one_of(path: str, value, allowed) -> None:
    if value not in allowed:
        raise SpecError(path, f"unknown value {shown(value)} (valid: {', '.join(map(str, allowed))})")


def _positive(path: str, value, allow_zero=False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise SpecError(path, f"must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")


def default_readout(classes: int, qubits: int) -> ReadoutSpec:
    """The readout a task gets when its spec names none: ``<Z>`` per class where the qubits allow it."""
    if classes == 2:
        return ReadoutSpec(kind="expval", wires=[0], scale=4.0)
    if classes <= qubits:
        return ReadoutSpec(kind="expval", wires=list(range(classes)), scale=4.0)
    k = math.ceil(math.log2(classes))
    return ReadoutSpec(kind="probs", wires=list(range(k)))


def _task_index(spec: ExperimentSpec, task: TaskSpec) -> int:
    for i, t in enumerate(spec.tasks):
        if t is task:
            return i
    return spec.tasks.index(task)


def effective_readout(spec: ExperimentSpec, task: TaskSpec) -> ReadoutSpec:
    if task.readout is not None:
        return task.readout
    wires = L.task_wires(spec, _task_index(spec, task))
    if spec.quantum.layout == "registers":
        return L.registers_readout(task, len(wires))
    if task.is_regression:
        return ReadoutSpec(kind="expval", wires=[wires[0] if wires else 0], scale=1.0, mapping="tanh")
    block_wires = spec.block_for(task).wires
    if not block_wires:  # every wire: the readout as it always was (also mid-edit, with no qubits yet)
        return default_readout(task.classes, spec.quantum.qubits)
    r = default_readout(task.classes, len(block_wires))  # on the block's own wires
    r.wires = [block_wires[w] if w < len(block_wires) else w for w in r.wires]
    return r


def _pauli_problem(readout: ReadoutSpec, classes: int, qubits: int, wires: list[int] | None
                   ) -> tuple[str, str] | None:
    if not readout.words:
        return "words", "needs at least one Pauli word, e.g. [\"Z0\"]"
    register = list(range(qubits)) if wires is None else wires
    try:
        words = L.absolute_words(readout, register)
    except ValueError as exc:
        return "words", str(exc)
    for text, word in zip(readout.words, words):
        bad = [w for _, w in word if not 0 <= w < qubits]
        if bad:
            return "words", f"{text!r}: wire {bad[0]} does not exist (the circuit has wires 0..{qubits - 1})"
    k = len(words)
    if readout.scales is not None:
        if len(readout.scales) != k:
            return "scales", f"needs one scale per word ({k}), got {len(readout.scales)}"
        if not all(math.isfinite(v) for v in readout.scales):
            return "scales", f"must be finite numbers, got {readout.scales}"
    if classes == 1:
        if k != 1:
            return "words", f"a regression task reads one word, got {k}"
    elif readout.binary == "single-logit":
        if classes != 2 or k != 1:
            return "binary", (f"single-logit needs a 2-class task and one word; the task has {classes} classes "
                              f"and {k} word(s)")
    elif not (k == classes or (classes == 2 and k == 1)):
        return "words", f"needs one word per class ({classes}), or one word for 2 classes; got {k}"
    return None


def readout_problem(readout: ReadoutSpec, classes: int, qubits: int, wires: list[int] | None = None
                    ) -> tuple[str, str] | None:
    """Return (field, reason) when the readout cannot serve ``classes`` on ``qubits`` wires, else None.
    ``classes`` 1 is a regression task; ``wires`` is the task's register (relative Pauli words count within it)."""
    if readout.kind not in V.READOUTS:
        return "kind", f"unknown value {readout.kind!r} (valid: {', '.join(V.READOUTS)})"
    if readout.binary not in V.BINARY_READOUTS:
        return "binary", f"unknown value {readout.binary!r} (valid: {', '.join(V.BINARY_READOUTS)})"
    if readout.mapping not in V.REGRESSION_MAPPINGS:
        return "mapping", f"unknown value {readout.mapping!r} (valid: {', '.join(V.REGRESSION_MAPPINGS)})"
    if readout.binary == "single-logit" and readout.kind == "probs":
        return "binary", "single-logit needs an expval or pauli readout"
    if readout.kind == "pauli":
        return _pauli_problem(readout, classes, qubits, wires)
    if classes == 1 and (readout.kind != "expval" or len(readout.wires) != 1):
        return "kind", "a regression task reads one <Z> (kind = \"expval\" on one wire) or one Pauli word"
    if readout.binary == "single-logit" and (classes != 2 or len(readout.wires) != 1):
        return "binary", f"single-logit needs a 2-class task and one wire, got {classes} classes"
    if not readout.wires:
        return "wires", "needs at least one wire"
    bad = [w for w in readout.wires if not 0 <= w < qubits]
    if bad:
        return "wires", f"wire {bad[0]} does not exist (the circuit has wires 0..{qubits - 1})"
    if len(set(readout.wires)) != len(readout.wires):
        return "wires", f"repeats a wire: {readout.wires}"
    if readout.kind == "expval":
        if not (len(readout.wires) == classes or (classes == 2 and len(readout.wires) == 1)):
            return "wires", (f"<Z> readout needs one wire per class ({classes}), or one wire for 2 "
                             f"classes; got {len(readout.wires)} wires")
    elif 2 ** len(readout.wires) < classes:
        need = math.ceil(math.log2(classes))
        return "wires", (f"{len(readout.wires)} wires give {2 ** len(readout.wires)} basis states, fewer "
                         f"than {classes} classes; use at least {need} wires")
    return None


def _validate_block_wires(block: BlockSpec, path: str, qubits: int, encoder: bool) -> int:
    """The number of wires the block's template spans: its ``wires`` when given, else every qubit."""
    if block.wires is None:
        return qubits
    if encoder:
        raise SpecError(f"{path}.wires", "the shared encoder acts on every qubit; only task blocks take wires")
    if not block.wires:
        raise SpecError(f"{path}.wires", "needs at least one wire (or leave it out for every wire)")
    for w in block.wires:
        if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w < qubits:
            raise SpecError(f"{path}.wires", f"wire {w!r} does not exist (the circuit has wires 0..{qubits - 1})")
    if len(set(block.wires)) != len(block.wires):
        raise SpecError(f"{path}.wires", f"repeats a wire: {block.wires}")
    return len(block.wires)


def validate_block(block: BlockSpec, path: str, qubits: int, encoder: bool) -> None:
    qubits = _validate_block_wires(block, path, qubits, encoder)  # templates and custom gates count within them
    allowed = V.ENCODERS if encoder else V.ANSATZE
    _one_of(f"{path}.template", block.template, allowed)
    B.check_int(f"{path}.layers", block.layers, 0 if encoder else 1, B.MAX_LAYERS)
    B.check_int(f"{path}.trainable_layers", block.trainable_layers, 0, B.MAX_LAYERS)
    B.check_float(f"{path}.input_scale", block.input_scale, -B.MAX_ABS_FLOAT, B.MAX_ABS_FLOAT)
    if len(block.gates) > B.MAX_GATES:
        raise SpecError(f"{path}.gates", f"at most {B.MAX_GATES} gates in one block, got {len(block.gates)}")
    if len(block.rotations) > 16:
        raise SpecError(f"{path}.rotations", f"at most 16 rotation gates, got {len(block.rotations)}")
    _one_of(f"{path}.rotation", block.rotation, V.ROTATION_AXES)
    for i, r in enumerate(block.rotations):
        _one_of(f"{path}.rotations[{i}]", r, V.ROTATION_GATES)
    if block.template == "HardwareEfficient" and not block.rotations:
        raise SpecError(f"{path}.rotations", "needs at least one rotation gate")
    _one_of(f"{path}.entangler", block.entangler, V.ENTANGLERS)
    _one_of(f"{path}.entanglement", block.entanglement, V.ENTANGLEMENTS)
    _positive(f"{path}.trainable_layers", block.trainable_layers, allow_zero=True)
    if not math.isfinite(block.input_scale):
        raise SpecError(f"{path}.input_scale", f"must be finite, got {block.input_scale!r}")
    if block.ranges is not None:
        if len(block.ranges) != block.layers:
            raise SpecError(f"{path}.ranges", f"needs one range per layer ({block.layers}), got {block.ranges}")
        for i, r in enumerate(block.ranges):
            if not 1 <= r < max(qubits, 2):
                raise SpecError(f"{path}.ranges[{i}]", f"must be in 1..{max(qubits - 1, 1)}, got {r}")
    if block.template == "Custom":
        for i, g in enumerate(block.gates):
            gpath = f"{path}.gates[{i}]"
            _one_of(f"{gpath}.gate", g.gate, tuple(V.GATES))
            nwires, nparams = V.GATES[g.gate]
            if len(g.wires) > qubits or len(g.params) > 8:
                raise SpecError(f"{gpath}.wires", f"{len(g.wires)} wires / {len(g.params)} angles for one gate "
                                                  f"on {qubits} qubits")
            if (nwires is not None and len(g.wires) != nwires) or not g.wires:
                raise SpecError(f"{gpath}.wires", f"{g.gate} acts on {nwires or 'one or more'} wire(s), "
                                                  f"got {g.wires}")
            for w in g.wires:
                if not 0 <= w < qubits:
                    raise SpecError(f"{gpath}.wires", f"wire {w} does not exist "
                                                      f"(the circuit has wires 0..{qubits - 1})")
            if len(set(g.wires)) != len(g.wires):
                raise SpecError(f"{gpath}.wires", f"repeats a wire: {g.wires}")
            if len(g.params) != nparams:
                raise SpecError(f"{gpath}.params", f"{g.gate} takes {nparams} angle(s), got {len(g.params)}")
            for j, p in enumerate(g.params):
                try:
                    tok = parse_param(p)
                except ValueError as exc:
                    raise SpecError(f"{gpath}.params[{j}]", str(exc)) from None
                if tok.kind == "input" and not encoder:
                    raise SpecError(f"{gpath}.params[{j}]", f"{p!r}: input features belong in the "
                                                            f"shared encoder, not in a task block")


def _validate_bounds(spec: ExperimentSpec) -> None:
    """Sizes first: nothing below may build a list, a circuit or a 2^n figure from an unbounded number."""
    B.check_text("name", spec.name, B.MAX_TITLE_CHARS)
    B.check_text("description", spec.description, B.MAX_TEXT_CHARS, allow_newlines=True)
    q = spec.quantum
    if isinstance(q.qubits, int) and not isinstance(q.qubits, bool) and q.qubits < 1:
        raise SpecError("quantum.qubits", f"needs at least 1 qubit, got {q.qubits}")
    if isinstance(q.qubits, int) and not isinstance(q.qubits, bool) and q.qubits > B.MAX_QUBITS:
        size = human_bytes(2**q.qubits * 8) if q.qubits < 60 else f"2^{min(q.qubits, 10**6)} x 8 bytes"
        raise SpecError("quantum.qubits", f"{shown(q.qubits)} qubits need about {size} for one statevector per "
                                          f"sample (the memory limit is {human_bytes(memory_limit())}); this "
                                          f"workbench simulates at most {B.MAX_QUBITS} qubits")
    B.check_int("quantum.qubits", q.qubits, 1, B.MAX_QUBITS)
    if len(spec.tasks) > B.MAX_TASKS:
        raise SpecError("tasks", f"at most {B.MAX_TASKS} tasks, got {len(spec.tasks)}")
    for i, t in enumerate(spec.tasks):
        B.check_task_name(f"tasks[{i}].name", t.name) if t.name.strip() else None
        B.check_int(f"tasks[{i}].classes", t.classes, -(2**63), B.MAX_CLASSES)
        B.check_float(f"tasks[{i}].weight", t.weight, 0.0, B.MAX_ABS_FLOAT)
        if t.label is not None:
            B.check_text(f"tasks[{i}].label", t.label, 1000)
        if t.class_names is not None:
            if len(t.class_names) > B.MAX_CLASSES:
                raise SpecError(f"tasks[{i}].class_names", f"at most {B.MAX_CLASSES} class names, "
                                                           f"got {len(t.class_names)}")
            for j, name in enumerate(t.class_names):
                if isinstance(name, str):  # other types get their plain-words error below
                    B.check_text(f"tasks[{i}].class_names[{j}]", name, 200)
        if t.readout is not None:
            B.check_float(f"tasks[{i}].readout.scale", t.readout.scale, -B.MAX_ABS_FLOAT, B.MAX_ABS_FLOAT)
            if len(t.readout.wires) > q.qubits:
                raise SpecError(f"tasks[{i}].readout.wires", f"{len(t.readout.wires)} wires on {q.qubits} qubits")
    b = spec.backbone
    B.check_int("backbone.width", b.width, 1, B.MAX_WIDTH)
    if len(b.hidden) > B.MAX_HIDDEN_LAYERS:
        raise SpecError("backbone.hidden", f"at most {B.MAX_HIDDEN_LAYERS} hidden layers, got {len(b.hidden)}")
    for i, h in enumerate(b.hidden):
        B.check_int(f"backbone.hidden[{i}]", h, 1, B.MAX_WIDTH)
    d = spec.dataset
    from workbench.data.sources import check_dataset_spec  # numpy-free: the names and option bounds only

    check_dataset_spec(d)
    tr = spec.training
    B.check_float("training.lr", tr.lr, 0.0, 1e3, open_lo=True)
    B.check_float("training.weight_decay", tr.weight_decay, 0.0, 1e3)
    B.check_int("training.epochs", tr.epochs, 1, B.MAX_EPOCHS)
    B.check_int("training.batch_size", tr.batch_size, 1, B.MAX_BATCH)
    B.check_int("training.seed", tr.seed, 0, B.MAX_SEED)
    B.check_int("training.patience", tr.patience, 0, B.MAX_EPOCHS)
    if q.noise is not None:
        B.check_text("quantum.noise", q.noise, 1000)
    if len(spec.baselines) > 16:
        raise SpecError("baselines", f"at most 16 baselines, got {len(spec.baselines)}")
    # a rough gate count before any circuit is built: layers x qubits x a few gates, per block
    blocks = [q.encoder, q.default_block] + [t.block for t in spec.tasks if t.block is not None]
    blocks += [q.default_block] * sum(t.block is None for t in spec.tasks)
    gates = sum((max(b.layers, 1) * (1 + b.trainable_layers) * q.qubits * 4 + len(b.gates)) for b in blocks)
    if gates > B.MAX_TOTAL_GATES:
        raise SpecError("quantum", f"the circuits would hold about {gates} gates (at most {B.MAX_TOTAL_GATES}); "
                                   "use fewer layers, qubits or tasks")


def _check_class_names(path: str, task: TaskSpec) -> None:
    names = task.class_names
    if task.is_regression:
        raise SpecError(path, f"task {shown(task.name)} is a regression task; only a classification task has "
                              "class names")
    if len(names) != task.classes:
        raise SpecError(path, f"task {shown(task.name)} has {task.classes} classes but {len(names)} class names; "
                              f"give one name per class or leave class_names out")
    for j, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise SpecError(f"{path}[{j}]", f"task {shown(task.name)}: a class name must be a non-empty text, "
                                            f"got {shown(name)}")
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise SpecError(path, f"task {shown(task.name)} names two classes {shown(twice)}")


def validate(spec: ExperimentSpec) -> None:
    if not spec.name.strip():
        raise SpecError("name", "must not be empty")
    _validate_bounds(spec)
    # dataset
    d = spec.dataset
    for key in ("val_fraction", "test_fraction"):
        v = getattr(d, key)
        if not 0 <= v < 1:
            raise SpecError(f"dataset.{key}", f"must be in [0, 1), got {v!r}")
    if d.val_fraction + d.test_fraction >= 1:
        raise SpecError("dataset.test_fraction", "val_fraction + test_fraction must be below 1")
    if d.pca is not None:
        _positive("dataset.pca", d.pca)
    # tasks
    if not spec.tasks:
        raise SpecError("tasks", "needs at least one task")
    seen = set()
    for i, t in enumerate(spec.tasks):
        if not t.name.strip():
            raise SpecError(f"tasks[{i}].name", "must not be empty")
        if t.name in seen:
            raise SpecError(f"tasks[{i}].name", f"duplicate task name {shown(t.name)}")
        seen.add(t.name)
        _one_of(f"tasks[{i}].kind", t.kind, V.TASK_KINDS)
        if t.is_regression:
            if t.classes != 1:
                raise SpecError(f"tasks[{i}].classes", f"a regression task has one output; leave classes out "
                                                       f"(got {t.classes})")
            _check_range(f"tasks[{i}].target_range", t.target_range)
        elif t.classes < 2:
            raise SpecError(f"tasks[{i}].classes", f"needs at least 2 classes, got {t.classes}")
        elif t.target_range is not None:
            raise SpecError(f"tasks[{i}].target_range", "only a regression task has a target range")
        if t.class_names is not None:
            _check_class_names(f"tasks[{i}].class_names", t)
        if t.qubits is not None and not 1 <= t.qubits <= MAX_QUBITS:
            raise SpecError(f"tasks[{i}].qubits", f"must be in 1..{MAX_QUBITS}, got {t.qubits}")
        if not (t.weight >= 0 and math.isfinite(t.weight)):
            raise SpecError(f"tasks[{i}].weight", f"must be >= 0, got {t.weight!r}")
    # backbone
    b = spec.backbone
    _one_of("backbone.kind", b.kind, V.BACKBONES)
    _positive("backbone.width", b.width)
    for i, h in enumerate(b.hidden):
        _positive(f"backbone.hidden[{i}]", h)
    _one_of("backbone.activation", b.activation, V.ACTIVATIONS)
    # quantum head
    q = spec.quantum
    if q.qubits < 1:
        raise SpecError("quantum.qubits", f"needs at least 1 qubit, got {q.qubits}")
    _one_of("quantum.engine", q.engine, V.ENGINES)
    _one_of("quantum.dtype", q.dtype, V.DTYPES)
    _validate_layout(spec)
    if q.noise is not None:
        from workbench.engines.noise_model import NoiseSpec  # numpy only: validation stays torch-free

        try:
            NoiseSpec.parse(q.noise, "quantum.noise")
        except SpecError:
            raise
        except ValueError as exc:  # UserError: say which field, once
            raise SpecError("quantum.noise", str(exc).removeprefix("quantum.noise: ")) from None
    validate_block(q.encoder, "quantum.encoder", q.qubits, encoder=True)
    validate_block(q.default_block, "quantum.default_block", q.qubits, encoder=False)
    d_width = L.encoder_width(spec)
    enc = q.encoder.template
    if enc in ("AngleEmbedding", "IQPEmbedding") and d_width > q.qubits:
        raise SpecError("quantum.encoder.template",
                        f"{enc} loads one feature per qubit, but backbone.width is {d_width} > "
                        f"{q.qubits} qubits; use ReUploading or AmplitudeEmbedding, or more qubits")
    if enc == "AmplitudeEmbedding" and d_width > 2**q.qubits:
        raise SpecError("quantum.encoder.template",
                        f"AmplitudeEmbedding holds at most 2^{q.qubits} = {2**q.qubits} features, "
                        f"backbone.width is {d_width}")
    if enc == "Custom":
        for i, g in enumerate(q.encoder.gates):
            for j, p in enumerate(g.params):
                tok = parse_param(p)
                if tok.kind == "input" and tok.index >= d_width:
                    raise SpecError(f"quantum.encoder.gates[{i}].params[{j}]",
                                    f"{p!r} reads feature {tok.index}, but the encoder loads {d_width} features")
    for i, t in enumerate(spec.tasks):
        wires = L.task_wires(spec, i)
        if q.layout == "registers":
            if t.block is not None and t.block.wires is not None and list(t.block.wires) != wires:
                raise SpecError(f"tasks[{i}].block.wires", f"in the registers layout the block acts on the "
                                                           f"task's register {wires}; size it with "
                                                           f"tasks[{i}].qubits instead")
            where = f"tasks[{i}].block" if t.block is not None else "quantum.default_block"
            try:
                validate_block(L.effective_block(spec, i), where, q.qubits, encoder=False)
            except SpecError as exc:  # say which register the block did not fit
                raise SpecError(exc.path, f"{exc.message} (task {t.name!r} on its register {wires})") from None
        elif t.block is not None:
            validate_block(t.block, f"tasks[{i}].block", q.qubits, encoder=False)
        problem = readout_problem(effective_readout(spec, t), t.classes, q.qubits, wires)
        if problem is None and q.layout == "registers":
            problem = _outside_register(effective_readout(spec, t), wires)
        if problem:
            field, reason = problem
            where = f"tasks[{i}].readout.{field}" if t.readout is not None else "quantum.qubits"
            if t.readout is None:
                reason = f"task {t.name!r} with {t.classes} classes needs an explicit readout: {reason}"
            raise SpecError(where, reason)
    # baselines and training
    for i, name in enumerate(spec.baselines):
        _one_of(f"baselines[{i}]", name, V.BASELINES)
    tr = spec.training
    _one_of("training.optimizer", tr.optimizer, V.OPTIMIZERS)
    _one_of("training.schedule", tr.schedule, V.SCHEDULES)
    _one_of("training.loss_weighting", tr.loss_weighting, V.LOSS_WEIGHTINGS)
    _one_of("training.device", tr.device, V.DEVICES)
    if not (tr.lr > 0 and math.isfinite(tr.lr)):
        raise SpecError("training.lr", f"must be > 0, got {tr.lr!r}")
    _positive("training.epochs", tr.epochs)
    _positive("training.batch_size", tr.batch_size)
    _positive("training.patience", tr.patience, allow_zero=True)
    _positive("training.weight_decay", tr.weight_decay, allow_zero=True)
    # last: the estimate builds the circuits, which needs everything above to hold
    check_training_fits(spec)


def _check_range(path: str, value) -> None:
    if value is None:
        return
    if len(value) != 2 or not all(math.isfinite(v) for v in value) or not value[0] < value[1]:
        raise SpecError(path, f"needs two finite numbers [low, high] with low < high, got {value!r}")


def _outside_register(readout: ReadoutSpec, wires: list[int]) -> tuple[str, str] | None:
    """Registers layout: a task reads only its own register (all tasks can then be read from one state)."""
    if readout.kind == "pauli":
        used = [w for word in L.absolute_words(readout, wires) for _, w in word]
        field = "words"
    else:
        used, field = list(readout.wires), "wires"
    bad = [w for w in used if w not in wires]
    if bad:
        return field, f"wire {bad[0]} is outside the task's register {wires}"
    return None


def _validate_layout(spec: ExperimentSpec) -> None:
    q = spec.quantum
    _one_of("quantum.layout", q.layout, V.LAYOUTS)
    if q.projection is not None:
        _positive("quantum.projection", q.projection)
    if q.layout != "registers":
        return
    for i, t in enumerate(spec.tasks):
        if t.readout is None and not t.is_regression and t.classes > L.max_default_words(L.register_size(t)):
            raise SpecError(f"tasks[{i}].qubits", f"{t.classes} classes need more Pauli words than a "
                                                  f"{L.register_size(t)}-qubit register offers by default; "
                                                  f"give a larger register or a readout")
    width = L.registers_width(spec.tasks)
    if q.qubits != width:
        sizes = " + ".join(str(L.register_size(t)) for t in spec.tasks)
        raise SpecError("quantum.qubits", f"the registers layout uses {sizes} = {width} qubits (one register per "
                                          f"task); set qubits = {width}, got {q.qubits}")
    need = L.REGISTER_ENCODING_LAYERS * width
    have = L.encoder_width(spec)
    if have != need:
        where = "quantum.projection" if q.projection is not None else "backbone.width"
        raise SpecError(where, f"the registers layout loads {L.REGISTER_ENCODING_LAYERS} x {width} = {need} "
                               f"features into the shared encoder, got {have}; set backbone.width = {need} or "
                               f"quantum.projection = {need}")
