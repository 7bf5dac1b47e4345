"""Options shared by commands that need a trigger (plan, run)."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import PlanError
from ..planning import EVENTS, Trigger
from ._common import UsageError

__all__ = ["add_trigger_options", "parse_params", "trigger_from_args"]


def add_trigger_options(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--branch", "-b", help="plan for a push of this branch")
    g.add_argument("--tag", "-t", help="plan for a push of this tag")
    p.add_argument("--param", "-p", action="append", default=[], metavar="K=V",
                   help="pipeline parameter (repeatable); typed by its declaration "
                        "(true/false for a boolean, a number for an integer)")
    p.add_argument("--event", choices=EVENTS, default="push",
                   help="what started the pipeline: push (default), schedule (a legacy "
                        "'triggers: schedule' firing) or api")
    p.add_argument("--value", action="append", default=[], metavar="K=V",
                   help="set a pipeline value, e.g. pipeline.trigger_source=scheduled_pipeline "
                        "(repeatable; the 'pipeline.' prefix may be left out)")


def parse_params(items: list[str], option: str = "--param") -> dict[str, Any]:
    """``KEY=VALUE`` strings as a mapping (values stay strings); a malformed item is a
    usage mistake."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} takes KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def trigger_from_args(args: argparse.Namespace) -> Trigger:
    try:
        return Trigger(branch=args.branch, tag=args.tag, parameters=parse_params(args.param),
                       event=args.event,
                       values=parse_params(getattr(args, "value", []) or [], "--value"))
    except PlanError as exc:
        raise UsageError(str(exc)) from exc
