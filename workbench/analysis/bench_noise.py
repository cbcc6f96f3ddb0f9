"""``qmtl bench --noise``: noisy evaluation of the digits demo's test split, engines side by side.

Workload: the shipped digits-3task demo (8 qubits; shared ReUploading encoder of 24 features, one
StronglyEntanglingLayers(2) block per task; readouts: probs on 4 wires, <Z>, <Z>), its test split (~450 inputs)
through the (untrained, seeded) backbone, seeded random head weights. An "input" is one test sample evaluated for
all three tasks. Measured, in one process:

1. the torch density-matrix engine under the backend's calibrated noise model (goal: >= 100 inputs/s), and under
   uniform channels;
2. the Aer fast path (``AerEngine``): the ISA circuits cut to their active qubits under the backend's Aer noise
   model restricted to them, exact outcome probabilities; with the Pauli-transfer executor (default; single
   precision, every input) and with Aer's own density-matrix simulator (double precision, a subset);
3. the plain baseline: ``qiskit_ibm_runtime.EstimatorV2(mode=fake_backend)`` (local testing mode: the whole
   device's noise model, shot-based) on the same ISA circuits for a few inputs; the goal is a per-input rate of the
   fast path >= 10x the baseline's;
4. deviations: the density engine's calibrated model against Aer with the full backend noise model (per task,
   on the fast path's inputs), and the density engine against Aer with the same uniform channels.
One-off costs (noise model, transpilation) are reported apart from the rates.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from workbench.spec.examples import EXPERIMENTS

DEMO = EXPERIMENTS / "digits-3task.toml"
UNIFORM = "depolarizing:0.001/0.01+amplitude_damping:0.001+readout:0.02"


def _workload(spec_path: Path, seed: int = 0):
    from workbench.circuits.program import build_program
    from workbench.models.backbone import make_backbone
    from workbench.spec import load
    from workbench.training import load_data

    spec = load(spec_path)
    data = load_data(spec, spec_path.parent)
    torch.manual_seed(seed)
    backbone = make_backbone(spec.backbone, data.X_train.shape[1])
    with torch.no_grad():
        h = backbone(torch.as_tensor(np.asarray(data.X_test, dtype=np.float32))).double()
    program = build_program(spec, h.shape[1])
    g = torch.Generator().manual_seed(seed)
    weights = {b.name: torch.rand(b.n_weights, generator=g, dtype=torch.float64) * 2 * np.pi
               for b in program.blocks() if b.n_weights}
    return spec, program, h, weights


def _rate(fn: Callable[[], object], inputs: int, reps: int) -> tuple[float, float]:
    """(inputs/s from the median of ``reps`` timed calls after one warm-up, median seconds)."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    s = statistics.median(times)
    return inputs / s, s


def _deviation(a: dict, b: dict) -> dict[str, dict[str, float]]:
    out = {}
    for k in a:
        d = (torch.as_tensor(a[k]).double() - torch.as_tensor(b[k]).double()).abs()
        out[k] = {"max_abs": float(d.max()), "mean_abs": float(d.mean())}
    return out


def _estimator_pubs(program, backend: str, h, weights, inputs: int) -> list:
    from workbench.circuits.export_qiskit import bind_values, projector_observables
    from workbench.engines import fake_backends

    X = h[:inputs].numpy()
    W = {k: v.numpy() for k, v in weights.items()}
    pubs = []
    for t in program.tasks:
        isa, qtc = fake_backends.transpile_program_task(backend, program, t.name)
        obs = qtc.observables or projector_observables(qtc.measured_wires, program.n_qubits)
        pubs.append((isa, [[o.apply_layout(isa.layout)] for o in obs], bind_values(qtc, X, W, isa.parameters)))
    return pubs


def _timed_estimator(make, pubs_for, inputs: int) -> dict:
    """Set-up (estimator and PUBs) apart, a warm-up call on 2 inputs, then one timed call on ``inputs``."""
    t0 = time.perf_counter()
    est = make()
    pubs = pubs_for(inputs)
    warm = pubs_for(2)
    setup = time.perf_counter() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        est.run(warm).result()
        warmup = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = est.run(pubs).result()
        seconds = time.perf_counter() - t0
    shots = None
    try:
        shots = int(result[0].metadata.get("shots")) if result[0].metadata.get("shots") else None
    except (AttributeError, TypeError, ValueError):
        pass
    return {"inputs": inputs, "setup_s": setup, "warmup_s": warmup, "seconds": seconds,
            "inputs_per_s": inputs / seconds, "shots": shots}


