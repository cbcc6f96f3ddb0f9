"""The data panel: choose a built-in set or a file, see its first rows, click column headers to make them
features, labels (one task each) or leave them out, and set PCA / standardisation.

The panel shows the document and pushes commands; every change of the data is one undoable step that also
sets the tasks from the label columns (class counts from the data). Files are read off the GUI thread.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.data.preview import Preview, preview_source
from workbench.data.roles import column_roles, next_role
from workbench.gui.common.theme import LIGHT, Theme
from workbench.gui.composer import commands as C
from workbench.gui.composer.document import ExperimentDocument
from workbench.gui.data.jobs import DataJobs
from workbench.gui.data.knobs import SyntheticKnobs
from workbench.gui.data.preview_table import ROLE_TEXT, PreviewTable
from workbench.spec.data_tasks import tasks_for_labels
from workbench.spec.model import DatasetSpec
from workbench.textsafe import markup

BUILTINS = [("Digits: digit, parity, ≥5 (built in)", "digits-3task"),
            ("Palmer penguins: species, sex, island (built in)", "penguins"),
            ("Synthetic related tasks (built in)", "synthetic")]
FILE_FILTER = "Data files (*.csv *.tsv *.parquet *.pq *.npz);;CSV (*.csv *.tsv);;Parquet (*.parquet *.pq);;" \
              "NumPy / MedMNIST (*.npz);;All files (*)"


def source_for_file(path: str) -> tuple[str, dict]:
    """A file's source kind and options from its name (and, for .npz, whether it holds MedMNIST keys)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet", {}
    if suffix == ".npz":
        import zipfile

        try:
            with zipfile.ZipFile(path) as z:
                names = {n.removesuffix(".npy") for n in z.namelist()}
        except (OSError, zipfile.BadZipFile):
            names = set()
        return ("medmnist" if {"train_images", "train_labels"} <= names else "npz"), {}
    return "csv", ({"sep": "\t"} if suffix == ".tsv" else {})


def apply_data(doc: ExperimentDocument, dataset: DatasetSpec, tasks: list[tuple[str, list[str]]] | None,
               text: str) -> None:
    """One undo step: the new dataset section and, when given, one task per label (name, class names)."""
    with C.macro(doc, text):
        C.set_value(doc, ("dataset",), dataset, text)
        if tasks is not None:
            C.set_value(doc, ("tasks",), tasks_for_labels(doc.spec, tasks), text)


