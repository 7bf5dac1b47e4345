"""Jobs that may run at the same time in the same absolute directory (issue 12).

On CircleCI every job has its own machine, so two jobs with ``working_directory: /tmp/app``
never meet. With the subprocess executor they run on one machine: when neither requires the
other (directly or not), or when a job has ``parallelism`` above 1, they can run at once and
share that directory — one's ``checkout`` or ``rm -rf`` lands in the other's files. The
runner cannot move an absolute path without changing what the job does, so ``run`` warns,
naming the jobs, the directory and the ways out.
"""

from __future__ import annotations

import posixpath
from typing import Dict, List, Sequence, Set, Tuple

from .nodes import parallelism_of
from .plan import PlannedJob, PlannedWorkflow

__all__ = ["shared_directories"]


def _absolute_wd(job: PlannedJob) -> str | None:
    wd = (job.definition or {}).get("working_directory")
    if not isinstance(wd, str) or not wd.startswith("/"):
        return None  # "~/..." and relative paths are under each job's own HOME
    return posixpath.normpath(wd)


def _ancestors(wf: PlannedWorkflow) -> Dict[str, Set[str]]:
    out: Dict[str, Set[str]] = {}
    for job in wf.jobs:  # topological order: requirements first
        seen: Set[str] = set()
        for req in job.requires:
            seen.add(req)
            seen |= out.get(req, set())
        out[job.name] = seen
    return out


def _parallelism(job: PlannedJob) -> int:
    try:
        return parallelism_of(job.definition)
    except ValueError:  # the job fails before it runs (runtime/parallelism.py)
        return 1


def shared_directories(workflows: Sequence[PlannedWorkflow]) -> List[Tuple[str, Tuple[str, ...]]]:
    """``(directory, jobs)`` for each absolute working directory that jobs which may run at
    the same time share (across the workflows given, which run together)."""
    by_dir: Dict[str, List[Tuple[str, str]]] = {}  # dir -> [(workflow, job)]
    ancestors = {wf.name: _ancestors(wf) for wf in workflows}
    found: Dict[str, Set[str]] = {}
    for wf in workflows:
        for job in wf.jobs:
            wd = _absolute_wd(job)
            if wd is None:
                continue
            if _parallelism(job) > 1:
                found.setdefault(wd, set()).add(job.name)
            for other_wf, other in by_dir.get(wd, []):
                ordered = other_wf == wf.name and (
                    other in ancestors[wf.name].get(job.name, set()))
                if not ordered:
                    found.setdefault(wd, set()).update((other, job.name))
            by_dir.setdefault(wd, []).append((wf.name, job.name))
    return [(d, tuple(sorted(jobs))) for d, jobs in sorted(found.items())]
