"""What the live outputs answer (``workbench.analysis.live_outputs`` computes it): plain data, torch-free, so the
GUI process can ask for and read answers that its worker process computes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class WeightsSource:
    """The initial weights of ``seed``, or (``run_id`` set) the trained weights of that run in ``runs_root``."""

    seed: int = 0
    run_id: str | None = None
    runs_root: str | None = None


@dataclass
class TaskOutput:
    name: str
    kind: str  # classification | regression
    readout: str  # probs | expval | pauli
    class_names: list[str]
    probabilities: list[float]  # classification: one per class; a regression: empty
    value: float | None  # regression: the prediction on its target range
    predicted: int | None  # classification: the most probable class
    truth: int | float | None  # the sample's label, when the input is a data sample
    raw: list[float]  # the readout's raw values, as the engine returns them
    raw_labels: list[str]  # "p(01)", "<Z4>", "<Z0 X1>"
    target_range: tuple[float, float] | None = None

    @property
    def correct(self) -> bool | None:
        if self.truth is None or self.predicted is None:
            return None
        return int(self.truth) == self.predicted

    def predicted_text(self) -> str:
        if self.kind == "regression":
            return f"{self.value:.4g}"
        return self.class_names[self.predicted]

    def truth_text(self) -> str:
        if self.truth is None:
            return ""
        if self.kind == "regression":
            return f"{float(self.truth):.4g}"
        k = int(self.truth)
        return self.class_names[k] if 0 <= k < len(self.class_names) else str(k)


@dataclass
class LiveOutputs:
    tasks: list[TaskOutput]
    weights: str  # "trained weights of run X" / "initial weights, seed N"
    input: str  # "test sample 5 (data row 17)" / "encoder inputs set by hand"
    encoder_inputs: list[float]  # what the encoder loaded (after the backbone and any projection)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # the evaluation's own time (build when needed, forward)
    cpu_seconds: float = 0.0  # the CPU time of that (what a busy machine's wall clock hides)

    def as_dict(self) -> dict:
        return asdict(self)
