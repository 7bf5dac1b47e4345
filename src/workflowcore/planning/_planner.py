"""Config + Trigger → Plan, with CircleCI's exact semantics (docs/planning.md).

Planning works on the *compiled* config (2.0 shape: every invocation under its final name,
matrices expanded, ``when`` already decided), so 2.0 and 2.1 configs go through one path:

1. workflows whose ``when``/``unless`` is false, and scheduled (``triggers``) workflows on a
   non-schedule event, do not run (with the reason);
2. each invocation's filters are applied to the trigger (``filters.filter_reason``);
3. requirements that were excluded are dropped; a job *all* of whose requirements were
   excluded is excluded too, transitively (R2.4.1) — a job with no requirements is never
   excluded by this rule;
4. the remaining jobs are ordered topologically (ties keep config order) with their accepted
   statuses (``terminal`` expanded).

Large workflows (thousands of jobs) are planned in time linear in jobs + edges when the
config lists every job after its requirements, as configs almost always do; otherwise a
heap-based Kahn sort adds a log factor.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import re
from typing import Any, Iterator, Mapping, Sequence

from ..config.compile import orbs_needed
from ..errors import CycleError, PlanError
from ..expr import pipeline_variables
from .filters import as_list, filter_reason, legacy_branches_reason, spec_matches
from .plan import TERMINAL_STATUSES, ExcludedJob, Plan, PlannedJob, PlannedWorkflow
from .trigger import Trigger

__all__ = ["IMPLICIT_WORKFLOW", "plan_compiled"]

#: The name CircleCI gives the workflow it wraps around a lone ``build`` job (R1.2.2).
IMPLICIT_WORKFLOW = "workflow"

_SUCCESS: tuple[str, ...] = ("success",)


def _statuses(value: Any) -> tuple[str, ...]:
    if value == "success" or value is None:
        return _SUCCESS
    if value == "terminal":
        return TERMINAL_STATUSES
    out: list[str] = []
    for v in as_list(value) or ["success"]:
        for s in (TERMINAL_STATUSES if v == "terminal" else (str(v),)):
            if s not in out:
                out.append(s)
    return tuple(out)


def _merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a + tuple(s for s in b if s not in a)


def _requires(raw: Any) -> dict[str, tuple[str, ...]]:
    """``requires`` as ``{name: accepted statuses}``; a name listed twice accepts the
    statuses of both entries."""
    items = raw if isinstance(raw, list) else as_list(raw)
    if all(type(item) is str for item in items):  # the common case: plain names
        return dict.fromkeys(items, _SUCCESS)
    out: dict[str, tuple[str, ...]] = {}
    for item in items:
        pairs = [(item, _SUCCESS)] if isinstance(item, str) else \
            [(str(k), _statuses(v)) for k, v in item.items()] if isinstance(item, dict) else []
        for name, st in pairs:
            out[name] = _merge(out[name], st) if name in out else st
    return out


def _branch_rule_allows(filters: Any, branch: str) -> bool:
    """A schedule's ``filters.branches``: ``only`` decides when present (R2.6.2)."""
    br = filters.get("branches") if isinstance(filters, dict) else None
    if not isinstance(br, dict):
        return True
    try:
        if "only" in br:
            return spec_matches(as_list(br["only"]), branch) is not None
        if "ignore" in br:
            return spec_matches(as_list(br["ignore"]), branch) is None
    except ValueError:
        return False
    return True


def _schedule_reason(wf: Mapping[str, Any], trigger: Trigger) -> str | None:
    """Legacy ``triggers: schedule`` workflows run only when their schedule fires, and a
    schedule firing runs only them (R2.6.2)."""
    triggers = wf.get("triggers")
    if not triggers:
        if trigger.event == "schedule":
            return "the trigger is a schedule, and this workflow has no 'triggers: schedule'"
        return None
    if trigger.event != "schedule":
        what = "push" if trigger.event == "push" else f"{trigger.event} pipeline"
        return (f"it runs only on its schedule (triggers: schedule), not on a {what} of "
                f"{trigger.describe()}")
    if trigger.branch is None:
        return "its schedule runs on branches, not on tags"
    for t in as_list(triggers):
        sched = t.get("schedule") if isinstance(t, dict) else None
        if isinstance(sched, dict) and _branch_rule_allows(sched.get("filters"), trigger.branch):
            return None
    return f"no schedule of this workflow is set up for branch '{trigger.branch}'"


def _find_cycle(left: set[int], reqs: list[list[int]]) -> list[int]:
    """A cycle among ``left`` (jobs Kahn's algorithm could not order: each still has a
    requirement in ``left``), as indices with first == last, following ``requires``."""
    start = min(left)
    seen: dict[int, int] = {}
    path: list[int] = []
    cur = start
    while cur not in seen:
        seen[cur] = len(path)
        path.append(cur)
        cur = next(r for r in reqs[cur] if r in left)
    return [*path[seen[cur]:], cur]


