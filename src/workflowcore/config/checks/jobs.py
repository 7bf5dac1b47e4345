"""[job-steps-missing] [job-retention]: what a job definition must say about itself.

CircleCI's schema requires ``steps`` in every build job (``required key [steps] not
found``, R1.3.2); jobs of another ``type`` (approval, no-op, release, lock, unlock) have
none. ``retention.caches`` is a number of days: the reference documents 1–15 days, the
compiler's pattern accepts 1–30 (the limits live in the resource table, data/).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ...diagnostics import Severity
from .._suggest import close_match
from ._resource_table import resource_table
from .base import Check, Context, Loc

__all__ = ["JobsCheck"]

_DAYS = re.compile(r"([0-9]+)d")


def _misspelt_steps(job: Mapping[str, Any]) -> bool:
    """A key like ``stpes:`` is reported by the schema as "did you mean 'steps'?"; saying
    "no steps" about the same mistake again would be noise."""
    return close_match("steps", [k for k in job if isinstance(k, str)], cutoff=0.75) is not None


class JobsCheck(Check):
    codes = ("job-steps-missing", "job-retention")

    def visit_job(self, ctx: Context, name: str, job: Mapping[str, Any], loc: Loc) -> None:
        typ = job.get("type", "build")
        if typ in ("build", None) and "steps" not in job and not _misspelt_steps(job):
            sev, note = ctx.compile_severity(f"jobs.{name}")
            ctx.report(
                loc,
                "job-steps-missing",
                f"job '{name}' has no steps: required key [steps] not found{note}",
                severity=sev,
                key=True,
                hint="add 'steps:' (for example '- checkout'), or give the job a 'type:' "
                "such as approval or no-op",
            )
        retention = job.get("retention")
        if isinstance(retention, dict):
            self._retention(ctx, retention.get("caches"), loc + ("retention", "caches"))

    def _retention(self, ctx: Context, caches: Any, loc: Loc) -> None:
        if not isinstance(caches, str) or "<<" in caches:
            return  # absent, templated, or a type error the schema reports
        table = resource_table()
        low, documented, accepted = 1, table.retention_documented_max, table.retention_accepted_max
        m = _DAYS.fullmatch(caches.strip())
        days = int(m.group(1)) if m else None
        if days is None or not low <= days <= accepted:
            ctx.report(
                loc,
                "job-retention",
                f"retention.caches '{caches}' does not match pattern "
                f"^([1-9]|[12][0-9]|30)d$: write a number of days from {low}d to {accepted}d",
                hint=f"for example '{documented}d'",
            )
        elif days > documented:
            ctx.report(
                loc,
                "job-retention",
                f"retention.caches '{caches}' is longer than the documented maximum of "
                f"{documented} days",
                severity=Severity.WARNING,
                hint=f"CircleCI documents {low}d to {documented}d; longer retention may be "
                "capped or refused by your plan",
            )
