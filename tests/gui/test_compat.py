"""PySide6 6.12 on Python 3.11 drops a reference to None on every void call; the guard keeps the
workbench alive through a long session's worth of painting."""

import sys

from PySide6.QtCore import QPointF

from workbench.gui.common.compat import guard_none_refcount, leaks_none_references


def test_many_void_calls_do_not_deallocate_none():
    guard_none_refcount()
    assert not leaks_none_references() or sys.getrefcount(None) > 1 << 59
    p = QPointF()
    for _ in range(200_000):  # far more than None's own reference count without the guard
        p.setX(1.0)
    assert p.x() == 1.0
