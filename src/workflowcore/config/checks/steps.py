"""[command-undefined] [step-empty] [step-extra-keys] [step-deprecated]: each step of jobs,
commands and pre/post-steps, and the steps of inline orbs (their shape only: a command an
inline orb's step names resolves in the orb, which the compiler checks).
"""

from __future__ import annotations

from typing import Any

from ...diagnostics import Severity
from ._util import close_match, did_you_mean
from .base import BUILTIN_STEPS, Check, Context, Loc, Step

__all__ = ["REQUIRED_KEYS", "StepsCheck", "is_empty"]

#: Steps whose body must say something, and what (the compiler checks rendered bodies too).
REQUIRED_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "save_cache": (("paths", "key"), "'paths' and 'key'"),
    "store_artifacts": (("path",), "'path'"),
    "store_test_results": (("path",), "'path'"),
    "persist_to_workspace": (("root", "paths"), "'root' and 'paths'"),
    "attach_workspace": (("at",), "'at'"),
}


def is_empty(v: Any) -> bool:
    return v is None or v == "" or v == [] or v == {}


class StepsCheck(Check):
    codes = ("command-undefined", "step-empty", "step-extra-keys", "step-deprecated")

    def visit_config(self, ctx: Context) -> None:
        self._commands = set(ctx.section("commands"))

    def visit_orb_step(self, ctx: Context, step: Step, owner: str) -> None:
        # An inline orb's `- run:` with no command is a bare `run` once processed, which
        # the processed config refuses (a fuzz finding: load said nothing).
        self._extra_keys(ctx, step)
        if step.name in BUILTIN_STEPS:
            self._builtin(ctx, step.name, step.body, step.loc)

    def _extra_keys(self, ctx: Context, step: Step) -> None:
        name, loc = step.name, step.loc
        if step.extra_keys:
            ctx.report(
                loc + (step.extra_keys[0],),
                "step-extra-keys",
                f"step '{name}' has sibling keys {list(step.extra_keys)}: CircleCI runs "
                f"'{name}' without them",
                severity=Severity.WARNING,
                key=True,
                hint=f"indent {', '.join(step.extra_keys)} under '{name}:'",
            )

    def visit_step(self, ctx: Context, step: Step, owner: str) -> None:
        name, body, loc = step.name, step.body, step.loc
        self._extra_keys(ctx, step)
        if name in self._commands:
            return
        if name in BUILTIN_STEPS:
            self._builtin(ctx, name, body, loc)
            return
        if "/" in name:
            alias = name.split("/", 1)[0]
            if alias not in ctx.orb_aliases:
                sev, note = ctx.compile_severity(owner)
                ctx.report(
                    loc,
                    "command-undefined",
                    f"Cannot find a definition for command named {name}: no orb "
                    f"'{alias}' is declared{note}",
                    severity=sev,
                    key=body is not None,
                    hint=f"declare the orb '{alias}' under 'orbs:'",
                )
            return
        if "<<" in name:
            return
        hint = did_you_mean(name, BUILTIN_STEPS | self._commands)
        if hint is None and not ctx.is_21:
            hint = (
                "version 2.0 configs have only built-in steps; reusable commands need "
                "'version: 2.1'"
            )
        sev, note = ctx.compile_severity(owner)
        ctx.report(
            loc,
            "command-undefined",
            f"Cannot find a definition for command named {name}{note}",
            severity=sev,
            key=body is not None,
            hint=hint,
        )

    def _builtin(self, ctx: Context, name: str, body: Any, loc: Loc) -> None:
        if name in ("run", "deploy"):
            if name == "deploy":
                ctx.report(
                    loc,
                    "step-deprecated",
                    "the 'deploy' step is deprecated",
                    severity=Severity.WARNING,
                    key=body is not None,
                    hint="use a 'run' step instead",
                )
            cmd = body.get("command") if isinstance(body, dict) else body
            if isinstance(cmd, str) and "<<" in cmd:
                return
            if is_empty(cmd) or (isinstance(cmd, str) and not cmd.strip()):
                typo = (
                    close_match("command", [k for k in body if isinstance(k, str)])
                    if isinstance(body, dict) and "command" not in body
                    else None
                )
                if typo is not None:
                    # `comand: make`: name the typo where it is written, not the missing key.
                    ctx.report(
                        loc + (name, typo),
                        "step-empty",
                        f"this '{name}' step has no command; '{typo}' is not a '{name}' key",
                        key=True,
                        hint=f"did you mean 'command'? rename '{typo}' to 'command'",
                    )
                    return
                ctx.report(
                    loc + ((name, "command") if isinstance(body, dict) else (name,)),
                    "step-empty",
                    f"this '{name}' step has no command",
                    key=not isinstance(body, dict),
                    hint="give it a command: '- run: make test'",
                )
            return
        if name == "restore_cache":
            if not isinstance(body, dict) or (is_empty(body.get("key"))
                                              and is_empty(body.get("keys"))):
                ctx.report(
                    loc,
                    "step-empty",
                    "restore_cache needs 'key' or 'keys'",
                    key=body is not None,
                    hint="add 'keys: [v1-deps-{{ checksum \"lock-file\" }}]'",
                )
            return
        if name in ("when", "unless"):
            if isinstance(body, dict):
                if "condition" not in body:
                    ctx.report(
                        loc + (name,),
                        "step-empty",
                        f"'{name}' step needs a 'condition'",
                        key=True,
                        hint="add 'condition: << parameters.flag >>'",
                    )
                if is_empty(body.get("steps")):
                    ctx.report(
                        loc + (name,),
                        "step-empty",
                        f"'{name}' step has no 'steps'",
                        key=True,
                        hint="add the steps it guards under 'steps:'",
                    )
            return
        req = REQUIRED_KEYS.get(name)
        if req is None:
            return
        keys, words = req
        if not isinstance(body, dict):
            if isinstance(body, str) and "<<" in body:
                return
            ctx.report(
                loc,
                "step-empty",
                f"'{name}' needs {words}",
                key=body is not None,
                hint=f"write it as a map: '- {name}: {{{keys[0]}: ...}}'",
            )
            return
        missing = [k for k in keys if is_empty(body.get(k))]
        if missing:
            ctx.report(
                loc + (name,),
                "step-empty",
                f"'{name}' needs {words}; missing: {', '.join(missing)}",
                key=True,
            )
