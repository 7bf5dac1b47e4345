"""[filter-regex] [filter-regex-re2] [filter-dead-ignore] [filter-tag-upstream]
[job-branches-ignored]: branch and tag filters.

CircleCI matches ``/regex/`` filter values with RE2 semantics and full-match (R3.1);
a lookahead that Python accepts is rejected by CircleCI's compiler, hence a separate code.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ...diagnostics import Severity
from ...expr import check_re2, needs_google_re2
from .base import Check, Context, Invocation, Loc

__all__ = ["FiltersCheck", "has_tag_filter"]


def has_tag_filter(args: Mapping[str, Any]) -> bool:
    """Whether an invocation can run on some tag: a ``tags`` map with only/ignore, or an
    expression filter (R3.5.3)."""
    f = args.get("filters")
    if isinstance(f, str):
        return True
    if not isinstance(f, dict):
        return False
    t = f.get("tags")
    return isinstance(t, dict) and ("only" in t or "ignore" in t)


def _values(v: Any) -> list[tuple[int | None, Any]]:
    if isinstance(v, list):
        return list(enumerate(v))
    return [(None, v)]


class FiltersCheck(Check):
    codes = (
        "filter-regex",
        "filter-regex-re2",
        "filter-dead-ignore",
        "filter-tag-upstream",
        "job-branches-ignored",
    )

    def visit_job(self, ctx: Context, name: str, job: Mapping[str, Any], loc: Loc) -> None:
        if "branches" in job and ctx.workflows:
            ctx.report(
                loc + ("branches",),
                "job-branches-ignored",
                f"job-level 'branches' of job '{name}' is ignored because this config "
                "has workflows",
                severity=Severity.WARNING,
                key=True,
                hint="move it to the workflow job as 'filters: {branches: ...}'",
            )

    def _check_filter_map(self, ctx: Context, f: Mapping[str, Any], floc: Loc) -> None:
        for kind in ("branches", "tags"):
            spec = f.get(kind)
            if not isinstance(spec, dict):
                continue
            if "only" in spec and "ignore" in spec:
                ctx.report(
                    floc + (kind, "ignore"),
                    "filter-dead-ignore",
                    f"'{kind}' has both 'only' and 'ignore': CircleCI uses 'only' and "
                    "this 'ignore' never has an effect",
                    severity=Severity.WARNING,
                    key=True,
                    hint="remove 'ignore', or fold it into the 'only' pattern",
                )
            for which in ("only", "ignore"):
                if which not in spec:
                    continue
                for i, v in _values(spec[which]):
                    if not isinstance(v, str) or len(v) < 2 or v[0] != "/" or v[-1] != "/":
                        continue
                    vloc = floc + (kind, which) + ((i,) if i is not None else ())
                    pattern = v[1:-1]
                    problem = check_re2(pattern)
                    if problem is None:
                        continue  # the RE2 engine (or its fallback) takes it
                    if needs_google_re2(pattern):
                        ctx.report(vloc, "filter-regex", problem,
                                   hint="valid RE2 that only google-re2 matches here: "
                                   "install workflowcore[re2]")
                        continue
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        ctx.report(
                            vloc,
                            "filter-regex",
                            f"Invalid regular expression: {pattern}: {exc}",
                            hint="fix the pattern; filters are full-match regular "
                            "expressions between slashes",
                        )
                        continue
                    if problem is not None:
                        ctx.report(
                            vloc,
                            "filter-regex-re2",
                            problem,
                            severity=Severity.WARNING,
                            hint="CircleCI compiles filters with RE2, which has no "
                            "lookarounds or backreferences; rewrite the pattern "
                            "or list the names",
                        )

    def visit_workflow(
        self, ctx: Context, name: str, invocations: list[Invocation], loc: Loc
    ) -> None:
        for inv in invocations:
            f = inv.args.get("filters")
            if isinstance(f, dict):
                self._check_filter_map(ctx, f, inv.loc + (inv.ref, "filters"))
        triggers = ctx.workflows.get(name, {}).get("triggers")
        if isinstance(triggers, list):
            for i, t in enumerate(triggers):
                sched = t.get("schedule") if isinstance(t, dict) else None
                if isinstance(sched, dict) and isinstance(sched.get("filters"), dict):
                    self._check_filter_map(
                        ctx, sched["filters"], loc + ("triggers", i, "schedule", "filters")
                    )
        self._tag_reachability(ctx, name, invocations)

    def _tag_reachability(self, ctx: Context, name: str, invocations: list[Invocation]) -> None:
        """A job with tag filters whose requirements can never run on a tag never runs on
        a tag either (R3.3.3): upstream jobs without tag filters are pruned on tag pushes."""
        by_alias: dict[str, list[Invocation]] = {}
        for inv in invocations:
            by_alias.setdefault(inv.alias, []).append(inv)
        memo: dict[int, bool] = {}

        def can_run(inv: Invocation, depth: int = 0) -> bool:
            key = id(inv)
            if key in memo:
                return memo[key]
            memo[key] = False  # cycles: reported elsewhere; treat as not runnable
            ok = has_tag_filter(inv.args)
            if ok and depth < 500:
                reqs = [r for r, _ in inv.requires() if r in by_alias]
                if reqs:
                    ok = any(can_run(u, depth + 1) for r in reqs for u in by_alias[r])
            memo[key] = ok
            return ok

        for inv in invocations:
            if not has_tag_filter(inv.args) or isinstance(inv.args.get("filters"), str):
                continue
            reqs = [(r, rl) for r, rl in inv.requires() if r in by_alias]
            if reqs and not can_run(inv):
                blockers = [r for r, _ in reqs if not any(can_run(u) for u in by_alias[r])]
                first = blockers[0] if blockers else reqs[0][0]
                ctx.report(
                    inv.ref_loc,
                    "filter-tag-upstream",
                    f"Job '{inv.name}' has tag filters but requires '{first}', which "
                    f"never runs for a tag, so '{inv.name}' can never run for a tag",
                    severity=Severity.WARNING,
                    key=True,
                    hint=f"add 'filters: tags: only: ...' to '{first}' (CircleCI skips "
                    "jobs without tag filters on tag pushes)",
                )
