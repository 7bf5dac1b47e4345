"""Views of a :class:`~workflowcore.planning.Plan`: text for people, JSON (a versioned
public contract, docs/cli.md), Mermaid and Graphviz DOT for drawing the graph.
"""

from __future__ import annotations

import json
import re

from ..planning import Plan, PlannedJob, PlannedWorkflow

__all__ = ["PLAN_FORMATS", "plan_dot", "plan_json", "plan_mermaid", "plan_text"]


def _req_label(job: PlannedJob, req: str) -> str:
    st = job.requires[req]
    return req if st == ("success",) else f"{req} ({'|'.join(st)})"


def _job_line(job: PlannedJob) -> str:
    kind = {"approval": "⏸ approval", "no-op": "no-op", "release": "release"}.get(job.type, "")
    bits = [job.name]
    if job.job != job.name and job.type != "approval":
        bits.append(f"[{job.job}]")
    if kind:
        bits.append(f"({kind})")
    if job.requires:
        bits.append("← " + ", ".join(_req_label(job, r) for r in job.requires))
    if job.context:
        bits.append("context: " + ", ".join(job.context))
    return " ".join(bits)


def _workflow_text(wf: PlannedWorkflow) -> list[str]:
    lines = []
    if not wf.runs:
        lines.append(f"workflow {wf.name}: does not run — {wf.reason}")
    else:
        n = len(wf.jobs)
        gates = sum(1 for j in wf.jobs if j.type == "approval")
        extra = f", {gates} approval gate{'s' if gates != 1 else ''}" if gates else ""
        lines.append(f"workflow {wf.name}: {n} job{'s' if n != 1 else ''} run{extra}")
        for j in wf.jobs:
            lines.append(f"  ✓ {_job_line(j)}")
    for e in wf.excluded:
        lines.append(f"  ✗ {e.name}: {e.reason}")
    return lines


def plan_text(plan: Plan) -> str:
    t = plan.trigger
    head = f"plan for {'tag' if t.get('tag') is not None else 'branch'} " \
           f"'{t.get('tag') if t.get('tag') is not None else t.get('branch')}'"
    if t.get("event", "push") != "push":
        head += f" ({t['event']})"
    lines = [head]
    for wf in plan.workflows:
        lines.append("")
        lines.extend(_workflow_text(wf))
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2) + "\n"


def _ident(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def plan_mermaid(plan: Plan) -> str:
    out = ["flowchart LR"]
    for wf in plan.workflows:
        w = _ident(wf.name)
        out.append(f'  subgraph {w}["{wf.name}{"" if wf.runs else " (does not run)"}"]')
        for j in wf.jobs:
            node = f"{w}__{_ident(j.name)}"
            shape = f'{{{{"{j.name}"}}}}' if j.type == "approval" else f'["{j.name}"]'
            out.append(f"    {node}{shape}")
        for e in wf.excluded:
            out.append(f'    {w}__{_ident(e.name)}["{e.name}"]:::excluded')
        for j in wf.jobs:
            for r in j.requires:
                st = j.requires[r]
                label = "" if st == ("success",) else f"|{'/'.join(st)}|"
                out.append(f"    {w}__{_ident(r)} -->{label} {w}__{_ident(j.name)}")
        out.append("  end")
    out.append("  classDef excluded stroke-dasharray: 5 5,color:#999")
    return "\n".join(out) + "\n"


def _dq(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plan_dot(plan: Plan) -> str:
    out = ["digraph plan {", "  rankdir=LR;", "  node [shape=box];"]
    for i, wf in enumerate(plan.workflows):
        out.append(f"  subgraph cluster_{i} {{")
        out.append(f"    label={_dq(wf.name + ('' if wf.runs else ' (does not run)'))};")
        for j in wf.jobs:
            shape = " shape=hexagon" if j.type == "approval" else ""
            out.append(f"    {_dq(wf.name + '/' + j.name)} [label={_dq(j.name)}{shape}];")
        for e in wf.excluded:
            out.append(f"    {_dq(wf.name + '/' + e.name)} [label={_dq(e.name)} style=dashed "
                       f"fontcolor=gray tooltip={_dq(e.reason)}];")
        for j in wf.jobs:
            for r in j.requires:
                st = j.requires[r]
                lab = "" if st == ("success",) else f" [label={_dq('/'.join(st))}]"
                out.append(f"    {_dq(wf.name + '/' + r)} -> {_dq(wf.name + '/' + j.name)}{lab};")
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


PLAN_FORMATS = {"text": plan_text, "json": plan_json, "mermaid": plan_mermaid, "dot": plan_dot}
