"""Views of a :class:`~workflowcore.planning.Plan`: text for people, JSON (a versioned
public contract, docs/planning.md), Mermaid and Graphviz DOT for drawing the graph.

The text view is laid out for a glance: each running job sits on its *stage* (1 + the
highest stage among its requirements, so jobs sharing a stage may run in parallel), approval
gates are marked ``⏸``, and excluded jobs are listed with their reasons — jobs excluded for
the same reason share one line, so a tag push that skips thirty jobs says so once.
"""

from __future__ import annotations

import json

from ..planning import TERMINAL_STATUSES, Plan, PlannedJob, PlannedWorkflow

__all__ = ["PLAN_FORMATS", "plan_dot", "plan_json", "plan_list", "plan_mermaid", "plan_text"]

_NAME_WIDTH = 36


def _statuses(st: tuple[str, ...]) -> str:
    if tuple(st) == TERMINAL_STATUSES:
        return "terminal"
    return "|".join(st)


def _req_label(job: PlannedJob, req: str) -> str:
    st = job.requires[req]
    return req if tuple(st) == ("success",) else f"{req} ({_statuses(st)})"


def _stages(wf: PlannedWorkflow) -> dict[str, int]:
    """Stage of every planned job; ``wf.jobs`` is topological, so one pass suffices."""
    stage: dict[str, int] = {}
    for j in wf.jobs:
        stage[j.name] = 1 + max((stage.get(r, 0) for r in j.requires), default=0)
    return stage


def _label(job: PlannedJob) -> str:
    if job.type == "approval":
        return f"{job.name} (approval)"
    label = job.name
    if job.job != job.name:
        label += f" [{job.job}]"
    if job.type not in ("build", ""):
        label += f" ({job.type})"
    return label


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _workflow_text(wf: PlannedWorkflow) -> list[str]:
    lines: list[str] = []
    if not wf.runs:
        lines.append(f"workflow {wf.name}: does not run — {wf.reason}")
    else:
        total = len(wf.jobs) + len(wf.excluded)
        count = f"{len(wf.jobs)} of {total} jobs run" if wf.excluded else \
            f"{_plural(len(wf.jobs), 'job')} run{'s' if len(wf.jobs) == 1 else ''}"
        gates = [j.name for j in wf.jobs if j.type == "approval"]
        if gates:
            count += f", {_plural(len(gates), 'approval gate')} ({', '.join(gates)})"
        lines.append(f"workflow {wf.name}: {count}")
        stages = _stages(wf)
        labels = {j.name: _label(j) for j in wf.jobs}
        width = min(max(3, *(len(s) for s in labels.values())), _NAME_WIDTH)
        head = f"  {'stage':>5}    {'job':<{width}}"
        if any(j.requires for j in wf.jobs):
            head += "  requires"
        lines.append(head.rstrip())
        rows = sorted(range(len(wf.jobs)), key=lambda i: (stages[wf.jobs[i].name], i))
        for i in rows:
            j = wf.jobs[i]
            mark = "⏸" if j.type == "approval" else " "
            line = f"  {stages[j.name]:>5}  {mark} {labels[j.name]:<{width}}"
            if j.requires:
                line += "  ← " + ", ".join(_req_label(j, r) for r in j.requires)
            if j.context:
                line += "  [context: " + ", ".join(j.context) + "]"
            if j.unavailable_orbs:
                line += "  [needs unavailable orb: " + ", ".join(j.unavailable_orbs) + "]"
            lines.append(line.rstrip())
        missing = sorted({o for j in wf.jobs for o in j.unavailable_orbs})
        if missing:
            lines.append(f"  ! {_plural(len(missing), 'orb')} not available offline "
                         f"({', '.join(missing)}): the jobs marked cannot run here; "
                         "put their sources in an orb store and pass --orb-dir (docs/orbs.md)")
    if wf.excluded:
        groups: dict[str, list[str]] = {}
        for e in wf.excluded:
            shown = e.name if e.job == e.name else f"{e.name} [{e.job}]"
            groups.setdefault(e.reason, []).append(shown)
        lines.append(f"  not run ({len(wf.excluded)}):")
        for reason, names in groups.items():
            if len(names) == 1:
                lines.append(f"    ✗ {names[0]} — {reason}")
            else:
                lines.append(f"    ✗ {len(names)} jobs — {reason}:")
                lines.append(f"        {', '.join(names)}")
    return lines


