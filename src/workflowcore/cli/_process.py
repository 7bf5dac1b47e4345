"""``workflowcore process``: print the compiled config, like ``circleci config process``.

Exit 0 with the YAML on stdout; 1 when the config (or its compilation) has errors; 2 for a
bad invocation — an unreadable file, a pipeline parameter the config does not declare or
whose value does not fit its declared type.
"""

from __future__ import annotations

import argparse
import sys

from .._compile import compile as compile_config
from ..config import to_yaml
from ..errors import PlanError
from ..planning import Trigger
from ..reporting.diagnostics import FileReport, format_text
from ._common import EXIT_FAILED, EXIT_OK, UsageError
from ._load import add_input_options, print_diagnostics, read_config
from ._trigger import add_parameter_options, checked_parameters, parameters_from_args

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("process", help="print the compiled (2.0-shaped) config",
                       description="Compile a 2.1 config offline and print it as YAML, like "
                                   "`circleci config process`. Without --branch/--tag no "
                                   "workflow is dropped for its `when`.")
    p.add_argument("path", nargs="?", default=".circleci/config.yml", metavar="PATH")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--branch", "-b", help="pipeline values for a push of this branch")
    g.add_argument("--tag", "-t", help="pipeline values for a push of this tag")
    add_parameter_options(p)
    p.add_argument("--orb-dir", default=None,
                   help="local orb sources (default: .circleci/orbs next to the config)")
    add_input_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    given = parameters_from_args(args)
    result = read_config(args.path, args.max_bytes)
    lines = result.source_map.lines
    if result.errors:
        print_diagnostics(result)
        return EXIT_FAILED
    params = checked_parameters(result.data, given)  # typed as plan types them
    trigger = None
    if args.branch is not None or args.tag is not None:
        try:
            trigger = Trigger(branch=args.branch, tag=args.tag, parameters=params)
        except PlanError as exc:
            raise UsageError(str(exc)) from exc
    compiled = compile_config(result, trigger, parameters=params, orb_dir=args.orb_dir)
    if compiled.diagnostics:
        sys.stderr.write(format_text([FileReport(result.path, compiled.diagnostics, lines)],
                                     summary=False))
    if compiled.data is None or compiled.errors:
        return EXIT_FAILED
    sys.stdout.write(to_yaml(compiled.data))
    return EXIT_OK
