"""The experiment files shipped in resources/experiments/, for tests, benchmarks and demos."""

from __future__ import annotations

from pathlib import Path

import workbench
from workbench.spec.io import dumps, load
from workbench.spec.model import ExperimentSpec

EXPERIMENTS = Path(workbench.__file__).resolve().parent.parent / "resources" / "experiments"


def small_synthetic(*, samples: int = 300, epochs: int = 3, batch: int = 32, seed: int = 7,
                    name: str | None = None) -> ExperimentSpec:
    """The tiny two-task synthetic experiment, with its size and training length set."""
    spec = load(EXPERIMENTS / "small-synthetic.toml")
    spec.dataset.options["samples"] = samples
    spec.training.epochs, spec.training.batch_size, spec.training.seed = epochs, batch, seed
    if name:
        spec.name = name
    return spec


def small_synthetic_text(**kw) -> str:
    return dumps(small_synthetic(**kw))
