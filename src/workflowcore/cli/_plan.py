"""``workflowcore plan``: which jobs run for a branch or tag, in what order, and why not.

Exit codes: 0 when a plan was computed (also when nothing runs), 1 when the config has
errors (diagnostics on stderr, as ``validate`` prints them), 2 for a bad invocation — an
unreadable file, an unknown ``--workflow``, a ``--param`` (or ``--pipeline-parameters``
entry) the config does not declare or whose value does not fit its type.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from ..diagnostics import Diagnostic
from ..errors import ConfigError, PlanError
from ..planning import Plan, plan
from ..reporting.diagnostics import FileReport, format_text
from ..reporting.plans import PLAN_FORMATS
from ._common import EXIT_FAILED, EXIT_OK, UsageError, err
from ._load import add_input_options, print_diagnostics, read_config
from ._orbstore import (
    add_orb_dir_option,
    orbs_as_locked,
    plan_orbs,
    read_config_lock,
)
from ._trigger import add_trigger_options, checked_parameters, trigger_from_args

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("plan", help="show which jobs run for a branch or tag, and why not",
                       description="Compute the execution plan of every workflow for a "
                                   "trigger. Exit 0 when a plan was computed (also when "
                                   "nothing runs), 1 when the config has errors, 2 for a "
                                   "bad invocation.")
    p.add_argument("path", nargs="?", default=".circleci/config.yml", metavar="PATH",
                   help="the config file (default: .circleci/config.yml)")
    add_trigger_options(p)
    p.add_argument("--workflow", "-w", action="append", default=None, metavar="W",
                   help="only this workflow (repeatable)")
    p.add_argument("--format", "-f", choices=list(PLAN_FORMATS), default="text",
                   help="text (default), json (versioned, docs/planning.md), mermaid or dot")
    add_orb_dir_option(p)
    add_input_options(p)
    p.set_defaults(func=run)


def _unique(diags: list[Diagnostic]) -> list[Diagnostic]:
    """The loader and the compiler may both report one problem (an orb not available
    offline): print it once."""
    seen: set[tuple[object, ...]] = set()
    out: list[Diagnostic] = []
    for d in diags:
        key = (d.code, d.line, d.column, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _select(p: Plan, names: list[str] | None) -> Plan:
    if not names:
        return p
    have = [w.name for w in p.workflows]
    unknown = [n for n in dict.fromkeys(names) if n not in have]
    if unknown:
        raise UsageError(f"no workflow named {', '.join(map(repr, unknown))}; this config "
                         f"has: {', '.join(have) or 'none'}")
    return replace(p, workflows=tuple(w for w in p.workflows if w.name in names))


def run(args: argparse.Namespace) -> int:
    trigger = trigger_from_args(args)
    result = read_config(args.path, args.max_bytes, args.orb_dir)
    lines = result.source_map.lines
    if result.errors:
        print_diagnostics(result)
        return EXIT_FAILED
    checked_parameters(result.data, trigger.parameters)  # plan() types them itself
    lock = read_config_lock(args.path)
    try:
        p = plan(result, trigger, orb_dir=args.orb_dir, orb_pins=lock.pins())
    except ConfigError as exc:
        diags = _unique([*result.warnings, *exc.diagnostics])
        sys.stderr.write(format_text([FileReport(result.path, diags, lines)]))
        return EXIT_FAILED
    except PlanError as exc:  # a cycle or duplicate name the loader let through
        err(f"{args.path}: {exc}")
        return EXIT_FAILED
    if not orbs_as_locked(lock, *plan_orbs(p)):
        return EXIT_FAILED
    p = _select(p, args.workflow)
    warnings = _unique([*result.warnings, *p.diagnostics])
    if warnings:
        sys.stderr.write(format_text([FileReport(result.path, warnings, lines)], summary=False))
    sys.stdout.write(PLAN_FORMATS[args.format](p))
    return EXIT_OK
