"""Running some jobs of a plan: ``workflowcore run JOB...`` / ``--job`` (issue 12).

A person fixing one job wants to run that job, not the whole workflow. Selecting keeps the
chosen jobs of every workflow that has them; ``with_requires`` adds everything they require,
transitively, so workspaces and approvals upstream are there as on CircleCI. Without it a
chosen job's requirements on jobs left out are dropped (it starts at once), and the caller
says so: ``attach_workspace`` then finds only what the chosen jobs persist themselves.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Sequence, Set, Tuple

from .plan import PlannedWorkflow

__all__ = ["Selection", "select_jobs"]


class Selection:
    """The workflows cut down to the chosen jobs, and what was dropped on the way."""

    def __init__(self, workflows: Tuple[PlannedWorkflow, ...], unknown: Tuple[str, ...],
                 dropped_requires: Dict[str, Tuple[str, ...]]) -> None:
        self.workflows = workflows
        #: names that no workflow planned for this trigger has
        self.unknown = unknown
        #: chosen job -> requirements left out (only without ``with_requires``)
        self.dropped_requires = dropped_requires


def select_jobs(workflows: Sequence[PlannedWorkflow], names: Sequence[str], *,
                with_requires: bool = False) -> Selection:
    """Keep the jobs ``names`` (invocation names) of each workflow, and with
    ``with_requires`` all they require; workflows without any of them are left out."""
    wanted = list(dict.fromkeys(names))
    found: Set[str] = set()
    out: List[PlannedWorkflow] = []
    dropped: Dict[str, Tuple[str, ...]] = {}
    for wf in workflows:
        by_name = {j.name: j for j in wf.jobs}
        keep = {n for n in wanted if n in by_name}
        if not keep:
            continue
        found |= keep
        if with_requires:
            stack = list(keep)
            while stack:
                for req in by_name[stack.pop()].requires:
                    if req in by_name and req not in keep:
                        keep.add(req)
                        stack.append(req)
        jobs = []
        for job in wf.jobs:  # plan order stays topological
            if job.name not in keep:
                continue
            lost = tuple(r for r in job.requires if r not in keep)
            if lost:
                dropped[job.name] = lost
                job = replace(job, requires={r: s for r, s in job.requires.items()
                                             if r in keep})
            jobs.append(job)
        out.append(replace(wf, jobs=tuple(jobs)))
    unknown = tuple(n for n in wanted if n not in found)
    return Selection(tuple(out), unknown, dropped)
