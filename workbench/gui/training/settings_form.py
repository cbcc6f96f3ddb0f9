"""The train panel's run settings: head, engine, device, epochs, batch size, learning rate and seed. They start
from the experiment (and follow its edits); a resumed run shows its own head, engine, seed and epochs."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox

from workbench.engines.registry import engine_names
from workbench.gui.common.worker import workers

HEAD_CHOICES = [("QMTL (shared encoder + task blocks)", "qmtl"), ("HPS (classical heads)", "hps"),
                ("Hybrid (VQC + dense)", "hybrid"), ("One VQC per task", "single")]


class TrainSettingsForm(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Run settings", parent)
        form = QFormLayout(self)
        self.head = QComboBox()
        for text, key in HEAD_CHOICES:
            self.head.addItem(text, key)
        self.engine = QComboBox()
        self.engine.addItems(engine_names())
        self.device = QComboBox()
        self.device.addItem("cpu")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.batch = QSpinBox()
        self.batch.setRange(1, 1_000_000)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 10.0)
        self.lr.setSingleStep(0.001)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        for label, w, tip in (("Head", self.head, "Which model to train on the experiment's tasks"),
                              ("Engine", self.engine, "Simulator that runs the circuits"),
                              ("Device", self.device, "Where torch computes"),
                              ("Epochs", self.epochs, ""), ("Batch size", self.batch, ""),
                              ("Learning rate", self.lr, ""), ("Seed", self.seed, "Seeds the model and shuffling")):
            w.setToolTip(tip)
            form.addRow(label, w)
        self.wanted_device = "cpu"
        # "cuda" where torch has it: asked of the warm process, without keeping the next training from it
        devices = workers().submit("workbench.training.background:devices", owner=self, share=True)
        devices.returned.connect(self._devices_ready)

    def fields(self) -> tuple:
        return self.head, self.engine, self.device, self.epochs, self.batch, self.lr, self.seed

    def set_editable(self, on: bool) -> None:
        for w in self.fields():
            w.setEnabled(on)

    def sync_from_spec(self, spec) -> None:
        tr = spec.training
        self.epochs.setValue(tr.epochs)
        self.batch.setValue(tr.batch_size)
        self.lr.setValue(tr.lr)
        self.seed.setValue(tr.seed)
        self._pick(self.engine, spec.quantum.engine)
        self.wanted_device = tr.device
        self._pick(self.device, tr.device)

    def _devices_ready(self, names: list[str]) -> None:
        for name in names:
            if self.device.findText(name) < 0:
                self.device.addItem(name)
        if self.head.isEnabled():  # not while a training runs
            self._pick(self.device, self.wanted_device)

    @staticmethod
    def _pick(box: QComboBox, text: str) -> None:
        i = box.findText(str(text))
        if i >= 0:
            box.setCurrentIndex(i)

    def set_head(self, key: str) -> None:
        self.head.setCurrentIndex(max(0, self.head.findData(key)))

    def show_run_settings(self, params: dict, epochs: int | None) -> None:
        """A resumed run's head, engine, seed and epochs, not the editor's."""
        self.set_head(params.get("head", "qmtl"))
        self._pick(self.engine, str(params.get("engine", "")))
        for box, value in ((self.epochs, epochs or params.get("epochs")), (self.seed, params.get("seed"))):
            if isinstance(value, int):
                box.setValue(value)

    def trainer_kwargs(self, base_dir) -> dict:
        return dict(head=self.head.currentData(), engine=self.engine.currentText(), epochs=self.epochs.value(),
                    seed=self.seed.value(), device=self.device.currentText(),
                    base_dir=str(base_dir) if base_dir else None)