def plan_text(plan: Plan) -> str:
    """The plan for people: one block per workflow (see the module docstring)."""
    t = plan.trigger
    is_tag = t.get("tag") is not None
    ref = t.get("tag") if is_tag else t.get("branch")
    head = f"plan for {'tag' if is_tag else 'branch'} '{ref}'"
    if t.get("event", "push") != "push":
        head += f" ({t['event']} event)"
    params = t.get("parameters") or {}
    if params:
        head += "; parameters: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in params.items())
    lines = [head]
    if not plan.workflows:
        lines += ["", "no workflow: the config defines none, and has no 'build' job to run as "
                      "the implicit workflow"]
    for wf in plan.workflows:
        lines.append("")
        lines.extend(_workflow_text(wf))
    return "\n".join(lines) + "\n"


def plan_list(plan: Plan) -> str:
    """``run --list``: each workflow and its jobs, one per line, for picking ``--job``."""
    lines: list[str] = []
    for wf in plan.workflows:
        state = "runs" if wf.runs else f"does not run: {wf.reason}"
        lines.append(f"{wf.name} ({state})")
        for j in wf.jobs:
            extra = [f"job {j.job}"] if j.job != j.name else []
            if j.type == "approval":
                extra.append("approval")
            if j.requires:
                extra.append("requires " + ", ".join(j.requires))
            lines.append(f"  {j.name}" + (f"  ({'; '.join(extra)})" if extra else ""))
        for e in wf.excluded:
            lines.append(f"  {e.name}  (not run: {e.reason})")
    if not lines:
        lines.append("no workflow: the config defines none")
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan) -> str:
    """The versioned JSON contract (docs/planning.md)."""
    return json.dumps(plan.to_dict(), indent=2) + "\n"


def _mq(s: str) -> str:
    """A Mermaid label: quoted, with the characters Mermaid would parse escaped."""
    return '"' + s.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;") \
        .replace(">", "#gt;") + '"'


def plan_mermaid(plan: Plan) -> str:
    """A Mermaid flowchart: one subgraph per workflow, approval gates as hexagons, excluded
    jobs dashed and grey. Node ids are positional, so any job name is safe."""
    out = ["flowchart LR"]
    for wi, wf in enumerate(plan.workflows):
        w = f"w{wi}"
        title = wf.name if wf.runs else f"{wf.name} (does not run)"
        out.append(f"  subgraph {w}[{_mq(title)}]")
        ids: dict[str, str] = {}
        for ji, j in enumerate(wf.jobs):
            ids[j.name] = f"{w}j{ji}"
            label = _mq(j.name)
            shape = f"{{{{{label}}}}}" if j.type == "approval" else f"[{label}]"
            out.append(f"    {ids[j.name]}{shape}")
        for ei, e in enumerate(wf.excluded):
            out.append(f"    {w}x{ei}[{_mq(e.name)}]:::excluded")
        for j in wf.jobs:
            for r in j.requires:
                st = j.requires[r]
                label = "" if tuple(st) == ("success",) else f"|{_mq(_statuses(st))}|"
                out.append(f"    {ids[r]} -->{label} {ids[j.name]}")
        out.append("  end")
    out.append("  classDef excluded stroke-dasharray: 5 5,color:#999")
    return "\n".join(out) + "\n"


def _dq(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def plan_dot(plan: Plan) -> str:
    """Graphviz DOT: one cluster per workflow, approval gates as hexagons, excluded jobs
    dashed and grey with their reason as tooltip. Node ids are positional."""
    out = ["digraph plan {", "  rankdir=LR;", "  node [shape=box];"]
    for wi, wf in enumerate(plan.workflows):
        out.append(f"  subgraph cluster_{wi} {{")
        out.append(f"    label={_dq(wf.name + ('' if wf.runs else ' (does not run)'))};")
        if not wf.runs and wf.reason:
            out.append(f"    tooltip={_dq(wf.reason)};")
        ids: dict[str, str] = {}
        for ji, j in enumerate(wf.jobs):
            ids[j.name] = f"w{wi}j{ji}"
            shape = " shape=hexagon" if j.type == "approval" else ""
            out.append(f"    {ids[j.name]} [label={_dq(j.name)}{shape}];")
        for ei, e in enumerate(wf.excluded):
            out.append(f"    w{wi}x{ei} [label={_dq(e.name)} style=dashed fontcolor=gray "
                       f"color=gray tooltip={_dq(e.reason)}];")
        for j in wf.jobs:
            for r in j.requires:
                st = j.requires[r]
                lab = "" if tuple(st) == ("success",) else f" [label={_dq(_statuses(st))}]"
                out.append(f"    {ids[r]} -> {ids[j.name]}{lab};")
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


PLAN_FORMATS = {"text": plan_text, "json": plan_json, "mermaid": plan_mermaid, "dot": plan_dot}
