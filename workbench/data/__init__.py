"""Multi-task datasets: built-in sets, a synthetic generator, user files, and the train/val/test preparation.

Qt-free and torch-free: arrays are numpy (X float32 (N, F), Y int64 (N, T), float64 with a regression task).
"""

from workbench.data.dataset import DataError, MultiTaskDataset, TaskInfo, check_tasks, encode_labels
from workbench.data.load import builtin_names, load_dataset, source_names
from workbench.data.split import PreparedData, prepare

__all__ = [
    "DataError",
    "MultiTaskDataset",
    "PreparedData",
    "TaskInfo",
    "builtin_names",
    "check_tasks",
    "encode_labels",
    "load_dataset",
    "prepare",
    "source_names",
]
