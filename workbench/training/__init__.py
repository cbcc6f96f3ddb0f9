"""Training: the multi-task trainer, its event stream, cooperative control and metrics."""

from workbench.training.control import TrainControl
from workbench.training.events import EventBus, TrainEvent
from workbench.training.session import TrainingSession
from workbench.training.trainer import (
    TrainedRun,
    Trainer,
    TrainResult,
    evaluate,
    load_data,
    load_trained,
    resume,
    train,
)

__all__ = ["EventBus", "TrainControl", "TrainEvent", "TrainResult", "TrainedRun", "Trainer", "TrainingSession",
           "evaluate", "load_data", "load_trained", "resume", "train"]
