"""Shared by the feature packages: theme, Qt compatibility, messages, plots, export, background work.

Imports no Qt itself, so that worker processes started from here stay light."""
