"""[job-unused] [command-unused] [executor-unused] [orb-unused] [config-name-clash]:
definitions nothing uses, and one name given to two kinds of thing.

CircleCI compiles only what workflows reach, so an unused job, command, executor or orb is
never checked by CircleCI and usually a leftover (or a typo at the place that should use
it). CircleCI's language server warns about unused jobs and commands and about a name shared
by a job, a command and a workflow; these are warnings here too, each with its own code so
that each can be silenced on its own.

"Used" is decided generously, because a false "unused" costs trust: a command counts as used
when its name is a step anywhere (jobs, commands, pre/post-steps), an executor when a job
names it; failing that, when the name appears as any value or key anywhere else in the file —
a parameter default, an argument, a matrix value, an enum — since 2.1 passes executors and
steps through parameters, and anchors copy them anywhere. An orb is used when any value or key
starts with ``alias/``. A config without ``workflows`` runs jobs by other means (the implicit
workflow, the API), and a workflow entry that is a template can name any job: unused jobs are
not reported then. Elements inside inline orbs are not checked (an orb may define what only
its users use).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ...diagnostics import Severity
from ._util import close_match
from .base import BUILTIN_STEPS, Check, Context, Invocation, Loc, Step

__all__ = ["UnusedCheck"]

_SECTIONS = ("jobs", "commands", "executors", "orbs")


_TEMPLATE = re.compile(r"<<.*?>>")


def _name_shapes(names: set[str]) -> list[list[str]]:
    """The templated references among ``names`` that have literal text, each as its literal
    parts (``install-deps-<< parameters.os >>`` → ``["install-deps-", ""]``, fitting
    ``install-deps-macos``): any element whose name fits may be the one meant. A reference
    that is only a template (``<< parameters.e >>``) is left to the value scan, which finds
    the parameter's default or arguments."""
    return [_TEMPLATE.split(n) for n in names if "<<" in n and _TEMPLATE.sub("", n).strip()]


def _fits(name: str, parts: list[str]) -> bool:
    """Whether ``name`` is ``parts`` joined by any text: the first part a prefix, the last
    a suffix, the others in order between (the leftmost place of each is the right one).
    Linear in the name, however many templates a reference holds; a regex of ``.*`` per
    template backtracked for minutes on a step naming sixty of them (a fuzz finding)."""
    first, last = parts[0], parts[-1]
    if len(name) < len(first) + len(last) or not name.startswith(first) \
            or not name.endswith(last):
        return False
    pos, end = len(first), len(name) - len(last)
    for part in parts[1:-1]:
        found = name.find(part, pos, end)
        if found < 0:
            return False
        pos = found + len(part)
    return True


def _fits_any(name: str, shapes: list[list[str]]) -> bool:
    return any(_fits(name, parts) for parts in shapes)


def _mentions(data: Mapping[str, Any]) -> set[str]:
    """Every string value and mapping key in ``data``, except the names that define the
    top-level jobs, commands, executors and orbs themselves (iterative: no recursion limit)."""
    out: set[str] = set()
    stack: list[Any] = []
    for key, value in data.items():
        if key in _SECTIONS and isinstance(value, dict):
            stack.extend(value.values())
        else:
            out.add(str(key))
            stack.append(value)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.add(node)
        elif isinstance(node, (dict, list)):
            if id(node) in seen:  # aliased data is shared: visit it once
                continue
            seen.add(id(node))
            if isinstance(node, dict):
                out.update(str(k) for k in node)
                stack.extend(node.values())
            else:
                stack.extend(node)
    return out


