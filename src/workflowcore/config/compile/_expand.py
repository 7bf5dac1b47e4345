"""Expanding jobs: commands inlined, conditional steps decided, steps parameters spliced,
executors merged (R1.4, R1.5, R1.8, R10.5, R10.8).

Each element is expanded in its own lexical scope: its bound parameters, the namespace it
was defined in (an orb's job sees its orb's commands, R10.5.2), and pipeline parameters
only outside orbs. Arguments are rendered in the *caller's* scope; ``steps``-typed
arguments are expanded there too (so a user's command passed into an orb job still
resolves in the user's config) and then spliced as they are.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from ...diagnostics import Severity
from ...expr import ExprError, LogicError, check_logic, evaluate_logic, logic_truthy
from .._vocabulary import BUILTIN_STEPS
from ..checks.steps import REQUIRED_KEYS, is_empty
from ._context import Ctx
from ._diag import Frame, Loc, Source
from ._limits import MAX_COMMAND_DEPTH, MAX_RENDERED_STRING, Abort
from ._logic import lenient_logic
from ._orbs import Element, Namespace, Opaque, lookup
from ._params import RESERVED_JOB_PARAMS, ParamDecl, bind_arguments, parse_declarations
from ._render import Scope

__all__ = ["BUILTIN_STEPS", "ExecMap", "ExecName", "Expander", "Spliced", "StepList"]

_EXECUTOR_KEYS = (
    "docker",
    "machine",
    "macos",
    "windows",
    "resource_class",
    "shell",
    "working_directory",
    "environment",
)
_JOB_SKIP = frozenset({"parameters", "description", "executor", "steps"})
#: Aliases (``a: b``, ``b: c``…) followed before a chain is taken for a cycle.
_MAX_ALIAS_HOPS = 16


class Spliced(List[Any]):
    """Steps already expanded (a ``steps`` argument): spliced, never expanded again.
    ``locs`` are their config origins."""

    locs: List[Loc]


class ExecName(str):
    """An ``executor`` argument given as a name, remembering where it was written."""

    ns: Namespace


class ExecMap(Dict[str, Any]):
    """An ``executor`` argument given as ``{name: …, args…}``, remembering where."""

    ns: Namespace


class StepList:
    """Compiled steps with the config loc each came from (for ``origins``)."""

    __slots__ = ("locs", "steps")

    def __init__(self) -> None:
        self.steps: List[Any] = []
        self.locs: List[Loc] = []

    def add(self, step: Any, loc: Loc) -> None:
        self.steps.append(step)
        self.locs.append(loc)


class Expander:
    """Expands jobs, commands and executors for one compile."""

    def __init__(self, ctx: Ctx, root: Namespace) -> None:
        self.ctx = ctx
        self.r = ctx.renderer
        self.rep = ctx.reporter
        self.root = root
        self._decls: Dict[Tuple[int, str, str], Dict[str, ParamDecl]] = {}
        self._active: List[Tuple[int, str]] = []
        self._memo: Dict[Any, Tuple[StepList, Any]] = {}
        self.used: set[Tuple[int, str, str]] = set()

    # -- declarations and arguments --------------------------------------------------
    def decls(self, el: Element) -> Dict[str, ParamDecl]:
        key = (id(el.ns), el.kind, el.name)
        got = self._decls.get(key)
        if got is None:
            body = el.body if isinstance(el.body, dict) else {}
            frames, self.rep.frames = self.rep.frames, []
            try:
                got = parse_declarations(
                    body.get("parameters"),
                    owner=f"{el.kind} '{el.ref}'",
                    source=el.ns.source,
                    loc=(*el.loc, "parameters"),
                    reporter=self.rep,
                    reserved=RESERVED_JOB_PARAMS if el.kind == "job" else frozenset(),
                )
            finally:
                self.rep.frames = frames
            self._decls[key] = got
        return got

    def bind(
        self,
        el: Element,
        args: Mapping[str, Any],
        *,
        call: str,
        scope: Scope,
        ns: Namespace,
        source: Source,
        loc: Loc,
        args_loc: Loc,
        pre_rendered: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """Bind ``args`` (written at ``args_loc`` of ``source``, in ``scope``/``ns``) to
        ``el``'s parameters; ``pre_rendered`` values (matrix values) are taken as given."""
        decls = self.decls(el)
        given: Dict[str, Any] = {}
        for k, v in args.items():
            d = decls.get(k)
            if pre_rendered is not None and k in pre_rendered:
                given[k] = pre_rendered[k]
            elif (
                d is not None
                and d.type == "steps"
                and (
                    (isinstance(v, list) and not isinstance(v, Spliced))
                    or (isinstance(v, str) and "<<" in v)
                )
            ):
                # Expanded here, in the caller's scope and namespace; spliced as is later.
                given[k] = self.expand_steps(v, scope, ns, source, (*args_loc, k))
            elif d is not None and d.type == "steps":
                given[k] = v  # already expanded, null, or not a list (a type error)
            else:
                given[k] = self.r.render(v, scope, source, (*args_loc, k))
                if given[k] is not v and isinstance(given[k], (dict, list)):
                    # Rendering shares whole-tag values, so a map holding a parameter's
                    # value twice, passed down level after level, is a tree exponentially
                    # larger than its source (issue 10): measure what was built.
                    self._bounded(given[k], source, (*args_loc, k))
            if d is not None and d.type == "executor" and given[k] is not None:
                given[k] = _tag_executor(given[k], ns)
        if pre_rendered is not None:
            for k, v in pre_rendered.items():
                given.setdefault(k, v)

        def default(d: ParamDecl) -> Any:
            dscope = Scope({}, None, el.ns.in_orb)
            if d.type == "steps":
                if d.default is None or isinstance(d.default, Spliced):
                    return d.default
                return self.expand_steps(
                    d.default, dscope, el.ns, el.ns.source, (*d.loc, "default")
                )
            value = self.r.render(d.default, dscope, el.ns.source, (*d.loc, "default"))
            return _tag_executor(value, el.ns) if d.type == "executor" else value

        return bind_arguments(
            decls,
            given,
            call=call,
            source=source,
            loc=loc,
            reporter=self.rep,
            render_default=default,
            args_loc=args_loc,
        )

    def _bounded(self, value: Any, source: Source, loc: Loc) -> None:
        """Stop with ``config-too-large`` when ``value``, written out as a tree, would hold
        more than :data:`MAX_RENDERED_STRING` units (a node or a character each). The walk
        stops as soon as the bound is passed, so it costs at most the bound."""
        left = MAX_RENDERED_STRING
        stack = [value]
        while stack:
            v = stack.pop()
            left -= len(v) + 1 if isinstance(v, str) else 1
            if left < 0:
                self.rep.report(
                    source,
                    loc,
                    "config-too-large",
                    "The processed config is too large: this argument would hold more than "
                    f"{MAX_RENDERED_STRING:,} values and characters; stopping here",
                    hint="look for parameters passed down through commands that repeat them",
                )
                raise Abort
            if isinstance(v, dict):
                stack.extend(v.values())
                stack.extend(v.keys())
            elif isinstance(v, list):
                stack.extend(v)

    # -- elements defined as another element's name ----------------------------------
    def follow_alias(
        self, found: Union[Element, Opaque, None], loc: Loc
    ) -> Union[Element, Opaque, None]:
        """An element defined as a string (``build: orb/build``, ``my-hello: o/hello``,
        ``my-exec: o/base``, as in "Orb concepts") stands for the element it names: its
        parameters and body are that element's. Aliases are followed across orbs; a cycle
        or a name that resolves to nothing is reported at the alias."""
        seen: List[str] = []
        cur = found
        while isinstance(cur, Element) and isinstance(cur.body, str):
            self.used.add((id(cur.ns), cur.kind, cur.name))
            if cur.ref in seen or len(seen) > _MAX_ALIAS_HOPS:
                code = {"job": "job-alias-cycle", "command": "command-cycle"}.get(
                    cur.kind, "executor-invalid"
                )
                self.rep.report(
                    cur.ns.source,
                    cur.loc,
                    code,
                    f"{cur.kind.capitalize()} aliases refer to each other in a cycle: "
                    + " -> ".join([*seen, cur.ref]),
                    context=False,
                )
                return None
            seen.append(cur.ref)
            target = cur.body
            nxt = lookup(cur.ns, cur.kind, target)
            if nxt is None:
                self.rep.report(
                    cur.ns.source,
                    cur.loc,
                    f"{cur.kind}-undefined",
                    f"Cannot find a definition for {cur.kind} named {target}",
                    context=False,
                )
                return None
            cur = nxt
        return cur

    # -- steps -----------------------------------------------------------------------
    def expand_steps(
        self, steps: Any, scope: Scope, ns: Namespace, source: Source, loc: Loc
    ) -> Spliced:
        out = StepList()
        self.expand_into(steps, scope, ns, source, loc, out)
        sp = Spliced(out.steps)
        sp.locs = out.locs
        return sp

    def expand_into(
        self, steps: Any, scope: Scope, ns: Namespace, source: Source, loc: Loc, out: StepList
    ) -> None:
        if isinstance(steps, Spliced):
            # Spliced steps are new steps of the output each time: they count, or a steps
            # value doubled through nested commands grows unbounded (issue 10).
            self.ctx.spend(len(steps), source, loc)
            out.steps.extend(steps)
            out.locs.extend(steps.locs)
            return
        if isinstance(steps, str) and "<<" in steps:
            steps = self.r.render_str(steps, scope, source, loc)
            if isinstance(steps, Spliced):
                self.expand_into(steps, scope, ns, source, loc, out)
                return
        if not isinstance(steps, list):
            return
        for i, step in enumerate(steps):
            self.expand_step(step, scope, ns, source, (*loc, i), out)

    def expand_step(
        self, step: Any, scope: Scope, ns: Namespace, source: Source, loc: Loc, out: StepList
    ) -> None:
        if isinstance(step, str):
            name: Any = step
            body: Any = None
            name_loc = loc
        elif isinstance(step, dict) and step:
            name, body = next(iter(step.items()))
            name_loc = (*loc, name)
        else:
            return  # the schema reports malformed steps
        if isinstance(name, str) and "<<" in name:
            name = self.r.render_str(name, scope, source, loc)
            if isinstance(name, list):  # `- << parameters.steps >>`
                self.expand_into(name, scope, ns, source, loc, out)
                return
        if not isinstance(name, str):
            return
        self.ctx.spend(1, source, loc)
        if name in ("when", "unless"):
            self._conditional(name, body, scope, ns, source, name_loc, out)
            return
        if name == "steps":
            self.expand_into(body, scope, ns, source, name_loc, out)
            return
        found = lookup(ns, "command", name)
        if (
            isinstance(found, Element)
            and "/" not in name
            and name in BUILTIN_STEPS
            and self._active
            and self._active[-1] == (id(found.ns), found.name)
        ):
            found = None  # a command named like a built-in, calling the built-in
        if found is None and name in BUILTIN_STEPS:
            self._builtin(step, name, body, scope, source, loc, name_loc, out)
            return
        if isinstance(found, Element) and isinstance(found.body, str):
            found = self.follow_alias(found, loc)
            if found is None:
                return
        if isinstance(found, Element):
            self.call_command(found, body, scope, ns, source, loc, name_loc, out)
            return
        if isinstance(found, Opaque):
            # Kept as a step of the opaque orb, under the name it has there (an alias
            # `my-hello: o/hello` is printed as `o/hello`).
            rendered = self.r.render(body, scope, source, name_loc)
            if found.ref != name:
                kept: Any = found.ref if rendered is None else {found.ref: rendered}
            elif rendered is None:
                kept = name
            elif rendered is body and isinstance(step, dict) and len(step) == 1:
                kept = step
            else:
                kept = {name: rendered}
            out.add(kept, source.origin(loc))
            return
        self._unknown("command", name, ns, source, loc)

    def _unknown(self, kind: str, name: str, ns: Namespace, source: Source, loc: Loc) -> None:
        hint = None
        if "/" in name:
            alias = name.split("/", 1)[0]
            if alias not in ns.orbs and not (ns.parent and alias in ns.parent.orbs):
                hint = f"no orb '{alias}' is imported here; declare it under 'orbs:'"
            else:
                hint = f"orb '{alias}' has no {kind} named '{name.split('/', 1)[1]}'"
        elif ns.kind != "config":
            hint = f"inside {ns.describe()}, only its own {kind}s and built-ins are visible"
        self.rep.report(
            source,
            loc,
            f"{kind}-undefined",
            f"Cannot find a definition for {kind} named {name}",
            hint=hint,
        )

    def _builtin(
        self,
        step: Any,
        name: str,
        body: Any,
        scope: Scope,
        source: Source,
        loc: Loc,
        name_loc: Loc,
        out: StepList,
    ) -> None:
        rendered = self.r.render(body, scope, source, name_loc)
        if name == "run" and rendered is not body and not self.ctx.lint:
            command = rendered.get("command") if isinstance(rendered, dict) else rendered
            if command is None or (isinstance(command, str) and not command.strip()):
                # Written with a template, empty once rendered for this trigger (`run: <<
                # pipeline.git.branch >>` on a tag): the processed step has no command,
                # which the processed config refuses (a fuzz finding: compile said nothing).
                self.rep.report(
                    source,
                    name_loc if not isinstance(body, dict) else (*name_loc, "command"),
                    "step-empty",
                    "this 'run' step has no command once its template is rendered for this "
                    "trigger (it renders empty)",
                    hint="give the command a default, e.g. << pipeline.git.branch or "
                    '"none" >>, or guard the step with `when`',
                )
        if (name == "run" and isinstance(body, dict) and isinstance(rendered, dict)
                and rendered is not body and isinstance(body.get("when"), str)
                and "<<" in body["when"]):
            when = rendered.get("when")
            if isinstance(when, str) and "<<" not in when and when not in _STEP_WHEN:
                # Written with a template, which the schema accepts; rendered, it is no
                # step condition, and the processed config refuses it (a fuzz finding).
                self.rep.report(
                    source,
                    (*name_loc, "when"),
                    "schema-value",
                    f"this run step's 'when' renders to {when!r}; it should be "
                    "on_success, always or on_fail",
                    hint="pass one of on_success, always, on_fail to the parameter",
                )
        required = REQUIRED_KEYS.get(name)
        if (required is not None and rendered is not body and not self.ctx.lint
                and isinstance(body, dict) and isinstance(rendered, dict)):
            emptied = [k for k in required[0]
                       if not is_empty(body.get(k)) and is_empty(rendered.get(k))]
            if emptied:
                # Written with a template, empty once rendered for this trigger (`at: <<
                # pipeline.git.tag >>` on a branch): the processed config refuses the step
                # (a fuzz finding, as for `run` above).
                self.rep.report(
                    source,
                    (*name_loc, emptied[0]),
                    "step-empty",
                    f"'{name}' needs {required[1]}; {', '.join(emptied)} renders empty for "
                    "this trigger",
                    hint="give the template a default, e.g. << pipeline.git.tag or "
                    '"none" >>, or guard the step with `when`',
                )
        if name == "run" and isinstance(rendered, str):
            out.add({"run": {"command": rendered}}, source.origin(loc))
        elif rendered is None:
            out.add(name, source.origin(loc))
        elif rendered is body and isinstance(step, dict) and len(step) == 1:
            out.add(step, source.origin(loc))
        else:
            out.add({name: rendered}, source.origin(loc))

    def _conditional(
        self,
        kind: str,
        body: Any,
        scope: Scope,
        ns: Namespace,
        source: Source,
        loc: Loc,
        out: StepList,
    ) -> None:
        if not isinstance(body, dict):
            return
        before = self.r.deferred
        cond = self.r.render(body.get("condition"), scope, source, (*loc, "condition"))
        steps = body.get("steps")
        if not isinstance(cond, dict) and self.r.deferred == before:
            # A literal (the common `condition: << parameters.x >>`): just its truth.
            self._branch(kind, logic_truthy(cond), steps, scope, ns, source, loc, out)
            return
        cond = lenient_logic(
            cond,
            (*loc, "condition"),
            lambda at, msg: self.rep.report(
                source, at, "expr-logic-literal", msg, severity=Severity.WARNING
            ),
        )
        problems = check_logic(cond)
        for p in problems:
            self.rep.report(source, (*loc, "condition", *p.loc), "expr-logic-invalid", p.message)
        if problems:
            return
        if self.r.deferred > before:
            # Lint mode, condition depends on the trigger: keep the step, expand inside.
            inner = self.expand_steps(steps, scope, ns, source, (*loc, "steps"))
            out.add({kind: {"condition": cond, "steps": list(inner)}}, source.origin(loc))
            return
        try:
            truth = evaluate_logic(cond)
        except (LogicError, ExprError) as exc:
            self.rep.report(source, (*loc, "condition"), "expr-logic-invalid", str(exc))
            return
        self._branch(kind, truth, steps, scope, ns, source, loc, out)

    def _branch(
        self,
        kind: str,
        truth: bool,
        steps: Any,
        scope: Scope,
        ns: Namespace,
        source: Source,
        loc: Loc,
        out: StepList,
    ) -> None:
        """Expand a conditional step's ``steps`` when its condition says so."""
        if kind == "unless":
            truth = not truth
        if truth:
            self.expand_into(steps, scope, ns, source, (*loc, "steps"), out)
        elif self.ctx.lint:
            # Lint: the skipped branch is still checked (its output is dropped); what it
            # finds can only fail other parameter values, so it is a warning.
            saved = self.rep.demote
            self.rep.demote = saved or (
                "a warning, not an error: these steps are skipped "
                f"here, the {kind} condition being "
                f"{'true' if kind == 'unless' else 'false'}"
            )
            try:
                self.expand_into(steps, scope, ns, source, (*loc, "steps"), StepList())
            finally:
                self.rep.demote = saved

    def call_command(
        self,
        el: Element,
        args: Any,
        scope: Scope,
        ns: Namespace,
        source: Source,
        loc: Loc,
        name_loc: Loc,
        out: StepList,
    ) -> None:
        key = (id(el.ns), el.name)
        self.used.add((id(el.ns), "command", el.name))
        if key in self._active:
            chain = [n for (_, n) in self._active[self._active.index(key) :]] + [el.name]
            self.rep.report(
                source,
                loc,
                "command-cycle",
                f"Command '{el.ref}' invokes itself: " + " -> ".join(chain),
            )
            return
        if len(self._active) >= MAX_COMMAND_DEPTH:
            self.rep.report(
                source,
                loc,
                "command-too-deep",
                f"Commands are nested more than {MAX_COMMAND_DEPTH} levels deep",
            )
            return
        values = self.bind(
            el,
            args if isinstance(args, dict) else {},
            call=f"command '{el.ref}'",
            scope=scope,
            ns=ns,
            source=source,
            loc=name_loc if isinstance(args, dict) else loc,
            args_loc=name_loc,
        )
        # The same command with the same arguments expands to the same steps: reuse them.
        # This keeps a command tree that doubles at every level linear in work until the
        # size budget stops it. Only clean expansions are kept (a cycle found below
        # depends on the calling context).
        memo_key = _memo_key(el, values, self.rep.demote is not None)
        hit = self._memo.get(memo_key) if memo_key is not None else None
        if hit is not None:
            self.ctx.spend(len(hit[0].steps), source, loc)
            out.steps.extend(hit[0].steps)
            out.locs.extend(hit[0].locs)
            return
        body = el.body if isinstance(el.body, dict) else {}
        mine = StepList()
        before = len(self.rep.diagnostics)
        self.rep.frames.append(Frame("command", el.ref, source, loc))
        self._active.append(key)
        try:
            self.expand_into(
                body.get("steps"),
                Scope(values, None, el.ns.in_orb),
                el.ns,
                el.ns.source,
                (*el.loc, "steps"),
                mine,
            )
        finally:
            self._active.pop()
            self.rep.frames.pop()
        out.steps.extend(mine.steps)
        out.locs.extend(mine.locs)
        if memo_key is not None and len(self.rep.diagnostics) == before:
            self._memo[memo_key] = (mine, values)

    # -- executors -------------------------------------------------------------------
    def executor(
        self, value: Any, ns: Namespace, source: Source, loc: Loc
    ) -> Union[Dict[str, Any], Opaque, None]:
        """The keys an ``executor:`` value contributes to a job (``value`` rendered)."""
        if isinstance(value, (ExecName, ExecMap)):
            ns = value.ns
        if isinstance(value, str):
            name, args, args_loc = str(value), {}, loc
        elif isinstance(value, dict) and isinstance(value.get("name"), str):
            name = value["name"]
            args = {k: v for k, v in value.items() if k != "name"}
            args_loc = loc
        else:
            self.rep.report(
                source,
                loc,
                "executor-invalid",
                "An executor is given by name, or as a mapping with 'name' and its parameters",
            )
            return None
        found = lookup(ns, "executor", name)
        if found is None:
            self._unknown("executor", name, ns, source, loc)
            return None
        if isinstance(found, Element) and isinstance(found.body, str):
            found = self.follow_alias(found, loc)
            if found is None:
                return None
        if isinstance(found, Opaque):
            return found
        self.used.add((id(found.ns), "executor", found.name))
        # Arguments were rendered with the job already; bind them as they are.
        values = bind_arguments(
            self.decls(found),
            args,
            call=f"executor '{found.ref}'",
            source=source,
            loc=loc,
            reporter=self.rep,
            render_default=lambda d: self.r.render(
                d.default, Scope({}, None, found.ns.in_orb), found.ns.source, (*d.loc, "default")
            ),
            args_loc=args_loc,
        )
        body = found.body if isinstance(found.body, dict) else {}
        escope = Scope(values, None, found.ns.in_orb)
        self.rep.frames.append(Frame("executor", found.ref, source, loc))
        try:
            return {
                k: self.r.render(v, escope, found.ns.source, (*found.loc, k))
                for k, v in body.items()
                if k not in ("parameters", "description")
            }
        finally:
            self.rep.frames.pop()

    # -- jobs ------------------------------------------------------------------------
    def compile_job(
        self,
        el: Element,
        values: Dict[str, Any],
        *,
        pre: Optional[Spliced],
        post: Optional[Spliced],
    ) -> Tuple[Dict[str, Any], List[Loc]]:
        """The processed job for bound parameter ``values``; with its steps' origins."""
        self.used.add((id(el.ns), "job", el.name))
        body = el.body if isinstance(el.body, dict) else {}
        src = el.ns.source
        scope = Scope(values, None, el.ns.in_orb)
        job: Dict[str, Any] = {}
        ex = body.get("executor")
        merged: Union[Dict[str, Any], Opaque, None] = None
        if ex is not None:
            exr = self.r.render(ex, scope, src, (*el.loc, "executor"))
            merged = self.executor(exr, el.ns, src, (*el.loc, "executor"))
            if isinstance(merged, Opaque) or merged is None:
                job["executor"] = _plain_executor(exr)
                if isinstance(merged, Opaque):
                    job["executor"] = _renamed_executor(job["executor"], merged.ref)
        own = {
            k: self.r.render(v, scope, src, (*el.loc, k))
            for k, v in body.items()
            if k not in _JOB_SKIP
        }
        if isinstance(merged, dict):
            env_e, env_j = merged.get("environment"), own.get("environment")
            job.update(merged)
            job.update(own)
            if isinstance(env_e, dict) and isinstance(env_j, dict):
                job["environment"] = {**env_e, **env_j}
            if not any(k in job for k in _RUNTIME_KEYS) and body.get("type") in (None, "build"):
                # the executor names no runtime and the job adds none: the processed job
                # would say nowhere to run (a fuzz finding: load was silent)
                self.rep.report(
                    src, (*el.loc, "executor"), "executor-missing",
                    f"job '{el.name}' runs on executor '{_plain_executor(exr)}', which does "
                    "not say where it runs (no docker, machine or macos), and the job adds "
                    "none",
                    hint="give the executor 'docker: [{image: cimg/base:stable}]', "
                    "'machine: true' or 'macos: ...'",
                )
        else:
            job.update(own)
            if (ex is None and el.ns.in_orb and body.get("type") in (None, "build")
                    and not any(k in job for k in _RUNTIME_KEYS)):
                # An orb's job naming no executor and no runtime: the checks look at the
                # config's own jobs only, and the processed job said nowhere to run (a fuzz
                # finding: an inline orb's `job: {}`).
                self.rep.report(
                    src, el.loc, "executor-missing",
                    f"job '{el.name}' of {el.ns.describe()} does not say where it runs",
                    hint="add 'docker: [{image: cimg/base:stable}]', 'machine: true', "
                    "'macos: ...' or 'executor: <name>' to the orb's job",
                )
        out = StepList()
        if pre:
            self.expand_into(pre, scope, el.ns, src, (), out)
        if "steps" in body:
            self.expand_into(body.get("steps"), scope, el.ns, src, (*el.loc, "steps"), out)
        if post:
            self.expand_into(post, scope, el.ns, src, (), out)
        # Always present: a job with no steps (or whose steps all vanish in conditions)
        # is printed `steps: []`, as `circleci config process` prints it.
        job["steps"] = out.steps
        return job, out.locs


