"""Export the composer's picture: PNG (2x for sharp slides) and SVG (QtSvg's generator)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene


def _source(scene: QGraphicsScene) -> QRectF:
    return scene.sceneRect()


@contextmanager
def _as_vectors(scene: QGraphicsScene):
    """Items cache their pictures as bitmaps for speed on screen; an export draws them afresh (an SVG gets
    paths and text, not embedded images) and without the selection."""
    items = scene.items()
    modes = [it.cacheMode() for it in items]
    selection = scene.selectedItems()
    scene.clearSelection()
    for it in items:
        it.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    try:
        yield
    finally:
        for it, mode in zip(items, modes):
            it.setCacheMode(mode)
        for it in selection:
            it.setSelected(True)


def export_png(scene: QGraphicsScene, path: str | Path, scale: float = 2.0) -> Path:
    path = Path(path)
    src = _source(scene)
    image = QImage(int(src.width() * scale), int(src.height() * scale), QImage.Format.Format_ARGB32)
    image.fill(scene.backgroundBrush().color() if scene.backgroundBrush().style() != Qt.BrushStyle.NoBrush
               else QColor("white"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    with _as_vectors(scene):
        scene.render(painter, QRectF(0, 0, image.width(), image.height()), src)
    painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


def export_svg(scene: QGraphicsScene, path: str | Path, title: str = "QMTL circuit") -> Path:
    from PySide6.QtSvg import QSvgGenerator

    path = Path(path)
    src = _source(scene)
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(QSize(int(src.width()), int(src.height())))
    gen.setViewBox(QRectF(0, 0, src.width(), src.height()))
    gen.setTitle(title)
    gen.setDescription("Exported by QMTL Workbench")
    painter = QPainter(gen)
    painter.fillRect(QRectF(0, 0, src.width(), src.height()), scene.backgroundBrush())
    with _as_vectors(scene):
        scene.render(painter, QRectF(0, 0, src.width(), src.height()), src)
    painter.end()
    if not path.exists():
        raise OSError(f"cannot write {path}")
    return path
