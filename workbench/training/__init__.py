"""Training: the multi-task trainer, its event stream, cooperative control and metrics.

The trainer (torch and the engines, seconds to import) loads on first use of one of its names, so that a
process that only reads training events (the GUI, which unpickles them from its worker) stays light.
"""

import importlib

from workbench.training.control import TrainControl
from workbench.training.events import EventBus, TrainEvent

_LAZY = {"TrainingSession": "workbench.training.session", **{name: "workbench.training.trainer" for name in (
    "TrainedRun", "Trainer", "TrainResult", "evaluate", "load_data", "load_trained", "resume", "train")}}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'workbench.training' has no attribute {name!r}")


__all__ = ["EventBus", "TrainControl", "TrainEvent", "TrainResult", "TrainedRun", "Trainer", "TrainingSession",
           "evaluate", "load_data", "load_trained", "resume", "train"]
