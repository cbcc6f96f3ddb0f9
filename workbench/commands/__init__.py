"""Command modules of the ``qmtl`` CLI."""
