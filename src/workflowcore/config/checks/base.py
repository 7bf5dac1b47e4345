"""The check framework: one traversal of the config, every rule family a visitor.

Checks work on the *plain data* the YAML loader produced (not on the pydantic models), so
that a workflow with one misspelt key still gets its ``requires`` checked: the schema and the
semantic rules report independently, and a user sees every problem at once. The walker
normalises the shapes CircleCI allows (a workflow job as a string or a single-key map, a
step as a string or a single-key map) once, so each check sees one shape.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, NamedTuple, Sequence, Tuple

from ..._record import Record
from ...diagnostics import Diagnostic, Severity
from .._vocabulary import BUILTIN_STEPS as _BUILTINS
from .._vocabulary import STRUCTURAL_STEPS
from ..sourcemap import SourceMap

__all__ = ["BUILTIN_STEPS", "Check", "Context", "Invocation", "Step", "walk"]

Loc = Tuple[Any, ...]  # ("jobs", "build", "steps", 2) — keys and list indices

#: Steps CircleCI provides (and structural step keys); anything else is a command.
BUILTIN_STEPS = _BUILTINS | STRUCTURAL_STEPS


class Invocation(Record):
    """One entry of a workflow's ``jobs`` list, normalised.

    ``ref`` is the job (or job-group, or approval) it names; ``name`` is the name it has in
    the workflow before 2.1 numbering (``name:`` if given, else ``ref``); ``args`` the
    mapping under it (empty for a plain string entry); ``has_map``: written as a map.
    """

    __slots__ = ("workflow", "index", "ref", "name", "args", "loc", "has_map")

    def __init__(self, workflow: str, index: int, ref: str, name: str,
                 args: Mapping[str, Any], loc: Loc, has_map: bool = False) -> None:
        self.workflow = workflow
        self.index = index
        self.ref = ref
        self.name = name
        self.args = args
        self.loc = loc
        self.has_map = has_map

    @property
    def ref_loc(self) -> Loc:
        """Where the job reference itself is written (the string, or the map's key)."""
        return self.loc + (self.ref,) if self.args or self.has_map else self.loc

    @property
    def is_approval(self) -> bool:
        return self.args.get("type") == "approval"

    @property
    def matrix(self) -> Mapping[str, Any] | None:
        m = self.args.get("matrix")
        return m if isinstance(m, dict) else None

    @property
    def alias(self) -> str:
        """The name other jobs use to require this invocation (matrix alias, or name)."""
        m = self.matrix
        if m is not None:
            alias = m.get("alias")
            if isinstance(alias, str):
                return alias
            return self.ref if "name" not in self.args else self.name
        return self.name

    def requires(self) -> list[tuple[str, Loc]]:
        """``(required name, loc)`` pairs, whatever form each entry takes."""
        req = self.args.get("requires")
        out: list[tuple[str, Loc]] = []
        if isinstance(req, str):
            return [(req, self.loc + (self.ref, "requires"))]
        if not isinstance(req, list):
            return out
        for i, item in enumerate(req):
            loc = self.loc + (self.ref, "requires", i)
            if isinstance(item, str):
                out.append((item, loc))
            elif isinstance(item, dict) and len(item) == 1:
                (name,) = item
                out.append((str(name), loc))
        return out


class Step(NamedTuple):
    """One step, normalised: its kind (``run``, a command name, ...) and its body."""

    name: str
    body: Any
    loc: Loc
    extra_keys: tuple[str, ...] = ()


class Context(Record):
    """What every check can see, and where it reports.

    ``used_jobs``: job names some workflow (or job group, or the implicit workflow) calls;
    ``invoked_commands``: names invoked as steps anywhere (commands are compiled where they
    are invoked); ``unconditional_jobs``: of ``used_jobs``, those some workflow without
    ``when``/``unless`` calls.
    """

    __slots__ = ("data", "source_map", "version", "diagnostics", "used_jobs",
                 "invoked_commands", "unconditional_jobs")

    def __init__(self, data: Mapping[str, Any], source_map: SourceMap, version: str | None,
                 diagnostics: list[Diagnostic] | None = None,
                 used_jobs: frozenset[str] = frozenset(),
                 invoked_commands: frozenset[str] = frozenset(),
                 unconditional_jobs: frozenset[str] = frozenset()) -> None:
        self.data = data
        self.source_map = source_map
        self.version = version
        self.diagnostics: list[Diagnostic] = [] if diagnostics is None else diagnostics
        self.used_jobs = used_jobs
        self.invoked_commands = invoked_commands
        self.unconditional_jobs = unconditional_jobs

    @property
    def is_21(self) -> bool:
        return self.version == "2.1"

    @property
    def jobs(self) -> Mapping[str, Any]:
        j = self.data.get("jobs")
        return j if isinstance(j, dict) else {}

    @property
    def workflows(self) -> Mapping[str, Any]:
        w = self.data.get("workflows")
        return w if isinstance(w, dict) else {}

    def section(self, key: str) -> Mapping[str, Any]:
        v = self.data.get(key)
        return v if isinstance(v, dict) else {}

    @property
    def orb_aliases(self) -> frozenset[str]:
        return frozenset(self.section("orbs"))

    def compile_severity(self, owner: str) -> tuple[Severity, str]:
        """Problems only the compiler finds (an undefined command or executor) are errors
        only where CircleCI compiles: it compiles the jobs that workflows call, and the
        commands those jobs invoke. ``owner`` is ``jobs.<name>``, ``commands.<name>`` or
        ``workflows.<name>``."""
        kind, _, name = owner.partition(".")
        if kind == "jobs" and name not in self.used_jobs:
            return Severity.WARNING, (
                f" (job '{name}' is not used by any workflow, so CircleCI does not compile it)"
            )
        if kind == "jobs" and name not in self.unconditional_jobs:
            return Severity.WARNING, (
                f" (job '{name}' runs only in workflows with a 'when' or 'unless' condition: "
                "CircleCI reports this only when one of them runs)"
            )
        if kind == "commands" and name not in self.invoked_commands:
            return Severity.WARNING, (
                f" (command '{name}' is never invoked, so CircleCI does not compile it)"
            )
        return Severity.ERROR, ""

    def workflow_severity(self, workflow: str) -> tuple[Severity, str]:
        """Errors in a workflow guarded by ``when``/``unless`` are only *latent*: CircleCI
        drops the workflow before checking it whenever the condition is false (real configs
        rely on this), so they are warnings with a note, not errors."""
        wf = self.workflows.get(workflow)
        if isinstance(wf, dict) and ("when" in wf or "unless" in wf):
            key = "when" if "when" in wf else "unless"
            return Severity.WARNING, (
                f" (workflow '{workflow}' has a '{key}' condition: CircleCI reports this "
                "only when the workflow runs)"
            )
        return Severity.ERROR, ""

    def report(
        self,
        loc: Sequence[Any],
        code: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        hint: str | None = None,
        key: bool = False,
    ) -> None:
        self.diagnostics.append(
            self.source_map.diagnostic(
                tuple(loc), code, message, severity=severity, hint=hint, key=key
            )
        )


class Check:
    """A rule family. Override the ``visit_*`` hooks you need; all default to no-ops."""

    #: The diagnostic codes this family can emit (documented in docs/diagnostics.md).
    codes: tuple[str, ...] = ()

    def visit_config(self, ctx: Context) -> None:
        """Called once, before anything else."""

    def visit_job(self, ctx: Context, name: str, job: Mapping[str, Any], loc: Loc) -> None:
        """Called for each job definition under ``jobs:``."""

    def visit_step(self, ctx: Context, step: Step, owner: str) -> None:
        """Called for each step of jobs and commands (nested when/unless steps too)."""

    def visit_orb_step(self, ctx: Context, step: Step, owner: str) -> None:
        """Called for each step of an inline orb's jobs and commands (``owner``:
        ``orbs.<alias>.jobs.<name>``). Apart from :meth:`visit_step`: names in an orb
        resolve in the orb (its own commands, its imports), not in the config."""

    def visit_workflow(
        self, ctx: Context, name: str, invocations: list[Invocation], loc: Loc
    ) -> None:
        """Called for each workflow with its normalised job list."""

    def finish(self, ctx: Context) -> None:
        """Called once, after the traversal."""


def config_version(data: Mapping[str, Any]) -> str | None:
    """``"2"``/``"2.0"`` → ``"2.0"``, ``2.1`` → ``"2.1"``; anything else → ``None``."""
    v = data.get("version")
    if v in (2, 2.0, "2", "2.0"):
        return "2.0"
    if v in (2.1, "2.1"):
        return "2.1"
    return None


def invocations(name: str, wf: Mapping[str, Any], loc: Loc) -> list[Invocation]:
    """Normalise a workflow's ``jobs`` list (strings and single-key maps)."""
    jobs = wf.get("jobs")
    out: list[Invocation] = []
    if not isinstance(jobs, list):
        return out
    for i, item in enumerate(jobs):
        iloc = loc + ("jobs", i)
        if isinstance(item, str):
            out.append(Invocation(name, i, item, item, {}, iloc))
        elif isinstance(item, dict) and len(item) >= 1:
            ref = next(iter(item))
            args = item[ref]
            if not isinstance(args, dict):
                args = {}
            given = args.get("name")
            out.append(
                Invocation(
                    name, i, ref, given if isinstance(given, str) else ref, args, iloc, has_map=True
                )
            )
    return out


def iter_steps(steps: Any, loc: Loc) -> Iterable[Step]:
    """Yield each step of a step list, descending into ``when``/``unless`` steps."""
    if not isinstance(steps, list):
        return
    for i, item in enumerate(steps):
        sloc = loc + (i,)
        if isinstance(item, str):
            yield Step(item, None, sloc)
        elif isinstance(item, dict) and item:
            keys = list(item)
            name = keys[0]
            yield Step(name, item[name], sloc, tuple(keys[1:]))
            if name in ("when", "unless") and isinstance(item[name], dict):
                yield from iter_steps(item[name].get("steps"), sloc + (name, "steps"))


def walk(
    data: Mapping[str, Any], source_map: SourceMap, checks: Sequence[Check]
) -> list[Diagnostic]:
    """Run every check over ``data`` in one traversal; return their diagnostics."""
    ctx = Context(data, source_map, config_version(data))
    all_invs = {
        wname: invocations(wname, wf, ("workflows", wname))
        for wname, wf in ctx.workflows.items()
        if wname != "version" and isinstance(wf, dict)
    }
    # A job is compiled when a workflow calls it, directly or through the job group it calls
    # (R2.8); a workflow behind `when`/`unless` may be dropped first, so the jobs only such
    # workflows call are "used" but not unconditionally compiled.
    groups = ctx.section("job-groups")
    members = {
        gname: {inv.ref for inv in invocations("", group, ())}
        for gname, group in groups.items()
        if isinstance(group, dict)
    }
    used: set[str] = set()
    unconditional: set[str] = set()
    aliases = {k: v for k, v in ctx.jobs.items() if isinstance(v, str)}  # `a: b`, `t: o/test`

    def reached(refs: set[str]) -> set[str]:
        """``refs`` and what they bring in: group members, alias targets (transitively, so
        that a nested group or an alias chain, each an error of its own, adds no more)."""
        out: set[str] = set()
        todo = list(refs)
        while todo:
            ref = todo.pop()
            if ref in out:
                continue
            out.add(ref)
            todo.extend(members.get(ref, ()))
            if ref in aliases:
                todo.append(aliases[ref])
        return out

    for wname, invs in all_invs.items():
        wf = ctx.workflows[wname]
        refs = reached({inv.ref for inv in invs})
        used |= refs
        if "when" not in wf and "unless" not in wf:
            unconditional |= refs
    if not ctx.workflows:
        used.add("build")
        unconditional.add("build")
    ctx.used_jobs = frozenset(used)
    ctx.unconditional_jobs = frozenset(unconditional)
    invoked: set[str] = set()
    for section in ("jobs", "commands"):
        for body in ctx.section(section).values():
            if isinstance(body, dict):
                invoked.update(s.name for s in iter_steps(body.get("steps"), ()))
    for invs in all_invs.values():
        for inv in invs:
            for sec in ("pre-steps", "post-steps"):
                invoked.update(s.name for s in iter_steps(inv.args.get(sec), ()))
    ctx.invoked_commands = frozenset(invoked)
    for c in checks:
        c.visit_config(ctx)
    for jname, job in ctx.jobs.items():
        if not isinstance(job, dict):
            continue
        jloc = ("jobs", jname)
        for c in checks:
            c.visit_job(ctx, jname, job, jloc)
        for sec in ("steps",):
            for step in iter_steps(job.get(sec), jloc + (sec,)):
                for c in checks:
                    c.visit_step(ctx, step, f"jobs.{jname}")
    for cname, cmd in ctx.section("commands").items():
        if isinstance(cmd, dict):
            for step in iter_steps(cmd.get("steps"), ("commands", cname, "steps")):
                for c in checks:
                    c.visit_step(ctx, step, f"commands.{cname}")
    for alias, orb in ctx.section("orbs").items():
        if not isinstance(orb, dict):  # a reference (`circleci/node@5`), not an inline orb
            continue
        for sec in ("jobs", "commands"):
            elements = orb.get(sec)
            for ename, el in elements.items() if isinstance(elements, dict) else ():
                if isinstance(el, dict):
                    eloc = ("orbs", alias, sec, ename, "steps")
                    for step in iter_steps(el.get("steps"), eloc):
                        for c in checks:
                            c.visit_orb_step(ctx, step, f"orbs.{alias}.{sec}.{ename}")
    for wname, wf in ctx.workflows.items():
        if wname == "version" or not isinstance(wf, dict):
            continue
        wloc = ("workflows", wname)
        invs = all_invs[wname]
        for c in checks:
            c.visit_workflow(ctx, wname, invs, wloc)
        for inv in invs:
            for sec in ("pre-steps", "post-steps"):
                for step in iter_steps(inv.args.get(sec), inv.loc + (inv.ref, sec)):
                    for c in checks:
                        c.visit_step(ctx, step, f"workflows.{wname}")
    for c in checks:
        c.finish(ctx)
    return ctx.diagnostics
