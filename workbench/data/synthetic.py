"""A generator of related classification (and regression) tasks whose relatedness is a knob, for controlled
comparisons. A class count of 1 in ``classes`` makes that task a regression target in (0, 1)."""

from __future__ import annotations

import numpy as np

from workbench.data.dataset import DataError, MultiTaskDataset, TaskInfo
from workbench.data.options import Options
from workbench.textsafe import shown

MAX_SAMPLES, MAX_FEATURES, MAX_LATENT, MAX_CLASSES = 1_000_000, 10_000, 1_000, 1_000
MAX_CELLS = 50_000_000  # samples x columns of one generated array (400 MB of float64)

SYNTHETIC_OPTIONS = ["tasks", "classes", "samples", "features", "latent", "relatedness", "noise", "seed",
                     "task_names"]


def make_synthetic(options: dict | None = None) -> MultiTaskDataset:
    """Each task t reads latent factors z_t = sqrt(r) * shared + sqrt(1 - r) * private_t through a direction
    w_t = sqrt(r) * w_shared + sqrt(1 - r) * u_t, so at r = 1 all tasks score the same thing (up to noise)
    and at r = 0 their scores are independent. Features are a random linear mix of every z_t plus noise,
    so everything a label depends on is visible in X. Classes are quantile bins of the score: balanced, and
    every class is present.
    """
    T, classes, N, F, L, r, noise, seed, names = synthetic_settings(options)

    rng = np.random.default_rng(seed)
    # Every draw happens whatever r is, in a fixed order: the same seed at two relatedness values gives the
    # same underlying randomness, so a sweep over r changes only r.
    shared = rng.standard_normal((N, L))
    w_shared = _unit(rng.standard_normal(L))
    latents, Y = [], []
    for _ in range(T):
        private = rng.standard_normal((N, L))
        u = _unit(rng.standard_normal(L))
        score_noise = rng.standard_normal(N)
        z = np.sqrt(r) * shared + np.sqrt(1.0 - r) * private
        w = _unit(np.sqrt(r) * w_shared + np.sqrt(1.0 - r) * u)
        latents.append(z)
        score = z @ w + noise * score_noise
        c = classes[len(Y)]
        # regression: the score squashed into (0, 1) (a logistic of its standardised value), like STS-B's
        # similarity scaled to [0, 1]
        Y.append(1 / (1 + np.exp(-(score - score.mean()) / score.std())) if c == 1 else _quantile_bins(score, c))
    Z = np.hstack(latents)
    mix = rng.standard_normal((Z.shape[1], F)) / np.sqrt(Z.shape[1])
    X = Z @ mix + noise * rng.standard_normal((N, F))

    tasks = [TaskInfo(name, 1, [], kind="regression") if c == 1 else TaskInfo(name, c, [str(k) for k in range(c)])
             for name, c in zip(names, classes)]
    note = (f"synthetic: {T} tasks, classes {classes}, {N} samples, {F} features, latent {L}, "
            f"relatedness {r:g}, noise {noise:g}, seed {seed}")
    return MultiTaskDataset(name="synthetic", X=X, Y=np.column_stack(Y), tasks=tasks,
                            feature_names=[f"x{i}" for i in range(F)], notes=[note])


def synthetic_settings(options: dict | None) -> tuple:
    """The generator's options, checked and bounded (before anything is allocated): (T, classes, N, F, L, r,
    noise, seed, names)."""
    opts = Options(options, "synthetic", SYNTHETIC_OPTIONS)
    T = opts.get_int("tasks", 3, minimum=1, maximum=64)
    classes = _classes(opts, T)
    N = opts.get_int("samples", 600, minimum=2 * max(classes), maximum=MAX_SAMPLES)
    F = opts.get_int("features", 16, minimum=1, maximum=MAX_FEATURES)
    L = opts.get_int("latent", 4, minimum=1, maximum=MAX_LATENT)
    if N * max(F, T * L) > MAX_CELLS:
        raise DataError(f"synthetic: {N} samples x {max(F, T * L)} columns is more than {MAX_CELLS} values; "
                        "use fewer samples or features")
    r = opts.get_float("relatedness", 0.5, minimum=0.0, maximum=1.0)
    noise = opts.get_float("noise", 0.1, minimum=0.0, maximum=1e6)
    seed = opts.get_int("seed", 0, minimum=0, maximum=2**63 - 1)
    names = opts.get_names("task_names", T) or [f"task_{t}" for t in range(T)]
    return T, classes, N, F, L, r, noise, seed, names


def _classes(opts: Options, T: int) -> list[int]:
    value = opts.values.get("classes", 2)
    if isinstance(value, (list, tuple)):
        if len(value) != T:
            raise DataError(f"synthetic: option 'classes' lists {len(value)} class counts for {T} tasks")
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_CLASSES:
                raise DataError(f"synthetic: option 'classes' entries must be integers in 2..{MAX_CLASSES} (or 1 for "
                                f"a regression task), got {shown(v)}")
            out.append(v)
        return out
    return [opts.get_int("classes", 2, minimum=2, maximum=MAX_CLASSES)] * T


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def _quantile_bins(score: np.ndarray, classes: int) -> np.ndarray:
    # Rank-based so that ties cannot empty a class: bin k holds ranks [k*N/C, (k+1)*N/C).
    ranks = np.empty(len(score), dtype=np.int64)
    ranks[np.argsort(score, kind="stable")] = np.arange(len(score))
    return (ranks * classes // len(score)).astype(np.int64)
