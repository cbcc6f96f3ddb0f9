"""Gate tooltips: what the gate is, plus its matrix at the current angle when the probe panel has computed it
(``scene.insight``, see ``workbench.gui.probe.controller``)."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QToolTip

from workbench.gui.composer.items import GateItem


def gate_at(scene, pos) -> GateItem | None:
    for item in scene.items(pos):
        while item is not None and not isinstance(item, GateItem):
            item = item.parentItem()
        if item is not None:
            return item
    return None


def gate_tip_html(item: GateItem, insight) -> str:
    """The gate's own tooltip, then its matrix (or why it is not there yet)."""
    text = "<br>".join(html.escape(line) for line in item.toolTip().splitlines())
    if insight is None:
        return f"<p>{text}</p>"
    return f"<p>{text}</p>{insight.matrix_html(item.ref)}"


def show_gate_tip(scene, event) -> bool:
    """Show the tooltip of the gate under a help event; False when no gate is there (the scene's default then)."""
    item = gate_at(scene, event.scenePos())
    if item is None:
        scene.shown_tip = None
        return False
    QToolTip.showText(event.screenPos(), gate_tip_html(item, scene.insight), event.widget())
    scene.shown_tip = (item.ref, event.scenePos(), event.screenPos(), event.widget())
    event.accept()
    return True


def refresh_tip(scene) -> None:
    """The matrix arrived (or changed) while a gate's tooltip is up: show the tooltip again with it."""
    shown = getattr(scene, "shown_tip", None)
    if shown is None or not QToolTip.isVisible():
        return
    ref, scene_pos, screen_pos, widget = shown
    item = gate_at(scene, scene_pos)
    if item is not None and item.ref == ref:
        QToolTip.showText(screen_pos, gate_tip_html(item, scene.insight), widget)
