"""[job-undefined] [orb-undefined] [workflow-duplicate-name] [approval-shadows-job]
[approval-type-invalid] [schema-unknown-key] [schema-ignored-key]: what a workflow's job
entries refer to, and (2.0) the keys they are written with.
"""

from __future__ import annotations

from typing import Any, Mapping

from ...diagnostics import Severity
from .._vocabulary import INVOCATION_KEYS
from ._util import close_match, did_you_mean
from .base import Check, Context, Invocation, Loc

__all__ = ["NamesCheck"]


def _orb_jobs(ctx: Context, alias: str) -> Mapping[str, Any] | None:
    """Jobs of an inline orb; ``None`` when the orb is a registry reference (opaque)."""
    orb = ctx.section("orbs").get(alias)
    if isinstance(orb, dict):
        jobs = orb.get("jobs")
        return jobs if isinstance(jobs, dict) else {}
    return None


class NamesCheck(Check):
    codes = (
        "job-undefined",
        "orb-undefined",
        "workflow-duplicate-name",
        "approval-shadows-job",
        "approval-type-invalid",
        "schema-unknown-key",
        "schema-ignored-key",
    )

    def visit_workflow(
        self, ctx: Context, name: str, invocations: list[Invocation], loc: Loc
    ) -> None:
        jobs = ctx.jobs
        groups = ctx.section("job-groups")
        seen: dict[str, Invocation] = {}
        for inv in invocations:
            if ctx.version == "2.0":
                self._keys_20(ctx, inv)
            typ = inv.args.get("type")
            if typ is not None and typ != "approval" and "<<" not in str(typ):
                ctx.report(
                    inv.loc + (inv.ref, "type"),
                    "approval-type-invalid",
                    f"Only jobs with `type: approval` can be defined inline under the "
                    f"`workflows:` section. For `type: {typ}`, define the job in the "
                    f"`jobs:` section instead.",
                )
            if inv.is_approval:
                if inv.ref in jobs:
                    ctx.report(
                        inv.ref_loc,
                        "approval-shadows-job",
                        f"'{inv.ref}' is invoked here with type: approval, which shadows "
                        f"the job definition of the same name; its own steps will not "
                        f"run for this invocation",
                        severity=Severity.WARNING,
                        key=True,
                        hint=f"give the approval job a name of its own, such as 'hold-{inv.ref}'",
                    )
            elif "/" in inv.ref and inv.ref not in jobs:  # a defined `node/test` is a job
                alias, _, job = inv.ref.partition("/")
                if alias not in ctx.orb_aliases:
                    ctx.report(
                        inv.ref_loc,
                        "orb-undefined",
                        f"Cannot find a definition for job named {inv.ref}: no orb "
                        f"'{alias}' is declared",
                        key=True,
                        hint=f"declare it under 'orbs:' (e.g. '{alias}: namespace/{alias}@1')",
                    )
                else:
                    ojobs = _orb_jobs(ctx, alias)
                    if ojobs is not None and job not in ojobs:
                        ctx.report(
                            inv.ref_loc,
                            "job-undefined",
                            f"Cannot find a definition for job named {inv.ref}",
                            key=True,
                            hint=did_you_mean(job, ojobs),
                        )
            elif inv.ref not in jobs and inv.ref not in groups and not (
                    ctx.is_21 and "<<" in inv.ref):  # a 2.0 config has no templates
                hint = did_you_mean(inv.ref, list(jobs) + list(groups))
                if hint is None:
                    hint = (
                        (
                            f"define '{inv.ref}' under 'jobs:', or add 'type: approval' if it "
                            "is a manual approval step"
                        )
                        if jobs
                        else "this config has no 'jobs:' section; define the jobs this "
                        "workflow runs"
                    )
                sev, note = ctx.workflow_severity(name)
                ctx.report(
                    inv.ref_loc,
                    "job-undefined",
                    f"Cannot find a definition for job named {inv.ref}{note}",
                    key=True,
                    hint=hint,
                    severity=sev,
                )
            if inv.matrix is not None or (ctx.is_21 and "<<" in inv.name):
                continue
            prev = seen.get(inv.name)
            if prev is None:
                seen[inv.name] = inv
                continue
            first = ctx.source_map.span(prev.ref_loc, key=True).start.line
            if ctx.is_21:
                ctx.report(
                    inv.ref_loc,
                    "workflow-duplicate-name",
                    f"'{inv.name}' is invoked more than once in workflow '{name}' "
                    f"(first at line {first}); CircleCI will rename the invocations "
                    f"'{inv.name}-1', '{inv.name}-2', ...",
                    # Repeating a job with other arguments is normal 2.1; repeating an
                    # explicit name is a mistake worth a warning.
                    severity=Severity.WARNING if "name" in inv.args else Severity.INFO,
                    key=True,
                    hint="give each invocation an explicit, unique 'name:'",
                )
            else:
                ctx.report(
                    inv.ref_loc,
                    "workflow-duplicate-name",
                    f"job '{inv.name}' is listed more than once in workflow '{name}' "
                    f"(first at line {first})",
                    key=True,
                    hint="list each job once; to run a job twice use version 2.1 and "
                    "give each invocation a 'name:'",
                )

    @staticmethod
    def _keys_20(ctx: Context, inv: Invocation) -> None:
        """A 2.0 invocation has no parameters, so every key is an option. A near miss of one
        (``requries``) silently drops what it meant (the job runs unordered): an error. Any
        other key is ignored: a warning. (In 2.1 other keys are job arguments, which the
        compiler checks against the job's parameters.)"""
        for k in inv.args:
            if not isinstance(k, str) or k in INVOCATION_KEYS:
                continue
            near = close_match(k, INVOCATION_KEYS)
            where = f"the invocation of '{inv.ref}' in workflow '{inv.workflow}'"
            if near is not None:
                ctx.report(
                    inv.loc + (inv.ref, k),
                    "schema-unknown-key",
                    f"unknown key '{k}' in {where}",
                    key=True,
                    hint=f"did you mean '{near}'?",
                )
            else:
                ctx.report(
                    inv.loc + (inv.ref, k),
                    "schema-ignored-key",
                    f"unknown key '{k}' in {where} is ignored: a version 2.0 job takes "
                    "no arguments",
                    key=True,
                    severity=Severity.WARNING,
                    hint="allowed keys here: " + ", ".join(sorted(INVOCATION_KEYS)),
                )
