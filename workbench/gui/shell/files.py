"""The window's files: new (data first), open, recent and shipped examples, save, export, crash recovery."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from workbench.errors import SpecError
from workbench.gui.common import messages
from workbench.gui.common.export import export_png, export_svg
from workbench.gui.data.dialog import NewExperimentDialog
from workbench.gui.shell import session
from workbench.spec import load
from workbench.spec.examples import EXPERIMENTS, examples, resolve_experiment


def shipped(path: Path) -> bool:
    """A file shipped with the workbench: saving it asks for a new name instead of writing into the install."""
    return path.resolve().parent == EXPERIMENTS.resolve()


class FileOps(QObject):
    def __init__(self, window):
        super().__init__(window)  # a QObject: its slots die with the window, not after it
        self.w = window

    @property
    def doc(self):
        return self.w.doc

    @property
    def settings(self):
        return self.w.settings

    def _last_dir(self) -> Path:
        return Path(str(self.settings.value("lastDir", Path.home())))

    def _remember(self, path: Path) -> None:
        session.add_recent(path)
        self.settings.setValue("lastDir", str(path.parent))
        self.fill_recent()

    def confirm_discard(self) -> bool:
        """True when the current document may be replaced (saved, discarded, or unmodified)."""
        if not self.doc.is_modified():
            return True
        choice = messages.ask(self.w, "Unsaved changes", f"Save the changes to “{self.doc.spec.name}”?",
                              ("Save", "Discard", "Cancel"), "Save")
        if choice == "Save":
            return self.save()
        return choice == "Discard"

    def new_file(self) -> NewExperimentDialog | None:
        """Ask for the data first (non-blocking dialog); the tasks come from its label columns."""
        if not self.confirm_discard():
            return None
        w = self.w
        dialog = NewExperimentDialog(self._new_data_dir, w)
        dialog.accepted.connect(lambda: self._create_new(dialog))
        dialog.finished.connect(lambda _r: setattr(w, "new_dialog", None))
        w.new_dialog = dialog
        dialog.open()
        return dialog

    def _new_data_dir(self) -> Path:
        return Path(str(self.settings.value("lastDir", ""))) if self.settings.value("lastDir") else Path.home()

    def _create_new(self, dialog: NewExperimentDialog) -> None:
        spec = dialog.spec()
        self.doc.replace(spec, None)
        self.w.report(f"new experiment on {spec.dataset.path or spec.dataset.source} with tasks "
                      f"{', '.join(t.name for t in spec.tasks)}")
        self.w.data_dock.show()
        self.w.data_dock.raise_()
        QTimer.singleShot(0, self.w.fit_readable)

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        start = str(self.doc.path.parent) if self.doc.path else str(self.settings.value("lastDir", ""))
        path = messages.open_path(self.w, start)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path, remember: bool = True) -> bool:
        """Open ``path``; on a damaged or too-new file show why in a dialog and keep the current document."""
        path = Path(path)
        try:
            self.doc.open(path)
        except SpecError as exc:
            self.w.report(f"cannot open {path.name}: {exc}", error=True)
            where = f"Field: {exc.path}\n" if exc.path else ""
            messages.error(self.w, "Cannot open experiment", f"“{path.name}” cannot be opened.",
                           f"{where}{exc.message}\n\nThe file was not changed.")
            return False
        if remember:
            self._remember(path)
        self.w.report(f"opened {path}")
        self.w.update_title()
        QTimer.singleShot(0, self.w.fit_readable)
        return True

    def save(self) -> bool:
        if self.doc.path is None or shipped(self.doc.path):
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        start = str(self.doc.path.parent / self.doc.path.name) if self.doc.path and not shipped(self.doc.path) \
            else str(self._last_dir() / f"{self.doc.spec.name}.toml")
        path = messages.save_path(self.w, start)
        if not path:
            return False
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        problem = self.doc.first_spec_problem()
        if problem is not None:  # the workbench and `qmtl` would refuse to open it again
            self.w.report(f"not saved: {problem}", error=True)
            messages.error(self.w, "Cannot save yet", "The experiment has a problem that would stop it from "
                           "opening again (here and in the qmtl command line).",
                           f"{problem}\n\nFix it (it is marked in red on the canvas), then save.")
            return False
        try:
            self.doc.save(path)
        except OSError as exc:
            self.w.report(f"cannot save {path}: {exc}", error=True)
            messages.error(self.w, "Cannot save", f"“{path}” cannot be written.", str(exc))
            return False
        self._remember(path)
        self.w.report(f"saved {path}")
        return True

    def fill_recent(self) -> None:
        menu = self.w.recent_menu
        menu.clear()
        files = session.recent_files()
        for i, p in enumerate(files):
            act = menu.addAction(f"&{i + 1} {Path(p).name}")
            act.setToolTip(p)
            act.setStatusTip(p)
            act.triggered.connect(lambda _c=False, p=p: self._open_recent(p))
        menu.setEnabled(bool(files))

    def fill_examples(self) -> None:
        """One entry per experiment shipped with the workbench (the same list as ``qmtl examples``)."""
        menu = self.w.example_menu
        for e in examples():
            act = menu.addAction(e.name)
            tip = f"{e.description} ({e.tasks} tasks, {e.qubits} qubits)" if e.description else e.name
            act.setToolTip(tip)
            act.setStatusTip(tip)
            act.setData(e.name)
            act.triggered.connect(lambda _c=False, name=e.name: self.open_example(name))
        menu.setToolTipsVisible(True)
        menu.setEnabled(bool(menu.actions()))

    def open_example(self, name: str) -> bool:
        """Open a shipped experiment; saving it asks for a new file (the shipped one stays as it is)."""
        if not self.confirm_discard():
            return False
        return self.open_file(resolve_experiment(name), remember=False)

    def _open_recent(self, path: str) -> None:
        if not Path(path).exists():
            session.forget_recent(path)
            self.fill_recent()
            self.w.report(f"{path} no longer exists", error=True)
            return
        if self.confirm_discard():
            self.open_file(path)

    def export_image(self, fmt: str) -> bool:
        base = self.doc.path.with_suffix(f".{fmt}").name if self.doc.path else f"{self.doc.spec.name}.{fmt}"
        filters = "PNG image (*.png)" if fmt == "png" else "SVG image (*.svg)"
        path = messages.save_path(self.w, str(self._last_dir() / base), f"Export circuit as {fmt.upper()}", filters)
        if not path:
            return False
        try:
            (export_png if fmt == "png" else export_svg)(self.w.scene, path)
        except OSError as exc:
            self.w.report(str(exc), error=True)
            messages.error(self.w, "Export failed", str(exc))
            return False
        self.w.report(f"exported the circuit to {path}")
        return True

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest autosave left behind. Returns whether one was recovered."""
        pending = session.pending_recoveries()
        if not pending:
            return False
        rec = pending[0]
        choice = messages.ask(self.w, "Recover unsaved work",
                              f"The workbench did not close cleanly. Recover {rec.describe()}?",
                              ("Recover", "Discard", "Later"), "Recover")
        if choice == "Later":
            return False
        if choice == "Discard":
            rec.discard()
            return False
        try:
            spec = load(rec.spec_file)
        except SpecError as exc:
            messages.error(self.w, "Cannot recover", "The autosave cannot be read.", str(exc))
            return False
        self.doc.replace(spec, Path(rec.source) if rec.source else None, modified=True)
        rec.discard()
        self.w.report(f"recovered {rec.describe()}; save it to keep it")
        QTimer.singleShot(0, self.w.fit_readable)
        return True
