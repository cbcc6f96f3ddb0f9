"""A hardware run's settings: shots, test samples, execution mode, error mitigation, and the submit button."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QPushButton, QSpinBox


class RunSettings(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Run settings", parent)
        sf = QFormLayout(self)
        self.shots = QSpinBox()
        self.shots.setRange(1, 1_000_000)
        self.shots.setValue(1024)
        self.shots.setSingleStep(256)
        sf.addRow("Shots:", self.shots)
        self.samples = QSpinBox()
        self.samples.setRange(1, 100_000)
        self.samples.setValue(64)
        self.samples.setToolTip("Test rows evaluated on the backend")
        sf.addRow("Test samples:", self.samples)
        self.mode = QComboBox()
        self.mode.addItems(["job", "batch", "session"])
        sf.addRow("Mode:", self.mode)
        self.resilience = QComboBox()
        self.resilience.addItem("service default (1)", None)
        for lvl in (0, 1, 2):
            self.resilience.addItem(str(lvl), lvl)
        sf.addRow("Resilience:", self.resilience)
        self.dd = QCheckBox("Dynamical decoupling")
        sf.addRow("", self.dd)
        self.submit_button = QPushButton("Pre-flight and submit…")
        self.submit_button.setToolTip("Estimates depth, two-qubit gates, shots and QPU time, and asks before "
                                      "submitting anything")
        sf.addRow(self.submit_button)

    def settings(self, backend: str):
        """The core's ``HardwareSettings`` for ``backend``; UserError names a wrong field."""
        from workbench.hardware.mitigation import Mitigation
        from workbench.hardware.qmtl import HardwareSettings

        mitigation = Mitigation(resilience_level=self.resilience.currentData(), dd=self.dd.isChecked()).check()
        return HardwareSettings(backend, mode=self.mode.currentText(), shots=self.shots.value(),
                                samples=self.samples.value(), mitigation=mitigation).check()
