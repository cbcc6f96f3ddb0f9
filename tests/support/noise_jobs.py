"""The noise panel's job, slowed down, for the GUI tests (run inside ``python -m workbench.jobs.server``)."""

from __future__ import annotations

import time


class _Slow:
    """The job's context, with every simulated chunk a second longer: a tiny run evaluates faster than a click."""

    def __init__(self, ctx):
        self.ctx = ctx

    @property
    def cancelled(self) -> bool:
        return self.ctx.cancelled

    def progress(self, message: str = "", fraction=None, **extra) -> None:
        self.ctx.progress(message, fraction, **extra)
        if getattr(extra.get("event"), "phase", "") == "simulate":
            time.sleep(1.0)


def slow_noise_comparison(ctx, **kwargs):
    from workbench.analysis.background import noise_comparison

    return noise_comparison(_Slow(ctx), **kwargs)
