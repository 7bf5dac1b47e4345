"""Workflows: invocations expanded into the processed job list (R2.2, R2.5, R2.7, R2.9,
R10.7).

Every workflow's invocations become *members*: one per plain invocation, one per surviving
matrix combination, and for a job-group its jobs plus a synthetic entry and exit job.
Members are then numbered across the whole config (R2.5.1: a name used more than once
becomes ``name-1``, ``name-2``, … in config order), ``requires`` are resolved within
each workflow (a matrix alias or job-group name stands for all its jobs), jobs are
compiled, and workflow ``when``/``unless`` decide which workflows remain.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional, Tuple, Union

import yaml

from ..._record import Record
from ...diagnostics import Severity
from ...expr import (
    ExprError,
    LogicError,
    check_logic,
    evaluate_bool,
    evaluate_logic,
    is_pipeline_value,
    parse_expression,
    template_string,
)
from .._suggest import did_you_mean
from .._vocabulary import INVOCATION_KEYS
from ..checks.requires import find_cycles
from ._context import Ctx
from ._diag import Frame, Loc
from ._expand import Expander, Spliced
from ._limits import MAX_MATRIX_JOBS
from ._logic import lenient_logic
from ._matrix import combination_count, matrix_combinations, matrix_member_name
from ._orbs import Element, Namespace, Opaque, lookup
from ._render import Scope

__all__ = ["Member", "WorkflowCompiler"]

#: Invocation keys that are not job arguments.
_INVOCATION_KEYS = INVOCATION_KEYS
#: Invocation keys kept in the processed workflow (R10.9.1 + serial-group for planning).
#: The invocation keys a processed workflow keeps (besides ``requires``).
KEPT_KEYS = ("context", "filters", "type", "serial-group")
_GROUP_KEYS = frozenset({"name", "requires", "filters", "serial-group"})


class Member(Record):
    """One job of a processed workflow, before and after naming. ``group`` and
    ``group_name``: the job-group it was expanded from, and its name inside the group."""

    __slots__ = ("workflow", "src_loc", "ref", "base", "kept", "requires", "approval",
                 "element", "values", "pre", "post", "synthetic", "cacheable", "final",
                 "aliases", "ref_loc", "demote", "group", "group_name")

    def __init__(self, workflow: str, src_loc: Loc, ref: str, base: str, *,
                 approval: bool = False, element: Union[Element, Opaque, None] = None,
                 synthetic: Optional[Dict[str, Any]] = None, ref_loc: Loc = (),
                 aliases: Tuple[str, ...] = ()) -> None:
        self.workflow = workflow
        self.src_loc = src_loc
        self.ref = ref
        self.base = base
        self.kept: Dict[str, Any] = {}
        self.requires: List[Any] = []
        self.approval = approval
        self.element = element
        self.values: Optional[Dict[str, Any]] = None
        self.pre: Optional[Spliced] = None
        self.post: Optional[Spliced] = None
        self.synthetic = synthetic
        self.cacheable = False
        self.final = ""
        self.aliases = aliases
        self.ref_loc = ref_loc
        self.demote: Optional[str] = None
        self.group: Optional[str] = None
        self.group_name = ""


class WorkflowCompiler:
    """Expands, names and compiles every workflow of a 2.1 config."""

    def __init__(self, ctx: Ctx, ex: Expander, root: Namespace, job_groups: Dict[str, Any]) -> None:
        self.ctx = ctx
        self.ex = ex
        self.r = ctx.renderer
        self.rep = ctx.reporter
        self.root = root
        self.src = ctx.config
        self.job_groups = job_groups
        self.jobs: Dict[str, Any] = {}
        self.opaque_jobs: set[str] = set()
        self.skipped: Dict[str, str] = {}

    # -- collecting members ----------------------------------------------------------
    def collect(self, name: str, wf: Dict[str, Any]) -> List[Member]:
        members: List[Member] = []
        jobs = wf.get("jobs")
        if not isinstance(jobs, list):
            return members
        demote = None
        if self.ctx.lint and ("when" in wf or "unless" in wf):
            demote = (
                f"a warning, not an error: workflow '{name}' has a when/unless "
                "condition, so this only fails pipelines that run it"
            )
        self.rep.demote = demote
        try:
            self._duplicates(jobs, ("workflows", name, "jobs"), f"workflow '{name}'", True)
            for i, item in enumerate(jobs):
                members.extend(self._invocation(name, item, ("workflows", name, "jobs", i), None))
        finally:
            self.rep.demote = None
        for m in members:
            m.demote = demote
        return members

    def check_groups(self) -> None:
        """Every job-group definition, used or not (CircleCI refuses them at compile
        time, R2.9.1): no group inside a group, no job twice without distinct names."""
        for g, gdef in self.job_groups.items():
            gjobs = gdef.get("jobs") if isinstance(gdef, dict) else None
            if not isinstance(gjobs, list):
                continue
            base: Loc = ("job-groups", g, "jobs")
            self._duplicates(gjobs, base, f"job group '{g}'", False)
            for i, item in enumerate(gjobs):
                split = self._split(item, (*base, i))
                if split is not None and self._is_group(split[0]):
                    self._nested(g, split[0], split[2])

    def _is_group(self, ref: str) -> bool:
        return ref in self.job_groups and not isinstance(lookup(self.root, "job", ref), Element)

    def _nested(self, group: str, ref: str, ref_loc: Loc) -> None:
        self.rep.report(
            self.src,
            ref_loc,
            "job-group-nested",
            f'Job group "{group}" cannot reference job group "{ref}" -- nesting is not supported',
            key=True,
        )

    def _duplicates(self, items: List[Any], base: Loc, where: str, groups: bool) -> None:
        """Invocations sharing a name: job-groups in a workflow (``groups``), or jobs in
        a job group. Their names prefix (or are) the expanded jobs' names, so CircleCI
        refuses them rather than numbering them (R2.9.1; LS messages)."""
        seen: Dict[str, List[Loc]] = {}
        for i, item in enumerate(items):
            split = self._split(item, (*base, i))
            if split is None:
                continue
            ref, args, ref_loc, args_loc = split
            if "matrix" in args or self._is_group(ref) != groups:
                continue
            name = args.get("name")
            key = name if isinstance(name, str) else ref
            at = (*args_loc, "name") if isinstance(name, str) else ref_loc
            seen.setdefault(key, []).append(at)
        for key, locs in seen.items():
            if len(locs) < 2:
                continue
            if groups:
                message = (
                    f"Job-group '{key}' occurs {len(locs)} times in {where}. You can give "
                    "a job-group an explicit name by adding a `name` key"
                )
            else:
                message = (
                    f"Job '{key}' occurs {len(locs)} times in {where}. You can give a job "
                    "within a job group an explicit name by adding a `name` key"
                )
            for at in locs:
                self.rep.report(self.src, at, "job-group-duplicate", message, key=True)

    def _split(self, item: Any, loc: Loc) -> Optional[Tuple[str, Dict[str, Any], Loc, Loc]]:
        if isinstance(item, str):
            ref: Any = item
            args: Any = {}
            ref_loc, args_loc = loc, loc
        elif isinstance(item, dict) and item:
            ref, args = next(iter(item.items()))
            ref_loc, args_loc = (*loc, ref), (*loc, ref)
            if not isinstance(args, dict):
                args = {}
        else:
            return None
        if isinstance(ref, str) and "<<" in ref:
            ref = self.r.render_str(ref, Scope(), self.src, loc)
        if not isinstance(ref, str):
            return None
        return ref, args, ref_loc, args_loc

    def _invocation(self, wname: str, item: Any, loc: Loc, group: Optional[str]) -> List[Member]:
        split = self._split(item, loc)
        if split is None:
            return []
        ref, args, ref_loc, args_loc = split
        is_group = self._is_group(ref)
        if ref in self.job_groups and not is_group:
            self.rep.report(
                self.src,
                ref_loc,
                "job-group-conflict",
                f"'{ref}' names both a job and a job-group",
                key=True,
                hint="rename one of them; the job is used here",
            )
        if is_group:
            # `type: approval` on a group invocation is reported by _group (LS: "Job group
            # invocations do not support use of `type`"), never read as an approval job.
            if group is not None:
                self._nested(group, ref, ref_loc)
                return []
            return self._group(wname, ref, args, loc, ref_loc, args_loc)
        return self._job_members(wname, ref, args, loc, ref_loc, args_loc)

    def _job_members(
        self, wname: str, ref: str, args: Dict[str, Any], loc: Loc, ref_loc: Loc, args_loc: Loc
    ) -> List[Member]:
        approval = args.get("type") == "approval"
        element: Union[Element, Opaque, None] = None
        if not approval:
            element = self._resolve_job(ref, args, ref_loc, args_loc)
        matrix = args.get("matrix")
        if matrix is not None:
            combos, alias = self._matrix(matrix, ref, (*args_loc, "matrix"))
        else:
            combos, alias = [None], ""
        name_raw = args.get("name")
        uses_matrix = isinstance(name_raw, str) and "matrix." in name_raw and "<<" in name_raw
        plain = {k: v for k, v in args.items() if k not in _INVOCATION_KEYS}
        out: List[Member] = []
        for idx, combo in enumerate(combos):
            scope = Scope(None, combo, False)
            name = None
            if name_raw is not None:
                rendered = self.r.render(name_raw, scope, self.src, (*args_loc, "name"))
                name = rendered if isinstance(rendered, str) else str(rendered)
            if combo is None:
                base = name if name is not None else ref
            else:
                base = matrix_member_name(ref, name, uses_matrix, combo, idx, len(combos))
            m = Member(wname, loc, ref, base, approval=approval, element=element, ref_loc=ref_loc)
            m.requires = self._requires(args, scope, args_loc)
            for key in KEPT_KEYS:
                if key in args:
                    m.kept[key] = self.r.render(args[key], scope, self.src, (*args_loc, key))
            if "type" in m.kept:
                self._rendered_type(args["type"], m.kept["type"], args_loc)
            if combo is not None:
                m.aliases = tuple(
                    dict.fromkeys(a for a in (alias, name if not uses_matrix else None) if a)
                )
            if not approval and element is not None:
                self._bind(m, element, plain, combo, scope, args, ref_loc, args_loc)
            self.ctx.spend(1, self.src, loc)
            out.append(m)
        return out

    def _bind(
        self,
        m: Member,
        element: Union[Element, Opaque],
        plain: Dict[str, Any],
        combo: Optional[Dict[str, Any]],
        scope: Scope,
        args: Dict[str, Any],
        ref_loc: Loc,
        args_loc: Loc,
    ) -> None:
        for key, attr in (("pre-steps", "pre"), ("post-steps", "post")):
            if args.get(key) is not None:
                setattr(
                    m,
                    attr,
                    self.ex.expand_steps(args[key], scope, self.root, self.src, (*args_loc, key)),
                )
        if isinstance(element, Opaque):
            given = {k: self.r.render(v, scope, self.src, (*args_loc, k)) for k, v in plain.items()}
            if combo:
                given.update(combo)
            m.values = given
            return
        m.values = self.ex.bind(
            element,
            plain,
            call=f"job '{m.ref}'",
            scope=scope,
            ns=self.root,
            source=self.src,
            loc=ref_loc,
            args_loc=args_loc,
            # A matrix parameter called `name` names the member (R10.7.5); like the
            # invocation's own `name:` it is not a job argument.
            pre_rendered=None if combo is None else {k: v for k, v in combo.items() if k != "name"},
        )
        m.cacheable = not plain and combo is None and m.pre is None and m.post is None

    def _resolve_job(
        self, ref: str, args: Dict[str, Any], ref_loc: Loc, args_loc: Loc
    ) -> Union[Element, Opaque, None]:
        ow = args.get("override-with")
        if isinstance(ow, str):
            found = lookup(self.root, "job", ow)
            if found is not None:
                return self._follow_alias(found, (*args_loc, "override-with"))
        found = lookup(self.root, "job", ref)
        if found is None:
            hint = None
            if lookup(self.root, "command", ref) is not None:
                hint = f"{ref} is a command, not a job: a workflow runs jobs"
            self.rep.report(
                self.src,
                ref_loc,
                "job-undefined",
                f"Cannot find a definition for job named {ref}",
                key=True,
                hint=hint,
                context=False,
            )
            return None
        return self._follow_alias(found, ref_loc)

    def _follow_alias(
        self, found: Union[Element, Opaque], loc: Loc
    ) -> Union[Element, Opaque, None]:
        """A job defined as a string (``build: orb/build``) stands for that job."""
        return self.ex.follow_alias(found, loc)

    def _requires(self, args: Dict[str, Any], scope: Scope, args_loc: Loc) -> List[Any]:
        raw = args.get("requires")
        if raw is None:
            return []
        rendered = self.r.render(raw, scope, self.src, (*args_loc, "requires"))
        if isinstance(rendered, (str, dict)):
            rendered = [rendered]  # a scalar `requires: build` (R2.3.6) reads as a list
        return list(rendered) if isinstance(rendered, list) else []

    def _matrix(
        self, matrix: Any, ref: str, loc: Loc
    ) -> Tuple[List[Optional[Dict[str, Any]]], str]:
        alias = ref
        if isinstance(matrix, dict) and matrix.get("alias") is not None:
            a = self.r.render(matrix["alias"], Scope(), self.src, (*loc, "alias"))
            alias = a if isinstance(a, str) else str(a)
        params = matrix.get("parameters") if isinstance(matrix, dict) else None
        if not isinstance(params, dict) or not params:
            self.rep.report(
                self.src,
                loc,
                "matrix-invalid",
                "A matrix needs 'parameters': a mapping of parameter names to lists of values",
                key=True,
            )
            return [], alias
        rendered = self.r.render(params, Scope(), self.src, (*loc, "parameters"))
        plist: List[Tuple[str, List[Any]]] = []
        for p, values in rendered.items():
            if values is None:
                self.rep.report(
                    self.src,
                    (*loc, "parameters", p),
                    "matrix-empty",
                    f"Matrix parameter '{p}' is null; the matrix will produce 0 jobs",
                    severity=Severity.WARNING,
                )
                return [], alias
            if not isinstance(values, list):
                self.rep.report(
                    self.src,
                    (*loc, "parameters", p),
                    "matrix-invalid",
                    f"Matrix parameter '{p}' must be a list of values",
                )
                return [], alias
            plist.append((p, values))
        count = combination_count(plist)
        if count > MAX_MATRIX_JOBS:
            self.rep.report(
                self.src,
                loc,
                "matrix-too-large",
                f"The {alias} build matrix expands to {count} jobs. Matrices "
                f"cannot generate more than {MAX_MATRIX_JOBS} jobs.",
                key=True,
            )
            return [], alias
        excl_raw = matrix.get("exclude")
        excludes: List[Dict[str, Any]] = []
        if excl_raw is not None:
            excl = self.r.render(excl_raw, Scope(), self.src, (*loc, "exclude"))
            if isinstance(excl, list):
                excludes = [e for e in excl if isinstance(e, dict)]
        combos = matrix_combinations(plist, excludes)
        if not combos:
            self.rep.report(
                self.src,
                loc,
                "matrix-empty",
                "Every combination of this matrix is excluded; it produces 0 jobs",
                severity=Severity.WARNING,
                key=True,
            )
        return list(combos), alias

    # -- job-groups ------------------------------------------------------------------
    def _group(
        self, wname: str, gref: str, args: Dict[str, Any], loc: Loc, ref_loc: Loc, args_loc: Loc
    ) -> List[Member]:
        for k in args:
            if k not in _GROUP_KEYS:
                self.rep.report(
                    self.src,
                    (*args_loc, k),
                    "job-group-invalid",
                    f"'{k}' is not allowed on a job-group invocation; only "
                    "name, requires, filters and serial-group are",
                    key=True,
                )
        gname = gref
        if args.get("name") is not None:
            n = self.r.render(args["name"], Scope(), self.src, (*args_loc, "name"))
            gname = n if isinstance(n, str) else str(n)
        gdef = self.job_groups.get(gref)
        gjobs = gdef.get("jobs") if isinstance(gdef, dict) else None
        inner: List[Member] = []
        if isinstance(gjobs, list):
            for gi, item in enumerate(gjobs):
                inner.extend(self._invocation(wname, item, ("job-groups", gref, "jobs", gi), gref))
        serial = "serial-group" in args
        scope = Scope()
        entry = Member(
            wname,
            loc,
            gref,
            f"{gname}-start",
            ref_loc=ref_loc,
            synthetic={"type": "lock" if serial else "no-op"},
        )
        entry.requires = self._requires(args, scope, args_loc)
        for key in ("filters", "serial-group"):
            if key in args:
                entry.kept[key] = self.r.render(args[key], scope, self.src, (*args_loc, key))
        local = {m.base for m in inner} | {a for m in inner for a in m.aliases}
        required: set[str] = set()
        for m in inner:
            for req in m.requires:
                rname, _ = _req_parts(req)
                if rname is not None and rname in local:
                    required.add(rname)
                elif rname is not None and "<<" not in rname:
                    self._foreign_requirement(gref, rname, m)
        leaves = [m.base for m in inner if m.base not in required and not set(m.aliases) & required]
        for m in inner:
            m.group, m.group_name = gref, m.base
            m.base = f"{gname}-{m.base}"
            m.aliases = tuple(f"{gname}-{a}" for a in m.aliases)
            rewritten = []
            for req in m.requires:
                rname, status = _req_parts(req)
                if rname is not None and rname in local:
                    rname = f"{gname}-{rname}"
                    req = rname if status is None else {rname: status}
                rewritten.append(req)
            m.requires = rewritten or [entry.base]
        exit_ = Member(
            wname,
            loc,
            gref,
            f"{gname}-end",
            ref_loc=ref_loc,
            synthetic={"type": "no-op"},
            aliases=(gname,),
        )
        ends = [f"{gname}-{b}" for b in dict.fromkeys(leaves)] or [entry.base]
        exit_.requires = list(ends)
        if not serial:
            self.ctx.spend(2 + len(inner), self.src, loc)
            return [entry, *inner, exit_]
        # A serial group releases its lock whatever its members' outcome (a failed member
        # must not hold the lock forever): the unlock job accepts every terminal status of
        # the leaves (not_run cascades, so a failure anywhere reaches them). `<g>-end` still
        # requires success, so what requires the group does not run after a failure and
        # the group ends not_run (R2.9.2).
        unlock = Member(
            wname,
            loc,
            gref,
            f"{gname}-unlock",
            ref_loc=ref_loc,
            synthetic={"type": "unlock"},
        )
        unlock.requires = [{e: "terminal"} for e in ends]
        unlock.kept["serial-group"] = entry.kept["serial-group"]
        self.ctx.spend(3 + len(inner), self.src, loc)
        return [entry, *inner, exit_, unlock]

    def _rendered_type(self, written: Any, rendered: Any, args_loc: Loc) -> None:
        """A templated ``type:`` is left to the compiler by the checks (they cannot know
        its value): one that renders to anything but ``approval`` for this trigger is what
        the processed config refuses. (A fuzz finding: ``type: << pipeline.git.branch >>``
        compiled without a word, and the processed config failed approval-type-invalid.)"""
        if written is rendered or rendered == "approval":
            return
        if isinstance(rendered, str) and "<<" in rendered:  # lint mode: not decided here
            return
        self.rep.report(
            self.src,
            (*args_loc, "type"),
            "approval-type-invalid",
            f"Only jobs with `type: approval` can be defined inline under the `workflows:` "
            f"section. `type: {written}` renders to {rendered!r} for this trigger; define "
            f"the job in the `jobs:` section instead.",
            hint="a workflow job's type is 'approval' or absent; a template there must "
                 "render 'approval'",
        )

    def _foreign_requirement(self, gref: str, rname: str, m: Member) -> None:
        """A member of group ``gref`` requiring ``rname``, which is not a member of it:
        CircleCI refuses requirements across groups and out of a group (R2.9.1)."""
        owner = next(
            (
                g
                for g, d in self.job_groups.items()
                if g != gref and rname in _group_member_names(d)
            ),
            None,
        )
        message = (
            f'"{rname}" is not a member of this job group'
            if owner is not None
            else f'"{rname}" is not a member of job group "{gref}"'
        )
        self.rep.report(
            self.src,
            (*m.ref_loc, "requires"),
            "job-group-requires",
            message,
            key=True,
            hint="a job in a group requires only jobs of the same group; put requirements "
            "on other jobs on the group's invocation",
        )

    # -- naming, requires, compiling ---------------------------------------------------
    @staticmethod
    def number(all_members: List[Member]) -> None:
        """R2.5.1: names used more than once in the config are numbered in config order."""
        counts = Counter(m.base for m in all_members)
        seen: Counter[str] = Counter()
        for m in all_members:
            if counts[m.base] > 1:
                seen[m.base] += 1
                m.final = f"{m.base}-{seen[m.base]}"
            else:
                m.final = m.base

    def check_numbered_names(self, workflow: str, members: List[Member]) -> None:
        """A numbered name that is also another job's name in the workflow (``[build,
        build, build-1]``: the two ``build`` become build-1/build-2): one name for two
        jobs, which no plan can run (a fuzz finding: plan() raised PlanError)."""
        first: Dict[str, Member] = {}
        for m in members:
            other = first.setdefault(m.final, m)
            if other is m or m.final == m.base == other.base:
                continue  # the same name twice is the checks' workflow-duplicate-name
            numbered = m if m.final != m.base else other
            saved, self.rep.demote = self.rep.demote, m.demote
            self.rep.report(
                self.src,
                m.ref_loc,
                "workflow-duplicate-name",
                f"job '{m.final}' is named twice in workflow '{workflow}': the repeated "
                f"'{numbered.base}' invocations are numbered '{numbered.base}-1', "
                f"'{numbered.base}-2', ... (as CircleCI numbers them), and '{m.final}' is "
                "also the name of another job",
                key=True,
                context=False,
                hint="give the repeated invocations explicit, unique 'name:'s",
            )
            self.rep.demote = saved

    def resolve_requires(self, members: List[Member]) -> Dict[str, List[str]]:
        """Each member's ``requires`` as final names; returns the requirements it could
        resolve, by member (what names nothing stays as written, and is reported)."""
        resolved: Dict[str, List[str]] = {}
        by_base: Dict[str, List[Member]] = {}
        by_alias: Dict[str, List[Member]] = {}
        finals = {m.final for m in members}
        in_groups = {m.group_name: m.group for m in members if m.group is not None}
        for m in members:
            by_base.setdefault(m.base, []).append(m)
            for a in m.aliases:
                by_alias.setdefault(a, []).append(m)

        def names_other(rname: str, m: Member) -> bool:
            """Whether ``rname`` names a job of the workflow other than ``m`` (a job
            requiring its own name requires nothing: requires-unknown, as the checks say;
            a fuzz finding, in a workflow behind `when` the checks only warn about)."""
            return ((rname in finals and rname != m.final)
                    or any(x is not m for x in by_base.get(rname, ()))
                    or any(x is not m for x in by_alias.get(rname, ())))

        for m in members:
            if not m.requires:
                continue
            out: List[Any] = []
            for index, req in enumerate(m.requires):
                rname, status = _req_parts(req)
                targets: Optional[List[str]] = None
                if rname is not None:
                    # The other invocations of that name: a repeated job requiring its
                    # own name means the other one (the check counts "other jobs" too).
                    direct = [x for x in by_base.get(rname, []) if x is not m]
                    if len(direct) == 1:
                        targets = [direct[0].final]
                    elif rname in by_alias and not direct:
                        targets = [x.final for x in by_alias[rname]]
                    elif not direct and rname in finals and rname != m.final:
                        targets = [rname]
                if (
                    targets is None
                    and m.group is None
                    and m.synthetic is None
                    and rname is not None
                    and rname not in finals
                    and rname in in_groups
                ):
                    self.rep.report(
                        self.src,
                        (*m.ref_loc, "requires"),
                        "job-group-requires",
                        f'"{rname}" is defined inside job group "{in_groups[rname]}", '
                        "not directly in this workflow",
                        key=True,
                        hint=f"require the whole group: requires: [{in_groups[rname]}]",
                    )
                # What names nothing, or several other jobs, in the processed workflow.
                # The checks say so at load (same place, so one diagnostic) unless the
                # workflow has a matrix or a templated name, which they cannot expand, and
                # only warn in a workflow behind `when`, which a trigger may run (fuzz
                # findings: plan() raised PlanError). Behind `when` in lint mode it is a
                # warning here too.
                problem: Optional[Tuple[str, int, Optional[str]]] = None
                if (rname is not None and targets is None and "<<" not in rname
                        and m.group is None and m.synthetic is None):
                    if not names_other(rname, m) and rname not in in_groups:
                        problem = ("requires-unknown", 0,
                                   did_you_mean(rname, sorted(finals - {m.final})))
                    elif len(direct) > 1 and rname not in finals:
                        problem = ("requires-ambiguous", len(direct), "You can give a job "
                                   "within a workflow an explicit name by adding a name key")
                if problem is not None:
                    code, count, hint = problem
                    saved, self.rep.demote = self.rep.demote, m.demote
                    self.rep.report(
                        self.src,
                        (*m.src_loc, m.ref, "requires", index),
                        code,
                        f"Job '{m.final}' requires '{rname}', which is the name of {count} "
                        f"other jobs in workflow '{m.workflow}'",
                        context=False,
                        hint=hint,
                    )
                    self.rep.demote = saved
                if targets is None:
                    out.append(req)
                else:
                    out.extend(t if status is None else {t: status} for t in targets)
                    resolved.setdefault(m.final, []).extend(targets)
            self.ctx.spend(len(out), self.src, m.src_loc)
            m.requires = out
        return resolved

    def report_cycles(self, wf: Any, members: List[Member],
                      resolved: Dict[str, List[str]]) -> None:
        """Requirements in a cycle, once resolved, in a workflow the checks cannot graph at
        load (a matrix, a templated name: R2.6.1): a matrix job requiring its own alias
        requires itself. (A fuzz finding: load said nothing and plan() raised CycleError.)
        Other workflows' cycles are the checks' (requires-cycle, at load); one both see is
        reported at the same place, the job reference, and so merged into one finding."""
        items = wf.get("jobs") if isinstance(wf, dict) else None
        if not isinstance(items, list):
            return
        # ... and, for a trigger, a workflow behind when/unless, which the checks only warn
        # about and this trigger runs (a fuzz finding: plan() raised CycleError).
        guarded = not self.ctx.lint and ("when" in wf or "unless" in wf)
        if not guarded and not any(_needs_compiling(i) for i in items):
            return
        by_final = {m.final: m for m in members}
        for cyc in find_cycles(list(by_final), resolved):
            first = by_final[cyc[0]]
            saved, self.rep.demote = self.rep.demote, first.demote
            self.rep.report(
                self.src,
                (*first.src_loc, first.ref),  # where the checks put a cycle: one finding
                "requires-cycle",
                f"jobs in workflow '{first.workflow}' require each other in a cycle: "
                + " -> ".join(cyc),
                key=True,
                context=False,
                hint="remove one of these requirements; CircleCI reports this as 'The "
                     "following jobs are unreachable: " + ", ".join(sorted(set(cyc))) + "'",
            )
            self.rep.demote = saved

    def compile_members(self, members: List[Member]) -> None:
        cache: Dict[Tuple[int, str], Tuple[Dict[str, Any], List[Loc]]] = {}
        for m in members:
            if m.approval or m.final in self.jobs:
                continue
            if m.synthetic is not None:
                self.jobs[m.final] = m.synthetic
                self.ctx.origins[("jobs", m.final)] = m.src_loc
                continue
            el = m.element
            if el is None:
                continue
            if isinstance(el, Opaque):
                job: Dict[str, Any] = {"opaque": True, "orb": el.ns.ref, "job": el.ref}
                if m.values:
                    job["parameters"] = m.values
                if m.pre is not None:
                    job["pre-steps"] = list(m.pre)
                if m.post is not None:
                    job["post-steps"] = list(m.post)
                self.jobs[m.final] = job
                self.opaque_jobs.add(m.final)
                self.ctx.origins[("jobs", m.final)] = m.src_loc
                continue
            key = (id(el.ns), el.name)
            hit = cache.get(key) if m.cacheable else None
            if hit is None:
                self.rep.frames.append(Frame("job", m.final, self.src, m.ref_loc))
                self.rep.demote = m.demote
                try:
                    hit = self.ex.compile_job(el, m.values or {}, pre=m.pre, post=m.post)
                finally:
                    self.rep.frames.pop()
                    self.rep.demote = None
                if m.cacheable:
                    cache[key] = hit
            job, locs = hit
            self.jobs[m.final] = job
            self.ctx.origins[("jobs", m.final)] = el.ns.source.origin(el.loc)
            for k, sloc in enumerate(locs):
                self.ctx.origins[("jobs", m.final, "steps", k)] = sloc

    @staticmethod
    def invocation(m: Member) -> Any:
        keys: Dict[str, Any] = {}
        if m.requires:
            keys["requires"] = m.requires
        for k in KEPT_KEYS:
            if k in m.kept:
                keys[k] = m.kept[k]
        return {m.final: keys} if keys else m.final

    # -- when / unless -----------------------------------------------------------------
    def decide(self, name: str, wf: Dict[str, Any]) -> Optional[str]:
        """Why workflow ``name`` does not run for this trigger, or ``None`` if it runs.
        In lint mode conditions are only checked, never decided."""
        for key in ("when", "unless"):
            if key not in wf:
                continue
            truth = self.condition(wf[key], ("workflows", name, key))
            if truth is None or self.ctx.lint:
                continue
            if truth != (key == "when"):
                return f"{key}: {_show(wf[key])} is {'true' if truth else 'false'}"
        return None

    def condition(self, value: Any, loc: Loc) -> Optional[bool]:
        """Evaluate a workflow condition in one of its three forms (R2.7.2)."""
        if isinstance(value, str) and "<<" not in value:
            return self._expression(value, loc)
        before = self.r.deferred
        rendered = self.r.render(value, Scope(), self.src, loc)
        rendered = lenient_logic(
            rendered,
            loc,
            lambda at, msg: self.rep.report(
                self.src, at, "expr-logic-literal", msg, severity=Severity.WARNING
            ),
        )
        problems = check_logic(rendered)
        for p in problems:
            self.rep.report(self.src, (*loc, *p.loc), "expr-logic-invalid", p.message)
        if problems or self.ctx.lint or self.r.deferred > before:
            return None
        try:
            return evaluate_logic(rendered)
        except (LogicError, ExprError) as exc:
            self.rep.report(self.src, loc, "expr-logic-invalid", str(exc))
            return None

    def _expression(self, text: str, loc: Loc) -> Optional[bool]:
        try:
            expr = parse_expression(text)
        except ExprError as exc:
            self.rep.report(
                self.src, loc, "expr-invalid", exc.message, sub=(exc.offset, exc.length), text=text
            )
            return None
        bad = False
        for ref in expr.references:
            n = ref.name
            known = (
                n in self.ctx.variables
                if n.startswith("pipeline.parameters.")
                else (is_pipeline_value(n) or n in self.ctx.variables)
            )
            if not known:
                bad = True
                self.rep.report(
                    self.src,
                    loc,
                    "expr-unknown-variable",
                    f'Referred to a variable "{n}" that does not exist',
                    sub=(ref.offset, ref.length),
                    text=text,
                )
        if bad or self.ctx.lint:
            return None
        try:
            return evaluate_bool(expr, self.ctx.variables)
        except ExprError as exc:
            self.rep.report(
                self.src, loc, "expr-invalid", exc.message, sub=(exc.offset, exc.length), text=text
            )
            return None


def _group_member_names(gdef: Any) -> set[str]:
    """The names a job-group definition's invocations give their jobs (before the group
    prefix): ``name:`` or the job."""
    out: set[str] = set()
    jobs = gdef.get("jobs") if isinstance(gdef, dict) else None
    for item in jobs if isinstance(jobs, list) else ():
        if isinstance(item, str):
            out.add(item)
        elif isinstance(item, dict) and len(item) == 1:
            ((ref, args),) = item.items()
            name = args.get("name") if isinstance(args, dict) else None
            out.add(name if isinstance(name, str) else str(ref))
    return out


def _needs_compiling(item: Any) -> bool:
    """A workflow entry whose names only compiling tells: a matrix, a templated name."""
    if not isinstance(item, dict) or len(item) != 1:
        return False
    ((ref, args),) = item.items()
    if not isinstance(args, dict):
        return isinstance(ref, str) and "<<" in ref
    name = args.get("name", ref)
    return "matrix" in args or (isinstance(name, str) and "<<" in name)


def _req_parts(req: Any) -> Tuple[Optional[str], Any]:
    if isinstance(req, str):
        return req, None
    if isinstance(req, dict) and len(req) == 1:
        ((k, v),) = req.items()
        return (k if isinstance(k, str) else None), v
    return None, None


def _show(value: Any) -> str:
    """A condition as the user wrote it, on one line (for skip reasons)."""
    if isinstance(value, str):
        return value.strip()
    if not isinstance(value, (dict, list)):
        return template_string(value)
    try:
        return str(yaml.safe_dump(value, default_flow_style=True, width=10_000)).strip()
    except yaml.YAMLError:  # pragma: no cover - plain data always dumps
        import json

        return json.dumps(value, default=str)
