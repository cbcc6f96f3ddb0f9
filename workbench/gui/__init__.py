"""The desktop workbench (PySide6): only adapts the core to widgets. One subpackage per feature: ``shell``
(entry point, main window), ``composer``, ``training``, ``runs``, ``noise``, ``hardware``, ``report``, and
``common`` (theme, plots, messages, background work).

The package and its subpackages import no Qt in their ``__init__``, so that worker processes stay light.
"""
