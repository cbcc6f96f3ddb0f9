"""The code pane's place in the main window: its dock (a tab of the bottom panels), File > Export > OpenQASM 3… and
PennyLane Script…, and the composer's task choice followed by the pane."""

from __future__ import annotations

from pathlib import Path

from workbench.errors import UserError
from workbench.gui.code.exports import export_pennylane, export_qasm
from workbench.gui.code.pane import CodePane
from workbench.gui.common import messages
from workbench.gui.shell.docks import Panel
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


def install(w) -> CodePane:
    """Register the code dock (a tab of the bottom panels) and File > Export > OpenQASM 3… and
    PennyLane Script… with the main window ``w`` (see ``shell/features.py``); returns the pane."""
    # with the bottom panels: a right-hand dock as tall as the code needs made the first window taller than a
    # 1280x800 screen
    w.code_dock = dock = w.docks.add(Panel("Code", "codeDock", lambda w: CodePane(w.doc)))
    w.code_pane = pane = dock.widget()
    dock.visibilityChanged.connect(pane.set_shown)  # its tab chosen or left
    pane.message.connect(w.report)
    w.experiment.taskSelected.connect(lambda index: pane.set_task(index))
    w.export_menu = w.menus.submenu("&File/export", "&Export")
    w.act_export_qasm = w.menus.action("&OpenQASM 3…", lambda: export_code(w, pane, "qasm3"), None,
                                       "Export the code pane's task as OpenQASM 3 (as qmtl export does)")
    w.act_export_pennylane = w.menus.action("&PennyLane Script…", lambda: export_code(w, pane, "pennylane"), None,
                                            "Export every task as a PennyLane script (as qmtl export does)")
    w.export_menu.addActions([w.act_export_qasm, w.act_export_pennylane])
    return pane
