"""The window's own actions (files, editing, tasks, view, help), placed in the menus and the toolbar.

Actions of a feature panel (training, runs, sweeps, ...) are added by that feature in ``shell/features.py``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QStyle

import workbench
from workbench.about import versions
from workbench.gui.common import messages
from workbench.textsafe import markup


def build_actions(w, menus) -> None:
    """Set ``w.act_*`` and put them in their menus and toolbar sections."""
    SP = QStyle.StandardPixmap
    K = QKeySequence.StandardKey
    a = menus.action
    files = w.files
    w.act_new = a("&New", files.new_file, K.New, "New experiment", SP.SP_FileIcon)
    w.act_open = a("&Open…", files.open_dialog, K.Open, "Open an experiment file", SP.SP_DialogOpenButton)
    w.act_save = a("&Save", files.save, K.Save, "Save the experiment", SP.SP_DialogSaveButton)
    w.act_save_as = a("Save &As…", files.save_as, K.SaveAs, "Save under a new name")
    w.act_export_png = a("Export Circuit as &PNG…", lambda: files.export_image("png"), "Ctrl+Shift+P")
    w.act_export_svg = a("Export Circuit as S&VG…", lambda: files.export_image("svg"), "Ctrl+Shift+G")
    w.act_quit = a("&Quit", w.close, K.Quit)
    _undo_actions(w)
    ed = w.editor
    w.act_cut = a("Cu&t", ed.cut_selection, K.Cut, "Cut the selected gates")
    w.act_copy = a("&Copy", ed.copy_selection, K.Copy, "Copy the selected gates")
    w.act_paste = a("&Paste", ed.paste, K.Paste, "Paste gates at the end of the current band")
    w.act_delete = a("&Delete", ed.delete_selection, [QKeySequence(Qt.Key.Key_Delete),
                                                     QKeySequence(Qt.Key.Key_Backspace)],
                     "Delete the selected gates", SP.SP_TrashIcon)
    w.act_select_all = a("Select &All", ed.select_all, K.SelectAll, "Select the current band's gates")
    w.act_expand = a("&Expand Template", lambda: ed.expand(), "Ctrl+E", "Expand the current band's template into gates")
    w.act_regroup = a("&Regroup as Template", lambda: ed.regroup(), "Ctrl+G",
                      "Turn the current band's gates back into a template")
    tasks = w.tasks
    w.act_add_task = a("&Add Task", w.experiment.add_task, "Ctrl+T", "Add a task lane")
    w.act_remove_task = a("&Remove Task", tasks.remove_current, "Ctrl+Shift+Del", "Remove the current task")
    w.act_rename_task = a("Re&name Task", tasks.rename_current, "F2", "Rename the current task")
    w.act_task_left = a("Move Task &Left", lambda: tasks.move_current(-1), "Alt+Left")
    w.act_task_right = a("Move Task R&ight", lambda: tasks.move_current(+1), "Alt+Right")
    view = w.view
    w.act_zoom_in = a("Zoom &In", lambda: view.zoom_by(1.2), [QKeySequence(K.ZoomIn), QKeySequence("Ctrl+=")])
    w.act_zoom_out = a("Zoom &Out", lambda: view.zoom_by(1 / 1.2), K.ZoomOut)
    w.act_zoom_reset = a("&Actual Size", lambda: view.set_zoom(1.0), "Ctrl+0")
    w.act_fit = a("&Fit Circuit", view.fit, "Ctrl+9", "Fit the whole circuit in view")
    w.theme_group = QActionGroup(w)
    w.act_light = a("&Light Theme", lambda: w.set_theme("light"), None, checkable=True)
    w.act_dark = a("&Dark Theme", lambda: w.set_theme("dark"), None, checkable=True)
    for act in (w.act_light, w.act_dark):
        w.theme_group.addAction(act)
    # The toolbar's switch goes both ways (a radio item of the group could only be switched on).
    w.act_toggle_theme = a("Dark Theme", lambda: w.set_theme("light" if w.theme.dark else "dark"),
                           "Ctrl+Shift+D", "Switch between the light and the dark theme", checkable=True)
    w.act_reset_layout = a("Reset &Layout", w.window_layout.reset)
    w.act_shortcuts = a("&Keyboard Shortcuts", lambda: show_shortcuts(w), K.HelpContents)
    w.act_about = a("&About", lambda: show_about(w))

    place = menus.place
    place("&File/open", w.act_new, w.act_open, toolbar="file")
    w.recent_menu = menus.submenu("&File/open", "Open &Recent")
    w.example_menu = menus.submenu("&File/open", "Open E&xample")
    place("&File/save", w.act_save, w.act_save_as)
    menus.to_toolbar("file", w.act_save)
    place("&File/export", w.act_export_png, w.act_export_svg)
    place("&File/quit", w.act_quit)
    place("&Edit/undo", w.act_undo, w.act_redo, toolbar="edit")
    place("&Edit/clipboard", w.act_cut, w.act_copy, w.act_paste, w.act_delete, w.act_select_all)
    menus.to_toolbar("edit", w.act_delete)
    place("&Edit/template", w.act_expand, w.act_regroup)
    place("&Tasks/tasks", w.act_add_task, w.act_rename_task, w.act_task_left, w.act_task_right)
    place("&Tasks/remove", w.act_remove_task)
    menus.to_toolbar("tasks", w.act_add_task, "Add Task")
    menus.to_toolbar("tasks", w.act_expand, "Expand")
    menus.to_toolbar("tasks", w.act_regroup, "Regroup")
    place("&View/zoom", w.act_zoom_in, w.act_zoom_out, w.act_zoom_reset, w.act_fit)
    menus.to_toolbar("view", w.act_fit, "Fit")
    menus.to_toolbar("view", w.act_toggle_theme)
    place("&View/theme", w.act_light, w.act_dark)
    place("&View/layout", w.act_reset_layout)
    place("&Help/help", w.act_shortcuts, w.act_about)


def _undo_actions(w) -> None:
    SP = QStyle.StandardPixmap
    stack = w.doc.undo_stack
    w.act_undo = stack.createUndoAction(w, "&Undo")
    w.act_undo.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Undo))
    w.act_undo.setIcon(w.style().standardIcon(SP.SP_ArrowBack))
    w.act_redo = stack.createRedoAction(w, "&Redo")
    w.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    w.act_redo.setIcon(w.style().standardIcon(SP.SP_ArrowForward))
    for act, word in ((w.act_undo, "&Undo"), (w.act_redo, "&Redo")):
        w.addAction(act)
        # Qt names the command in the action's text, which made the toolbar reflow on every edit; the
        # name goes to the tooltip instead (this slot runs after Qt's own, so its text wins).
        signal = stack.undoTextChanged if act is w.act_undo else stack.redoTextChanged
        signal.connect(lambda text, act=act, word=word: _fixed_text(act, word, text))
        act.setText(word)


def _fixed_text(act: QAction, word: str, command: str) -> None:
    try:
        act.setText(word)
        act.setToolTip(f"{word.replace('&', '')} {command}".strip())
    except RuntimeError:  # the window (and its action) is being destroyed; the undo stack outlives it briefly
        pass


def show_shortcuts(w) -> None:
    rows = []
    for act in w.actions():
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts())
        if keys:
            rows.append(f"<tr><td><b>{markup(keys)}</b></td><td>{markup(act.text().replace('&', ''))}</td></tr>")
    rows.append("<tr><td><b>Ctrl+wheel</b></td><td>Zoom the canvas</td></tr>")
    rows.append("<tr><td><b>Double-click</b></td><td>Template: expand · palette item: add to the current "
                "band</td></tr>")
    messages.info(w, "Keyboard shortcuts", "<table cellspacing=4>" + "".join(rows) + "</table>")


def show_about(w):
    """The version of the workbench and of the libraries its numbers come from (as ``qmtl --version``)."""
    rows = "".join(f"<tr><td>{markup(name)}</td><td><b>{markup(v)}</b></td></tr>"
                   for name, v in versions().items() if name != "QMTL Workbench")
    box = messages.info(w, "About QMTL Workbench",
                        f"<h3>QMTL Workbench {markup(workbench.__version__)}</h3>"
                        "<p>Compose, train and compare quantum multi-task learning heads: a shared quantum "
                        "encoder followed by one ansatz block per task.</p>",
                        f"<table cellspacing=4>{rows}</table>")
    box.setIconPixmap(QApplication.windowIcon().pixmap(96, 96))
    return box