_RUNTIME_KEYS = ("docker", "machine", "macos", "windows")
_STEP_WHEN = ("on_success", "always", "on_fail")


def _tag_executor(value: Any, ns: Namespace) -> Any:
    if isinstance(value, (ExecName, ExecMap)):
        return value
    if isinstance(value, str):
        tagged: Any = ExecName(value)
    elif isinstance(value, dict):
        tagged = ExecMap(value)
    else:
        return value
    tagged.ns = ns
    return tagged


def _plain_executor(value: Any) -> Any:
    if isinstance(value, ExecName):
        return str(value)
    if isinstance(value, ExecMap):
        return dict(value)
    return value


def _renamed_executor(value: Any, ref: str) -> Any:
    """An executor value naming ``ref`` instead (an alias of an opaque orb executor)."""
    if isinstance(value, dict):
        return {**value, "name": ref}
    return ref if isinstance(value, str) else value


def _memo_key(el: Element, values: Mapping[str, Any], demoted: bool) -> Optional[Any]:
    """A hashable key for a command call, or ``None`` when an argument cannot be keyed."""
    try:
        frozen = tuple((k, _freeze(v)) for k, v in values.items())
    except _Unkeyable:
        return None
    return (id(el.ns), el.name, demoted, frozen)


class _Unkeyable(Exception):
    pass


def _freeze(v: Any) -> Any:
    # Spliced and executor values are keyed by identity (the memo keeps them alive).
    if isinstance(v, (Spliced, ExecName, ExecMap)):
        return ("id", id(v))
    if v is None or isinstance(v, (str, bool, int, float)):
        return (type(v), v)
    if isinstance(v, list):
        return ("list", tuple(_freeze(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple((k, _freeze(x)) for k, x in v.items()))
    raise _Unkeyable