class DataPanel(QWidget):
    message = Signal(str, bool)
    previewReady = Signal()

    def __init__(self, doc: ExperimentDocument, base_dir: Callable[[], Path | None] = lambda: None, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.base_dir = base_dir
        self.theme: Theme = LIGHT
        self.preview: Preview | None = None
        self._preview_key = None
        self._wanted = None  # (key, apply) of the newest preview request
        self.jobs = DataJobs(self)
        self.jobs.finished.connect(self._preview_done)
        self.file_dialog: QFileDialog | None = None
        self._build()
        doc.changed.connect(lambda _p: self.refresh())
        doc.dataChecked.connect(self._show_check)
        self.refresh()

    # ------------------------------------------------------------------------------------------- building
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        row = QHBoxLayout()
        self.source = QComboBox()
        for text, key in BUILTINS:
            self.source.addItem(text, key)
        self.source.addItem("A file on disk (CSV, Parquet, NPZ, MedMNIST)", "file")
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source.setMinimumContentsLength(16)
        self.source.setAccessibleName("Data source")
        self.browse = QPushButton("Open File…")
        self.browse.setToolTip("Choose a CSV, Parquet, NPZ or MedMNIST .npz file")
        row.addWidget(self.source, 1)
        row.addWidget(self.browse)
        lay.addLayout(row)
        self.path = QLineEdit()
        self.path.setPlaceholderText("path of a data file; Enter reads it")
        self.path.setAccessibleName("Data file path")
        lay.addWidget(self.path)

        self.synthetic = SyntheticKnobs()
        self.knobs = self.synthetic.knobs
        lay.addWidget(self.synthetic)

        self.hint = QLabel("Click a column header to make it a <b>feature</b>, a <b>label</b> (each label column "
                           "is a task) or leave it out.")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.table = PreviewTable()
        lay.addWidget(self.table, 1)

        opts = QHBoxLayout()
        self.standardize = QCheckBox("Standardise features")
        self.standardize.setToolTip("Scale each feature to mean 0, standard deviation 1 (fitted on the training "
                                    "split)")
        self.pca_on = QCheckBox("PCA to")
        self.pca = QSpinBox()
        self.pca.setRange(1, 4096)
        self.pca.setSuffix(" components")
        self.pca.setKeyboardTracking(False)
        opts.addWidget(self.standardize)
        opts.addStretch(1)
        opts.addWidget(self.pca_on)
        opts.addWidget(self.pca)
        lay.addLayout(opts)
        self.tasks_label = QLabel()
        self.tasks_label.setWordWrap(True)
        self.tasks_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.tasks_label)
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        self.check_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_label.setAccessibleName("Data check")
        lay.addWidget(self.check_label)

        self.source.activated.connect(self._source_chosen)
        self.browse.clicked.connect(self.open_file_dialog)
        self.path.returnPressed.connect(lambda: self.use_file(self.path.text().strip()))
        self.synthetic.changed.connect(self._knob_changed)
        self.table.columnClicked.connect(self.toggle_column)
        self.standardize.toggled.connect(self._standardize_changed)
        self.pca_on.toggled.connect(self._pca_changed)
        self.pca.valueChanged.connect(self._pca_changed)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.table.show_preview(self.preview, self.roles(), self.theme)
        self._show_check()

    # ------------------------------------------------------------------------------------------- reading
    def _doc_key(self) -> tuple:
        d = self.doc.spec.dataset
        return d.source, d.path, repr(sorted(d.options.items()))

    def _request_preview(self, source: str, path: str | None, options: dict, apply: bool) -> None:
        key = (source, path, repr(sorted(options.items())))
        self._wanted = (key, apply, source, path, dict(options))
        self.check_label.setText(f'<span style="color:{self.theme.muted}">reading the data…</span>')
        base = self.base_dir()
        self.jobs.submit(key, preview_source, source, path, dict(options), 8, base)

    def _preview_done(self, key, preview, error) -> None:
        if self._wanted is None or key != self._wanted[0]:
            return  # an answer to an older request
        _key, apply, source, path, options = self._wanted
        self._wanted = None
        if error:
            self.check_label.setText(f'<span style="color:{self.theme.error}">⚠ cannot read the data: '
                                     f"{markup(error)}</span>")
            self.message.emit(f"cannot read the data: {error}", True)
            self.previewReady.emit()
            return
        self.preview, self._preview_key = preview, key
        if apply:
            old = self.doc.spec.dataset
            dataset = DatasetSpec(source=source, path=path, labels=list(preview.labels), options=options,
                                  val_fraction=old.val_fraction, test_fraction=old.test_fraction, seed=old.seed,
                                  pca=None, standardize=old.standardize)
            features = [c for c in preview.features if c in preview.columns]
            if source in ("csv", "parquet", "npz") and features:
                dataset.features = features
            try:
                tasks = preview.named_tasks_for(dataset.labels)
            except KeyError:
                tasks = None
            name = Path(path).name if path else source
            apply_data(self.doc, dataset, tasks, f"Use data {name}")
        self.refresh()
        self.previewReady.emit()

    # ------------------------------------------------------------------------------------------- user input
    def _source_chosen(self, _index: int) -> None:
        self.choose_source(self.source.currentData())

    def choose_source(self, key: str) -> None:
        """A built-in set (its tasks replace the experiment's), or "file" for the file dialog."""
        i = self.source.findData(key)
        if i >= 0 and i != self.source.currentIndex():
            self.source.setCurrentIndex(i)
        if key == "file":
            self.open_file_dialog()
            return
        options = self._knob_options() if key == "synthetic" else {}
        self._request_preview(key, None, options, apply=True)

    def open_file_dialog(self) -> QFileDialog:
        """Non-blocking (``open()``): the choice arrives through ``fileSelected``."""
        start = self.doc.spec.dataset.path or str(self.base_dir() or Path.home())
        dlg = QFileDialog(self, "Choose a data file", str(Path(start).parent if Path(start).is_file() else start),
                          FILE_FILTER)
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        dlg.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.use_file)
        dlg.finished.connect(lambda _r: (self.refresh(), setattr(self, "file_dialog", None)))
        self.file_dialog = dlg
        dlg.open()
        return dlg

    def use_file(self, path: str) -> None:
        if not path:
            return
        p = Path(path).expanduser()
        if not p.is_absolute() and self.base_dir():
            p = Path(self.base_dir()) / p
        if not p.is_file():
            self.check_label.setText(f'<span style="color:{self.theme.error}">⚠ no such file: {markup(p)}</span>')
            return
        source, options = source_for_file(str(p))
        self._request_preview(source, str(p), options, apply=True)

    def _knob_options(self, only: str | None = None) -> dict:
        d = self.doc.spec.dataset
        return self.synthetic.options(dict(d.options) if d.source == "synthetic" else {}, only)

    def _knob_changed(self, key: str) -> None:
        if self.doc.spec.dataset.source == "synthetic":
            self._request_preview("synthetic", None, self._knob_options(key), apply=True)

    def roles(self) -> dict[str, str]:
        """Column -> feature / label / skip, as the document's dataset section says."""
        if self.preview is None:
            return {}
        return column_roles(self.preview, self.doc.spec.dataset, self.doc.spec.tasks)

    def toggle_column(self, index: int) -> None:
        """Header click: feature -> label -> left out -> feature (a column that cannot be one is skipped)."""
        if self.preview is None or not 0 <= index < len(self.preview.columns):
            return
        p = self.preview
        col = p.columns[index]
        roles = self.roles()
        role = roles[col] = next_role(p, roles.get(col, "skip"), index)
        labels = [c for c in p.columns if roles[c] == "label"]
        features = [c for c in p.columns if roles[c] == "feature"]
        if not labels or not features:
            self.message.emit("the data needs at least one feature and one label column", True)
            self._show_roles_note("keep at least one feature and one label column")
            return
        dataset = copy.deepcopy(self.doc.spec.dataset)
        dataset.labels = labels
        all_features = [c for c, num in zip(p.columns, p.numeric) if num and c not in labels]
        dataset.features = None if features == all_features and dataset.source not in ("csv", "parquet") \
            else features
        apply_data(self.doc, dataset, p.named_tasks_for(labels), f"Column {col}: {ROLE_TEXT[role]}")

    def _standardize_changed(self, on: bool) -> None:
        C.set_value(self.doc, ("dataset", "standardize"), bool(on),
                    "Standardise features" if on else "Do not standardise features")

    def _pca_changed(self, *_args) -> None:
        value = self.pca.value() if self.pca_on.isChecked() else None
        self.pca.setEnabled(self.pca_on.isChecked())
        C.set_value(self.doc, ("dataset", "pca"), value, f"PCA to {value} components" if value else "No PCA")

    # ------------------------------------------------------------------------------------------- showing
    def refresh(self) -> None:
        d = self.doc.spec.dataset
        widgets = [self.source, self.path, self.standardize, self.pca_on, self.pca]
        blocked = [w.blockSignals(True) for w in widgets]
        try:
            i = self.source.findData(d.source)
            self.source.setCurrentIndex(i if i >= 0 else self.source.findData("file"))
            if not self.path.hasFocus():
                self.path.setText(d.path or "")
            self.path.setVisible(d.source not in ("digits-3task", "penguins", "synthetic"))
            self.synthetic.setVisible(d.source == "synthetic")
            if d.source == "synthetic":
                self.synthetic.show_options(d.options)
            self.standardize.setChecked(bool(d.standardize))
            self.pca_on.setChecked(d.pca is not None)
            self.pca.setEnabled(d.pca is not None)
            if d.pca is not None:
                self.pca.setValue(int(d.pca))
        finally:
            for w, b in zip(widgets, blocked):
                w.blockSignals(b)
        if self._doc_key() != self._preview_key and (self._wanted is None or self._wanted[0] != self._doc_key()):
            if d.source in ("csv", "parquet", "npz", "medmnist") and not d.path:
                self.preview, self._preview_key = None, None
            else:
                self._request_preview(d.source, d.path, dict(d.options), apply=False)
        self.table.show_preview(self.preview, self.roles(), self.theme)
        self._show_tasks()
        self._show_check()

    def _show_tasks(self) -> None:
        p = self.preview
        if p is None:
            self.tasks_label.setText("")
            return
        labels = [c for c, r in self.roles().items() if r == "label"]
        parts = []
        for col in labels:
            for name, classes in p.label_tasks.get(col, []):
                shown = ", ".join(classes[:5]) + (", …" if len(classes) > 5 else "")
                parts.append(f"<b>{markup(name)}</b>: {len(classes)} classes ({markup(shown)})")
        rows = f"{p.total_rows} rows · " if p.total_rows is not None else ""
        n_feat = sum(1 for r in self.roles().values() if r == "feature")
        self.tasks_label.setText(f"{rows}{n_feat} feature columns · tasks: " + ("; ".join(parts) or "none"))

    def _show_roles_note(self, text: str) -> None:
        self.check_label.setText(f'<span style="color:{self.theme.error}">⚠ {markup(text)}</span>')

    def _show_check(self) -> None:
        doc, t = self.doc, self.theme
        if self._wanted is not None:
            return  # "reading the data…" stays until the preview arrives
        if doc.data_state == "checking":
            self.check_label.setText(f'<span style="color:{t.muted}">checking the experiment against its '
                                     "data…</span>")
        elif doc.data_state == "ok":
            self.check_label.setText(f'<span style="color:{t.ok}">✔ ready to train: {markup(doc.data_summary)}'
                                     "</span>")
        elif doc.data_state == "problems":
            lines = "<br>".join(f"⚠ {markup(p.message)}" for p in doc.problems() if p.where == ("data",))
            self.check_label.setText(f'<span style="color:{t.error}">{lines}</span>')
        else:
            self.check_label.setText("")

    def reload(self, _path: str = "") -> None:
        """The data file changed on disk: read its first rows again (the experiment stays as it is)."""
        self._preview_key = None
        self.refresh()

    def busy(self) -> bool:
        return self._wanted is not None or not self.jobs.idle()

    def shutdown(self) -> None:
        self.jobs.shutdown()
