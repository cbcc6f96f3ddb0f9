"""The hardware layer's error: one line for the user, with a machine-readable status."""

from __future__ import annotations

from workbench.errors import UserError
from workbench.hardware.redact import redact

# What went wrong, for callers (CLI exit paths, the GUI's status line) that branch on it
STATUSES = ("input", "account", "network", "service", "backend", "failed", "cancelled", "timeout", "lost")


class HardwareError(UserError):
    """A hardware step that did not work. The message is one line, names the field or job, and is redacted."""

    def __init__(self, status: str, message: str, *, job_id: str | None = None):
        self.status = status
        self.job_id = job_id
        super().__init__(one_line(message))


def one_line(text: str) -> str:
    """Redacted, whitespace collapsed to one line, and kept short (service errors can be pages long)."""
    text = " ".join(redact(str(text)).split())
    return text if len(text) <= 400 else text[:397] + "..."


def describe(exc: BaseException) -> str:
    """``Type: message`` of an exception, redacted and on one line."""
    msg = one_line(str(exc))
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
