"""The main window: composer canvas in the middle; palette, experiment, inspector, budget and log docks.

Features (data, training, runs, sweeps, noise, hardware, ...) add their docks, menu actions and toolbar
buttons in ``shell/features.py``; the window's own parts live beside this module: ``menus`` and ``actions``
(menus, toolbar, the window's actions), ``docks`` (dock creation, theming, lazy panels), ``files`` (new, open,
save, export, recovery), ``layout`` (screen fit, dock sizes, saved layouts), ``status`` (status bar and log),
``canvas`` (canvas, experiment panel and inspector following each other) and ``run_links`` (training, runs
and report following each other).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor
from PySide6.QtWidgets import QApplication, QMainWindow

from workbench.gui.common.theme import THEMES, apply_theme
from workbench.gui.composer.budget import BudgetPanel
from workbench.gui.composer.document import ExperimentDocument, new_spec
from workbench.gui.composer.editor import ComposerEditor
from workbench.gui.composer.palette import PaletteWidget
from workbench.gui.composer.panels import ExperimentPanel, InspectorPanel, LogPanel
from workbench.gui.composer.scene import ComposerScene
from workbench.gui.composer.view import ComposerView
from workbench.gui.data.dialog import NewExperimentDialog
from workbench.gui.shell import actions, session
from workbench.gui.shell.canvas import CanvasLinks
from workbench.gui.shell.docks import Docks, Panel
from workbench.gui.shell.features import FEATURES
from workbench.gui.shell.files import FileOps
from workbench.gui.shell.layout import LAYOUT_VERSION, PALETTE_MIN_WIDTH, SIDE_MIN_WIDTH, WindowLayout, first_size
from workbench.gui.shell.menus import Menus
from workbench.gui.shell.run_links import RunLinks
from workbench.gui.shell.status import StatusBar
from workbench.runs import RunStore
from workbench.spec.examples import EXPERIMENTS

DEMO_SPEC = EXPERIMENTS / "digits-3task.toml"
__all__ = ["DEMO_SPEC", "LAYOUT_VERSION", "PALETTE_MIN_WIDTH", "SIDE_MIN_WIDTH", "MainWindow", "first_size"]


class MainWindow(QMainWindow):
    themeChanged = Signal(object)  # the new Theme, for windows that are not docks (docks are themed by Docks)
    closing = Signal()  # the window accepted closing: stop background work

    def __init__(self, spec_path: str | Path | None = None, *, theme: str | None = None, autosave: bool = True,
                 restore_layout: bool = True, demo: bool = True, persist: bool = True,
                 runs_dir: str | Path | None = None):
        """``persist=False`` (screenshots) leaves settings, recent files and layout as they are. Runs go to
        ``runs_dir``, else ``$QMTL_RUNS_DIR``, else ``runs/`` in the workbench's data folder."""
        super().__init__()
        self.setObjectName("QMTLWorkbench")
        # The window's helpers come first: Qt deletes children in the order they were made, so they (and the
        # connections to their slots) are gone before the document and scene emit their last signals.
        self.files, self.window_layout, self.run_links = FileOps(self), WindowLayout(self), RunLinks(self)
        self.status, self.tasks = StatusBar(self), CanvasLinks(self)
        self.menus = Menus(self)
        self.docks = Docks(self, lambda act: self.menus.place("&View/panels", act))
        self.persist = persist
        self.store = RunStore(runs_dir or os.environ.get("QMTL_RUNS_DIR") or session.data_dir() / "runs")
        self.settings = session.settings()
        self.doc = ExperimentDocument(new_spec(), parent=self)
        self.theme = THEMES.get(theme or str(self.settings.value("theme", "light")), THEMES["light"])
        self.scene = ComposerScene(self.doc, self.theme, self)
        self.view = ComposerView(self.scene)
        self.editor = ComposerEditor(self.doc, self.scene, self)
        self.new_dialog: NewExperimentDialog | None = None
        self.setCentralWidget(self.view)
        self._composer_docks()
        self.tasks.wire()
        actions.build_actions(self, self.menus)
        self.files.fill_examples()
        self.files.fill_recent()
        self.toolbar = self.menus.toolbar
        self.status.build()
        self.status_valid = self.status.valid  # "ready to train" or the first problem (tests read it)
        self.editor.message.connect(self.report)
        self.experiment.message.connect(self.report)
        for register in FEATURES:
            register(self)
        self.window_layout.arrange()
        self.autosaver = session.Autosaver(self.doc, parent=self) if autosave else None
        if self.autosaver:
            self.autosaver.saved.connect(lambda p: self.statusBar().showMessage("autosaved", 2000))
        self.set_theme(self.theme.name)
        self.fit_to_screen()
        if restore_layout:
            self.window_layout.restore()
        self.window_layout.keep_on_screen()
        path = spec_path if spec_path else (DEMO_SPEC if demo and DEMO_SPEC.exists() else None)
        if path is not None:
            self.open_file(path, remember=bool(spec_path) and persist)
        self.update_title()
        self.status.update()
        QTimer.singleShot(0, self.fit_readable)

    def _composer_docks(self) -> None:
        add = self.docks.add
        self.palette_dock = add(Panel("Palette", "paletteDock", lambda w: PaletteWidget(w.theme), "left", None,
                                      PALETTE_MIN_WIDTH))
        self.experiment_dock = add(Panel("Experiment", "experimentDock", lambda w: ExperimentPanel(w.doc), "right",
                                         None, SIDE_MIN_WIDTH))
        self.inspector_dock = add(Panel("Inspector", "inspectorDock", lambda w: InspectorPanel(w.doc), "right",
                                        None, SIDE_MIN_WIDTH))
        self.budget_dock = add(Panel("Resource budget", "budgetDock", lambda w: BudgetPanel(w.doc),
                                     close=lambda p: p.shutdown()))
        self.log_dock = add(Panel("Log", "logDock", lambda w: LogPanel(), tab=None))
        self.palette, self.experiment, self.inspector, self.budget, self.log_panel = (
            d.widget() for d in (self.palette_dock, self.experiment_dock, self.inspector_dock, self.budget_dock,
                                 self.log_dock))

    def spec_dir(self) -> Path:
        """Where a spec's relative data paths resolve: its file's folder, or the demo's for an unsaved one."""
        return self.doc.path.parent if self.doc.path else DEMO_SPEC.parent

    def fit_readable(self) -> None:
        """The first view of a document: fit it, but never so small that gates cannot be read."""
        self.view.fit(min_zoom=0.8)

    def report(self, text: str, error: bool = False) -> None:
        self.status.report(text, error)

    def update_title(self) -> None:
        self.status.update_title()

    def set_theme(self, name: str) -> None:
        self.theme = apply_theme(QApplication.instance(), name)
        if self.persist:
            self.settings.setValue("theme", self.theme.name)
        (self.act_dark if self.theme.dark else self.act_light).setChecked(True)
        self.act_toggle_theme.setChecked(self.theme.dark)
        self.scene.set_theme(self.theme)
        self.view.hint_color = QColor(self.theme.muted)
        self.view.viewport().update()
        self.docks.set_theme(self.theme)
        self.themeChanged.emit(self.theme)
        self.status.update()

    # The window's public operations (menus, the app's screenshots and tests call these).
    def fit_to_screen(self, screen=None) -> None:
        self.window_layout.fit_to_screen(screen)

    def default_dock_sizes(self) -> None:
        self.window_layout.default_dock_sizes()

    def reset_layout(self) -> None:
        self.window_layout.reset()

    def new_file(self) -> NewExperimentDialog | None:
        return self.files.new_file()

    def open_file(self, path: str | Path, remember: bool = True) -> bool:
        return self.files.open_file(path, remember)

    def save(self) -> bool:
        return self.files.save()

    def save_as(self) -> bool:
        return self.files.save_as()

    def export_image(self, fmt: str) -> bool:
        return self.files.export_image(fmt)

    def offer_recovery(self) -> bool:
        return self.files.offer_recovery()

    def show_train(self) -> None:
        self.run_links.show_train()

    def show_runs(self) -> None:
        self.run_links.show_runs()

    def start_training(self) -> bool:
        return self.run_links.start_training()

    def write_report(self, run_ids: list, path: str | None = None):
        return self.run_links.write_report(run_ids, path)

    def show_presentation(self, run_id: str | None = None):
        return self.run_links.show_presentation(run_id)

    def show_about(self):
        return actions.show_about(self)

    def _all_docks(self):
        return list(self.docks.docks)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.window_layout.first_show()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.docks.may_close() or not self.files.confirm_discard():
            event.ignore()
            return
        self.docks.close()
        self.closing.emit()
        if self.persist:
            self.window_layout.save()
        if self.autosaver:
            self.autosaver.close()
        event.accept()
