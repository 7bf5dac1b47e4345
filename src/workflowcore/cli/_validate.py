"""``workflowcore validate``: lint configs, report diagnostics, exit 1 on errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import load_file
from ..reporting.diagnostics import FORMATS, FileReport, format_text
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, err

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("validate", help="check configs and report every problem",
                       description="Check CircleCI configs offline. Prints "
                                   "'path:line:col: severity: message [code]' per problem.")
    p.add_argument("paths", nargs="*", default=[".circleci/config.yml"], metavar="PATH",
                   help="config files (default: .circleci/config.yml)")
    p.add_argument("--format", choices=sorted(FORMATS), default="text",
                   help="output format (default: text)")
    p.add_argument("--no-snippets", action="store_true",
                   help="text format: do not print source lines under diagnostics")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print errors only (no warnings, no summary)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    reports: list[FileReport] = []
    for raw in args.paths:
        path = Path(raw)
        try:
            result = load_file(path)
        except IsADirectoryError:
            err(f"{raw}: is a directory; give the config file (e.g. {raw}/.circleci/config.yml)")
            return EXIT_USAGE
        except FileNotFoundError:
            err(f"{raw}: no such file")
            return EXIT_USAGE
        except OSError as exc:
            err(f"{raw}: cannot read: {exc.strerror or exc}")
            return EXIT_USAGE
        diags = result.diagnostics
        if args.quiet:
            diags = [d for d in diags if d.is_error]
        reports.append(FileReport(result.path, diags, result.source_map.lines))
    if args.format == "text":
        out = format_text(reports, snippets=not args.no_snippets, summary=not args.quiet)
    else:
        out = FORMATS[args.format](reports)
    sys.stdout.write(out)
    return EXIT_FAILED if any(r.errors for r in reports) else EXIT_OK
