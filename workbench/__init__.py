"""QMTL Workbench: compose, train and compare quantum multi-task learning models."""

__version__ = "0.1.0"
