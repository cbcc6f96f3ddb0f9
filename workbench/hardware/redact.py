"""Keep IBM Quantum credentials out of everything the workbench prints, logs or stores.

``redact(text)`` replaces every secret registered with ``register_secret`` (the account's token is registered
the moment it is read) and anything that looks like a credential: ``token=...``/``"apikey": "..."`` pairs,
``Bearer ...`` headers and 44-character IBM Cloud API keys. ``RedactingFilter`` applies it to log records;
``install_log_redaction()`` puts it on the root logger's handlers (the CLI calls it before any hardware work).
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "[REDACTED]"

_KEY_VALUE = re.compile(
    r"(?i)(\b(?:token|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|authorization|password|secret)\b"
    r"['\"]?\s*[:=]\s*['\"]?)"
    # the workbench's own descriptions of a token ("set (19 characters, hidden)", "missing") are not secrets
    r"(?!set \(\d|missing(?![\w-])|\[REDACTED\])([^\s'\",;}]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
# IBM Cloud API keys: 44 characters of [A-Za-z0-9_-]; a word of that exact length with a digit and a letter
_API_KEY = re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{44}"
                      r"(?![A-Za-z0-9_-])")

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret so every later ``redact`` removes it, whatever its shape."""
    if secret and len(secret.strip()) >= 4:
        with _lock:
            _secrets.add(secret.strip())


def forget_secret(secret: str | None) -> None:
    if secret:
        with _lock:
            _secrets.discard(secret.strip())


def redact(text: object) -> str:
    """``text`` as a string with every known secret and credential-shaped value masked."""
    s = str(text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in s:
            s = s.replace(secret, MASK)
    s = _BEARER.sub(lambda m: m.group(1) + " " + MASK, s)
    s = _KEY_VALUE.sub(lambda m: m.group(1) + MASK, s)
    return _API_KEY.sub(MASK, s)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (with its arguments merged in) through ``redact``; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to the handler's own error path
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
            record.exc_info = None
        return True


_FILTER = RedactingFilter()


def install_log_redaction(*loggers: logging.Logger) -> None:
    """Put the filter on every handler of the given loggers (default: the root logger and Qiskit's loggers).

    Handler filters see records propagated from child loggers too (logger filters do not), so this covers
    ``qiskit_ibm_runtime``'s own messages. Calling it again adds nothing twice.
    """
    targets = list(loggers) or [logging.getLogger(), logging.getLogger("qiskit_ibm_runtime"),
                                logging.getLogger("qiskit")]
    for logger in targets:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    if logging.lastResort is not None and _FILTER not in logging.lastResort.filters:
        logging.lastResort.addFilter(_FILTER)
