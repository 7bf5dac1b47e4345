"""The offline 2.1 compiler: ``circleci config process`` without CircleCI's servers.

Order of work (§0.3): pipeline parameters are bound and type-checked; orbs are imported;
workflows are expanded (job-groups, matrices), their jobs named and numbered, ``requires``
resolved, every job compiled (executors merged, commands inlined, conditional steps
decided); finally workflow ``when``/``unless`` drop the workflows that do not run for these
pipeline values. 2.0 configs pass through, normalised to the same shape.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

from ..._gc import gc_paused
from ...diagnostics import Diagnostic, sort_diagnostics
from ...expr import find_template_errors, pipeline_variables, template_reference_spans
from ..sourcemap import SourceMap
from ._context import Abort, Ctx
from ._diag import Loc, Reporter, Source
from ._expand import BUILTIN_STEPS, Expander
from ._limits import MAX_ORB_DEPTH
from ._orbs import KINDS, Element, Namespace, OrbLoader, lookup
from ._params import bind_arguments, parse_declarations
from ._render import Renderer, Scope
from ._result import CompileResult
from ._workflows import KEPT_KEYS, Member, WorkflowCompiler

if TYPE_CHECKING:
    from ..orbs.store import OrbStore

__all__ = ["compile_config"]

_V2 = (2, "2", "2.0")
_V21 = (2.1, "2.1")


def compile_config(
    data: Any,
    *,
    source_map: Optional[SourceMap] = None,
    parameters: Optional[Mapping[str, Any]] = None,
    pipeline_values: Optional[Mapping[str, Any]] = None,
    orb_dir: str | os.PathLike[str] | OrbStore | None = None,
    lint: bool = False,
    orb_pins: Optional[Mapping[str, str]] = None,
) -> CompileResult:
    """Process a loaded config (plain data from the YAML loader) as CircleCI would.

    ``parameters`` are the pipeline parameters a trigger passes; ``pipeline_values`` the
    built-in values (``{"pipeline.git.branch": "main"}``). ``orb_dir`` is the orb store
    (:mod:`workflowcore.config.orbs.store`): a directory (searched after ``.circleci/orbs``
    beside the config), or an :class:`OrbStore`; by default the per-user store.
    ``orb_pins`` maps orb references as written to the version a lock file pinned
    (``{"circleci/node@5": "5.0.3"}``). ``lint=True`` means no trigger
    is known: workflows are never dropped, tags using built-in pipeline values stay as
    written, and everything is still checked.

    Never raises for bad input: problems are diagnostics on the result.
    """
    path = source_map.path if source_map is not None else "<string>"
    config = Source(source_map, path, True)
    if not isinstance(data, dict):
        return CompileResult(None)
    version = data.get("version")
    if version in _V2 and not isinstance(version, bool):
        return _passthrough(data)
    if version not in _V21:
        return CompileResult(None)  # the version check reports it
    # Compiling allocates many small acyclic objects; the cyclic collector's repeated
    # scans of them would dominate a large compile (as for loading: workflowcore._gc, which
    # also leaves it alone inside a load(..., gc_pause=False)).
    with gc_paused():
        def store() -> OrbStore:  # made when a config imports an orb, not before
            from ..orbs.store import as_store

            return as_store(orb_dir, source_map.path if source_map is not None else None)

        return _Compile(
            data, config, parameters, pipeline_values, store, lint, orb_pins or {}
        ).run()


class _Compile:
    def __init__(
        self,
        data: Dict[str, Any],
        config: Source,
        parameters: Optional[Mapping[str, Any]],
        pipeline_values: Optional[Mapping[str, Any]],
        store: Callable[[], OrbStore],
        lint: bool,
        pins: Mapping[str, str],
    ) -> None:
        self.data = data
        self.config = config
        self.parameters = dict(parameters or {})
        self.pipeline_values = dict(pipeline_values or {})
        self.store = store
        self.pins = pins
        self.lint = lint
        self.rep = Reporter()
        self.extra: List[Diagnostic] = []

    def run(self) -> CompileResult:
        try:
            return self._run()
        except Abort:
            return CompileResult(None, self._diagnostics())
        except RecursionError:
            # Only data built in code can nest this deep (the YAML loader bounds depth).
            self.rep.frames = []
            self.rep.report(
                self.config,
                (),
                "config-too-large",
                "The config is nested too deeply to process",
                context=False,
            )
            return CompileResult(None, self._diagnostics())

    def _diagnostics(self) -> List[Diagnostic]:
        return sort_diagnostics([*self.rep.diagnostics, *self.rep.summaries(), *self.extra])

    def _pipeline_parameters(self) -> Tuple[Dict[str, Any], set[str]]:
        decls = parse_declarations(
            self.data.get("parameters"),
            owner="pipeline parameters",
            source=self.config,
            loc=("parameters",),
            reporter=self.rep,
            pipeline=True,
        )
        given = {} if self.lint and not self.parameters else self.parameters
        early = Renderer(self.rep, pipeline_variables(self.pipeline_values, {}), set(), self.lint)
        values = bind_arguments(
            decls,
            given,
            call=None,
            source=self.config,
            loc=("parameters",) if "parameters" in self.data else (),
            reporter=self.rep,
            args_loc=("parameters",),
            render_default=lambda d: early.render(
                d.default, Scope({}, None, True), self.config, (*d.loc, "default")
            ),
        )
        return values, set(decls)

    def _run(self) -> CompileResult:
        data = self.data
        values, declared = self._pipeline_parameters()
        variables = pipeline_variables(self.pipeline_values, values)
        renderer = Renderer(self.rep, variables, declared, self.lint)
        ctx = Ctx(self.rep, renderer, self.config, self.lint, variables)
        root = Namespace("", "config", self.config, (), "", data)
        loader = OrbLoader(
            self.store,
            self.rep,
            self.config,
            lambda s, loc: renderer.render_str(s, Scope(), self.config, loc),
            MAX_ORB_DEPTH,
            self.pins,
        )
        loader.build(root, data.get("orbs"), ("orbs",), None, 0)
        self.extra.extend(loader.extra_diagnostics)
        ex = Expander(ctx, root)
        groups = data.get("job-groups")
        wc = WorkflowCompiler(ctx, ex, root, groups if isinstance(groups, dict) else {})
        wc.check_groups()

        workflows = data.get("workflows")
        # No `setup:` in the processed (version 2) config: CircleCI refuses `setup: true`
        # outside 2.1 ("Version 2.1 is required for Setup workflows"), and processed
        # output must validate as it is (issue 9 item 3). Setup-ness stays a property of
        # the source config.
        out: Dict[str, Any] = {"version": 2}
        if isinstance(workflows, dict):
            self._workflows(wc, workflows, out)
        else:
            self._no_workflows(ex, root, wc, out)
        self._check_definitions(ex, root)
        return CompileResult(out, self._diagnostics(), wc.skipped, ctx.origins, wc.opaque_jobs,
                             dict(values), dict(loader.unavailable), dict(loader.resolved))

    def _workflows(
        self, wc: WorkflowCompiler, workflows: Dict[str, Any], out: Dict[str, Any]
    ) -> None:
        # Workflows a trigger does not run are dropped before anything else: CircleCI
        # does not compile them (a real config whose disabled workflow lacks an argument
        # still runs), so they neither report problems nor take part in numbering.
        per: List[Tuple[str, Dict[str, Any], List[Member]]] = []
        for name, wf in workflows.items():
            if name == "version" or not isinstance(wf, dict):
                continue
            reason = wc.decide(name, wf)
            if reason is not None:
                wc.skipped[name] = reason
                continue
            per.append((name, wf, wc.collect(name, wf)))
        all_members = [m for _, _, ms in per for m in ms]
        wc.number(all_members)
        for name, wf, ms in per:
            wc.check_numbered_names(name, ms)
            wc.report_cycles(wf, ms, wc.resolve_requires(ms))
        wc.compile_members(all_members)
        jobs: Dict[str, Any] = {}
        wout: Dict[str, Any] = {"version": 2}
        origins = wc.ctx.origins
        for name, wf, ms in per:
            entry: Dict[str, Any] = {}
            if self.lint:
                for key in ("when", "unless"):
                    if key in wf:
                        entry[key] = wf[key]
            for key in ("triggers", "max_auto_reruns"):
                if key in wf:
                    entry[key] = wf[key]
            entry["jobs"] = [wc.invocation(m) for m in ms]
            origins[("workflows", name)] = ("workflows", name)
            for j, m in enumerate(ms):
                origins[("workflows", name, "jobs", j)] = m.src_loc
                if m.final in wc.jobs:
                    jobs[m.final] = wc.jobs[m.final]
            wout[name] = entry
        out["jobs"] = jobs
        out["workflows"] = wout

    def _no_workflows(
        self, ex: Expander, root: Namespace, wc: WorkflowCompiler, out: Dict[str, Any]
    ) -> None:
        """No ``workflows``: every job that needs no argument is compiled under its own
        name (R1.2.2's implicit workflow runs ``build``; the planner decides)."""
        jobs: Dict[str, Any] = {}
        for name in root.section("job"):
            found = lookup(root, "job", name)
            el = wc._follow_alias(found, ("jobs", name)) if found is not None else None
            if not isinstance(el, Element) or any(d.required for d in ex.decls(el).values()):
                continue
            values = ex.bind(
                el,
                {},
                call=f"job '{name}'",
                scope=Scope(),
                ns=root,
                source=self.config,
                loc=("jobs", name),
                args_loc=("jobs", name),
            )
            job, locs = ex.compile_job(el, values, pre=None, post=None)
            jobs[name] = job
            wc.ctx.origins[("jobs", name)] = el.ns.source.origin(el.loc)
            for k, sloc in enumerate(locs):
                wc.ctx.origins[("jobs", name, "steps", k)] = sloc
        out["jobs"] = jobs

    # -- definitions nobody used ---------------------------------------------------------
    def _check_definitions(self, ex: Expander, root: Namespace) -> None:
        """Parameter declarations of every config-level element are checked; in lint mode
        unused elements are also checked for undeclared references and unknown commands."""
        spaces = [root, *(ns for ns in root.orbs.values() if ns.kind == "inline")]
        for ns in spaces:
            for kind in KINDS:
                for name, body in ns.section(kind).items():
                    el = Element(kind, name, name, ns, body, (*ns.base, KINDS[kind], name))
                    decls = ex.decls(el)
                    unused = (id(ns), kind, name) not in ex.used
                    if self.lint and unused and isinstance(body, dict):
                        self.rep.demote = (
                            f"a warning, not an error: {kind} '{name}' is "
                            "not used, so CircleCI does not compile it"
                        )
                        try:
                            self._static(ns, decls, body, el.loc)
                        finally:
                            self.rep.demote = None

    def _static(
        self, ns: Namespace, decls: Mapping[str, Any], body: Dict[str, Any], loc: Loc
    ) -> None:
        src = ns.source

        def strings(value: Any, here: Loc) -> None:
            if isinstance(value, str):
                if "<<" in value:
                    self._static_string(value, decls, ns, src, here)
            elif isinstance(value, dict):
                for k, v in value.items():
                    if k != "parameters" or here != loc:
                        strings(v, (*here, k))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    strings(v, (*here, i))

        strings(body, loc)
        self._static_steps(ns, body.get("steps"), (*loc, "steps"))

    def _static_string(
        self, s: str, decls: Mapping[str, Any], ns: Namespace, src: Source, loc: Loc
    ) -> None:
        problems = find_template_errors(s)
        if problems:
            p = problems[0]
            self.rep.report(
                src, loc, "template-invalid", p.message, sub=(p.offset, p.length), text=s
            )
            return
        for ref in template_reference_spans(s):
            if ref.name.startswith("parameters.") and ref.name[11:] not in decls:
                self.rep.report(
                    src,
                    loc,
                    "param-undeclared",
                    "Arguments referenced without declared parameters: " + ref.name,
                    sub=(ref.offset, ref.length),
                    text=s,
                )

    def _static_steps(self, ns: Namespace, steps: Any, loc: Loc) -> None:
        if not isinstance(steps, list):
            return
        for i, step in enumerate(steps):
            if isinstance(step, str):
                name, body = step, None
            elif isinstance(step, dict) and step:
                name, body = next(iter(step.items()))
            else:
                continue
            if not isinstance(name, str) or "<<" in name or name == "steps":
                continue
            if name in ("when", "unless"):
                if isinstance(body, dict):
                    self._static_steps(ns, body.get("steps"), (*loc, i, name, "steps"))
                continue
            if name in BUILTIN_STEPS or lookup(ns, "command", name) is not None:
                continue
            self.rep.report(
                ns.source,
                (*loc, i),
                "command-undefined",
                f"Cannot find a definition for command named {name}",
            )


def _passthrough(data: Dict[str, Any]) -> CompileResult:
    """A 2.0 config: nothing to compile; jobs and workflows normalised to the processed
    shape (``run: cmd`` → ``run: {command: cmd}``, invocations reduced)."""
    out: Dict[str, Any] = {"version": 2}
    origins: Dict[Tuple[Any, ...], Tuple[Any, ...]] = {}
    jobs = data.get("jobs")
    if isinstance(jobs, dict):
        njobs: Dict[str, Any] = {}
        for name, job in jobs.items():
            njobs[name] = _normalise_job(job)
            origins[("jobs", name)] = ("jobs", name)
        out["jobs"] = njobs
    workflows = data.get("workflows")
    if isinstance(workflows, dict):
        wout: Dict[str, Any] = {"version": 2}
        for name, wf in workflows.items():
            if name == "version" or not isinstance(wf, dict):
                continue
            entry = {k: wf[k] for k in ("triggers",) if k in wf}
            items = wf.get("jobs")
            if isinstance(items, list):
                entry["jobs"] = [_reduce(item) for item in items]
                for j in range(len(items)):
                    origins[("workflows", name, "jobs", j)] = ("workflows", name, "jobs", j)
            origins[("workflows", name)] = ("workflows", name)
            wout[name] = entry
        out["workflows"] = wout
    return CompileResult(out, [], {}, origins, set())


def _normalise_job(job: Any) -> Any:
    if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
        return job
    steps = job["steps"]
    if not any(isinstance(s, dict) and isinstance(s.get("run"), str) for s in steps):
        return job
    new = [
        {"run": {"command": s["run"]}}
        if isinstance(s, dict) and len(s) == 1 and isinstance(s.get("run"), str)
        else s
        for s in steps
    ]
    return {**job, "steps": new}


def _reduce(item: Any) -> Any:
    if not isinstance(item, dict) or len(item) != 1:
        return item
    ((name, args),) = item.items()
    if not isinstance(args, dict):
        return name
    # the keys a processed 2.1 invocation keeps, so processing processed output is stable
    keys = {k: args[k] for k in ("requires", *KEPT_KEYS) if k in args}
    if isinstance(keys.get("requires"), str):
        keys["requires"] = [keys["requires"]]
    return {name: keys} if keys else name
