"""The ``hybridbatch`` command: one entry point, one module per subcommand.

Each subcommand module exposes ``register(subparsers)`` which adds its parser and sets
``func`` (a callable taking the parsed namespace and returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from hybridbatch import __version__
from hybridbatch.errors import HybridbatchError

DEBUG_ENV = "HYBRIDBATCH_DEBUG"
SUBCOMMAND_MODULES = [
    "hybridbatch.cli.evaluate",
    "hybridbatch.cli.download",
    "hybridbatch.cli.models",
    "hybridbatch.cli.train",
    "hybridbatch.cli.leakage",
    "hybridbatch.cli.experiment",
    "hybridbatch.cli.report",
    "hybridbatch.cli.export_records",
    "hybridbatch.cli.merge",
    "hybridbatch.cli.index",
    "hybridbatch.cli.search",
    "hybridbatch.cli.serve",
    "hybridbatch.cli.mine",
]


class OneLineParser(argparse.ArgumentParser):
    """argparse with the project's error format: one line, ``hybridbatch: error: [<command>: ]<what>``, exit 2
    (subcommand parsers are of the same class; their prog is ``hybridbatch <command>``)."""

    def error(self, message: str):
        command = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        print(f"hybridbatch: error: {command + ': ' if command else ''}{message} (see '{self.prog} --help')",
              file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="hybridbatch",
        description="Fine-tune multilingual encoders with hybrid batches and evaluate mono-, cross- and "
        "multilingual retrieval and language bias.",
    )
    parser.add_argument("--version", action="version", version=f"hybridbatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the traceback of unexpected errors (also ${DEBUG_ENV}=1)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        return int(args.func(args) or 0)
    except HybridbatchError as exc:
        print(f"hybridbatch: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hybridbatch: interrupted", file=sys.stderr)
        return 130
    except (OSError, UnicodeDecodeError) as exc:  # files the user named: unreadable, missing, not writable
        if debug:
            raise
        where = getattr(exc, "filename", None)
        what = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        print(f"hybridbatch: error: {where + ': ' if where else ''}{what}", file=sys.stderr)
        return 2
    except Exception as exc:
        if debug:
            raise
        text = str(exc).splitlines()[0] if str(exc) else ""
        print(f"hybridbatch: internal error: {type(exc).__name__}: {text} (rerun with --debug for the "
              "traceback, and please report it)", file=sys.stderr)
        return 1


def one_line(text: str) -> str:
    """``text`` on one line: its non-blank lines joined with `` | `` (library messages may span lines)."""
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())


if __name__ == "__main__":
    sys.exit(main())
