"""The read-only result tables of the panels (noise, hardware, sweeps): whole rows selected, nothing edited."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QAbstractItemView, QTableWidget


def row_table(columns: Sequence[str]) -> QTableWidget:
    """An empty table with these column headers, no row numbers, no editing, and row selection."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    return table
