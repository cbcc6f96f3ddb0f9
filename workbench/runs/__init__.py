"""The run store: every training, benchmark and hardware run, its params, metrics, jobs and files.

Qt-free and safe to read from the GUI or the CLI while a training process writes.
"""

from workbench.runs.errors import RunStoreError
from workbench.runs.export import compare_runs, export_metrics_csv, spec_diff
from workbench.runs.records import STATUSES, ArtifactRow, JobRow, MetricRow, RunInfo
from workbench.runs.store import RunStore, default_runs_dir

__all__ = [
    "STATUSES",
    "ArtifactRow",
    "JobRow",
    "MetricRow",
    "RunInfo",
    "RunStore",
    "RunStoreError",
    "compare_runs",
    "default_runs_dir",
    "export_metrics_csv",
    "spec_diff",
]
