"""Sweeps: many trainings of one spec over axes of spec fields and run options, run in parallel on worker
processes or a Ray cluster, recorded in the run store and resumable. Qt-free."""

from workbench.sweeps.define import define_trials, open_sweep
from workbench.sweeps.engine import SweepControl, SweepEvent, SweepOutcome, run_sweep
from workbench.sweeps.executors import EXECUTORS, LocalExecutor, RayExecutor, make_executor
from workbench.sweeps.results import pareto_front, to_csv, trial_rows
from workbench.sweeps.session import SweepSession

__all__ = ["EXECUTORS", "LocalExecutor", "RayExecutor", "SweepControl", "SweepEvent", "SweepOutcome", "SweepSession",
           "define_trials", "make_executor", "open_sweep", "pareto_front", "run_sweep", "to_csv", "trial_rows"]
