"""Job functions for the worker tests (run inside ``python -m workbench.jobs.server``)."""

from __future__ import annotations

import os
import signal
import time


def count(ctx, n: int = 3, delay: float = 0.0) -> int:
    for i in range(n):
        ctx.check()
        ctx.progress(f"item {i + 1} of {n}", (i + 1) / n)
        ctx.yield_(i)
        time.sleep(delay)
    return n


def until_cancelled(ctx, limit_s: float = 120.0) -> str:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        ctx.check()
        time.sleep(0.01)
    return "not cancelled"


def stubborn(ctx, seconds: float = 120.0) -> str:
    """Ignores cancel (as a long transpile would): only killing its process stops it."""
    time.sleep(seconds)
    return "slept"


def fail(ctx, text: str = "boom") -> None:
    raise ValueError(text)


def crash(ctx) -> None:
    """Dies as a crash in compiled code would."""
    os.kill(os.getpid(), signal.SIGSEGV if hasattr(signal, "SIGSEGV") else signal.SIGTERM)
    time.sleep(10)


def echo_words(ctx, n: int = 2) -> list[str]:
    words = []
    for _ in range(n):
        word = ctx.wait_word("a", "b", timeout=60)
        if word is None:
            break
        words.append(word)
    return words


def pid(ctx) -> int:
    return os.getpid()


def modules(ctx, prefix: str) -> list[str]:
    import sys

    return sorted(m for m in sys.modules if m.startswith(prefix))
