"""The synthetic data set's knobs: tasks, classes per task, samples, features, seed, relatedness, label noise."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox

SYNTHETIC_KNOBS = (("tasks", "Tasks", 1, 8, 3), ("classes", "Classes per task", 2, 10, 2),
                   ("samples", "Samples", 50, 20000, 600), ("features", "Features", 1, 256, 16),
                   ("seed", "Seed", 0, 10**6, 0))


class SyntheticKnobs(QGroupBox):
    changed = Signal(str)  # the knob a person changed

    def __init__(self, parent=None):
        super().__init__("Synthetic data", parent)
        form = QFormLayout(self)
        self.knobs: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for key, label, lo, hi, default in SYNTHETIC_KNOBS:
            s = QSpinBox()
            s.setRange(lo, hi)
            s.setValue(default)
            self._add(form, key, label, s)
        for key, label, default in (("relatedness", "Relatedness", 0.5), ("noise", "Label noise", 0.1)):
            s = QDoubleSpinBox()
            s.setRange(0.0, 1.0 if key == "relatedness" else 5.0)
            s.setSingleStep(0.1)
            s.setValue(default)
            self._add(form, key, label, s)
        self.knobs["relatedness"].setToolTip("1: every task reads the same hidden factor; 0: unrelated tasks")

    def _add(self, form: QFormLayout, key: str, label: str, box) -> None:
        box.setKeyboardTracking(False)
        box.valueChanged.connect(lambda _v, key=key: self.changed.emit(key))
        self.knobs[key] = box
        form.addRow(label, box)

    def options(self, current: dict, only: str | None = None) -> dict:
        """The synthetic options: ``current`` with the knob ``only`` changed; every knob when ``only`` is None."""
        out = dict(current) if only is not None else {}
        for key, s in self.knobs.items():
            if only is None or key == only:
                out[key] = s.value()
        return out

    def show_options(self, options: dict) -> None:
        """The knobs as ``options`` say (no ``changed``)."""
        for key, s in self.knobs.items():
            value = options.get(key)
            # "classes" may be a list (one count per task): the knob shows the largest
            if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
                value = max(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                blocked = s.blockSignals(True)
                s.setValue(value)
                s.blockSignals(blocked)
