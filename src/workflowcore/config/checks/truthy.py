"""[yaml-truthy]: YAML 1.1 booleans that were probably meant as text.

CircleCI reads YAML 1.1, where an unquoted ``on``/``off``/``yes``/``no`` (any case) is a
boolean (R10.1.2). In an ``environment`` map that turns ``PHP_XDEBUG_MODE: off`` into the
boolean false, not the text ``off`` the program expects — the schema accepts any scalar there
(R6.3.3), so nothing else says so. yamllint's ``truthy`` rule flags these spellings; this
check does too, but only where a string is what the value is for (environment values), and
never ``true``/``false`` themselves, which say what they mean. Where the schema wants a string
(``name: on``) its type error already names the value and the fix.

Only the spelling tells ``off`` from ``false``; :meth:`SourceMap.written` reads it for the few
boolean values found here.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ...diagnostics import Severity
from .._yaml import YAML11_WORDS
from .base import Check, Context, Loc, Step

__all__ = ["TruthyCheck"]

# A word-boolean written as a value anywhere in the file (`K: off`, `{K: On}`, `&a yes`):
# when the text has none, which is most files, the check has nothing to look at.
_ANY_WORD = re.compile(
    r"(?:[:\-,\[{]|^)[ \t]*(?:&\S+[ \t]+)?(?:" + "|".join(sorted(YAML11_WORDS))
    + r")[ \t]*(?:$|[,}\]#])",
    re.M,
)


class TruthyCheck(Check):
    codes = ("yaml-truthy",)

    def visit_config(self, ctx: Context) -> None:
        self._seen: set[tuple[int, int]] = set()
        self._active = _ANY_WORD.search(ctx.source_map.text) is not None
        if not self._active:
            return
        for name, ex in ctx.section("executors").items():
            if isinstance(ex, dict):
                self._element(ctx, ex, ("executors", name))

    def visit_job(self, ctx: Context, name: str, job: Mapping[str, Any], loc: Loc) -> None:
        if self._active:
            self._element(ctx, job, loc)

    def visit_step(self, ctx: Context, step: Step, owner: str) -> None:
        if self._active and step.name == "run" and isinstance(step.body, dict):
            self._environment(ctx, step.body.get("environment"), step.loc + ("run", "environment"))

    def _element(self, ctx: Context, body: Mapping[str, Any], loc: Loc) -> None:
        self._environment(ctx, body.get("environment"), loc + ("environment",))
        docker = body.get("docker")
        if isinstance(docker, list):
            for i, image in enumerate(docker):
                if isinstance(image, dict):
                    self._environment(
                        ctx, image.get("environment"), loc + ("docker", i, "environment")
                    )

    def _environment(self, ctx: Context, env: Any, loc: Loc) -> None:
        if not isinstance(env, dict):
            return
        for key, value in env.items():
            if not isinstance(value, bool):
                continue
            vloc = loc + (key,)
            word = ctx.source_map.written(vloc)
            if word not in YAML11_WORDS:
                continue
            span = ctx.source_map.span(vloc)
            at = (span.start.line, span.start.column)
            if at in self._seen:  # one anchor, many jobs: one finding
                continue
            self._seen.add(at)
            ctx.report(
                vloc,
                "yaml-truthy",
                f"{key}: {word} is the boolean {str(value).lower()} in YAML 1.1, not the "
                f"text '{word}'",
                severity=Severity.WARNING,
                hint=f"quote it if the variable should be '{word}': {key}: \"{word}\"",
            )
