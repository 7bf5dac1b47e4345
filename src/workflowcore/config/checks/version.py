"""[version-*] [workflows-version-missing] [top-level-key-typo] [version-feature]:
the top level of the file, and the 2.1 features a 2.0 config uses below it.

CircleCI allows arbitrary top-level keys (anchors live under ``defaults:``, ``references:``,
``aliases:``), so an unknown key is fine — but a near miss of a real one (``workflow:``,
``job:``) silently does nothing, which is worth a warning.

2.1 enables "reusable config (orbs, commands, executors, parameters, when/unless steps and
workflows, matrix, job name, pre/post-steps)" (R1.1.1, from CircleCI's configuration
reference). Besides the top-level keys, `name:`, a matrix and pre/post-steps on a 2.0
workflow job are version-feature errors where they are written: a 2.0 config is not
processed, so the entry would run under the job's own name, unexpanded, without the steps.
(`when`/`unless` are not reported here: workflowcore's own processed output, version 2,
keeps the conditions only a pipeline can decide; see docs/conformance.md.)
"""

from __future__ import annotations

from ...diagnostics import Severity
from .._suggest import close_match
from .base import Check, Context, Invocation, Loc

__all__ = ["VersionCheck"]

_KNOWN_TOP = (
    "version",
    "jobs",
    "workflows",
    "orbs",
    "commands",
    "executors",
    "parameters",
    "job-groups",
    "setup",
)
_ONLY_21 = ("orbs", "commands", "executors", "parameters", "job-groups", "setup")
_ONLY_21_INVOCATION = ("name", "matrix", "pre-steps", "post-steps")


class VersionCheck(Check):
    codes = (
        "version-missing",
        "version-invalid",
        "version-feature",
        "workflows-version-missing",
        "top-level-key-typo",
    )

    def visit_config(self, ctx: Context) -> None:
        data = ctx.data
        if "version" not in data:
            ctx.report(
                (),
                "version-missing",
                "Unsupported or missing workflows config version",
                hint="add 'version: 2.1' (or 'version: 2') as the first line",
            )
        elif ctx.version is None:
            ctx.report(
                ("version",),
                "version-invalid",
                f"unsupported config version {data['version']!r}: use 2, 2.0 or 2.1",
                hint="most configs today use 'version: 2.1'",
            )
        if ctx.version == "2.0":
            for key in _ONLY_21:
                if key in data:
                    ctx.report(
                        (key,),
                        "version-feature",
                        f"'{key}' needs 'version: 2.1' (this config is version {data['version']})",
                        key=True,
                        hint="change the config to 'version: 2.1'",
                    )
            wfs = data.get("workflows")
            if isinstance(wfs, dict) and "version" not in wfs:
                ctx.report(
                    ("workflows",),
                    "workflows-version-missing",
                    "a version 2.0 config needs 'version: 2' under 'workflows:'",
                    key=True,
                    hint="add 'version: 2' as the first key of 'workflows:'",
                )
        for key in data:
            if key in _KNOWN_TOP:
                continue
            near = close_match(key, _KNOWN_TOP, cutoff=0.8) if isinstance(key, str) else None
            if near is not None:
                ctx.report(
                    (key,),
                    "top-level-key-typo",
                    f"top-level key '{key}' is not a CircleCI key and will be ignored",
                    severity=Severity.WARNING,
                    key=True,
                    hint=f"did you mean '{near}'?",
                )

    def visit_workflow(self, ctx: Context, name: str, invocations: list[Invocation],
                       loc: Loc) -> None:
        if ctx.version != "2.0":
            return
        for inv in invocations:
            for key in _ONLY_21_INVOCATION:
                if key in inv.args:
                    ctx.report(inv.loc + (inv.ref, key), "version-feature",
                               f"'{key}' on a workflow job needs 'version: 2.1' (this config "
                               f"is version {ctx.data['version']})",
                               key=True, hint="change the config to 'version: 2.1'")
