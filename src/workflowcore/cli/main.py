"""Argument parsing and dispatch for the ``workflowcore`` command."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import sys
from typing import Sequence

from .. import __version__
from . import _orb, _plan, _process, _prune, _run, _runctl, _schema, _validate
from ._common import EXIT_USAGE, UsageError, err

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad usage, which is our usage exit code too."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="workflowcore",
                     description="Read, check, plan and run CircleCI workflow configs offline.")
    parser.add_argument("--version", action="version", version=f"workflowcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in (_validate, _plan, _process, _schema, _run, _runctl, _prune, _orb):
        mod.add_parser(sub)
    return parser


_OUTPUT_ERRORS = "workflowcore-output"


def _output_error(exc: UnicodeError) -> tuple[str | bytes, int]:
    """Bytes that were not UTF-8 in an argument or a file name reach us as surrogate
    escapes (``$'m\\xff'`` is ``'m\\udcff'``): write them back as those bytes; whatever
    else the terminal's encoding cannot show becomes a backslash escape. Without this, a
    strict UTF-8 terminal turns a file name into a traceback."""
    try:
        return codecs.lookup_error("surrogateescape")(exc)
    except UnicodeError:
        return codecs.lookup_error("backslashreplace")(exc)


def _tolerant_output() -> None:
    codecs.register_error(_OUTPUT_ERRORS, _output_error)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # a closed or detached stream: leave it be
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=_OUTPUT_ERRORS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code (the console script exits with it)."""
    _tolerant_output()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except UsageError as exc:
        err(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `workflowcore validate | head`
        sys.stderr.close()
        return code if "code" in locals() else 0
    return code


def entry() -> None:  # pragma: no cover - console script
    sys.exit(main())
