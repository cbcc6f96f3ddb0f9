"""The main window: composer canvas in the middle; palette, experiment, inspector, budget and log docks."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QColor, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMenu, QStyle, QToolBar

import workbench
from workbench.errors import SpecError
from workbench.gui.common import messages
from workbench.gui.common.export import export_png, export_svg
from workbench.gui.common.theme import THEMES, apply_theme
from workbench.gui.composer import commands as C
from workbench.gui.composer.budget import BudgetPanel
from workbench.gui.composer.document import ExperimentDocument, new_spec
from workbench.gui.composer.editor import ComposerEditor
from workbench.gui.composer.ops import ENCODER
from workbench.gui.composer.palette import PaletteWidget
from workbench.gui.composer.panels import ExperimentPanel, InspectorPanel, LogPanel
from workbench.gui.composer.scene import ComposerScene
from workbench.gui.composer.view import ComposerView
from workbench.gui.runs.browser import RunsBrowser
from workbench.gui.shell import session
from workbench.gui.training.panel import TrainPanel
from workbench.runs import RunStore
from workbench.spec import load

RESOURCES = Path(workbench.__file__).resolve().parent.parent / "resources"
DEMO_SPEC = RESOURCES / "experiments" / "digits-3task.toml"
LAYOUT_VERSION = 1


class MainWindow(QMainWindow):
    def __init__(self, spec_path: str | Path | None = None, *, theme: str | None = None, autosave: bool = True,
                 restore_layout: bool = True, demo: bool = True, persist: bool = True,
                 runs_dir: str | Path | None = None):
        """``persist=False`` (screenshots) leaves settings, recent files and layout as they are. Runs go to
        ``runs_dir``, else ``$QMTL_RUNS_DIR``, else ``runs/`` in the workbench's data folder."""
        super().__init__()
        self.setObjectName("QMTLWorkbench")
        self.persist = persist
        self.store = RunStore(runs_dir or os.environ.get("QMTL_RUNS_DIR") or session.data_dir() / "runs")
        self.presentation = None
        self._selected_run = None
        self.settings = session.settings()
        self.doc = ExperimentDocument(new_spec(), parent=self)
        self.theme = THEMES.get(theme or str(self.settings.value("theme", "light")), THEMES["light"])
        self.scene = ComposerScene(self.doc, self.theme, self)
        self.view = ComposerView(self.scene)
        self.editor = ComposerEditor(self.doc, self.scene, self)
        self.setCentralWidget(self.view)
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status()
        self._connect()
        self.autosaver = session.Autosaver(self.doc, parent=self) if autosave else None
        if self.autosaver:
            self.autosaver.saved.connect(lambda p: self.statusBar().showMessage("autosaved", 2000))
        self.set_theme(self.theme.name)
        self.resize(1600, 1000)
        if restore_layout:
            self._restore_layout()
        path = spec_path if spec_path else (DEMO_SPEC if demo and DEMO_SPEC.exists() else None)
        if path is not None:
            self.open_file(path, remember=bool(spec_path) and persist)
        self._update_title()
        self._update_status()
        QTimer.singleShot(0, self.fit_readable)

    def fit_readable(self) -> None:
        """The first view of a document: fit it, but never so small that gates cannot be read."""
        self.view.fit(min_zoom=0.8)

    # ------------------------------------------------------------------------------------------- building
    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        L, R, B = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                   Qt.DockWidgetArea.BottomDockWidgetArea)
        self.palette = PaletteWidget(self.theme)
        self.experiment = ExperimentPanel(self.doc)
        self.inspector = InspectorPanel(self.doc)
        self.budget = BudgetPanel(self.doc)
        self.log_panel = LogPanel()
        self.palette_dock = self._dock("Palette", "paletteDock", self.palette, L)
        self.experiment_dock = self._dock("Experiment", "experimentDock", self.experiment, R)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, R)
        self.budget_dock = self._dock("Resource budget", "budgetDock", self.budget, B)
        self.log_dock = self._dock("Log", "logDock", self.log_panel, B)
        self.train = TrainPanel(self.doc, self.store, base_dir=self._spec_dir)
        self.runs = RunsBrowser(self.store)
        self.train_dock = self._dock("Train", "trainDock", self.train, B)
        self.runs_dock = self._dock("Runs", "runsDock", self.runs, B)
        self.tabifyDockWidget(self.budget_dock, self.train_dock)
        self.tabifyDockWidget(self.train_dock, self.runs_dock)
        self.extra_docks = []
        self._add_colleague_panels(B)
        self.budget_dock.raise_()
        self.tabifyDockWidget(self.experiment_dock, self.inspector_dock)
        self.inspector_dock.raise_()
        self.splitDockWidget(self.budget_dock, self.log_dock, Qt.Orientation.Horizontal)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.default_dock_sizes()
        self._default_state = None
        self._sized_once = False

    def default_dock_sizes(self) -> None:
        """Side docks wide enough to read; sizes only stick once the window has its real size, so this runs
        again on the first show (the wide bottom panels would otherwise squeeze the side docks)."""
        self.resizeDocks([self.palette_dock, self.inspector_dock], [215, 360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.budget_dock], [300], Qt.Orientation.Vertical)
        self.resizeDocks([self.budget_dock, self.log_dock], [900, 200], Qt.Orientation.Horizontal)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._sized_once:
            self._sized_once = True
            if not isinstance(self.settings.value("windowState"), QByteArray):
                QTimer.singleShot(0, self.default_dock_sizes)

    def _spec_dir(self) -> Path:
        """Where a spec's relative data paths resolve: its file's folder, or the demo's for an unsaved one."""
        return self.doc.path.parent if self.doc.path else DEMO_SPEC.parent

    def _add_colleague_panels(self, area) -> None:
        """The noise comparison and hardware panels, where installed (built separately; optional here). Each is
        created the first time its dock is shown: a window that never shows them (tests, screenshots) never
        starts their background work."""
        import importlib.util

        for module, cls, title, name in (("workbench.gui.noise.panel", "NoisePanel", "Noise", "noiseDock"),
                                         ("workbench.gui.hardware.panel", "HardwarePanel", "Hardware", "hardwareDock")):
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                continue
            holder = QLabel(f"{title}: loading…")
            holder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            dock = self._dock(title, name, holder, area)
            dock.setProperty("lazyPanel", (module, cls))
            dock.visibilityChanged.connect(lambda visible, d=dock: visible and self._load_panel(d))
            self.tabifyDockWidget(self.runs_dock, dock)
            self.extra_docks.append(dock)

    def _load_panel(self, dock: QDockWidget):
        """Create a lazily loaded panel (once); a panel that cannot load says why in its dock and the log."""
        spec = dock.property("lazyPanel")
        if not spec:
            return dock.widget()
        dock.setProperty("lazyPanel", None)
        module, cls = spec
        try:
            import importlib

            widget = getattr(importlib.import_module(module), cls)(self.store)
        except Exception as exc:  # noqa: BLE001 - a broken optional panel must not stop the workbench
            self.report(f"{dock.windowTitle()} panel unavailable: {exc}", error=True)
            dock.widget().setText(f"{dock.windowTitle()} panel unavailable:\n{exc}")
            return None
        dock.setWidget(widget)
        if self._selected_run is not None:
            self._set_panel_run(dock, self._selected_run)
        return widget

    def _set_panel_run(self, dock: QDockWidget, run_id) -> None:
        widget = dock.widget()
        if dock.property("lazyPanel") or not hasattr(widget, "set_run"):
            return
        try:
            widget.set_run(run_id)
        except Exception as exc:  # noqa: BLE001 - an optional panel's fault stays in the log
            self.log_panel.log(f"{dock.windowTitle()}: {exc}", True)

    def _action(self, text: str, slot, shortcut=None, tip: str = "", icon=None, checkable=False) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        if icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        a.setCheckable(checkable)
        shown = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        a.setToolTip(f"{tip or text.replace('&', '')}" + (f" ({shown})" if shown else ""))
        a.setStatusTip(tip or text.replace("&", ""))
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        SP = QStyle.StandardPixmap
        K = QKeySequence.StandardKey
        a = self._action
        self.act_new = a("&New", self.new_file, K.New, "New experiment", SP.SP_FileIcon)
        self.act_open = a("&Open…", self.open_dialog, K.Open, "Open an experiment file", SP.SP_DialogOpenButton)
        self.act_save = a("&Save", self.save, K.Save, "Save the experiment", SP.SP_DialogSaveButton)
        self.act_save_as = a("Save &As…", self.save_as, K.SaveAs, "Save under a new name")
        self.act_export_png = a("Export Circuit as &PNG…", lambda: self.export_image("png"), "Ctrl+Shift+P")
        self.act_export_svg = a("Export Circuit as S&VG…", lambda: self.export_image("svg"), "Ctrl+Shift+G")
        self.act_quit = a("&Quit", self.close, K.Quit)
        self.act_undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts(QKeySequence.keyBindings(K.Undo))
        self.act_undo.setIcon(self.style().standardIcon(SP.SP_ArrowBack))
        self.act_redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_redo.setIcon(self.style().standardIcon(SP.SP_ArrowForward))
        for act in (self.act_undo, self.act_redo):
            self.addAction(act)
        self.act_cut = a("Cu&t", self.editor.cut_selection, K.Cut, "Cut the selected gates")
        self.act_copy = a("&Copy", self.editor.copy_selection, K.Copy, "Copy the selected gates")
        self.act_paste = a("&Paste", self.editor.paste, K.Paste, "Paste gates at the end of the current band")
        self.act_delete = a("&Delete", self.editor.delete_selection, [QKeySequence(Qt.Key.Key_Delete),
                                                                        QKeySequence(Qt.Key.Key_Backspace)],
                            "Delete the selected gates", SP.SP_TrashIcon)
        self.act_select_all = a("Select &All", self.editor.select_all, K.SelectAll, "Select the current band's gates")
        self.act_expand = a("&Expand Template", lambda: self.editor.expand(), "Ctrl+E",
                            "Expand the current band's template into gates")
        self.act_regroup = a("&Regroup as Template", lambda: self.editor.regroup(), "Ctrl+G",
                             "Turn the current band's gates back into a template")
        self.act_add_task = a("&Add Task", self.experiment.add_task, "Ctrl+T", "Add a task lane")
        self.act_remove_task = a("&Remove Task", self.remove_current_task, "Ctrl+Shift+Del",
                                 "Remove the current task")
        self.act_rename_task = a("Re&name Task", self.rename_current_task, "F2", "Rename the current task")
        self.act_task_left = a("Move Task &Left", lambda: self.move_current_task(-1), "Alt+Left")
        self.act_task_right = a("Move Task R&ight", lambda: self.move_current_task(+1), "Alt+Right")
        self.act_zoom_in = a("Zoom &In", lambda: self.view.zoom_by(1.2), [QKeySequence(K.ZoomIn),
                                                                         QKeySequence("Ctrl+=")])
        self.act_zoom_out = a("Zoom &Out", lambda: self.view.zoom_by(1 / 1.2), K.ZoomOut)
        self.act_zoom_reset = a("&Actual Size", lambda: self.view.set_zoom(1.0), "Ctrl+0")
        self.act_fit = a("&Fit Circuit", self.view.fit, "Ctrl+9", "Fit the whole circuit in view")
        self.theme_group = QActionGroup(self)
        self.act_light = a("&Light Theme", lambda: self.set_theme("light"), None, checkable=True)
        self.act_dark = a("&Dark Theme", lambda: self.set_theme("dark"), "Ctrl+Shift+D", checkable=True)
        for act in (self.act_light, self.act_dark):
            self.theme_group.addAction(act)
        self.act_train = a("&Train…", self.show_train, "Ctrl+R", "Show the training panel")
        self.act_start = a("&Start Training", self.start_training, "Ctrl+Shift+R",
                           "Train the experiment as it is in the editor")
        self.act_stop = a("S&top Training", lambda: self.train.stop(), "Ctrl+.", "Stop after the current step")
        self.act_runs = a("&Runs Browser", self.show_runs, "Ctrl+B", "Browse, compare and export runs")
        self.act_report = a("HTML &Report of Selected Runs…", self.report_selected, "Ctrl+Shift+H",
                            "Write a self-contained HTML report of the runs selected in the browser")
        self.act_present = a("&Presentation Mode", self.show_presentation, "F5",
                             "Large-type full-window curves and a replay of a finished run")
        self.act_reset_layout = a("Reset &Layout", self.reset_layout)
        self.act_shortcuts = a("&Keyboard Shortcuts", self.show_shortcuts, K.HelpContents)
        self.act_about = a("&About", self.show_about)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_new, self.act_open])
        self.recent_menu = m.addMenu("Open &Recent")
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        m.addSeparator()
        m.addActions([self.act_export_png, self.act_export_svg])
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_delete, self.act_select_all])
        m.addSeparator()
        m.addActions([self.act_expand, self.act_regroup])
        m = mb.addMenu("&Tasks")
        m.addActions([self.act_add_task, self.act_rename_task, self.act_task_left, self.act_task_right])
        m.addSeparator()
        m.addAction(self.act_remove_task)
        m = mb.addMenu("&Run")
        m.addActions([self.act_train, self.act_start, self.act_stop])
        m.addSeparator()
        m.addActions([self.act_runs, self.act_report, self.act_present])
        m = mb.addMenu("&View")
        m.addActions([self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset, self.act_fit])
        m.addSeparator()
        m.addActions([self.act_light, self.act_dark])
        m.addSeparator()
        for dock in self._all_docks():
            m.addAction(dock.toggleViewAction())
        m.addAction(self.act_reset_layout)
        m = mb.addMenu("&Help")
        m.addActions([self.act_shortcuts, self.act_about])
        self._fill_recent()

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main", self)
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addActions([self.act_new, self.act_open, self.act_save])
        tb.addSeparator()
        tb.addActions([self.act_undo, self.act_redo, self.act_delete])
        tb.addSeparator()
        tb.addActions([self.act_add_task, self.act_expand, self.act_regroup])
        tb.addSeparator()
        tb.addActions([self.act_fit, self.act_dark])
        tb.addSeparator()
        tb.addActions([self.act_start, self.act_runs, self.act_present])
        self.addToolBar(tb)
        self.toolbar = tb

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.status_valid = QLabel()
        self.status_engine = QLabel()
        self.status_device = QLabel()
        self.status_dirty = QLabel()
        for w in (self.status_valid, self.status_engine, self.status_device, self.status_dirty):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)
        self.status_valid.setMaximumWidth(640)

    def _connect(self) -> None:
        doc = self.doc
        doc.changed.connect(lambda _p: self._update_status())
        doc.problemsChanged.connect(self._update_status)
        doc.modifiedChanged.connect(lambda _m: (self._update_title(), self._update_status()))
        doc.fileChanged.connect(lambda _p: self._update_title())
        doc.undo_stack.indexChanged.connect(self._log_command)
        self.editor.message.connect(self.report)
        self.experiment.message.connect(self.report)
        self.palette.activated_payload.connect(self.editor.add_to_current)
        self.scene.bandActivated.connect(self._band_activated)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.gateActivated.connect(lambda ref: (self.inspector_dock.raise_(), self.inspector.set_gate(ref)))
        self.scene.contextMenuRequested.connect(self._context_menu)
        self.experiment.taskSelected.connect(self._task_selected)
        self.train.message.connect(self.report)
        self.train.runStarted.connect(self._run_started)
        self.train.runEnded.connect(self._run_ended)
        self.runs.message.connect(self.report)
        self.runs.cloneRequested.connect(self.clone_run)
        self.runs.resumeRequested.connect(self.resume_run)
        self.runs.reportRequested.connect(self.write_report)
        self.runs.runSelected.connect(self._run_selected)
        doc.validityChanged.connect(lambda ok: self.act_start.setEnabled(ok))
        self.act_start.setEnabled(doc.is_trainable())
        self._last_index = 0

    # ------------------------------------------------------------------------------------------- reporting
    def report(self, text: str, error: bool = False) -> None:
        self.statusBar().showMessage(("⚠ " if error else "") + text, 8000)
        self.log_panel.log(text, error)

    def _log_command(self, index: int) -> None:
        stack = self.doc.undo_stack
        if index > self._last_index and index > 0:
            self.log_panel.log(stack.text(index - 1))
        elif index < self._last_index:
            self.log_panel.log(f"undo: {stack.text(index)}")
        self._last_index = index

    def _update_title(self) -> None:
        name = self.doc.path.name if self.doc.path else "untitled"
        self.setWindowTitle(f"{self.doc.spec.name} — {name}[*] — QMTL Workbench")
        self.setWindowModified(self.doc.is_modified())

    def _update_status(self) -> None:
        spec = self.doc.spec
        t = self.theme
        problem = self.doc.first_problem()
        if problem is None:
            self.status_valid.setText(f'<span style="color:{t.ok}">✔ ready to train</span>')
            self.status_valid.setToolTip("The core validates this experiment")
        else:
            more = len(self.doc.problems()) - 1
            text = str(problem) + (f" (+{more} more)" if more else "")
            self.status_valid.setText(f'<span style="color:{t.error}">⚠ {_escape(text)}</span>')
            self.status_valid.setToolTip("\n".join(str(p) for p in self.doc.problems()))
        self.status_engine.setText(f"engine: {spec.quantum.engine}")
        self.status_device.setText(f"device: {spec.training.device}")
        self.status_dirty.setText("● modified" if self.doc.is_modified() else "saved")
        self.setWindowModified(self.doc.is_modified())

    # ------------------------------------------------------------------------------------------- selection
    def _band_activated(self, key) -> None:
        self.inspector.set_band(key)
        if key != ENCODER:
            self.experiment.select_task(key)

    def _task_selected(self, index: int) -> None:
        self.scene.set_current_band(index)
        self.inspector.set_band(index)

    def _selection_changed(self) -> None:
        refs = self.scene.selected_refs()
        self.inspector.set_gate(refs[0] if len(refs) == 1 else None)

    def _context_menu(self, key, screen_pos) -> None:
        menu = QMenu(self)
        menu.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_delete])
        menu.addSeparator()
        menu.addActions([self.act_expand, self.act_regroup])
        if key != ENCODER:
            menu.addSeparator()
            menu.addActions([self.act_rename_task, self.act_task_left, self.act_task_right, self.act_remove_task])
        menu.popup(screen_pos)

    def current_task(self) -> int:
        key = self.scene.current_band
        return key if key != ENCODER else self.experiment.current_task()

    def remove_current_task(self) -> None:
        self.experiment.select_task(self.current_task())
        self.experiment.remove_task()

    def rename_current_task(self) -> None:
        i = self.current_task()
        self.experiment_dock.raise_()
        self.experiment.select_task(i)
        item = self.experiment.tasks.item(i)
        if item is not None:
            self.experiment.tasks.editItem(item)

    def move_current_task(self, step: int) -> None:
        i = self.current_task()
        if i < 0:
            return
        to = C.move_task(self.doc, i, i + step)
        self.scene.set_current_band(to)
        self.experiment.select_task(to)

    # ------------------------------------------------------------------------------------------- files
    def _confirm_discard(self) -> bool:
        """True when the current document may be replaced (saved, discarded, or unmodified)."""
        if not self.doc.is_modified():
            return True
        choice = messages.ask(self, "Unsaved changes", f"Save the changes to “{self.doc.spec.name}”?",
                              ("Save", "Discard", "Cancel"), "Save")
        if choice == "Save":
            return self.save()
        return choice == "Discard"

    def new_file(self) -> None:
        if self._confirm_discard():
            self.doc.replace(new_spec(), None)
            self.report("new experiment")
            QTimer.singleShot(0, self.fit_readable)

    def open_dialog(self) -> None:
        if not self._confirm_discard():
            return
        start = str(self.doc.path.parent) if self.doc.path else str(self.settings.value("lastDir", ""))
        path = messages.open_path(self, start)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path, remember: bool = True) -> bool:
        """Open ``path``; on a damaged or too-new file show why in a dialog and keep the current document."""
        path = Path(path)
        try:
            self.doc.open(path)
        except SpecError as exc:
            self.report(f"cannot open {path.name}: {exc}", error=True)
            where = f"Field: {exc.path}\n" if exc.path else ""
            messages.error(self, "Cannot open experiment", f"“{path.name}” cannot be opened.",
                           f"{where}{exc.message}\n\nThe file was not changed.")
            return False
        if remember:
            session.add_recent(path)
            self.settings.setValue("lastDir", str(path.parent))
            self._fill_recent()
        self.report(f"opened {path}")
        self._update_title()
        QTimer.singleShot(0, self.fit_readable)
        return True

    def save(self) -> bool:
        if self.doc.path is None or self.doc.path == DEMO_SPEC:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        start = str(self.doc.path.parent / self.doc.path.name) if self.doc.path and self.doc.path != DEMO_SPEC \
            else str(Path(str(self.settings.value("lastDir", Path.home()))) / f"{self.doc.spec.name}.toml")
        path = messages.save_path(self, start)
        if not path:
            return False
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        problem = self.doc.first_problem()
        if problem is not None:  # the workbench and `qmtl` would refuse to open it again
            self.report(f"not saved: {problem}", error=True)
            messages.error(self, "Cannot save yet", "The experiment has a problem that would stop it from "
                           "opening again (here and in the qmtl command line).",
                           f"{problem}\n\nFix it (it is marked in red on the canvas), then save.")
            return False
        try:
            self.doc.save(path)
        except OSError as exc:
            self.report(f"cannot save {path}: {exc}", error=True)
            messages.error(self, "Cannot save", f"“{path}” cannot be written.", str(exc))
            return False
        session.add_recent(path)
        self.settings.setValue("lastDir", str(path.parent))
        self._fill_recent()
        self.report(f"saved {path}")
        return True

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = session.recent_files()
        for i, p in enumerate(files):
            act = self.recent_menu.addAction(f"&{i + 1} {Path(p).name}")
            act.setToolTip(p)
            act.setStatusTip(p)
            act.triggered.connect(lambda _c=False, p=p: self._open_recent(p))
        self.recent_menu.setEnabled(bool(files))

    def _open_recent(self, path: str) -> None:
        if not Path(path).exists():
            session.forget_recent(path)
            self._fill_recent()
            self.report(f"{path} no longer exists", error=True)
            return
        if self._confirm_discard():
            self.open_file(path)

    def export_image(self, fmt: str) -> bool:
        base = self.doc.path.with_suffix(f".{fmt}").name if self.doc.path else f"{self.doc.spec.name}.{fmt}"
        start = str(Path(str(self.settings.value("lastDir", Path.home()))) / base)
        filters = "PNG image (*.png)" if fmt == "png" else "SVG image (*.svg)"
        path = messages.save_path(self, start, f"Export circuit as {fmt.upper()}", filters)
        if not path:
            return False
        try:
            (export_png if fmt == "png" else export_svg)(self.scene, path)
        except OSError as exc:
            self.report(str(exc), error=True)
            messages.error(self, "Export failed", str(exc))
            return False
        self.report(f"exported the circuit to {path}")
        return True

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest autosave left behind. Returns whether one was recovered."""
        pending = session.pending_recoveries()
        if not pending:
            return False
        rec = pending[0]
        choice = messages.ask(self, "Recover unsaved work",
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
            messages.error(self, "Cannot recover", "The autosave cannot be read.", str(exc))
            return False
        self.doc.replace(spec, Path(rec.source) if rec.source else None, modified=True)
        rec.discard()
        self.report(f"recovered {rec.describe()}; save it to keep it")
        QTimer.singleShot(0, self.fit_readable)
        return True

    # ------------------------------------------------------------------------------------------- runs
    def _all_docks(self) -> list[QDockWidget]:
        return [self.palette_dock, self.experiment_dock, self.inspector_dock, self.budget_dock, self.log_dock,
                self.train_dock, self.runs_dock, *self.extra_docks]

    def show_train(self) -> None:
        self.train_dock.show()
        self.train_dock.raise_()

    def show_runs(self) -> None:
        self.runs_dock.show()
        self.runs_dock.raise_()
        self.runs.refresh()

    def start_training(self) -> bool:
        self.show_train()
        return self.train.start()

    def _run_started(self, run_id: str) -> None:
        self.runs.busy_run = run_id
        self.runs.refresh()

    def _run_ended(self, run_id: str, status: str) -> None:
        self.runs.busy_run = None
        self.runs.refresh()
        self.report(f"run {run_id} {status}", error=status == "failed")

    def _run_selected(self, run_id) -> None:
        self._selected_run = run_id
        for dock in self.extra_docks:
            self._set_panel_run(dock, run_id)

    def clone_run(self, spec, run_id: str, head: str) -> bool:
        """Load a run's spec into the composer as a new, untitled (modified) document."""
        if not self._confirm_discard():
            return False
        spec.name = f"{spec.name} (clone of {run_id})"
        self.doc.replace(spec, None, modified=True)
        self.train.set_head(head)
        self.report(f"cloned run {run_id} into a new experiment; edit it and train, or save it")
        QTimer.singleShot(0, self.fit_readable)
        return True

    def resume_run(self, run_id: str) -> bool:
        self.show_train()
        return self.train.resume_run(run_id)

    def write_report(self, run_ids: list, path: str | None = None):
        from workbench.gui.report.report import ReportPreview
        from workbench.gui.report.report import write_report as write

        if not run_ids:
            return None
        start = str(Path(str(self.settings.value("lastDir", Path.home()))) / f"report-{run_ids[0]}.html")
        path = path or messages.save_path(self, start, "Write HTML report", "HTML (*.html)")
        if not path:
            return None
        try:
            out = write(self.store, list(run_ids), path)
        except Exception as exc:  # noqa: BLE001
            self.report(f"cannot write the report: {exc}", error=True)
            messages.error(self, "Report failed", str(exc))
            return None
        self.report(f"wrote the report to {out}")
        preview = ReportPreview(out, self)
        preview.open()
        return out

    def report_selected(self):
        return self.write_report(self.runs.selected_ids())

    def show_presentation(self, run_id: str | None = None):
        from workbench.gui.report.presentation import PresentationView

        if self.presentation is None:
            self.presentation = PresentationView(self.store, self.theme)
            self.presentation.resize(self.size())
        selected = run_id or (self.runs.selected_ids() or [None])[0]
        self.presentation.reload_runs(selected)
        self.presentation.show()
        self.presentation.raise_()
        return self.presentation

    # ------------------------------------------------------------------------------------------- look
    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        self.theme = apply_theme(app, name)
        if self.persist:
            self.settings.setValue("theme", self.theme.name)
        (self.act_dark if self.theme.dark else self.act_light).setChecked(True)
        self.scene.set_theme(self.theme)
        self.view.hint_color = QColor(self.theme.muted)
        self.view.viewport().update()
        self.palette.set_theme(self.theme)
        self.experiment.set_theme(self.theme)
        self.inspector.set_theme(self.theme)
        self.budget.set_theme(self.theme)
        self.log_panel.set_theme(self.theme)
        self.train.set_theme(self.theme)
        self.runs.set_theme(self.theme)
        if self.presentation is not None:
            self.presentation.set_theme(self.theme)
        self._update_status()

    def _restore_layout(self) -> None:
        self._default_state = self.saveState(LAYOUT_VERSION)
        geometry = self.settings.value("geometry")
        state = self.settings.value("windowState")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)

    def save_layout(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def reset_layout(self) -> None:
        if self._default_state is not None:
            self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self._all_docks():
            dock.show()

    def show_shortcuts(self) -> None:
        rows = []
        for act in self.actions():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts())
            if keys:
                rows.append(f"<tr><td><b>{_escape(keys)}</b></td><td>{_escape(act.text().replace('&', ''))}</td></tr>")
        rows.append("<tr><td><b>Ctrl+wheel</b></td><td>Zoom the canvas</td></tr>")
        rows.append("<tr><td><b>Double-click</b></td><td>Template: expand · palette item: add to the current "
                    "band</td></tr>")
        messages.info(self, "Keyboard shortcuts", "<table cellspacing=4>" + "".join(rows) + "</table>")

    def show_about(self) -> None:
        messages.info(self, "About QMTL Workbench",
                      f"QMTL Workbench {workbench.__version__}: compose, train and compare quantum multi-task "
                      "learning heads.")

    def _confirm_stop_training(self) -> bool:
        """Closing during a training: ask, then stop the worker cleanly; the run stays resumable."""
        if not self.train.is_training():
            return True
        choice = messages.ask(self, "Training in progress",
                              f"Run {self.train.run_id or ''} is still training. Stop it and close? It stays "
                              "resumable from its last epoch (Runs browser → Resume).",
                              ("Stop and Close", "Cancel"), "Cancel")
        if choice != "Stop and Close":
            return False
        if not self.train.shutdown(wait=15):
            self.report("the training worker did not stop in time", error=True)
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._confirm_stop_training() or not self._confirm_discard():
            event.ignore()
            return
        self.train.shutdown(wait=15)
        self.runs.shutdown()
        if self.presentation is not None:
            self.presentation.close()
        if self.persist:
            self.save_layout()
        if self.autosaver:
            self.autosaver.close()
        self.budget.shutdown()
        event.accept()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