class UnusedCheck(Check):
    codes = ("job-unused", "command-unused", "executor-unused", "orb-unused", "config-name-clash")

    def visit_config(self, ctx: Context) -> None:
        self._steps: set[str] = set()
        self._executors: set[str] = set()
        self._orb_refs: set[str] = set()
        self._templated_job = False
        self._jobs_called: set[str] = set()

    def visit_job(self, ctx: Context, name: str, job: Mapping[str, Any], loc: Loc) -> None:
        ex = job.get("executor")
        ename = ex.get("name") if isinstance(ex, dict) else ex
        if isinstance(ename, str):
            self._executors.add(ename)
            self._orb_ref(ename)

    def visit_step(self, ctx: Context, step: Step, owner: str) -> None:
        name = step.name
        self._steps.add(name)
        if "/" in name:
            self._orb_refs.add(name.split("/", 1)[0])

    def visit_workflow(
        self, ctx: Context, name: str, invocations: list[Invocation], loc: Loc
    ) -> None:
        for inv in invocations:
            self._jobs_called.add(inv.ref)
            self._orb_ref(inv.ref)
            if "<<" in inv.ref:
                self._templated_job = True

    def _orb_ref(self, name: str) -> None:
        if "/" in name:
            self._orb_refs.add(name.split("/", 1)[0])

    def finish(self, ctx: Context) -> None:
        mentioned: set[str] | None = None

        def mentions() -> set[str]:
            nonlocal mentioned
            if mentioned is None:
                mentioned = _mentions(ctx.data)
            return mentioned

        # A definition that an undefined reference probably misspells (`nodee` for `node`)
        # is that reference's finding, already reported with "did you mean 'node'?".
        meant = {
            close_match(ref, section)
            for refs, section in (
                (self._jobs_called, ctx.jobs),
                (self._steps, ctx.section("commands")),
                (self._executors, ctx.section("executors")),
            )
            for ref in refs
            if ref not in section and "<<" not in ref
        }
        if "workflows" in ctx.data and not self._templated_job:
            for name in ctx.jobs:
                if name not in ctx.used_jobs and name not in meant:
                    ctx.report(
                        ("jobs", name),
                        "job-unused",
                        f"job '{name}' is not used by any workflow",
                        severity=Severity.WARNING,
                        key=True,
                        hint="add it to a workflow's 'jobs:', or delete it",
                    )
        steps_like = _name_shapes(self._steps)
        executors_like = _name_shapes(self._executors)
        for name in ctx.section("commands"):
            if _fits_any(name, steps_like):
                continue
            if name not in self._steps and name not in meant and name not in mentions():
                ctx.report(
                    ("commands", name),
                    "command-unused",
                    f"command '{name}' is never invoked",
                    severity=Severity.WARNING,
                    key=True,
                    hint=f"invoke it as a step ('- {name}'), or delete it",
                )
        for name in ctx.section("executors"):
            if _fits_any(name, executors_like):
                continue
            if name not in self._executors and name not in meant and name not in mentions():
                ctx.report(
                    ("executors", name),
                    "executor-unused",
                    f"executor '{name}' is not used by any job",
                    severity=Severity.WARNING,
                    key=True,
                    hint=f"use it in a job ('executor: {name}'), or delete it",
                )
        for alias in ctx.section("orbs"):
            if alias in self._orb_refs:
                continue
            prefix = f"{alias}/"
            if any(m.startswith(prefix) or f" {prefix}" in m for m in mentions()):
                continue
            ctx.report(
                ("orbs", alias),
                "orb-unused",
                f"orb '{alias}' is imported but nothing uses it",
                severity=Severity.WARNING,
                key=True,
                hint=f"use one of its elements ('{alias}/<name>'), or remove it from 'orbs:'",
            )
        self._clashes(ctx)

    @staticmethod
    def _clashes(ctx: Context) -> None:
        """One warning per shared name, at the later definition, naming the earlier one."""
        kinds = {
            "job": ctx.section("jobs"),
            "command": ctx.section("commands"),
            "workflow": {k: v for k, v in ctx.workflows.items() if k != "version"},
        }
        seen: dict[str, int] = {}
        for section in kinds.values():
            for name in section:
                seen[name] = seen.get(name, 0) + 1
        shared = {name for name, n in seen.items() if n > 1}
        owners: dict[str, list[tuple[tuple[int, int], str, Loc]]] = {}
        for kind, section in kinds.items():
            for name in shared.intersection(section):
                loc = (kind + "s", name)
                sp = ctx.source_map.span(loc, key=True)
                owners.setdefault(str(name), []).append(
                    ((sp.start.line, sp.start.column), kind, loc)
                )
        for name, defs in owners.items():
            if len(defs) < 2:
                continue
            defs.sort()
            (first_at, first_kind, _), *rest = defs
            for _, kind, loc in rest:
                ctx.report(
                    loc,
                    "config-name-clash",
                    f"'{name}' names a {kind} and also a {first_kind} (line {first_at[0]}); "
                    "CircleCI keeps them apart, but a reader may confuse them",
                    severity=Severity.WARNING,
                    key=True,
                    hint=f"rename the {kind} or the {first_kind}",
                )
        for name in ctx.section("commands"):
            if name in BUILTIN_STEPS:
                ctx.report(
                    ("commands", name),
                    "config-name-clash",
                    f"command '{name}' has the name of a built-in step: in this config "
                    f"'- {name}' runs the command, not the built-in step",
                    severity=Severity.WARNING,
                    key=True,
                    hint="rename the command if the built-in step is ever wanted",
                )
