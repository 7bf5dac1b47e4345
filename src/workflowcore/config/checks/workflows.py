"""[workflow-unknown-key] [workflow-cron-invalid] [workflow-cron-unsupported]: the keys of a
workflow and the cron lines of its schedule triggers.

An unknown key beside ``jobs:`` is a warning, not an error: CircleCI's own schema leaves a
workflow open and large real configs carry ``description:`` there — but a near miss of a
real key (``trigger:``) silently does nothing, which is worth saying.

A cron line is checked with ``croniter`` when it is installed (imported only when a
config has a cron line, so ``validate`` does not pay for it otherwise), else with the
five-field grammar in :func:`cron_problem`. Either way it must have exactly five fields
(R2.6.1: "5-field cron, UTC"); croniter alone would also take seconds fields and
``@daily``.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Sequence

from ...diagnostics import Severity
from ._util import did_you_mean
from .base import Check, Context, Invocation, Loc

__all__ = ["WorkflowsCheck", "cron_problem", "cron_unsupported"]

#: The keys of a workflow, as ``known_keys(models.Workflow)`` lists them (a test holds the two
#: together): written out so that the checks, which run on plain data, do not import the
#: models and pydantic (docs/dev/cold-start.md).
_WORKFLOW_KEYS = ("jobs", "triggers", "when", "unless", "max_auto_reruns")

#: (name, low, high, names) of the five fields.
_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                      "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_ITEM = re.compile(r"(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]+))?")


def _value(text: str, low: int, high: int, names: Sequence[str]) -> Optional[int]:
    if text.isdigit():
        n = int(text)
        return n if low <= n <= high else None
    if text in names:
        return names.index(text) + (1 if low == 1 else 0)
    return None


def cron_problem(line: str) -> Optional[str]:
    """What is wrong with a five-field cron ``line`` (standard cron grammar), or ``None``.

    The fallback when croniter is not installed: ``*``, numbers, names (``jan``, ``mon``),
    ranges, ``/step`` and comma lists, each within its field's range.
    """
    fields = line.split()
    if len(fields) != 5:
        return (
            f"a cron line has 5 fields (minute hour day month weekday), this one has "
            f"{len(fields)}"
        )
    for text, (name, low, high, names) in zip(fields, _FIELDS):
        for item in text.lower().split(","):
            m = _ITEM.fullmatch(item)
            if m is None:
                return f"{name} field '{text}' is not a cron field"
            span, step = m.group(1), m.group(2)
            if step is not None and int(step) == 0:
                return f"{name} field '{text}' has a step of 0"
            if span == "*":
                continue
            parts = span.split("-")
            values = [_value(p, low, high, names) for p in parts]
            if any(v is None for v in values):
                return f"{name} field '{text}' is outside {low}-{high}"
            if len(values) == 2 and values[0] > values[1]:  # type: ignore[operator]
                return f"{name} field '{text}' has a range that runs backwards"
    return None


def _croniter_problem(line: str) -> Optional[str]:
    """``croniter``'s verdict on a five-field line; ``ImportError`` when it is absent."""
    from croniter import croniter  # lazy: only configs with a cron line pay the import

    if len(line.split()) != 5:
        return cron_problem(line)  # the field count message
    if not croniter.is_valid(line):
        return cron_problem(line) or "croniter does not accept it"
    return None


def check_cron(line: str) -> Optional[str]:
    """The problem of a cron line: croniter's view where installed, else our own."""
    try:
        return _croniter_problem(line)
    except ImportError:
        return cron_problem(line)


def cron_unsupported(line: str) -> Optional[str]:
    """Syntax CircleCI's scheduled workflows document as unsupported (R2.6.1), or ``None``:
    step values, ranges inside comma lists, and ranges of day names."""
    for i, text in enumerate(line.split()[:5]):
        if "/" in text:
            return f"step values ('{text}')"
        items = text.split(",")
        if len(items) > 1 and any("-" in item for item in items):
            return f"ranges inside comma lists ('{text}')"
        if i == 4 and "-" in text and re.search(r"[a-zA-Z]", text):
            return f"ranges of day names ('{text}')"
    return None


class WorkflowsCheck(Check):
    codes = ("workflow-unknown-key", "workflow-cron-invalid", "workflow-cron-unsupported")

    def visit_workflow(
        self, ctx: Context, name: str, invocations: list[Invocation], loc: Loc
    ) -> None:
        wf = ctx.workflows.get(name)
        if not isinstance(wf, dict):
            return
        for key in wf:
            if key not in _WORKFLOW_KEYS and isinstance(key, str):
                ctx.report(
                    loc + (key,),
                    "workflow-unknown-key",
                    f"unknown key '{key}' in workflow '{name}' is ignored by CircleCI",
                    severity=Severity.WARNING,
                    key=True,
                    hint=did_you_mean(key, _WORKFLOW_KEYS)
                    or "allowed keys here: " + ", ".join(sorted(_WORKFLOW_KEYS)),
                )
        triggers = wf.get("triggers")
        if isinstance(triggers, list):
            for i, trigger in enumerate(triggers):
                self._trigger(ctx, trigger, loc + ("triggers", i))

    def _trigger(self, ctx: Context, trigger: Any, loc: Loc) -> None:
        schedule = trigger.get("schedule") if isinstance(trigger, dict) else None
        cron = schedule.get("cron") if isinstance(schedule, dict) else None
        if not isinstance(cron, str) or "<<" in cron:
            return  # missing or mistyped: the schema says so
        cloc = loc + ("schedule", "cron")
        problem = check_cron(cron)
        if problem is not None:
            ctx.report(
                cloc,
                "workflow-cron-invalid",
                f"invalid cron line '{cron}': {problem}",
                hint="five fields, UTC: minute hour day-of-month month day-of-week, "
                "e.g. '0 3 * * 1'",
            )
            return
        unsupported = cron_unsupported(cron)
        if unsupported is not None:
            ctx.report(
                cloc,
                "workflow-cron-unsupported",
                f"cron line '{cron}' uses {unsupported}, which CircleCI's scheduled "
                "workflows do not support",
                severity=Severity.WARNING,
                hint="list the values with commas instead, e.g. '0,20,40' or 'mon,tue,wed'",
            )
