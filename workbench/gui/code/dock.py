"""The code pane's place in the main window: its dock (tabbed with the inspector), File > Export > OpenQASM 3… and
PennyLane Script…, and the composer's task choice followed by the pane."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from workbench.errors import UserError
from workbench.gui.code.exports import export_pennylane, export_qasm
from workbench.gui.code.pane import CodePane
from workbench.gui.common import messages
from workbench.spec.examples import EXPERIMENTS


def _start_dir(window) -> Path:
    """The experiment's folder, unless it is a shipped example's (never write into the install)."""
    path = window.doc.path
    if path is not None and path.resolve().parent != EXPERIMENTS.resolve():
        return path.parent
    last = window.settings.value("lastDir")
    return Path(str(last)) if last else Path.home()


def export_code(window, pane: CodePane, fmt: str) -> list[Path]:
    """File > Export: the same files ``qmtl export`` writes; a refusal is said in the log and a message box."""
    try:
        if fmt == "qasm3":
            files = export_qasm(window, window.doc, pane.current_task(), _start_dir(window))
        else:
            files = export_pennylane(window, window.doc, _start_dir(window))
    except UserError as exc:
        window.report(f"export: {exc}", error=True)
        messages.error(window, "Export failed", str(exc))
        return []
    if files:
        window.report("exported " + ", ".join(str(f) for f in files))
    return files


def install(window) -> CodePane:
    """Add the code dock and its menu entries to ``window`` (a MainWindow); returns the pane."""
    pane = CodePane(window.doc)
    dock = window._dock("Code", "codeDock", pane, Qt.DockWidgetArea.RightDockWidgetArea)
    dock.visibilityChanged.connect(pane.set_shown)  # its tab chosen or left
    window.tabifyDockWidget(window.inspector_dock, dock)
    window.inspector_dock.raise_()
    window.extra_docks.append(dock)
    pane.message.connect(window.report)
    window.experiment.taskSelected.connect(lambda index: pane.set_task(index))
    window.act_export_qasm = window._action("&OpenQASM 3…", lambda: export_code(window, pane, "qasm3"), None,
                                            "Export the code pane's task as OpenQASM 3 (as qmtl export does)")
    window.act_export_pennylane = window._action("&PennyLane Script…", lambda: export_code(window, pane, "pennylane"),
                                                 None, "Export every task as a PennyLane script (as qmtl export does)")
    file_menu = _menu_of(window, window.act_export_svg)
    if file_menu is not None:
        sub = QMenu("&Export", file_menu)
        sub.addActions([window.act_export_qasm, window.act_export_pennylane])
        file_menu.insertMenu(_after(file_menu, window.act_export_svg), sub)
        window.export_menu = sub
    view_menu = _menu_of(window, window.act_reset_layout)
    if view_menu is not None:
        view_menu.insertAction(window.act_reset_layout, dock.toggleViewAction())
    window.code_pane, window.code_dock = pane, dock
    return pane


def _menu_of(window, action) -> QMenu | None:
    for menu in window.menuBar().findChildren(QMenu):
        if action in menu.actions():
            return menu
    return None


def _after(menu, action):
    actions = menu.actions()
    i = actions.index(action)
    return actions[i + 1] if i + 1 < len(actions) else None
