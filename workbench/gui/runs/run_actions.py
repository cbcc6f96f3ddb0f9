"""What a right-click on runs offers: Rename…, Tags…, Open report, Delete (to the trash) and Restore. Each is
the core's operation (``workbench.runs.naming`` / ``trash``), the same as ``qmtl runs rename/tag/delete/restore``;
the dialogs open without blocking, so a training keeps updating the window while one is up."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QWidget

from workbench.gui.common import messages
from workbench.runs import RunInfo, RunStore, export_metrics_csv
from workbench.runs.naming import rename, run_label
from workbench.runs.trash import TRASH_DAYS, move_to_trash, restore


class RunActions(QObject):
    changed = Signal()  # the store changed under these runs: read it again
    message = Signal(str, bool)  # text, is an error
    reportRequested = Signal(list)
    cloneRequested = Signal(object, str, str)  # spec, run id, head

    def __init__(self, store: RunStore, parent: QWidget):
        super().__init__(parent)
        self.store = store
        self.widget = parent
        self.dialog: QInputDialog | None = None
        self.menu: QMenu | None = None

    def popup(self, infos: list[RunInfo], trashed: bool, where) -> QMenu:
        """The menu for the runs under the pointer (or selected), shown at ``where`` (global position)."""
        menu = self.menu = QMenu(self.widget)
        ids = [i.id for i in infos]
        one = infos[0] if len(infos) == 1 else None
        if trashed:
            menu.addAction(f"Restore {len(ids)} run(s)", lambda: self.restore(ids))
        else:
            menu.addAction("Rename…", lambda: self.ask_name(one)).setEnabled(one is not None)
            menu.addAction("Tags…", lambda: self.ask_tags(one)).setEnabled(one is not None)
            menu.addAction("Open report", lambda: self.reportRequested.emit(ids))
            menu.addSeparator()
            menu.addAction(f"Delete {len(ids)} run(s) (to the trash)" if len(ids) > 1 else "Delete (to the trash)",
                           lambda: self.delete(ids))
        menu.popup(where)
        return menu

    def action(self, text: str):
        """The menu's entry starting with ``text`` (tests and keyboard users)."""
        return next(a for a in self.menu.actions() if a.text().startswith(text))

    # -- the dialogs
    def _ask(self, title: str, label: str, value: str, apply) -> QInputDialog:
        dlg = self.dialog = QInputDialog(self.widget)
        dlg.setWindowTitle(title)
        dlg.setLabelText(label)
        dlg.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dlg.setTextValue(value)
        dlg.resize(460, dlg.sizeHint().height())
        dlg.textValueSelected.connect(apply)
        dlg.open()
        return dlg

    def ask_name(self, info: RunInfo | None) -> None:
        if info is not None:
            self._ask("Rename run", f"New name of {run_label(info)} ({info.id}):", info.name,
                      lambda text: self.rename(info.id, text))

    def ask_tags(self, info: RunInfo | None) -> None:
        if info is not None:
            self._ask("Tags", f"Tags of {run_label(info)}, comma-separated:", ", ".join(info.tags),
                      lambda text: self.set_tags(info, text))

    # -- the operations
    def _do(self, what: str, work) -> bool:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - a bad name, a run being trained: say why
            self.message.emit(f"cannot {what}: {exc}", True)
            messages.error(self.widget, f"Cannot {what}", str(exc))
            return False
        finally:
            self.changed.emit()  # of several runs, those before the failing one did change
        return True

    def rename(self, run_id: str, name: str) -> bool:
        return self._do("rename the run", lambda: rename(self.store, run_id, name))

    def set_tags(self, info: RunInfo, text: str) -> bool:
        new = list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))

        def work():
            for tag in set(self.store.get(info.id).tags) - set(new):  # the stored tags: the shown may be stale
                self.store.remove_tag(info.id, tag)
            if new:
                self.store.add_tags(info.id, *new)

        return self._do("change the tags", work)

    def delete(self, ids: list[str]) -> bool:
        ok = self._do("delete", lambda: [move_to_trash(self.store, i) for i in ids])
        if ok:
            self.message.emit(f"moved {len(ids)} run(s) to the trash; Show → Trash restores them for {TRASH_DAYS} "
                              "days", False)
        return ok

    def restore(self, ids: list[str]) -> bool:
        ok = self._do("restore", lambda: [restore(self.store, i) for i in ids])
        if ok:
            self.message.emit(f"restored {len(ids)} run(s)", False)
        return ok

    def clone(self, info: RunInfo) -> None:
        from workbench.spec import loads

        text, fmt = self.store.spec(info.id)
        try:
            spec = loads(text, fmt, f"run {info.id}")
        except Exception as exc:  # noqa: BLE001 - a spec this version cannot read: say so
            messages.error(self.widget, "Cannot clone", f"The spec of run {info.id} cannot be read.", str(exc))
            return
        self.cloneRequested.emit(spec, info.id, str(info.params.get("head", "qmtl")))

    def export_csv(self, ids: list[str], path: str | None = None) -> int:
        if not ids:
            return 0
        path = path or messages.save_path(self.widget, "metrics.csv", "Export metrics as CSV", "CSV (*.csv)")
        if not path:
            return 0
        n = export_metrics_csv(self.store, ids, path)
        self.message.emit(f"wrote {n} metric rows of {len(ids)} run(s) to {path}", False)
        return n
