"""The execution plan: immutable data produced by :func:`workflowcore.plan` and consumed by
the scheduler, the runner and any host CI system.

A plan says, for one trigger, which workflows run, which jobs of each run (in a topological
order, with their pruned ``requires`` and the statuses each requirement accepts) and why every
other job does not. It holds no reference to the YAML: the executor-facing job definition is
carried as plain data (``definition``) so a plan can be pickled to a worker or written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..diagnostics import Diagnostic

__all__ = [
    "TERMINAL_STATUSES",
    "ExcludedJob",
    "Plan",
    "PlannedJob",
    "PlannedWorkflow",
]

#: The statuses a ``requires`` entry may accept; ``terminal`` is shorthand for all of them.
TERMINAL_STATUSES: tuple[str, ...] = ("success", "failed", "canceled", "unauthorized", "not_run")


@dataclass(frozen=True)
class PlannedJob:
    """One job invocation that runs in a workflow for this trigger.

    ``name`` is unique in its workflow (after ``name:``, numbering and matrix expansion);
    ``job`` is the job definition it runs (for approval jobs: the approval's own name).
    ``requires`` maps each upstream invocation name to the statuses it accepts, after jobs
    excluded by filters were dropped. ``type`` is ``build``, ``approval``, ``no-op``,
    ``release``, ``lock`` or ``unlock``. ``definition`` is the compiled job body (2.0 shape:
    ``docker``/``machine``, ``steps``, ``environment``, ...) as plain data, or ``None`` for
    approval jobs. ``unavailable_orbs`` names the orbs (references) the job needs that
    could not be had offline: such a job cannot run faithfully (``run`` refuses it, or skips
    it as ``not_run`` when told to).
    """

    name: str
    job: str
    type: str = "build"
    requires: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    context: tuple[str, ...] = ()
    definition: Mapping[str, Any] | None = None
    serial_group: str | None = None
    unavailable_orbs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "job": self.job,
            "type": self.type,
            "requires": {k: list(v) for k, v in self.requires.items()},
            "context": list(self.context),
        }
        if self.unavailable_orbs:
            out["unavailable_orbs"] = list(self.unavailable_orbs)
        return out


@dataclass(frozen=True)
class ExcludedJob:
    """A job invocation that does not run for this trigger, and the human reason why."""

    name: str
    job: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "job": self.job, "reason": self.reason}


@dataclass(frozen=True)
class PlannedWorkflow:
    """One workflow of the config under this trigger.

    ``jobs`` is in a topological order (requirements first; ties keep config order), so a
    host may run them in that order sequentially. ``runs`` is false when the workflow does not
    run at all for this trigger (``reason`` says why) or when every job was excluded.
    """

    name: str
    runs: bool
    reason: str | None = None
    jobs: tuple[PlannedJob, ...] = ()
    excluded: tuple[ExcludedJob, ...] = ()

    def job(self, name: str) -> PlannedJob:
        for j in self.jobs:
            if j.name == name:
                return j
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "runs": self.runs,
            "reason": self.reason,
            "jobs": [j.to_dict() for j in self.jobs],
            "excluded": [e.to_dict() for e in self.excluded],
        }


@dataclass(frozen=True)
class Plan:
    """Every workflow of a config planned for one trigger, in config order.

    ``trigger`` is the trigger as plain data (``Trigger.to_dict()``, parameters typed).
    ``diagnostics`` holds the warnings found while compiling the config for this trigger
    (e.g. an orb that is not available offline); they are not part of :meth:`to_dict`.
    ``orbs`` says which version each orb reference resolved to in the local orb store
    (reference as written → ``{"resolved": "ns/name@X.Y.Z", "digest": "sha256:..."}``);
    :meth:`to_dict` has it when the config uses such orbs.
    """

    trigger: Mapping[str, Any]
    workflows: tuple[PlannedWorkflow, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)
    orbs: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False)

    def workflow(self, name: str) -> PlannedWorkflow:
        for w in self.workflows:
            if w.name == name:
                return w
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": 1,
            "trigger": dict(self.trigger),
            "workflows": [w.to_dict() for w in self.workflows],
        }
        if self.orbs:
            out["orbs"] = {k: dict(v) for k, v in self.orbs.items()}
        return out
