"""Choosing the one input the live views show: a sample of the experiment's data (its labels shown), or sliders
over the shared encoder's inputs. ``current()`` is the chosen ``InputSample``; ``inputChanged`` carries each new one.

The data is read the way training reads it (``workbench.data.samples``), in the GUI's data thread, and only again
when the data-related part of the spec changes; gate edits never re-read it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.data.samples import SPLITS, InputSample, SampleSet, encoder_sample, load_samples
from workbench.gui.data.jobs import DataJobs
from workbench.spec import layout as L
from workbench.textsafe import markup

SLIDER_STEPS = 100  # slider ticks per unit
SLIDER_RANGE = math.pi  # encoder inputs are angle factors: -pi..pi covers a full turn at input_scale 1
MODES = (("data", "Data sample"), ("encoder", "Encoder inputs"))


def _data_key(spec, base_dir, split: str) -> tuple:
    """Everything the sample list depends on (gate edits leave it alone)."""
    d = spec.dataset
    return (repr(d), tuple((t.name, t.label, t.classes, t.kind) for t in spec.tasks), spec.backbone.kind,
            spec.backbone.width, str(base_dir), split)


class InputChooser(QWidget):
    inputChanged = Signal(object)  # InputSample
    samplesChanged = Signal()  # the data split was (re)loaded, or failed to load

    def __init__(self, doc=None, base_dir: Callable[[], Path | None] = lambda: None, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.base_dir = base_dir
        self._spec = doc.spec if doc is not None else None
        self.samples: SampleSet | None = None
        self.data_error = ""
        self._key = None
        self._current: InputSample | None = None
        self._width = -1
        self._sliders: list[QSlider] = []
        self._values: list[QLabel] = []
        self.sample_encoder_inputs: list[float] | None = None  # what the encoder loaded for the chosen sample
        self.jobs = DataJobs(self)
        self.jobs.finished.connect(self._loaded)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.mode_box = QComboBox()
        for key, text in MODES:
            self.mode_box.addItem(text, key)
        self.mode_box.setToolTip("Show the outputs for a sample of the experiment's data, or for encoder inputs "
                                 "set with sliders")
        self.split_box = QComboBox()
        self.split_box.addItems(list(SPLITS))
        self.split_box.setToolTip("The data split the sample comes from")
        self.index_box = QSpinBox()
        self.index_box.setRange(0, 0)
        self.index_box.setKeyboardTracking(False)
        self.index_box.setToolTip("Sample number in the split")
        self.labels = QLabel()
        self.labels.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for w in (self.mode_box, self.split_box, QLabel("#"), self.index_box):
            row.addWidget(w)
        row.addWidget(self.labels, 1)
        lay.addLayout(row)

        self.slider_box = QWidget()
        sl = QVBoxLayout(self.slider_box)
        sl.setContentsMargins(0, 0, 0, 0)
        tools = QHBoxLayout()
        self.from_sample_btn = QPushButton("From sample")
        self.from_sample_btn.setToolTip("Set the sliders to what the encoder loaded for the chosen data sample")
        self.from_sample_btn.clicked.connect(self.take_sample_inputs)
        self.zero_btn = QPushButton("Zero")
        self.zero_btn.clicked.connect(lambda: self.set_encoder_values([0.0] * len(self._sliders)))
        tools.addWidget(self.from_sample_btn)
        tools.addWidget(self.zero_btn)
        tools.addStretch(1)
        sl.addLayout(tools)
        self.slider_area = QScrollArea()
        self.slider_area.setWidgetResizable(True)
        self.slider_area.setMinimumHeight(90)
        self.slider_area.setMaximumHeight(180)  # the bars keep most of the panel; more inputs scroll
        self._slider_host = QWidget()
        self._slider_grid = QGridLayout(self._slider_host)
        self._slider_grid.setContentsMargins(2, 2, 2, 2)
        self.slider_area.setWidget(self._slider_host)
        sl.addWidget(self.slider_area)
        lay.addWidget(self.slider_box)
        self.slider_box.setVisible(False)

        self.mode_box.currentIndexChanged.connect(self._mode_changed)
        self.split_box.currentTextChanged.connect(lambda _s: self.refresh())
        self.index_box.valueChanged.connect(lambda _i: self._emit())
        if doc is not None:
            doc.changed.connect(lambda _path: self.refresh())
        self.refresh()

    # ------------------------------------------------------------------------------------------- state
    @property
    def mode(self) -> str:
        return self.mode_box.currentData()

    @property
    def spec(self):
        return self.doc.spec if self.doc is not None else self._spec

    def current(self) -> InputSample | None:
        """The chosen input, or None while the data loads (or cannot load)."""
        return self._current

    def set_spec(self, spec, base_dir: Path | str | None = None) -> None:
        """For a chooser without a document (presentation): show samples of this spec's data."""
        self._spec = spec
        self.base_dir = lambda: base_dir
        self.refresh()

    def set_mode(self, mode: str) -> None:
        self.mode_box.setCurrentIndex([k for k, _ in MODES].index(mode))

    def set_index(self, i: int) -> None:
        self.index_box.setValue(i)

    def set_encoder_values(self, values) -> None:
        for slider, v in zip(self._sliders, values):
            slider.blockSignals(True)
            slider.setValue(round(max(-SLIDER_RANGE, min(SLIDER_RANGE, float(v))) * SLIDER_STEPS))
            slider.blockSignals(False)
        self._show_values()
        self._emit()

    def take_sample_inputs(self) -> None:
        if self.sample_encoder_inputs is not None:
            self.set_encoder_values(self.sample_encoder_inputs)

    # ------------------------------------------------------------------------------------------- updates
    def refresh(self) -> None:
        """The spec changed: reload the data if what it depends on changed, resize the sliders, re-emit."""
        spec = self.spec
        if spec is None:
            return
        try:
            width = L.encoder_width(spec)
        except Exception:  # noqa: BLE001 - a spec mid-edit; the live panel names its problem
            width = self._width
        if width != self._width and 0 < width <= 4096:
            self._build_sliders(width)
        key = _data_key(spec, self.base_dir(), self.split_box.currentText())
        if key != self._key:
            self._key = key
            self.samples = None
            self.data_error = ""
            self.labels.setText("loading the data…")
            self.jobs.submit(key, load_samples, _copy(spec), self.base_dir(), self.split_box.currentText())
        self._emit()

    def _loaded(self, key, samples, error) -> None:
        if key != self._key:
            return
        self.samples = samples
        self.data_error = error or ""
        if samples is not None:
            self.index_box.blockSignals(True)
            self.index_box.setRange(0, max(0, len(samples) - 1))
            self.index_box.blockSignals(False)
        self.samplesChanged.emit()
        self._emit()

    def _mode_changed(self) -> None:
        data = self.mode == "data"
        for w in (self.split_box, self.index_box):
            w.setEnabled(data)
        self.slider_box.setVisible(not data)
        self._emit()

    def _build_sliders(self, width: int) -> None:
        old = [s.value() for s in self._sliders]
        while self._slider_grid.count():
            item = self._slider_grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._sliders, self._values = [], []
        for i in range(width):
            name = QLabel(f"x{i}")
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(-round(SLIDER_RANGE * SLIDER_STEPS), round(SLIDER_RANGE * SLIDER_STEPS))
            slider.setValue(old[i] if i < len(old) else 0)
            slider.setToolTip(f"encoder input x{i} (angle factor, -π..π)")
            slider.valueChanged.connect(lambda _v: (self._show_values(), self._emit()))
            value = QLabel()
            value.setMinimumWidth(QLabel("-3.14").sizeHint().width() + 4)
            row, col = divmod(i, 2)
            self._slider_grid.addWidget(name, row, col * 3)
            self._slider_grid.addWidget(slider, row, col * 3 + 1)
            self._slider_grid.addWidget(value, row, col * 3 + 2)
            self._sliders.append(slider)
            self._values.append(value)
        self._width = width
        self._show_values()

    def _show_values(self) -> None:
        for slider, label in zip(self._sliders, self._values):
            label.setText(f"{slider.value() / SLIDER_STEPS:+.2f}")

    def encoder_values(self) -> list[float]:
        return [s.value() / SLIDER_STEPS for s in self._sliders]

    def _make(self) -> InputSample | None:
        names = tuple(tuple(n) for n in self.samples.class_names) if self.samples is not None else None
        if self.mode == "encoder":
            self.labels.setText("")  # the sliders' input has no labels
            if not self._sliders:
                return None
            return encoder_sample(self.encoder_values(), len(self._sliders), "encoder inputs", names)
        if self.samples is None:
            self.labels.setText(f"<span style='color:#c62828'>{markup(self.data_error)}</span>"
                                if self.data_error else "loading the data…")
            return None
        if len(self.samples) == 0:
            self.labels.setText(f"the {self.samples.split} split is empty")
            return None
        i = self.index_box.value()
        self.labels.setText(f"{markup(self.samples.labels_text(i))} "
                            f"<span style='color:gray'>· data row {int(self.samples.rows[i])}</span>")
        return self.samples.sample(i)

    def _emit(self) -> None:
        sample = self._make()
        if sample is not None and sample != self._current:
            self._current = sample
            self.inputChanged.emit(sample)
        elif sample is None:
            self._current = None


def _copy(spec):
    import copy

    return copy.deepcopy(spec)