def _topological(names: Sequence[str], reqs: list[list[int]], workflow: str) -> list[int]:
    """Indices of ``names`` in a topological order; ties keep config order (Kahn's
    algorithm with a min-heap on the config index), so the output is stable.

    When the config lists every job after its requirements the caller skips this: that
    order is exactly the one the heap would produce (the smallest unplaced index always
    has its requirements placed)."""
    n = len(names)
    indeg = [len(rs) for rs in reqs]
    succ: list[list[int]] = [[] for _ in range(n)]
    for i, rs in enumerate(reqs):
        for r in rs:
            succ[r].append(i)
    heap = [i for i in range(n) if indeg[i] == 0]
    heapq.heapify(heap)
    out: list[int] = []
    while heap:
        i = heapq.heappop(heap)
        out.append(i)
        for s in succ[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                heapq.heappush(heap, s)
    if len(out) != n:
        cycle = [names[i] for i in _find_cycle({i for i in range(n) if indeg[i] > 0}, reqs)]
        raise CycleError(f"jobs of workflow '{workflow}' require each other in a cycle: "
                         + " → ".join(cycle), cycle)
    return out


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: planning allocates many small acyclic objects,
    and a collection triggered meanwhile rescans the whole loaded config (hundreds of
    milliseconds for a 10,000-job config) for nothing. The loader does the same."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def plan_compiled(
    data: Mapping[str, Any],
    trigger: Trigger,
    *,
    workflows: Sequence[str] | None = None,
    skipped_workflows: Mapping[str, str] | None = None,
    job_of: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    workflow_order: Sequence[str] | None = None,
    unavailable_orbs: Mapping[str, str] | None = None,
) -> Plan:
    """Plan a compiled (2.0-shaped) config for ``trigger``.

    ``skipped_workflows`` are workflows the compiler dropped because their ``when`` was
    false (name → reason); ``job_of`` maps an invocation's final name to the job it runs
    (identity when absent). ``parameters`` are the pipeline parameter values expression
    filters see (default: the trigger's); ``workflow_order`` lists workflow names in config
    order, so skipped workflows keep their place (default: compiled ones first).
    ``unavailable_orbs`` (alias → reference, :attr:`CompileResult.unavailable_orbs`) marks
    each planned job with the unavailable orbs it needs.

    Raises :class:`PlanError` for an unknown name in ``workflows``, two jobs with one name
    in a workflow or a requirement naming no job of its workflow, and :class:`CycleError`
    for a ``requires`` cycle — mistakes ``validate`` reports in a config.
    """
    with gc_paused():
        return _plan(data, trigger, workflows, skipped_workflows, job_of, parameters,
                     workflow_order, unavailable_orbs or {})


def _plan(data: Mapping[str, Any], trigger: Trigger, workflows: Sequence[str] | None,
          skipped_workflows: Mapping[str, str] | None, job_of: Mapping[str, str] | None,
          parameters: Mapping[str, Any] | None,
          workflow_order: Sequence[str] | None,
          unavailable_orbs: Mapping[str, str]) -> Plan:
    jobs_def = data.get("jobs")
    if not isinstance(jobs_def, dict):
        jobs_def = {}
    raw_wfs = data.get("workflows")
    wfs = {k: v for k, v in raw_wfs.items() if k != "version" and isinstance(v, dict)} \
        if isinstance(raw_wfs, dict) else {}
    skipped = dict(skipped_workflows or {})
    implicit = not wfs and not skipped and "build" in jobs_def
    if implicit:
        wfs = {IMPLICIT_WORKFLOW: {"jobs": ["build"]}}
    present = set(wfs) | set(skipped)
    order = [w for w in dict.fromkeys(workflow_order or ()) if w in present]
    order += [w for w in [*wfs, *skipped] if w not in order]
    order = list(dict.fromkeys(order))
    if workflows is not None:
        unknown = [w for w in workflows if w not in present]
        if unknown:
            raise PlanError(f"no workflow named {', '.join(map(repr, unknown))}; this config "
                            f"has: {', '.join(order) or 'none'}")
        order = [w for w in order if w in workflows]
    params = trigger.parameters if parameters is None else parameters
    variables = pipeline_variables(trigger.pipeline_values(), params)
    jo = job_of or {}
    planned: list[PlannedWorkflow] = []
    for wname in order:
        if wname in skipped:
            # a multi-line condition is quoted on one line
            planned.append(PlannedWorkflow(wname, False, _one_line(skipped[wname])))
            continue
        planned.append(_plan_workflow(wname, wfs[wname], jobs_def, trigger, variables, jo,
                                      implicit, unavailable_orbs))
    return Plan(trigger.to_dict(), tuple(planned))