def estimator_baseline(program, backend: str, h, weights, inputs: int) -> dict:
    """``qiskit_ibm_runtime.EstimatorV2(mode=fake backend)``: the whole device, shots (its default precision)."""
    from qiskit_ibm_runtime import EstimatorV2

    from workbench.engines import fake_backends

    device = fake_backends.get_backend(backend)
    return _timed_estimator(lambda: EstimatorV2(mode=device),
                            lambda k: _estimator_pubs(program, backend, h, weights, k), inputs)


def exact_estimator(program, backend: str, h, weights, inputs: int) -> dict:
    """Aer's own ``EstimatorV2`` with precision 0 (exact expectation values) under the backend's noise model,
    density-matrix method: the exact peer of our exact executor."""
    from qiskit_aer.primitives import EstimatorV2 as AerEstimatorV2

    from workbench.engines import fake_backends

    nm = fake_backends.noise_model(backend)
    return _timed_estimator(
        lambda: AerEstimatorV2(options={"default_precision": 0.0,
                                        "backend_options": {"method": "density_matrix", "noise_model": nm}}),
        lambda k: _estimator_pubs(program, backend, h, weights, k), inputs)


def _timed_ours(fn, inputs: int) -> dict:
    fn(2)  # warm-up, as for the estimators
    t0 = time.perf_counter()
    fn(inputs)
    seconds = time.perf_counter() - t0
    return {"inputs": inputs, "seconds": seconds, "inputs_per_s": inputs / seconds}


