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
        return False
    QToolTip.showText(event.screenPos(), gate_tip_html(item, scene.insight), event.widget())
    event.accept()
    return True
