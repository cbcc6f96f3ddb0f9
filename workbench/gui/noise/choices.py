"""What a noise comparison runs on: the ideal simulator, noise channels with their strengths, the fake IBM
backends the circuit fits, more backends typed as ``qmtl noise --backends`` takes them, and its settings."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

CHANNELS = (("depolarizing", "Depolarizing", "p", 0.01),
            ("amplitude_damping", "Amplitude damping", "γ", 0.02),
            ("phase_damping", "Phase damping", "λ", 0.02))


class BackendChoices(QWidget):
    edited = Signal()  # a choice changed (the panel clears its error line)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self._simulators())
        lay.addWidget(self._devices(), 1)
        lay.addLayout(self._settings())

    def _simulators(self) -> QGroupBox:
        sims = QGroupBox("Simulators")
        grid = QGridLayout(sims)
        self.ideal_box = QCheckBox("Ideal (noiseless)")
        self.ideal_box.setChecked(True)
        grid.addWidget(self.ideal_box, 0, 0, 1, 2)
        self.channel_boxes: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        for i, (key, label, sym, default) in enumerate(CHANNELS, start=1):
            box = QCheckBox(f"{label} {sym}")
            spin = QDoubleSpinBox()
            spin.setDecimals(4)
            spin.setRange(0.0001, 1.0)
            spin.setSingleStep(0.005)
            spin.setValue(default)
            spin.setToolTip(f"{label} probability after every gate, on each of its wires ({key}:{sym})")
            box.setChecked(key == "depolarizing")
            grid.addWidget(box, i, 0)
            grid.addWidget(spin, i, 1)
            self.channel_boxes[key] = (box, spin)
        return sims

    def _devices(self) -> QGroupBox:
        devs = QGroupBox("Fake IBM backends (calibrated noise)")
        dv = QVBoxLayout(devs)
        self.device_filter = QLineEdit()
        self.device_filter.setPlaceholderText("Filter, e.g. manila")
        self.device_filter.setClearButtonEnabled(True)
        self.device_filter.textChanged.connect(self._filter_devices)
        dv.addWidget(self.device_filter)
        self.device_list = QListWidget()
        self.device_list.setMinimumHeight(90)
        self.device_list.itemChanged.connect(lambda _i: self.edited.emit())
        dv.addWidget(self.device_list, 1)
        return devs

    def _settings(self) -> QFormLayout:
        more = QFormLayout()
        self.extra = QLineEdit()
        self.extra.setPlaceholderText("e.g. thermal:50/70/0.05, readout:0.02, fake_hanoi")
        self.extra.setToolTip("More backends, comma-separated, as `qmtl noise --backends` takes them")
        self.extra.textChanged.connect(lambda _t: self.edited.emit())
        more.addRow("More:", self.extra)
        self.engine = QComboBox()
        self.engine.addItem("Aer, full noise model", "aer")
        self.engine.addItem("Density matrix, calibrated (faster)", "density")
        self.engine.setToolTip("How fake backends are simulated")
        more.addRow("Devices via:", self.engine)
        shots_row = QHBoxLayout()
        self.exact = QCheckBox("Exact only")
        self.exact.setToolTip("Only the exact figures (infinitely many shots); otherwise also the accuracy under "
                              "this shot budget per input, sampled as hardware measures, with a 95% interval")
        self.shots = QSpinBox()
        self.shots.setRange(1, 1_000_000)
        self.shots.setValue(1024)
        self.shots.setSingleStep(256)
        self.exact.toggled.connect(lambda on: self.shots.setEnabled(not on))
        self.exact.setChecked(False)
        shots_row.addWidget(self.exact)
        shots_row.addWidget(self.shots, 1)
        more.addRow("Shots:", shots_row)
        self.limit = QSpinBox()
        self.limit.setRange(0, 1_000_000)
        self.limit.setSpecialValueText("all")
        self.limit.setToolTip("Evaluate only the first N test inputs (all: the whole test split)")
        more.addRow("Test inputs:", self.limit)
        self.store_box = QCheckBox("Store results with the run")
        self.store_box.setChecked(True)
        more.addRow("", self.store_box)
        return more

    def fill_devices(self, need: int) -> None:
        """The fake backends, those with fewer than ``need`` qubits greyed out; checked ones stay checked."""
        from workbench.engines import fake_backends

        checked = {self.device_list.item(i).data(Qt.ItemDataRole.UserRole)
                   for i in range(self.device_list.count())
                   if self.device_list.item(i).checkState() == Qt.CheckState.Checked}
        self.device_list.blockSignals(True)
        self.device_list.clear()
        for b in fake_backends.catalog():
            fits = b.qubits >= need
            qubits = f"{b.qubits} qubit{'s' if b.qubits != 1 else ''}"
            item = QListWidgetItem(f"{b.name}  ·  {qubits}" + ("" if fits else f"  (needs {need})"))
            item.setData(Qt.ItemDataRole.UserRole, b.name)
            flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
            if fits:
                flags |= Qt.ItemFlag.ItemIsEnabled
            item.setFlags(flags)
            item.setCheckState(Qt.CheckState.Checked if fits and b.name in checked else Qt.CheckState.Unchecked)
            item.setToolTip(f"{b.device or b.name}: {b.qubits} qubits, 2q basis {', '.join(b.two_qubit_basis)}"
                            + ("" if fits else f"; the circuit needs {need} qubits"))
            self.device_list.addItem(item)
        self.device_list.blockSignals(False)
        self._filter_devices(self.device_filter.text())

    def _filter_devices(self, text: str) -> None:
        t = text.strip().lower()
        for i in range(self.device_list.count()):
            item = self.device_list.item(i)
            item.setHidden(bool(t) and t not in item.text().lower())

    def check_device(self, name: str, on: bool = True) -> None:
        for i in range(self.device_list.count()):
            item = self.device_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                return
        raise KeyError(name)

    def backends(self) -> list[str]:
        """The chosen backends as ``qmtl noise --backends`` items."""
        out = ["ideal"] if self.ideal_box.isChecked() else []
        for key, (box, spin) in self.channel_boxes.items():
            if box.isChecked():
                out.append(f"{key}:{spin.value():g}")
        for i in range(self.device_list.count()):
            item = self.device_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        out.extend(s for s in (p.strip() for p in self.extra.text().split(",")) if s and s not in out)
        return out

    def shots_or_exact(self) -> int | None:
        return None if self.exact.isChecked() else self.shots.value()
