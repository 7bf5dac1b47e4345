"""``workflowcore schema``: print the JSON Schema of the config language."""

from __future__ import annotations

import argparse
import json
import sys

from ._common import EXIT_OK

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("schema", help="print the JSON Schema of config.yml (for editors)",
                       description="Print a JSON Schema (draft 2020-12) generated from the "
                                   "models; it accepts version 2, 2.0 and 2.1 configs.")
    p.add_argument("--indent", type=int, default=2, help="JSON indentation (default: 2)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..config.schema import config_json_schema

    json.dump(config_json_schema(), sys.stdout, indent=args.indent or None)
    sys.stdout.write("\n")
    return EXIT_OK
