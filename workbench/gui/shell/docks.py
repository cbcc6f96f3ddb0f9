"""The main window's docks: one ``Panel`` describes a dock; ``Docks`` creates, themes, follows and closes them.

A panel is a widget with, optionally, ``set_theme(theme)`` (called on every theme change), ``set_run(run_id)``
(called when the runs browser selects a run, for panels with ``follows_run``) and a close hook. A ``lazy``
panel is created the first time its dock is shown, so a window that never shows it (tests, screenshots)
never imports it nor starts its background work. Features add their panels in ``shell/features.py``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget

AREAS = {"left": Qt.DockWidgetArea.LeftDockWidgetArea, "right": Qt.DockWidgetArea.RightDockWidgetArea,
         "bottom": Qt.DockWidgetArea.BottomDockWidgetArea}


@dataclass(frozen=True)
class Panel:
    """One dock. ``create`` builds the widget from the window, or is ``"module:Class"`` for a lazy panel, which
    is built as ``Class(window.store)``. ``tab`` puts the dock in the tab group of the last panel added with
    the same ``tab`` name (the bottom panels share "bottom"); ``None`` leaves it on its own."""

    title: str
    name: str  # the dock's object name: the saved layout finds the dock by it, so never rename one
    create: Callable | str
    area: str = "bottom"
    tab: str | None = "bottom"
    min_width: int = 0
    lazy: bool = False
    follows_run: bool = False
    close: Callable[[QWidget], object] | None = None  # stops the panel's background work when the window closes
    may_close: Callable[[QWidget], bool] | None = None  # asks before the window closes (a training in progress)


class Docks(QObject):
    def __init__(self, window, on_toggle_action: Callable = lambda action: None):
        super().__init__(window)  # a QObject: its slots die with the window, not after it
        self.window = window
        self.on_toggle_action = on_toggle_action  # View > (show/hide a dock); the menus add it
        self.docks: list[QDockWidget] = []
        self.panels: dict[str, Panel] = {}
        self.tabs: dict[str, QDockWidget] = {}
        self.selected_run = None

    def dock(self, title: str, name: str, widget: QWidget, area: str, min_width: int = 0) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        if min_width:
            widget.setMinimumWidth(min_width)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.window.addDockWidget(AREAS[area], dock)
        self.docks.append(dock)
        self.on_toggle_action(dock.toggleViewAction())
        return dock

    def add(self, panel: Panel) -> QDockWidget:
        """Add ``panel``'s dock; its widget is ``dock.widget()`` (for a lazy one, once the dock was shown)."""
        if panel.lazy:
            widget = QLabel(f"{panel.title}: loading…")
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        else:
            widget = panel.create(self.window)
        dock = self.dock(panel.title, panel.name, widget, panel.area, panel.min_width)
        self.panels[panel.name] = panel
        if panel.lazy:
            dock.setProperty("lazyPanel", True)
            dock.visibilityChanged.connect(lambda visible, d=dock: visible and self.load(d))
        if panel.tab is not None:
            if panel.tab in self.tabs:
                self.window.tabifyDockWidget(self.tabs[panel.tab], dock)
            self.tabs[panel.tab] = dock
        return dock

    def load(self, dock: QDockWidget):
        """Create a lazily loaded panel (once); a panel that cannot load says why in its dock and the log."""
        if not dock.property("lazyPanel"):
            return dock.widget()
        dock.setProperty("lazyPanel", None)
        module, cls = self.panels[dock.objectName()].create.split(":")
        try:
            widget = getattr(importlib.import_module(module), cls)(self.window.store)
        except Exception as exc:  # noqa: BLE001 - a broken optional panel must not stop the workbench
            self.window.report(f"{dock.windowTitle()} panel unavailable: {exc}", error=True)
            dock.widget().setText(f"{dock.windowTitle()} panel unavailable:\n{exc}")
            return None
        dock.setWidget(widget)
        if hasattr(widget, "set_theme"):
            widget.set_theme(self.window.theme)
        if self.selected_run is not None:
            self._set_run(dock, self.selected_run)
        return widget

    def loaded(self) -> list[tuple[Panel, QWidget]]:
        return [(self.panels[d.objectName()], d.widget()) for d in self.docks
                if d.objectName() in self.panels and not d.property("lazyPanel")]

    def set_theme(self, theme) -> None:
        for _panel, widget in self.loaded():
            if hasattr(widget, "set_theme"):
                widget.set_theme(theme)

    def set_run(self, run_id) -> None:
        self.selected_run = run_id
        for dock in self.docks:
            panel = self.panels.get(dock.objectName())
            if panel is not None and panel.follows_run:
                self._set_run(dock, run_id)

    def _set_run(self, dock: QDockWidget, run_id) -> None:
        widget = dock.widget()
        if dock.property("lazyPanel") or not hasattr(widget, "set_run"):
            return
        try:
            widget.set_run(run_id)
        except Exception as exc:  # noqa: BLE001 - an optional panel's fault stays in the log
            self.window.log_panel.log(f"{dock.windowTitle()}: {exc}", True)

    def may_close(self) -> bool:
        return all(panel.may_close(widget) for panel, widget in self.loaded() if panel.may_close is not None)

    def close(self) -> None:
        for panel, widget in self.loaded():
            if panel.close is not None:
                panel.close(widget)

    def show(self, name: str) -> QDockWidget:
        dock = self.window.findChild(QDockWidget, name)
        dock.show()
        dock.raise_()
        return dock
