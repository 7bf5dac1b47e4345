"""``workflowcore plan``: which jobs run for a branch or tag, in what order, and why not."""

from __future__ import annotations

import argparse
import sys

from ..config import load_file
from ..errors import ConfigError, PlanError
from ..planning import plan
from ..reporting.diagnostics import FileReport, format_text
from ..reporting.plans import PLAN_FORMATS
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, err
from ._trigger import add_trigger_options, trigger_from_args

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("plan", help="show which jobs run for a branch or tag, and why not",
                       description="Compute the execution plan of every workflow for a "
                                   "trigger. Exit 0 when a plan was computed (also when "
                                   "nothing runs), 1 when the config has errors.")
    p.add_argument("path", nargs="?", default=".circleci/config.yml", metavar="PATH")
    add_trigger_options(p)
    p.add_argument("--workflow", "-w", action="append", default=None,
                   help="only this workflow (repeatable)")
    p.add_argument("--format", choices=sorted(PLAN_FORMATS), default="text")
    p.add_argument("--orb-dir", default=None,
                   help="local orb sources (default: .circleci/orbs next to the config)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    trigger = trigger_from_args(args)
    try:
        result = load_file(args.path)
    except OSError as exc:
        err(f"{args.path}: cannot read: {exc.strerror or exc}")
        return EXIT_USAGE
    report = FileReport(result.path, result.diagnostics, result.source_map.lines)
    if result.errors:
        sys.stderr.write(format_text([report]))
        return EXIT_FAILED
    try:
        p = plan(result, trigger, workflows=args.workflow, orb_dir=args.orb_dir)
    except ConfigError as exc:
        sys.stderr.write(format_text([FileReport(result.path, exc.diagnostics,
                                                 result.source_map.lines)]))
        return EXIT_FAILED
    except PlanError as exc:
        err(str(exc))
        return EXIT_USAGE if args.workflow else EXIT_FAILED
    if result.warnings:
        sys.stderr.write(format_text([FileReport(result.path, result.warnings,
                                                 result.source_map.lines)], summary=False))
    sys.stdout.write(PLAN_FORMATS[args.format](p))
    return EXIT_OK
