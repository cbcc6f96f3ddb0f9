"""The ``qmtl`` command line. Each command lives in its own module and registers itself here."""

from __future__ import annotations

import argparse
import importlib
import sys

from workbench.errors import UserError

# module path -> its ``register(subparsers)`` adds one or more commands
COMMAND_MODULES = [
    "workbench.commands.params",
    "workbench.commands.bench",
    "workbench.commands.train",
    "workbench.commands.reproduce",
    "workbench.commands.export",
    "workbench.commands.backends",
    "workbench.commands.noise",
    "workbench.commands.hardware",
    "workbench.commands.report",
    "workbench.runs.commands",
    "workbench.commands.sweep",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qmtl", description="QMTL Workbench command line")
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"qmtl {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"qmtl {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
