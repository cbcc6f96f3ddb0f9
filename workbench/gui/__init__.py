"""The desktop workbench (PySide6): main window, circuit composer, docks. Only adapts the core to widgets.

The package itself imports no Qt, so that the scaling worker process (``scaling_worker``) stays light.
"""
