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


def test_the_guard_covers_the_bools_too():
    """The same binding bug drops references to True and False (a main window idling for 8 s lost ~60 of
    each); without torch in the GUI process they reached zero at exit."""
    guarded = guard_none_refcount()
    if guarded:
        assert sys.getrefcount(True) > 1 << 59 and sys.getrefcount(False) > 1 << 59
