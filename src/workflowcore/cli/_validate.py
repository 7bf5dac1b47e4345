"""``workflowcore validate``: lint configs, report diagnostics, exit 1 on errors."""

from __future__ import annotations

import argparse
import sys

from ..reporting.diagnostics import FORMATS, FileReport, format_text
from ._common import EXIT_FAILED, EXIT_OK
from ._load import add_input_options, read_config
from ._orbstore import add_orb_dir_option

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
    add_orb_dir_option(p)
    add_input_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    reports: list[FileReport] = []
    for raw in args.paths:
        # an unreadable file: exit 2, in main
        result = read_config(raw, args.max_bytes, args.orb_dir)
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
