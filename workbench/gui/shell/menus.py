"""Menus and the toolbar, laid out in named sections that features fill (see ``shell/features.py``).

``Menus.action`` makes a window action (shortcut shown in its tooltip, ``checked`` never reaching the slot);
``Menus.add`` also puts it at the end of a section of a menu and, with ``toolbar``, of the toolbar.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

# Menu -> its sections, in order; a separator ends each section.
MENUS = {
    "&File": ("open", "save", "export", "quit"),
    "&Edit": ("undo", "clipboard", "template"),
    "&Tasks": ("tasks", "remove"),
    "&Run": ("train", "runs"),
    "&View": ("zoom", "theme", "panels", "layout"),
    "&Help": ("help",),
}
TOOLBAR = ("file", "edit", "tasks", "view", "run")


class Menus:
    def __init__(self, window):
        self.window = window
        self.menus: dict[str, QMenu] = {}
        self.ends: dict[tuple[str, str], QAction | None] = {}  # the separator after a section (None: the last)
        bar = window.menuBar()
        for title, sections in MENUS.items():
            menu = bar.addMenu(title)
            self.menus[title] = menu
            for i, section in enumerate(sections):
                self.ends[(title, section)] = menu.addSeparator() if i < len(sections) - 1 else None
        tb = QToolBar("Main", window)
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        window.addToolBar(tb)
        self.toolbar = tb
        self.toolbar_ends = {s: tb.addSeparator() if i < len(TOOLBAR) - 1 else None for i, s in enumerate(TOOLBAR)}

    def action(self, text: str, slot, shortcut=None, tip: str = "", icon=None, checkable=False) -> QAction:
        a = QAction(text, self.window)
        if shortcut is not None:
            a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        if icon is not None:
            a.setIcon(self.window.style().standardIcon(icon))
        a.setCheckable(checkable)
        shown = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        a.setToolTip(f"{tip or text.replace('&', '')}" + (f" ({shown})" if shown else ""))
        a.setStatusTip(tip or text.replace("&", ""))
        # Qt hands ``checked`` to a slot that takes an argument: Fit Circuit once read it as its zoom limit.
        a.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(a)
        return a

    def place(self, where: str, *actions, toolbar: str | None = None) -> None:
        """Append ``actions`` (or submenus) to ``where`` = "&Menu/section", and to a toolbar section."""
        title, section = where.split("/")
        menu, end = self.menus[title], self.ends[(title, section)]
        for act in actions:
            if isinstance(act, QMenu):
                act = act.menuAction()
            if end is None:
                menu.addAction(act)
            else:
                menu.insertAction(end, act)
            if toolbar is not None:
                self.to_toolbar(toolbar, act)

    def submenu(self, where: str, title: str) -> QMenu:
        menu = QMenu(title, self.window)
        self.place(where, menu)
        return menu

    def to_toolbar(self, section: str, act: QAction, short: str | None = None) -> None:
        if short:
            act.setIconText(short)  # the toolbar fits a 1280-pixel screen; menus keep the full names
        end = self.toolbar_ends[section]
        if end is None:
            self.toolbar.addAction(act)
        else:
            self.toolbar.insertAction(end, act)

    def add(self, where: str, text: str, slot, shortcut=None, tip: str = "", icon=None, checkable=False,
            toolbar: str | None = None, short: str | None = None) -> QAction:
        """A new action at the end of the menu section ``where`` and, with ``toolbar``, of that toolbar section
        (under the ``short`` name there, if given)."""
        act = self.action(text, slot, shortcut, tip, icon, checkable)
        self.place(where, act)
        if toolbar is not None:
            self.to_toolbar(toolbar, act, short)
        return act
