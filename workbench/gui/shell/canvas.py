"""How the canvas, the experiment panel and the inspector follow each other, and the task actions that act on
the current task (the canvas's current band, else the experiment panel's)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu

from workbench.circuits.edits import ENCODER
from workbench.gui.composer import commands as C


class CanvasLinks(QObject):
    def __init__(self, window):
        super().__init__(window)  # a QObject: its slots die with the window, not after it
        self.w = window

    def wire(self) -> None:
        w = self.w
        w.palette.activated_payload.connect(w.editor.add_to_current)
        w.scene.bandActivated.connect(self.band_activated)
        w.scene.selectionChanged.connect(self.selection_changed)
        w.scene.gateActivated.connect(lambda ref: (w.inspector_dock.raise_(), w.inspector.set_gate(ref)))
        w.scene.contextMenuRequested.connect(self.context_menu)
        w.experiment.taskSelected.connect(self.task_selected)

    def band_activated(self, key) -> None:
        self.w.inspector.set_band(key)
        if key != ENCODER:
            self.w.experiment.select_task(key)

    def task_selected(self, index: int) -> None:
        self.w.scene.set_current_band(index)
        self.w.inspector.set_band(index)

    def selection_changed(self) -> None:
        w = self.w
        refs = w.scene.selected_refs()
        w.inspector.set_gate(refs[0] if len(refs) == 1 else None)
        if len(refs) == 1:  # the gate's angles and wires are in the inspector: bring it forward
            w.inspector_dock.show()
            w.inspector_dock.raise_()

    def context_menu(self, key, screen_pos) -> None:
        w = self.w
        menu = QMenu(w)
        menu.addActions([w.act_cut, w.act_copy, w.act_paste, w.act_delete])
        menu.addSeparator()
        menu.addActions([w.act_expand, w.act_regroup])
        if key != ENCODER:
            menu.addSeparator()
            menu.addActions([w.act_rename_task, w.act_task_left, w.act_task_right, w.act_remove_task])
        menu.popup(screen_pos)

    def current_task(self) -> int:
        key = self.w.scene.current_band
        return key if key != ENCODER else self.w.experiment.current_task()

    def remove_current(self) -> None:
        self.w.experiment.select_task(self.current_task())
        self.w.experiment.remove_task()

    def rename_current(self) -> None:
        w = self.w
        i = self.current_task()
        w.experiment_dock.raise_()
        w.experiment.select_task(i)
        item = w.experiment.tasks.item(i)
        if item is not None:
            w.experiment.tasks.editItem(item)

    def move_current(self, step: int) -> None:
        i = self.current_task()
        if i < 0:
            return
        to = C.move_task(self.w.doc, i, i + step)
        self.w.scene.set_current_band(to)
        self.w.experiment.select_task(to)
