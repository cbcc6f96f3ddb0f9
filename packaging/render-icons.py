"""Render workbench/icons/qmtl-workbench.svg to the PNG sizes the desktop and the bundle use (run after editing
the SVG; the PNGs are committed): python packaging/render-icons.py"""

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parent.parent / "workbench" / "icons"


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1] + ["-platform", "offscreen"])
    renderer = QSvgRenderer(str(ICONS / "qmtl-workbench.svg"))
    if not renderer.isValid():
        print("render-icons: the SVG does not parse", file=sys.stderr)
        return 2
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = ICONS / f"qmtl-workbench-{size}.png"
        if not image.save(str(out), "PNG"):
            print(f"render-icons: cannot write {out}", file=sys.stderr)
            return 2
        print(out)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
