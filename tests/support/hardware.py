"""Hardware fault injection for the GUI tests, named as ``module:callable`` so the worker process finds it."""

from __future__ import annotations


class Offline:
    """IBM's service, unreachable (the message carries the token: the GUI must never show it)."""

    def __init__(self, account, *args, **kwargs):
        raise ConnectionError(f"cannot reach auth.quantum.ibm.com with token={account.token}")


def failing_manila(name: str):
    """The core tests' failing device: the QPU fails on every run."""
    from tests.core.test_hardware_support import FailingManila

    return FailingManila()
