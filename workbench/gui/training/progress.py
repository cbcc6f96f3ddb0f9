"""A training's progress as the train panel shows it, Qt-free: fraction done and ETA from step events, durations
in words, and the mean accuracy of an epoch's or a run's metrics."""

from __future__ import annotations

import time


def fmt_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


class Progress:
    """Fraction done and ETA from step events (a resumed run starts its clock at its first step)."""

    def __init__(self):
        self.total = 0
        self.first_step = 0
        self.step = 0
        self.t0 = 0.0
        self.t_last = 0.0

    def start(self, ev) -> None:
        self.total = max(1, ev.total_epochs * max(ev.steps_per_epoch, 1))
        self.first_step = self.step = ev.step
        self.t0 = self.t_last = time.monotonic()

    def update(self, ev) -> None:
        if ev.steps_per_epoch and ev.total_epochs:
            self.total = max(1, ev.total_epochs * ev.steps_per_epoch)
        self.step = max(self.step, ev.step)
        self.t_last = time.monotonic()

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total else 0.0

    def eta(self) -> float | None:
        done = self.step - self.first_step
        if done < 2 or not self.total:
            return None
        rate = (self.t_last - self.t0) / done
        return rate * (self.total - self.step)


def mean_accuracy(metrics: dict) -> float:
    """Mean accuracy over the classification tasks (a regression task has MAE and R^2 instead)."""
    accs = [m["accuracy"] for m in metrics.values() if "accuracy" in m]
    return sum(accs) / len(accs) if accs else float("nan")
