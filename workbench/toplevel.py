"""The one top-level error handler of every command-line entry point (``qmtl``, ``qmtl-workbench``).

- a ``UserError`` (bad input) is one line on stderr and exit code 2;
- Ctrl-C at any moment, even while torch is still being imported, is one line and exit code 130;
- anything else is a bug: one line naming a log file that holds the traceback, and exit code 1, so it stays
  visible to scripts and is never mistaken for bad input.

It imports nothing heavy, so the entry points install it before they import torch, Qt or Qiskit.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from workbench.errors import UserError
from workbench.textsafe import clip, escape

EXIT_BUG, EXIT_USER, EXIT_INTERRUPTED = 1, 2, 130
MESSAGE_CHARS = 600


def one_line(text: str) -> str:
    """A message as exactly one printable line: control characters escaped, cut to a readable length."""
    return escape(clip(str(text).strip(), MESSAGE_CHARS))


def log_dir() -> Path:
    """``$QMTL_LOG_DIR``, else ``$XDG_STATE_HOME/qmtl/logs`` (``~/.local/state/qmtl/logs``)."""
    env = os.environ.get("QMTL_LOG_DIR")
    if env:
        return Path(env).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "qmtl" / "logs"


def write_crash_log(prog: str, exc: BaseException) -> Path | None:
    """The traceback (credentials masked) in a new file; None when no folder is writable."""
    import time
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        from workbench.hardware.redact import redact

        text = redact(text)
    except Exception:  # masking must never hide the crash itself
        pass
    header = f"{prog} {' '.join(sys.argv[1:])[:2000]}\n{time.strftime('%Y-%m-%d %H:%M:%S')}\n\n"
    name = f"{prog}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    import tempfile

    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(redact_safe(header) + text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def redact_safe(text: str) -> str:
    try:
        from workbench.hardware.redact import redact

        return redact(text)
    except Exception:
        return text


_sigint_seen = False


def _keyboard_interrupt(signum, frame):
    """Ctrl-C as KeyboardInterrupt, remembered: C code can swallow the exception and fail in its own words."""
    global _sigint_seen
    _sigint_seen = True
    raise KeyboardInterrupt


def guarded(prog: str | Callable[[], str], fn: Callable[[], int | None]) -> int:
    """Run ``fn`` under the top-level handler; return the process exit code. ``prog`` names the program in
    messages (a callable: read when the message is written, e.g. once the command is known)."""
    name = prog if callable(prog) else (lambda: prog)
    if getattr(signal.getsignal(signal.SIGINT), "__name__", "") == "_interrupted_early":
        signal.signal(signal.SIGINT, _keyboard_interrupt)  # from here on Ctrl-C is KeyboardInterrupt
    try:
        return int(fn() or 0)
    except UserError as exc:
        _say(f"{name()}: error: {one_line(redact_safe(str(exc)))}")
        return EXIT_USER
    except KeyboardInterrupt:
        _say(f"{name()}: interrupted")
        return EXIT_INTERRUPTED
    except SystemExit:
        raise
    except BrokenPipeError:  # the reader went away (``qmtl runs list | head``): nothing left to tell it
        _quiet_stdout()
        return EXIT_BUG
    except BaseException as exc:  # noqa: BLE001 - the last line of defence: one line and a log, never a traceback
        if _sigint_seen:  # a Ctrl-C inside C code (numpy's import, say) that surfaced as another error
            _say(f"{name()}: interrupted")
            return EXIT_INTERRUPTED
        try:
            path = write_crash_log(name().split()[0], exc)
        except KeyboardInterrupt:
            path = None
        where = f"; the traceback is in {path}" if path else ""
        kind = "out of memory" if isinstance(exc, MemoryError) else f"internal error {type(exc).__name__}"
        _say(f"{name()}: {kind}: {one_line(redact_safe(str(exc)) or '-')}{where}")
        return EXIT_BUG


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line (exit code 2), like every other bad input; the usage stays in --help."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def exit_with(main: Callable[[], int]) -> None:
    """``sys.exit(main())`` for a ``main`` that runs under ``guarded``; a Ctrl-C that lands between the two (or
    while output is flushed) still ends in one line and exit code 130."""
    try:
        code = main()
    except KeyboardInterrupt:
        _say("interrupted")
        code = EXIT_INTERRUPTED
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        _quiet_stdout()
    sys.exit(code)


def workbench_main() -> None:
    """The ``qmtl-workbench`` console entry: the desktop app under the same handler."""
    import importlib

    def run() -> int:
        # imported here, under the handler: Qt and torch load inside it
        return importlib.import_module("workbench.gui.shell.app").main()

    exit_with(lambda: guarded("qmtl-workbench", run))
