"""Typed events a :class:`~workflowcore.runtime.runner.Runner` emits while it drives workflows.

A host subscribes with ``Runner(..., on_event=callback)`` or ``runner.subscribe(callback)``
and gets plain frozen dataclasses, so a CLI can render progress, a web UI can stream them and a
test can assert their order without parsing text. The runner delivers them one at a time (never
two callbacks at once), from whichever thread produced them: the driver thread for every state
change, a job's thread for :class:`JobOutput`. A callback that raises is switched off (the run
goes on), because a broken progress display must never break a run.

Every string in an event is already masked: output lines, messages and everything else went
through the job's :class:`~workflowcore.runtime.contexts.Masker` first.

The order for one job is ``JobQueued`` → ``JobStarted`` → ``JobOutput``* → ``JobFinished``;
jobs the runner never starts get only ``JobFinished`` (``not_run``, ``unauthorized``, a no-op's
``success``, a canceled one). Approval jobs get ``ApprovalRequested`` when they go ``on_hold``
and ``JobFinished`` when approved or rejected. Each workflow run opens with
``WorkflowStarted`` (also when it is resumed) and ends with ``WorkflowFinished`` (terminal) or
``WorkflowOnHold`` (parked until someone approves).

A parallel job (``parallelism: N``, ``docs/parallelism.md``) is still one ``JobQueued`` →
``JobStarted`` (``nodes=N``) → ``JobFinished`` (the sum of its nodes); in between, each node
has ``NodeStarted`` → ``JobOutput``* (``node=K``) → ``NodeFinished``, nodes interleaving.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any, Callable, ClassVar, Dict, Optional, Tuple, Union

from .executor import StepResult, TestResultsSummary
from .stores.artifacts import Artifact

__all__ = [
    "ApprovalRequested",
    "Event",
    "EventCallback",
    "JobFinished",
    "JobOutput",
    "JobQueued",
    "JobStarted",
    "NodeFinished",
    "NodeStarted",
    "RunEvent",
    "WorkflowFinished",
    "WorkflowOnHold",
    "WorkflowStarted",
]


def _now() -> float:
    return time.time()


@dataclass(frozen=True)
class Event:
    """Base of every runner event: which workflow run (``workflow_id``) of which workflow."""

    kind: ClassVar[str] = "event"

    workflow_id: str
    workflow: str

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-able data with a ``type`` key (``job-finished``, ...)."""
        data = {key: _plain(value) for key, value in asdict(self).items()}
        return {"type": self.kind, **data}


def _plain(value: Any) -> Any:
    """``asdict`` output made JSON-able: tuples as lists, paths as strings."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, PurePath):
        return str(value)
    return value


@dataclass(frozen=True)
class WorkflowStarted(Event):
    """The runner took a workflow run in hand: created it, or resumed it (``resumed``;
    ``finished_jobs`` of its ``jobs`` were already terminal then)."""

    kind: ClassVar[str] = "workflow-started"

    pipeline_id: str
    jobs: Tuple[str, ...]
    resumed: bool = False
    finished_jobs: int = 0
    time: float = field(default_factory=_now)


@dataclass(frozen=True)
class JobQueued(Event):
    """The job's requirements are met; it waits for a free slot."""

    kind: ClassVar[str] = "job-queued"

    job: str
    time: float = field(default_factory=_now)


@dataclass(frozen=True)
class JobStarted(Event):
    """The job went to the executor, running as ``actor``; ``attempt`` counts from 1 (a job
    re-run after its process died gets 2). ``nodes``: how many nodes it runs
    (``parallelism``)."""

    kind: ClassVar[str] = "job-started"

    job: str
    actor: str
    attempt: int = 1
    time: float = field(default_factory=_now)
    nodes: int = 1


@dataclass(frozen=True)
class JobOutput(Event):
    """One masked output line of a running job; of its node ``node`` (``CIRCLE_NODE_INDEX``)
    of ``nodes`` when the job runs several."""

    kind: ClassVar[str] = "job-output"

    job: str
    line: str
    time: float = field(default_factory=_now)
    node: int = 0
    nodes: int = 1


@dataclass(frozen=True)
class NodeStarted(Event):
    """Node ``node`` of ``nodes`` of a parallel job got a slot and went to the executor."""

    kind: ClassVar[str] = "node-started"

    job: str
    node: int
    nodes: int
    time: float = field(default_factory=_now)


@dataclass(frozen=True)
class NodeFinished(Event):
    """Node ``node`` of ``nodes`` of a parallel job ended (``success``, ``failed`` or
    ``canceled``); the job's own ``JobFinished`` follows the last node."""

    kind: ClassVar[str] = "node-finished"

    job: str
    node: int
    nodes: int
    status: str
    exit_code: Optional[int] = None
    duration: Optional[float] = None
    message: Optional[str] = None
    time: float = field(default_factory=_now)


@dataclass(frozen=True)
class JobFinished(Event):
    """The job reached a terminal status. ``exit_code`` is ``None`` when the job did not
    exit on its own (canceled, killed, never started); ``message`` says why it did not
    succeed, in one masked line; ``approved_by`` names who approved an approval job.
    ``test_results`` (``store_test_results``) and ``artifacts`` are the job's, summed over
    its nodes for a parallel job (``nodes`` > 1). ``steps`` are the job's steps as they ran
    (name, status, duration; empty for a job the executor did not run and for a parallel
    job, whose nodes each ran them), for a summary with per-step timings: the run store
    does not keep them."""

    kind: ClassVar[str] = "job-finished"

    job: str
    status: str
    exit_code: Optional[int] = None
    duration: Optional[float] = None
    message: Optional[str] = None
    approved_by: Optional[str] = None
    time: float = field(default_factory=_now)
    test_results: Optional[TestResultsSummary] = None
    artifacts: Tuple[Artifact, ...] = ()
    nodes: int = 1
    steps: Tuple[StepResult, ...] = ()


@dataclass(frozen=True)
class ApprovalRequested(Event):
    """An approval job went ``on_hold``: ``workflowcore approve <workflow_id> <job>``."""

    kind: ClassVar[str] = "approval-requested"

    job: str
    time: float = field(default_factory=_now)


@dataclass(frozen=True)
class WorkflowOnHold(Event):
    """Nothing more can run until someone approves one of ``approvals``; the runner has
    stopped driving this workflow run (its state is in the store)."""

    kind: ClassVar[str] = "workflow-on-hold"

    approvals: Tuple[str, ...]
    time: float = field(default_factory=_now)


@dataclass(frozen=True)
class WorkflowFinished(Event):
    """Every job is terminal; ``status`` is the workflow's terminal status."""

    kind: ClassVar[str] = "workflow-finished"

    status: str
    time: float = field(default_factory=_now)


RunEvent = Union[WorkflowStarted, JobQueued, JobStarted, JobOutput, NodeStarted, NodeFinished,
                 JobFinished, ApprovalRequested, WorkflowOnHold, WorkflowFinished]
EventCallback = Callable[[Event], None]
