"""The ``qmtl`` command line. Each command lives in its own module and registers itself here."""

from __future__ import annotations

import os
import signal
import sys

if (__name__ == "__main__" or os.path.basename(sys.argv[0] or "") == "qmtl") \
        and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
    # Started as a program: until the top-level handler takes over, Ctrl-C ends the process with one line
    # instead of a traceback from inside an import.
    def _interrupted_early(signum, frame):
        os.write(2, b"qmtl: interrupted\n")
        os._exit(130)

    signal.signal(signal.SIGINT, _interrupted_early)

import argparse  # noqa: E402 - after the early Ctrl-C handler on purpose
import importlib  # noqa: E402

from workbench.toplevel import OneLineParser, exit_with, guarded  # noqa: E402

# module path -> its ``register(subparsers)`` adds one or more commands
COMMAND_MODULES = [
    "workbench.commands.params",
    "workbench.commands.bench",
    "workbench.commands.train",
    "workbench.commands.reproduce",
    "workbench.commands.export",
    "workbench.commands.import_qasm",
    "workbench.commands.backends",
    "workbench.commands.noise",
    "workbench.commands.hardware",
    "workbench.commands.report",
    "workbench.runs.commands",
    "workbench.commands.examples",
    "workbench.commands.sweep",
    "workbench.commands.probe",
    "workbench.commands.predict",
]


class _VersionAction(argparse.Action):
    def __init__(self, option_strings, dest, **kw):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        from workbench.about import version_text

        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="qmtl", description="QMTL Workbench command line")
    parser.add_argument("--version", action=_VersionAction, help="show the versions of the workbench and its "
                                                                  "quantum and ML libraries, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse and run one command under the shared top-level handler (installed before torch is imported)."""
    prog = ["qmtl"]

    def run() -> int:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help (0) or an argument error, already reported in one line (2)
            return exc.code if isinstance(exc.code, int) else 2
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        prog[0] = f"qmtl {args.command}"
        return int(args.func(args) or 0)

    # the name is read when an error is reported, so it names the command once the arguments are parsed
    return guarded(lambda: prog[0], run)


def console_main() -> None:
    """The ``qmtl`` console script: ``main``'s exit code, and quiet on a Ctrl-C during shutdown."""
    exit_with(main)


if __name__ == "__main__":
    console_main()
