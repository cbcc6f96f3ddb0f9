"""Work-arounds for bugs of the Qt binding that would crash the workbench.

PySide6 6.12 (its abi3 wheels) returns ``None`` from void methods (``QPainter.drawRect``,
``QPen.setWidth``, ...) without taking a reference, as if ``None`` were immortal, which it is only from
Python 3.12 (PEP 683). On Python 3.11 every such call drops one reference to ``None``; a few thousand
paint calls later the interpreter aborts with "Fatal Python error: none_dealloc: deallocating None".
The same holds for ``True`` and ``False`` (seen as "bool_dealloc: deallocating True or False" at exit: Python
overrides that return a bool to Qt, such as ``filterAcceptsRow``, lose a reference each call; once the GUI
process no longer imports torch, whose modules hold thousands of references to them, that comes quickly).
``guard_none_refcount`` detects the leak and, only then, gives ``None``, ``True`` and ``False`` the very large
reference count that Python 3.12 gives immortal objects.
"""

from __future__ import annotations

import ctypes
import sys

_IMMORTAL = 1 << 60
_guarded = False


def leaks_none_references() -> bool:
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    from PySide6.QtCore import QPointF

    p = QPointF()
    before = sys.getrefcount(None)
    for _ in range(16):
        p.setX(0.0)
    return sys.getrefcount(None) < before - 8


def guard_none_refcount() -> bool:
    """Make ``None``, ``True`` and ``False`` immortal where the binding leaks references to them (the leak is
    detected on ``None``; the bools share its cause). Returns whether it had to."""
    global _guarded
    if _guarded or not leaks_none_references():
        return _guarded
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _IMMORTAL  # ob_refcnt, the first field of every object
    _guarded = True
    return True


def collect_garbage_on_gui_thread(app, interval_ms: int = 1000):
    """Python's cyclic garbage collector runs in whichever thread happens to allocate when a threshold is
    crossed. If that is a worker thread and the garbage holds Qt objects, their C++ destructors run there,
    take Qt's locks and then wait for the GIL held by the GUI thread: a deadlock (seen in the tests). So
    automatic collection is made rare and a GUI-thread timer collects instead."""
    import gc

    from PySide6.QtCore import QTimer

    gc.set_threshold(200_000, 50, 100)
    timer = QTimer(app)
    timer.setInterval(interval_ms)
    timer.timeout.connect(lambda: gc.collect(1))
    timer.start()
    app._qmtl_gc_timer = timer  # keep it alive with the app
    return timer
