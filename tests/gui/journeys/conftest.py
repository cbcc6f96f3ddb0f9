"""Journeys drive the real window with mouse and keyboard and end in a screenshot under the test's tmp dir."""

import pytest


@pytest.fixture
def shot(tmp_path):
    """``shot(widget, name)``: save what the widget shows now; returns the image for checks."""

    def take(widget, name: str):
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
        image = widget.grab().toImage()
        path = tmp_path / f"{name}.png"
        assert image.save(str(path)), f"cannot write {path}"
        return image

    return take