def _one_line(text: str) -> str:
    return re.sub(r"[ \t]*\n\s*", " ", text).strip()


def _entries(wname: str, wf: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    entries: list[tuple[str, Mapping[str, Any]]] = []
    for item in as_list(wf.get("jobs")):
        if isinstance(item, str):
            entries.append((item, {}))
        elif isinstance(item, dict) and len(item) == 1:
            ((name, args),) = item.items()
            if not isinstance(args, dict):
                args = {}
            n = args.get("name")
            entries.append((str(n) if n is not None else str(name), args))
        else:
            raise PlanError(f"workflow '{wname}' lists a job as {item!r}: a job is a name or "
                            "a mapping of one name to its arguments")
    return entries


def _plan_workflow(wname: str, wf: Mapping[str, Any], jobs_def: Mapping[str, Any],
                   trigger: Trigger, variables: Mapping[str, Any],
                   job_of: Mapping[str, str], implicit: bool,
                   unavailable_orbs: Mapping[str, str]) -> PlannedWorkflow:
    reason = _schedule_reason(wf, trigger)
    if reason is not None:
        return PlannedWorkflow(wname, False, reason)
    entries = _entries(wname, wf)
    names = [n for n, _ in entries]
    index: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in index:
            raise PlanError(f"workflow '{wname}' has two jobs named '{n}'; give one an "
                            "explicit 'name'")
        index[n] = i

    # requirements, as names with statuses and as indices; and whether the config lists
    # every job after its requirements (then that order is the topological one)
    reqs_named: list[dict[str, tuple[str, ...]]] = []
    reqs: list[list[int]] = []
    in_order = True
    for i, (n, a) in enumerate(entries):
        raw = a.get("requires") if a else None
        if raw is None:
            reqs_named.append({})
            reqs.append([])
            continue
        named = _requires(raw)
        try:
            ids = [index[r] for r in named]
        except KeyError as exc:
            raise PlanError(f"job '{n}' of workflow '{wname}' requires '{exc.args[0]}', "
                            "which is not a job of this workflow") from None
        if in_order and ids and max(ids) >= i:
            in_order = False
        reqs_named.append(named)
        reqs.append(ids)

    # each job's own filters
    kind, ref = trigger.kind, trigger.ref
    excluded: dict[int, str] = {}
    for i, (n, a) in enumerate(entries):
        f = a.get("filters") if a else None
        if f is None and kind == "branch":
            if not implicit:
                continue
            d = jobs_def.get(n)
            if not isinstance(d, dict) or "branches" not in d:
                continue
            r = legacy_branches_reason(d["branches"], ref)
        else:
            r = filter_reason(f, kind, ref, variables)
        if r is not None:
            excluded[i] = r

    topo = list(range(len(names))) if in_order else _topological(names, reqs, wname)

    # R2.4.1: drop excluded requirements; exclude a job all of whose requirements were
    # excluded. Requirements come first in ``topo``, so the exclusion cascades in one pass.
    pruned: set[int] = set()
    if excluded:
        gone = excluded.keys()
        for i in topo:
            rs = reqs[i]
            if not rs or i in excluded or gone.isdisjoint(rs):
                continue
            if all(r in excluded for r in rs):
                excluded[i] = ("all of its requirements were excluded: "
                               + ", ".join(names[r] for r in rs))
            else:
                pruned.add(i)

    planned: list[PlannedJob] = []
    for i in topo:
        if i in excluded:
            continue
        n, a = entries[i]
        src = job_of.get(n, n)
        definition = jobs_def.get(n)
        if definition is None:
            definition = jobs_def.get(src)
        if a and a.get("type") == "approval":
            jtype, definition, src = "approval", None, n
        elif isinstance(definition, dict):
            jtype = str(definition.get("type") or "build")
        else:
            jtype, definition = "build", None
        named = reqs_named[i]
        if i in pruned:
            named = {r: st for r, st in named.items() if index[r] not in excluded}
        context: tuple[str, ...] = ()
        sg = None
        if a:
            ctx = a.get("context")
            if ctx is not None:
                context = tuple(str(c) for c in as_list(ctx))
            sg = a.get("serial-group")
        needs = orbs_needed(definition, unavailable_orbs) if unavailable_orbs else ()
        planned.append(PlannedJob(n, src, jtype, named, context, definition,
                                  sg if isinstance(sg, str) else None, needs))
    excl = tuple(ExcludedJob(names[i], names[i] if entries[i][1].get("type") == "approval"
                             else job_of.get(names[i], names[i]), excluded[i])
                 for i in sorted(excluded))
    if not planned:
        why = f"every job was excluded for {trigger.describe()}" if names else \
            "the workflow has no jobs"
        return PlannedWorkflow(wname, False, why, (), excl)
    return PlannedWorkflow(wname, True, None, tuple(planned), excl)