def run_noise_benchmark(backend: str = "fake_hanoi", *, quick: bool = False, aer_inputs: int | None = None,
                        baseline_inputs: int | None = None, spec_path: str | Path | None = None,
                        progress: Callable[[str], None] | None = None) -> dict:
    from workbench.engines import fake_backends
    from workbench.engines.aer_engine import AerEngine
    from workbench.engines.density_engine import DensityEngine

    say = progress or (lambda s: None)
    backend = fake_backends.resolve(backend, where="--backend")
    spec, program, h, weights = _workload(Path(spec_path) if spec_path else DEMO)
    fake_backends.require_qubits(backend, program.n_qubits, where="--backend")
    N = h.shape[0]
    aer_n = min(aer_inputs or (16 if quick else 48), N)
    base_n = min(baseline_inputs or 32, N)
    reps = 1 if quick else 3
    setup: dict[str, float] = {}

    say(f"{backend}: noise model and transpilation (one-off)")
    t0 = time.perf_counter()
    fake_backends.noise_model(backend)
    setup["noise_model_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    aer = AerEngine(program, backend, executor="aer")
    fast = AerEngine(program, backend, precision="single")
    for t in program.tasks:
        aer.prepare(t.name)
        fast.prepare(t.name)
    setup["transpile_and_reduce_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    calibrated = fake_backends.calibrated_noise(backend, program)
    setup["calibrated_model_s"] = time.perf_counter() - t0

    rows = {}
    with torch.no_grad():
        say(f"torch density-matrix engine, {backend} calibration, {N} inputs")
        dens = DensityEngine(program, calibrated, dtype="complex64")
        rate, s = _rate(lambda: dens(h, weights), N, reps)
        rows["density_calibrated"] = {"inputs": N, "seconds": s, "inputs_per_s": rate, "goal_inputs_per_s": 100}
        say(f"torch density-matrix engine, {UNIFORM}, {N} inputs")
        dens_u = DensityEngine(program, UNIFORM, dtype="complex64")
        rate, s = _rate(lambda: dens_u(h, weights), N, reps)
        rows["density_uniform"] = {"inputs": N, "seconds": s, "inputs_per_s": rate, "noise": UNIFORM}

        say(f"Aer fast path, Pauli-transfer executor, {N} inputs")
        rate, s = _rate(lambda: fast(h, weights), N, reps)
        rows["aer_fast_path"] = {"inputs": N, "seconds": s, "inputs_per_s": rate, "executor": "ptm (single)",
                                 "executors_used": {t.name: fast.executor_used(t.name) for t in program.tasks},
                                 "active_qubits": {k: v["active_qubits"] for k, v in aer.circuit_report().items()},
                                 "isa_ops": {k: v["ops"] for k, v in aer.circuit_report().items()}}
        say(f"Aer fast path, Aer density-matrix executor, {aer_n} inputs")
        t0 = time.perf_counter()
        aer_out = aer(h[:aer_n], weights)
        s = time.perf_counter() - t0
        rows["aer_fast_path_aer_executor"] = {"inputs": aer_n, "seconds": s, "inputs_per_s": aer_n / s,
                                              "executor": "aer (double)"}
        fast_sub = fast(h[:aer_n], weights)

        say(f"EstimatorV2(mode={backend}) on the whole device, shots, warmed up, {base_n} inputs (slow)")
        rows["estimator_v2_baseline"] = estimator_baseline(program, backend, h, weights, base_n)
        shots = rows["estimator_v2_baseline"]["shots"] or 4096
        say(f"our executor with {shots} shots, {base_n} inputs")
        rows["ours_shots"] = {**_timed_ours(lambda k: fast.forward_shots(h[:k], weights, shots=shots, seed=0),
                                            base_n), "shots": shots, "executor": "ours (Aer sampling)"}
        say(f"Aer EstimatorV2, exact (precision 0), density matrix, {base_n} inputs")
        try:
            rows["estimator_v2_exact"] = exact_estimator(program, backend, h, weights, base_n)
        except Exception as exc:  # an Aer version without exact estimation: say so in the table
            rows["estimator_v2_exact"] = {"inputs": base_n, "error": f"{type(exc).__name__}: {exc}"}
        rows["ours_exact"] = {**_timed_ours(lambda k: fast(h[:k], weights), base_n),
                              "executor": "ours (Pauli-transfer, single precision)"}

        say("deviations")
        dens64 = DensityEngine(program, calibrated, dtype="complex128")
        deviation_backend = _deviation(dens64(h[:aer_n], weights), aer_out)
        few = h[:4]
        exact_u = DensityEngine(program, UNIFORM, dtype="complex128")(few, weights)
        deviation_uniform = _deviation(exact_u, AerEngine(program, noise=UNIFORM)(few, weights))

    base = rows["estimator_v2_baseline"]["inputs_per_s"]
    ratio = rows["ours_shots"]["inputs_per_s"] / base
    exact = rows["estimator_v2_exact"].get("inputs_per_s")
    return {
        "workload": f"{spec.name}: {N} test inputs x {len(program.tasks)} tasks, {program.n_qubits} qubits "
                    f"(one input = all tasks)",
        "backend": backend,
        "backend_qubits": fake_backends.info(backend).qubits,
        "threads": torch.get_num_threads(),
        "setup": setup,
        "rates": rows,
        "shots_vs_shots_ratio": ratio,
        "exact_vs_exact_ratio": rows["ours_exact"]["inputs_per_s"] / exact if exact else None,
        "ratio_goal": 10,
        "deviation_ptm_executor_vs_aer_executor": _deviation(fast_sub, aer_out),
        "density_calibrated_goal_met": rows["density_calibrated"]["inputs_per_s"] >= 100,
        "deviation_density_calibrated_vs_aer_backend": deviation_backend,
        "deviation_density_vs_aer_same_channels": deviation_uniform,
        "notes": [
            "density_calibrated models the transpiled circuit gate by gate (see engines/noise_model.py); its "
            "deviation from Aer with the full noise model on the real ISA circuit is the model error",
            "shots vs shots: EstimatorV2(mode=fake backend) at its default precision against our executor "
            "sampling the same number of shots; exact vs exact: Aer's EstimatorV2 at precision 0 (density matrix, "
            "the backend's noise model) against our Pauli-transfer executor; all warmed up on 2 inputs and timed on "
            "the same inputs, set-up (estimator, transpiled PUBs) reported apart",
        ],
    }


def format_noise_benchmark(r: dict) -> str:
    rates = r["rates"]
    lines = [r["workload"], f"backend {r['backend']} ({r['backend_qubits']} qubits), threads {r['threads']}",
             "one-off: " + ", ".join(f"{k} {v:.2f}s" for k, v in r["setup"].items()), "",
             f"{'path':<34} {'inputs':>6} {'seconds':>8} {'inputs/s':>9}"]
    labels = {"density_calibrated": "torch density, calibrated noise", "density_uniform": "torch density, uniform "
              "channels", "aer_fast_path": "ours, Pauli-transfer executor",
              "aer_fast_path_aer_executor": "ours, Aer density executor",
              "ours_exact": "ours, exact (PTM), estimator inputs",
              "estimator_v2_exact": "Aer EstimatorV2, exact",
              "ours_shots": "ours, shots", "estimator_v2_baseline": "EstimatorV2(mode=fake), shots"}
    for key, label in labels.items():
        row = rates[key]
        if "error" in row:
            lines.append(f"{label:<34} {row['inputs']:>6} not measured: {row['error']}")
            continue
        extra = f"  (set-up {row['setup_s']:.2f}s, warm-up {row['warmup_s']:.2f}s)" if "setup_s" in row else ""
        extra += f"  {row['shots']} shots" if row.get("shots") else ""
        lines.append(f"{label:<34} {row['inputs']:>6} {row['seconds']:>8.2f} {row['inputs_per_s']:>9.2f}{extra}")
    lines.append("")
    lines.append(f"density calibrated: {rates['density_calibrated']['inputs_per_s']:.0f} inputs/s (goal >= 100: "
                 f"{'met' if r['density_calibrated_goal_met'] else 'NOT met'})")
    lines.append(f"shots vs shots, ours / EstimatorV2: {r['shots_vs_shots_ratio']:.1f}x (goal >= {r['ratio_goal']}: "
                 f"{'met' if r['shots_vs_shots_ratio'] >= r['ratio_goal'] else 'NOT met'})")
    if r["exact_vs_exact_ratio"] is not None:
        lines.append(f"exact vs exact, ours / Aer EstimatorV2: {r['exact_vs_exact_ratio']:.1f}x")
    worst_ptm = max(d["max_abs"] for d in r["deviation_ptm_executor_vs_aer_executor"].values())
    lines.append(f"PTM executor (single precision) vs Aer executor: max {worst_ptm:.1e}")
    lines.append("deviation of the density engine's calibrated model from Aer with the full noise model "
                 "(raw readouts):")
    for task, d in r["deviation_density_calibrated_vs_aer_backend"].items():
        lines.append(f"  {task:<10} max {d['max_abs']:.4f}  mean {d['mean_abs']:.4f}")
    worst = max(d["max_abs"] for d in r["deviation_density_vs_aer_same_channels"].values())
    lines.append(f"density engine vs Aer, same uniform channels: max {worst:.1e}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- comparison
COMPARISON = "ideal,depolarizing:0.01,depolarizing:0.05,fake_hanoi,fake_torino"
COMPARISON_GOAL_S = 60.0


def run_comparison_benchmark(backends: str = COMPARISON, *, shots: int = 1024, spec_path: str | Path | None = None,
                             progress: Callable[[str], None] | None = None) -> dict:
    """``qmtl bench --noise-comparison``: the whole ``qmtl noise`` comparison on the demo's test split (seeded
    weights: the time does not depend on training), per-backend plan and simulation time, against the goal of
    the full comparison in under a minute on 2 cores."""
    from workbench.analysis.noise import evaluate_noise

    say = progress or (lambda s: None)
    spec, program, h, weights = _workload(Path(spec_path) if spec_path else DEMO)
    labels = np.zeros((h.shape[0], len(program.tasks)), dtype=np.int64)

    def on_progress(ev) -> None:
        if ev.phase in ("plan", "done"):
            say(f"{ev.backend}: {ev.phase}" + (f" in {ev.elapsed:.1f} s" if ev.phase == "done" else ""))

    t0 = time.perf_counter()
    report = evaluate_noise(program, weights, h, labels, backends, shots=shots, progress=on_progress)
    total = time.perf_counter() - t0
    return {"workload": f"{spec.name}: {h.shape[0]} test inputs x {len(program.tasks)} tasks, "
                        f"{program.n_qubits} qubits, {shots} shots", "threads": torch.get_num_threads(),
            "seconds": total, "goal_seconds": COMPARISON_GOAL_S, "goal_met": total < COMPARISON_GOAL_S,
            "backends": [{"backend": r.backend, "executor": r.executor, "seconds": r.seconds,
                          "plan_seconds": r.prepare_seconds, "simulate_seconds": r.simulate_seconds,
                          "estimate_seconds": r.plan.get("est_seconds"), "qubits": r.plan.get("qubits"),
                          "depth": r.plan.get("depth"), "two_qubit_gates": r.plan.get("two_qubit_gates")}
                         for r in report.results]}


def format_comparison_benchmark(r: dict) -> str:
    lines = [r["workload"], f"threads {r['threads']}", "",
             f"{'backend':<20} {'executor':<12} {'qubits':>6} {'depth':>6} {'2q':>5} {'plan s':>7} {'sim s':>7} "
             f"{'total s':>8} {'est. s':>7}"]
    for b in r["backends"]:
        lines.append(f"{b['backend']:<20} {b['executor']:<12} {b['qubits']:>6} {b['depth']:>6} "
                     f"{b['two_qubit_gates']:>5} {b['plan_seconds']:>7.1f} {b['simulate_seconds']:>7.1f} "
                     f"{b['seconds']:>8.1f} {b['estimate_seconds']:>7.1f}")
    lines.append(f"\nwhole comparison: {r['seconds']:.1f} s (goal < {r['goal_seconds']:.0f} s: "
                 f"{'met' if r['goal_met'] else 'NOT met'})")
    return "\n".join(lines)
