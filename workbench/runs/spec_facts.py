"""Figures that follow from a run's stored spec alone: which runs are seeds of one configuration, and the size of
the circuit its head runs (qubits, depth, two-qubit gates). A run's spec never changes, so each run's facts are
worked out once and kept in a ``SpecFacts`` cache."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from workbench.runs.records import RunInfo
from workbench.runs.store import RunStore


@dataclass(frozen=True)
class Facts:
    group: str  # runs that differ only in their seed share it
    qubits: int | None  # None: the head runs no circuit (hps) or the spec no longer reads
    depth: int | None
    two_qubit: int | None


def _circuit(spec, head: str) -> tuple[int | None, int | None, int | None]:
    """(qubits, depth, two-qubit gates) of what the head executes, counted as ``qmtl params`` counts them."""
    from workbench.circuits.program import build_program
    from workbench.circuits.resources import count_gates, program_resources
    from workbench.circuits.templates import expand_ansatz

    if head == "hps":
        return None, None, None
    program = build_program(spec, spec.backbone.width)
    if head == "hybrid":  # one shared circuit: the encoder and one block over every qubit
        block = expand_ansatz(spec.quantum.default_block, program.n_qubits, "shared")
        r = count_gates(program.encoder.gates + block.gates, program.n_qubits)
        return program.n_qubits, r.depth, r.two_qubit
    # qmtl and single run the same task circuits (the encoder followed by the task's block)
    res = program_resources(program)
    return program.n_qubits, res.max_depth, res.total_two_qubit


def facts_of(store: RunStore, info: RunInfo, known: dict | None = None) -> Facts:
    """``known``: facts already worked out, by spec text and the params that matter (seeds of one configuration
    differ in their spec's seed only, so this saves little; repeated runs of one spec it saves all)."""
    from workbench.spec import dumps, loads

    text, fmt = store.spec(info.id)
    p = info.params
    head = str(p.get("head") or "qmtl")
    key = (text, fmt, head, p.get("engine"), p.get("epochs"))
    if known is not None and key in known:
        return known[key]
    try:
        spec = loads(text, fmt, info.id)
        circuit = _circuit(spec, head)
        spec.training.seed = 0
        text = dumps(spec)
    except Exception:  # noqa: BLE001 - an unreadable spec still groups by its text; it has no circuit figures
        circuit = (None, None, None)
    raw = f"{text}\n{head}\n{p.get('engine')}\n{p.get('epochs')}"
    found = Facts(hashlib.sha1(raw.encode()).hexdigest()[:12], *circuit)
    if known is not None:
        known[key] = found
    return found


class SpecFacts:
    """``facts(store, info)``, computed once per run id."""

    def __init__(self) -> None:
        self._known: dict[str, Facts] = {}
        self._by_spec: dict[tuple, Facts] = {}

    def __call__(self, store: RunStore, info: RunInfo) -> Facts:
        found = self._known.get(info.id)
        if found is None:
            found = self._known[info.id] = facts_of(store, info, self._by_spec)
        return found
