"""Light and dark themes: the Qt palette for widgets and the colours the composer and plots draw with."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

# Task lanes: distinct hues that read on white and on near-black (Okabe-Ito-like, colour-blind safe).
TASK_HUES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6BB1", "#B8A000"]


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    highlight: str
    canvas: str
    wire: str
    band_encoder: str
    lane_alpha: int  # alpha of a task's colour behind its lane
    gate_rotation: str
    gate_pauli: str
    gate_entangler: str
    gate_input: str
    gate_text: str
    template_fill: str
    error: str
    error_fill: str
    ok: str
    classical: str
    quantum: str

    def task_color(self, index: int) -> QColor:
        return QColor(TASK_HUES[index % len(TASK_HUES)])

    def lane_fill(self, index: int) -> QColor:
        c = self.task_color(index)
        c.setAlpha(self.lane_alpha)
        return c

    @property
    def dark(self) -> bool:
        return self.name == "dark"


LIGHT = Theme(
    name="light", window="#f3f3f5", base="#ffffff", alt_base="#f5f6f8", text="#1d1f24", muted="#5d6470",
    highlight="#2f6fdb", canvas="#ffffff", wire="#8a909c", band_encoder="#eceef2", lane_alpha=26,
    gate_rotation="#3b6fd4", gate_pauli="#d0473b", gate_entangler="#24364f", gate_input="#7a4fc9",
    gate_text="#ffffff", template_fill="#5c6f8f", error="#c62828", error_fill="#fde7e7", ok="#2e7d32",
    classical="#d55e00", quantum="#0072b2",
)
DARK = Theme(
    name="dark", window="#202227", base="#17181c", alt_base="#25272d", text="#e6e8ec", muted="#a0a6b1",
    highlight="#4c8df6", canvas="#141518", wire="#737b89", band_encoder="#262a31", lane_alpha=46,
    gate_rotation="#4f83e8", gate_pauli="#e0604f", gate_entangler="#b9c3d3", gate_input="#9a73e6",
    gate_text="#ffffff", template_fill="#52627d", error="#ff6b6b", error_fill="#4a2226", ok="#7bd17f",
    classical="#ff9a4d", quantum="#56b4e9",
)
THEMES = {"light": LIGHT, "dark": DARK}


def palette_for(theme: Theme) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    colors = {
        role.Window: theme.window, role.WindowText: theme.text, role.Base: theme.base,
        role.AlternateBase: theme.alt_base, role.Text: theme.text, role.Button: theme.window,
        role.ButtonText: theme.text, role.ToolTipBase: theme.base, role.ToolTipText: theme.text,
        role.Highlight: theme.highlight, role.HighlightedText: "#ffffff", role.PlaceholderText: theme.muted,
        role.Link: theme.highlight, role.BrightText: theme.error,
    }
    for r, c in colors.items():
        p.setColor(r, QColor(c))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(disabled, r, QColor(theme.muted))
    return p


def apply_theme(app: QApplication, name: str) -> Theme:
    theme = THEMES.get(name, LIGHT)
    app.setStyle("Fusion")
    app.setPalette(palette_for(theme))
    return theme
