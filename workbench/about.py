"""The workbench's version and the versions of the libraries its numbers depend on (for ``qmtl --version``, the
About dialog and bug reports). Read from the installed package metadata: nothing heavy is imported."""

from __future__ import annotations

import platform
from importlib import metadata

import workbench

# label -> distribution name
LIBRARIES = {"torch": "torch", "PennyLane": "pennylane", "Qiskit": "qiskit", "Aer": "qiskit-aer",
             "Runtime": "qiskit-ibm-runtime", "PySide6": "PySide6-Essentials"}


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """{"QMTL Workbench": ..., "Python": ..., "torch": ..., ...} in display order."""
    return {"QMTL Workbench": workbench.__version__, "Python": platform.python_version(),
            **{label: _version(dist) for label, dist in LIBRARIES.items()}}


def version_text() -> str:
    """One line per component, e.g. ``torch 2.13.0+cpu``."""
    return "\n".join(f"{name} {v}" for name, v in versions().items())
