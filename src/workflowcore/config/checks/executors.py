"""[executor-undefined] [executor-conflict] [executor-missing]: how each job says where it
runs.
"""

from __future__ import annotations

from typing import Any, Mapping

from ._util import did_you_mean
from .base import Check, Context, Loc

__all__ = ["ExecutorsCheck"]

_KINDS = ("docker", "machine", "macos", "windows", "executor")


class ExecutorsCheck(Check):
    codes = ("executor-undefined", "executor-conflict", "executor-missing")

    def visit_job(self, ctx: Context, name: str, job: Mapping[str, Any], loc: Loc) -> None:
        typ = job.get("type", "build")
        if typ not in ("build", None):
            return
        kinds = [k for k in _KINDS if k in job]
        if len(kinds) > 1:
            ctx.report(
                loc + (kinds[1],),
                "executor-conflict",
                f"job '{name}' sets more than one executor type: {', '.join(kinds)}",
                key=True,
                hint="Specify one executor type per job",
            )
        elif not kinds and "steps" in job:
            ctx.report(
                loc,
                "executor-missing",
                f"job '{name}' does not say where it runs",
                key=True,
                hint="add 'docker: [{image: cimg/base:stable}]', 'machine: true', "
                "'macos: ...' or 'executor: <name>'",
            )
        ex = job.get("executor")
        ename = ex.get("name") if isinstance(ex, dict) else ex
        if not isinstance(ename, str) or "<<" in ename:
            return
        if "/" in ename:
            alias = ename.split("/", 1)[0]
            if alias not in ctx.orb_aliases:
                sev, note = ctx.compile_severity(f"jobs.{name}")
                ctx.report(
                    loc + ("executor",),
                    "executor-undefined",
                    f"Cannot find a definition for executor named {ename}: no orb "
                    f"'{alias}' is declared{note}",
                    severity=sev,
                    hint=f"declare the orb '{alias}' under 'orbs:'",
                )
            return
        executors = ctx.section("executors")
        if ename not in executors:
            sev, note = ctx.compile_severity(f"jobs.{name}")
            ctx.report(
                loc + ("executor",),
                "executor-undefined",
                f"Cannot find a definition for executor named {ename}{note}",
                severity=sev,
                hint=did_you_mean(ename, executors)
                or "define it under top-level 'executors:' (version 2.1)",
            )
