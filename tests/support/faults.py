"""Fault injection for the GUI tests: job functions that run the real core with one part made to fail."""

from __future__ import annotations


def train_failing_evaluation(ctx, **kwargs):
    """``train_job`` whose end-of-epoch evaluation raises (restored afterwards: the worker process is reused)."""
    from workbench.training import background, trainer

    def boom(*_a, **_k):
        raise RuntimeError("injected fault: evaluation failed")

    real = trainer.evaluate
    trainer.evaluate = boom
    try:
        return background.train_job(ctx, **kwargs)
    finally:
        trainer.evaluate = real
