"""The pre-flight estimate, computed before anything is submitted.

Per task: the logical and transpiled (ISA) depth and two-qubit gate count, bindings (parameter sets: one
per input sample), shots and measurement groups; per run: jobs, circuits x shots and estimated QPU seconds.

Estimated QPU time (a planning figure, not IBM's bill)::

    qpu_s = sum over jobs  [ JOB_OVERHEAD_S + (TREX_CAL_SHOTS x (rep_delay + t_meas) if TREX is on) ]
          + sum over tasks [ bindings x groups x shots x (n_f x rep_delay + sum_f(f) x t_circ) ]

``t_circ``: the ISA circuit's critical-path duration from the target's gate durations (plus the readout for
estimator work, whose circuits carry no measurements until the service adds them); ``rep_delay``: the
backend's ``default_rep_delay`` (250 us when it has none); ``groups``: qubit-wise commuting groups of the
task's observables (measurement settings; 1 for sampler work); ``f``: the ZNE noise factors (only ``1`` without
ZNE, so the bracket is ``rep_delay + t_circ``); ``JOB_OVERHEAD_S`` = 2 s and ``TREX_CAL_SHOTS`` = 4096 are
assumptions standing in for per-job set-up and readout-calibration work that IBM does not publish per device.

Hardware fine-tuning runs one job per step (one per primitive when tasks mix <Z> and probability readouts):
SPSA needs 3 bindings per sample per step (the point and its two perturbations), parameter shift 1 + 2K
(K = the task circuit's trainable angles).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from workbench.hardware.circuits import IsaTask, logical_two_qubit_gates
from workbench.hardware.mitigation import Mitigation

JOB_OVERHEAD_S = 2.0
TREX_CAL_SHOTS = 4096
DEFAULT_REP_DELAY_S = 250e-6
FINETUNE_METHODS = ("spsa", "shift")


@dataclass(frozen=True)
class FineTune:
    method: str  # "spsa" | "shift"
    steps: int = 10
    batch: int = 8
    lr: float = 0.2  # SPSA: a of the gain a_k = a / (A + k + 1)^0.602; shift: gradient-descent step size
    perturbation: float = 0.2  # SPSA: c of c_k = c / (k + 1)^0.101
    seed: int = 0

    def check(self) -> FineTune:
        from workbench.errors import UserError

        if self.method not in FINETUNE_METHODS:
            raise UserError(f"--finetune: unknown method {self.method!r} (valid: {', '.join(FINETUNE_METHODS)})")
        if not 1 <= self.steps <= 10_000:
            raise UserError(f"--steps: must be 1..10000, got {self.steps}")
        if not 1 <= self.batch <= 100_000:
            raise UserError(f"--batch: must be >= 1, got {self.batch}")
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise UserError(f"--lr: must be > 0, got {self.lr}")
        if not (np.isfinite(self.perturbation) and self.perturbation > 0):
            raise UserError(f"--perturbation: must be > 0, got {self.perturbation}")
        return self

    def bindings_per_sample(self, k: int) -> int:
        return 3 if self.method == "spsa" else 1 + 2 * k


@dataclass
class TaskEstimate:
    task: str
    primitive: str
    logical_depth: int
    logical_two_qubit: int
    isa_depth: int
    isa_two_qubit: int
    isa_size: int
    isa_ops: dict
    bindings: int
    groups: int
    shots: int
    circuit_s: float  # critical-path duration of one ISA circuit execution
    qpu_s: float
    trainable: int = 0


@dataclass
class FineTuneBudget:
    method: str
    steps: int
    batch: int
    bindings_per_step: int
    jobs: int
    shots: int
    qpu_s: float
    per_task: dict = field(default_factory=dict)  # task -> bindings per step

    @property
    def bindings(self) -> int:
        return self.steps * self.bindings_per_step


@dataclass
class Preflight:
    backend: str
    num_qubits: int
    local: bool
    mode: str
    shots: int
    rep_delay_s: float
    mitigation: dict
    tasks: list[TaskEstimate]
    jobs: int
    qpu_s: float
    finetune: FineTuneBudget | None = None
    pending_jobs: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def bindings(self) -> int:
        return sum(t.bindings for t in self.tasks)

    @property
    def circuits(self) -> int:
        """Circuit executions the evaluation asks for (bindings x measurement groups x ZNE factors)."""
        nf = len(self.mitigation.get("zne_noise_factors") or [1]) if self.mitigation.get("zne_on") else 1
        return sum(t.bindings * t.groups * (nf if t.primitive == "estimator" else 1) for t in self.tasks)

    @property
    def total_shots(self) -> int:
        return self.circuits * self.shots

    @property
    def total_qpu_s(self) -> float:
        return self.qpu_s + (self.finetune.qpu_s if self.finetune else 0.0)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(bindings=self.bindings, circuits=self.circuits, total_shots=self.total_shots,
                 total_qpu_s=self.total_qpu_s)
        if self.finetune:
            d["finetune"]["bindings"] = self.finetune.bindings
        return d

    def render(self) -> str:
        where = "local testing mode (fake backend, Aer)" if self.local else "IBM Quantum"
        queue = "" if self.pending_jobs is None else f", queue {self.pending_jobs} jobs"
        lines = [f"pre-flight: {self.backend} ({self.num_qubits} qubits, {where}{queue}), mode {self.mode}, "
                 f"{self.shots} shots, rep_delay {self.rep_delay_s * 1e6:.0f} us",
                 f"{'task':<14} {'prim':<9} {'depth':>11} {'2q gates':>11} {'bindings':>9} {'groups':>6} "
                 f"{'t_circ us':>10} {'QPU s':>9}"]
        for t in self.tasks:
            lines.append(f"{t.task:<14} {t.primitive:<9} {f'{t.logical_depth}->{t.isa_depth}':>11} "
                         f"{f'{t.logical_two_qubit}->{t.isa_two_qubit}':>11} {t.bindings:>9} {t.groups:>6} "
                         f"{t.circuit_s * 1e6:>10.1f} {t.qpu_s:>9.2f}")
        lines.append(f"total: {self.jobs} job(s), {self.bindings} bindings, {self.circuits} circuits x "
                     f"{self.shots} shots = {self.total_shots} shots, estimated QPU time {self.qpu_s:.1f} s")
        m = self.mitigation
        lines.append(f"mitigation: resilience level {m['effective_level']}"
                     f"{' (service default)' if m['resilience_level'] is None else ''}, "
                     f"TREX {'on' if m['trex_on'] else 'off'}, ZNE {'on' if m['zne_on'] else 'off'}, "
                     f"DD {'on (' + m['dd_sequence'] + ')' if m['dd'] else 'off'}")
        if self.finetune:
            f = self.finetune
            per = ", ".join(f"{k} {v}" for k, v in f.per_task.items())
            rule = "3 per sample (SPSA)" if f.method == "spsa" else "1 + 2K per sample (parameter shift)"
            lines.append(f"fine-tuning ({f.method}): {f.steps} steps x batch {f.batch}: {f.bindings_per_step} "
                         f"bindings per step [{rule}: {per}], {f.jobs} jobs, {f.bindings} bindings, "
                         f"estimated QPU time {f.qpu_s:.1f} s")
            lines.append(f"estimated QPU time in all: {self.total_qpu_s:.1f} s")
        lines.append(f"(estimate: {JOB_OVERHEAD_S:g} s per job + bindings x groups x shots x (rep_delay + t_circ); "
                     "see workbench/hardware/preflight.py)")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------- figures
def rep_delay(backend) -> float:
    for getter in (lambda b: b.configuration().default_rep_delay, lambda b: b.default_rep_delay):
        try:
            v = getter(backend)
            if v:
                v = float(v)
                return v * 1e-6 if v > 1e-2 else v  # some configurations give microseconds
        except Exception:  # the attribute is optional on BackendV2
            continue
    return DEFAULT_REP_DELAY_S


def _duration(target, name: str, qargs: tuple[int, ...]) -> float:
    try:
        props = target[name].get(qargs)
    except Exception:  # an instruction the target has no entry for (barrier): it takes no time
        return 0.0
    return float(props.duration) if props is not None and props.duration else 0.0


def circuit_duration(isa, backend, measured: tuple[int, ...] = ()) -> float:
    """Critical-path seconds of an ISA circuit from the target's durations; ``measured``: physical qubits
    read out at the end when the circuit has no measurements of its own (estimator work)."""
    target = backend.target
    dt = getattr(backend, "dt", None) or 0.0
    finish: dict = {}
    index = {q: i for i, q in enumerate(isa.qubits)}
    for inst in isa.data:
        qargs = tuple(index[q] for q in inst.qubits)
        if not qargs:
            continue
        name = inst.operation.name
        if name == "delay":
            unit = getattr(inst.operation, "unit", "dt")
            d = float(inst.operation.duration or 0) * (dt if unit == "dt" else 1.0)
        else:
            d = _duration(target, name, qargs)
        start = max(finish.get(q, 0.0) for q in qargs)
        for q in qargs:
            finish[q] = start + d
    end = max(finish.values(), default=0.0)
    if measured:
        end += max(_duration(target, "measure", (q,)) for q in measured)
    return end


def measurement_groups(observables) -> int:
    """Qubit-wise commuting groups among all Pauli terms: the measurement settings Estimator needs."""
    if not observables:
        return 1
    from qiskit.quantum_info import PauliList

    terms = [p for o in observables for p in o.paulis if p.x.any() or p.z.any()]
    paulis = PauliList(terms or ["I" * observables[0].num_qubits])
    return len(paulis.group_qubit_wise_commuting())


def _measured_qubits(t: IsaTask) -> tuple[int, ...]:
    if t.observables is None:
        return ()
    qs = set()
    for o in t.observables:
        for p in o.paulis:
            qs.update(int(i) for i in np.flatnonzero(p.x | p.z))
    return tuple(sorted(qs)) or (0,)


def _trex_job_s(backend, rd: float, tasks: list[IsaTask]) -> float:
    qs = sorted({q for t in tasks for q in _measured_qubits(t)}) or [0]
    t_meas = max(_duration(backend.target, "measure", (q,)) for q in qs)
    return TREX_CAL_SHOTS * (rd + t_meas)


def estimate(tasks: list[IsaTask], backend, *, shots: int, mitigation: Mitigation, mode: str = "job",
             local: bool = False, finetune: FineTune | None = None, pending_jobs: int | None = None) -> Preflight:
    rd = rep_delay(backend)
    factors = list(mitigation.zne_noise_factors) if mitigation.zne_on else [1.0]
    per_task: list[TaskEstimate] = []
    per_binding_s: dict[str, float] = {}
    for t in tasks:
        est = t.primitive == "estimator"
        groups = measurement_groups(t.observables) if est else 1
        t_circ = circuit_duration(t.isa, backend, _measured_qubits(t))
        f = factors if est else [1.0]
        one = groups * shots * (len(f) * rd + sum(f) * t_circ)
        per_binding_s[t.name] = one
        ops = {k: int(v) for k, v in t.isa.count_ops().items()}
        isa_2q = sum(1 for i in t.isa.data if i.operation.num_qubits == 2 and i.operation.name != "barrier")
        per_task.append(TaskEstimate(t.name, t.primitive, t.task.circuit.depth(),
                                     logical_two_qubit_gates(t.task.circuit), t.isa.depth(), isa_2q, t.isa.size(),
                                     ops, t.bindings, groups, shots, t_circ, t.bindings * one,
                                     trainable=len(trainable_columns(t))))
    primitives = sorted({t.primitive for t in tasks})
    est_tasks = [t for t in tasks if t.primitive == "estimator"]
    trex = _trex_job_s(backend, rd, est_tasks) if est_tasks and mitigation.trex_on else 0.0
    job_s = {p: JOB_OVERHEAD_S + (trex if p == "estimator" else 0.0) for p in primitives}
    qpu = sum(job_s.values()) + sum(t.qpu_s for t in per_task)
    budget = None
    if finetune is not None:
        per = {}
        step_s = sum(job_s.values())
        for t, te in zip(tasks, per_task):
            b = finetune.bindings_per_sample(te.trainable) * finetune.batch
            per[t.name] = b
            step_s += b * per_binding_s[t.name]
        budget = FineTuneBudget(finetune.method, finetune.steps, finetune.batch, sum(per.values()),
                                finetune.steps * len(primitives), shots, finetune.steps * step_s, per)
    mit = mitigation.as_dict()
    mit.update(trex_on=mitigation.trex_on and bool(est_tasks), zne_on=mitigation.zne_on)
    notes = []
    if local:
        notes.append("local testing mode runs on Aer with the device's noise model; the QPU seconds are what the "
                     "real device would need, not the local wall time")
    if any(t.primitive == "sampler" for t in tasks):
        notes.extend(mitigation.sampler_notes())
    return Preflight(backend.name, int(backend.num_qubits), local, mode, shots, rd, mit, per_task, len(primitives),
                     qpu, budget, pending_jobs, notes)


def trainable_columns(t: IsaTask) -> list[int]:
    """Logical-order columns of the task's trainable parameters."""
    names = set(t.task.trainable)
    return [j for j, p in enumerate(t.task.circuit.parameters) if p.name in names]
