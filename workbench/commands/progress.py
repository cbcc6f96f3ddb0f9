"""A terminal progress bar with ETA fed by training events (plain lines when stderr is not a terminal)."""

from __future__ import annotations

import sys
import time

from workbench.training.events import TrainEvent


class ProgressPrinter:
    def __init__(self, stream=None, width: int = 28):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width
        self.t0 = time.time()
        self.first_step = None
        self.last_draw = 0.0

    def __call__(self, ev: TrainEvent) -> None:
        if ev.kind == "start":
            self.t0 = time.time()
            self.first_step = ev.step
            if ev.message:
                self._line(f"resuming run {ev.run_id} after epoch {ev.epoch}")
        elif ev.kind == "step" and self.tty and time.time() - self.last_draw > 0.1:
            self.last_draw = time.time()
            self._bar(ev)
        elif ev.kind == "epoch":
            val = ev.metrics.get("val") or {}
            accs = " ".join(f"{k}={m['accuracy']:.3f}" if "accuracy" in m else f"{k}=R2 {m.get('r2', float('nan')):.3f}"
                            for k, m in val.items())
            if self.tty:
                self.stream.write("\r\033[K")
            self._line(f"epoch {ev.epoch}/{ev.total_epochs}  val acc {accs}" if accs else
                       f"epoch {ev.epoch}/{ev.total_epochs}")
        elif ev.kind in ("cancelled", "paused", "resumed"):  # a failure reaches the user as the error line
            if self.tty:
                self.stream.write("\r\033[K")
            self._line(f"{ev.kind}" + (f": {ev.message}" if ev.message else ""))

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def _bar(self, ev: TrainEvent) -> None:
        total = ev.total_epochs * ev.steps_per_epoch
        done_now = ev.step - (self.first_step or 0)
        left = total - ev.step
        rate = done_now / max(time.time() - self.t0, 1e-9)
        eta = left / rate if rate > 0 else float("inf")
        frac = ev.step / total if total else 0
        filled = int(self.width * frac)
        bar = "#" * filled + "-" * (self.width - filled)
        loss = sum(m["loss"] for m in ev.metrics.get("train", {}).values())
        self.stream.write(f"\r[{bar}] {frac:5.1%}  epoch {ev.epoch}/{ev.total_epochs}  loss {loss:.3f}  "
                          f"ETA {_clock(eta)}")
        self.stream.flush()


def _clock(seconds: float) -> str:
    if seconds == float("inf"):
        return "--:--"
    m, s = divmod(int(seconds), 60)
    return f"{m:d}:{s:02d}" if m < 60 else f"{m // 60:d}:{m % 60:02d}:{s:02d}"
