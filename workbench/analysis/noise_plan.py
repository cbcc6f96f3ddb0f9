"""What evaluating one backend will cost, worked out before anything is simulated.

``plan_backend`` prepares the backend's executor (for a fake device: transpiles every task circuit onto the
device and cuts the ISA circuit down to the physical qubits it touches) and returns the figures the decision
rests on: transpiled depth and two-qubit gates, the physical qubits the routed circuit really touches, the state
one input needs in the executor (2^n amplitudes for the statevector, 4^k Pauli coefficients for a density
matrix on k qubits) and a time estimate. ``check`` turns a plan that cannot finish into a one-line refusal that
names the figures and the ways out.

The time estimate counts, per input, the multiply-adds of the gate/channel matrices on the density state
(4^k x 4 for a one-qubit op, 4^k x 16 for a two-qubit op) and multiplies by ``SECONDS_PER_UNIT``, measured with
``qmtl bench --noise`` on a 2-core machine (the order of magnitude is what matters: it separates seconds from
hours).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from workbench.errors import UserError

SECONDS_PER_UNIT = 5e-10  # one multiply-add of a density op, float32, 2 cores (measured on the digits demo)
DEFAULT_MAX_SECONDS = 600.0


@dataclass
class BackendPlan:
    backend: str  # as the user wrote it
    kind: str  # ideal | channels | device
    executor: str  # statevector | density | ptm | aer
    qubits: int  # qubits simulated (the routed circuit's active physical qubits for a device)
    physical_qubits: list[int] = field(default_factory=list)  # device mode: which ones
    depth: int = 0  # of the deepest task circuit (transpiled for a device)
    two_qubit_gates: int = 0  # summed over the task circuits (transpiled for a device)
    state_bytes: int = 0  # one input's state in the executor
    work_units: float = 0.0  # multiply-adds per input (see the module doc)
    est_seconds: float = 0.0
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def figures(self) -> str:
        where = f" (physical {self.physical_qubits})" if self.physical_qubits else ""
        return (f"{self.executor} on {self.qubits} qubits{where}, depth {self.depth}, {self.two_qubit_gates} "
                f"two-qubit gates, {_size(self.state_bytes)} per input, est. {self.est_seconds:.0f} s")


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def _units(ops, n: int) -> float:
    return sum(4**n * (16 if len(op.wires) == 2 else 4) for op in ops)


def plan_statevector(label: str, program, inputs: int) -> BackendPlan:
    from workbench.circuits.resources import task_circuit_resources

    res = [task_circuit_resources(program, t.name) for t in program.tasks]
    n = program.n_qubits
    units = sum(r.one_qubit + r.two_qubit for r in res) * 2**n * 4
    return BackendPlan(label, "ideal", "statevector", n, depth=max(r.depth for r in res),
                       two_qubit_gates=sum(r.two_qubit for r in res), state_bytes=16 * 2**n, work_units=units,
                       est_seconds=units * inputs * SECONDS_PER_UNIT, detail="ideal (statevector)")


def plan_density(label: str, kind: str, program, engine, inputs: int) -> BackendPlan:
    """``engine``: a ``DensityEngine`` (uniform channels, or a device's calibrated model)."""
    from workbench.circuits.resources import task_circuit_resources

    res = [task_circuit_resources(program, t.name) for t in program.tasks]
    n = program.n_qubits
    units = _units(engine.encoder.ops, n)
    for t in engine.tasks:
        rows = (t.G if t.G_outcomes is None else t.G_outcomes).shape[0]  # Pauli words: their expectations
        per_input = t.block.reads_inputs or rows > inputs
        units += _units(t.block.ops, n) if per_input else 4**n * rows
    bytes_per = 4**n * (4 if engine.rdtype.itemsize == 4 else 8)
    return BackendPlan(label, kind, "density", n, depth=max(r.depth for r in res),
                       two_qubit_gates=sum(r.two_qubit for r in res), state_bytes=bytes_per, work_units=units,
                       est_seconds=units * inputs * SECONDS_PER_UNIT, detail=engine.noise.describe())


def plan_device(label: str, program, engine, inputs: int) -> BackendPlan:
    """``engine``: an ``AerEngine`` in device mode; transpiles (cached) and builds the executor of every task."""
    from workbench.engines.density_engine import MAX_QUBITS
    from workbench.engines.fake_backends import TWO_QUBIT_GATES

    active: set[int] = set()
    depth = twos = 0
    units = 0.0
    executor = "ptm"
    shared_seen: set = set()
    k = 0
    for t in program.tasks:
        prep = engine.prepare(t.name, check=False)
        active.update(prep.active)
        k = max(k, len(prep.active))
        depth = max(depth, prep.depth)
        twos += sum(v for g, v in prep.isa_ops.items() if g in TWO_QUBIT_GATES)
        ptm = engine._ptm(t.name, prep) if len(prep.active) <= MAX_QUBITS else None
        if ptm is None:
            executor = "aer"
            units += 4 * len(prep.active) * 4 ** len(prep.active) * sum(prep.isa_ops.values())  # Aer's own
            continue
        if ptm.shared_key not in shared_seen:
            shared_seen.add(ptm.shared_key)
            units += _units(ptm.shared.ops, ptm.n)
        units += _units(ptm.middle.ops, ptm.n) + 4**ptm.n * ptm.G.shape[0]
    how = "exact, Pauli-transfer executor" if executor == "ptm" else "exact, Aer density matrix"
    detail = f"{engine.backend} noise model (Aer) on the ISA circuit, physical qubits {sorted(active)}, {how}"
    return BackendPlan(label, "device", executor, k, physical_qubits=sorted(active), depth=depth,
                       two_qubit_gates=twos, state_bytes=4**k * (4 if engine.precision == "single" else 8),
                       work_units=units, est_seconds=units * inputs * SECONDS_PER_UNIT, detail=detail)


def check(plan: BackendPlan, inputs: int, max_seconds: float | None, n_qubits: int) -> None:
    """Refuse (UserError, one line) a plan that would not finish in time or in memory."""
    from workbench.engines.aer_engine import MAX_ACTIVE_QUBITS
    from workbench.engines.density_engine import MAX_QUBITS

    limit = MAX_QUBITS if plan.executor in ("density", "ptm") else MAX_ACTIVE_QUBITS
    why = ""
    if plan.qubits > limit:
        why = f"an exact density matrix of {plan.qubits} qubits is beyond this machine (at most {limit})"
    elif max_seconds is not None and plan.est_seconds > max_seconds:
        why = f"the estimate exceeds the {max_seconds:.0f} s allowed (--max-seconds)"
    if not why:
        return
    options = [f"--limit N inputs (now {inputs})", f"--max-seconds {max(plan.est_seconds * 1.5, 60):.0f}"]
    if plan.kind == "device" and plan.executor != "density":
        from workbench.engines import fake_backends

        small = [b.name for b in fake_backends.catalog() if n_qubits <= b.qubits <= 27][:3]
        options = ["--engine density (the device's calibrated model on the circuit's "
                   f"{n_qubits} qubits, coupling-map-aware layout)"] + options
        if small:
            options.append(f"a smaller device ({', '.join(small)})")
    raise UserError(f"--backends: {plan.backend}: {plan.figures()} for {inputs} inputs; {why}. "
                    f"Options: {'; '.join(options)}")
