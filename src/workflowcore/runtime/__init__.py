"""Runtime: the pure scheduler, executors, stores and the runner. The only layer with
effects (processes, files, threads)."""

from .events import (
    ApprovalRequested,
    Event,
    JobFinished,
    JobOutput,
    JobQueued,
    JobStarted,
    WorkflowFinished,
    WorkflowOnHold,
    WorkflowStarted,
)
from .runner import Runner
from .scheduler import SNAPSHOT_VERSION, Scheduler, rerun_all, rerun_from_failed
from .status import JobStatus, WorkflowStatus
from .stores.runstate import InMemoryRunStore, RunStore, SQLiteRunStore, WorkflowRunRecord

__all__ = [
    "SNAPSHOT_VERSION",
    "ApprovalRequested",
    "Event",
    "InMemoryRunStore",
    "JobFinished",
    "JobOutput",
    "JobQueued",
    "JobStarted",
    "JobStatus",
    "RunStore",
    "Runner",
    "SQLiteRunStore",
    "Scheduler",
    "WorkflowFinished",
    "WorkflowOnHold",
    "WorkflowRunRecord",
    "WorkflowStarted",
    "WorkflowStatus",
    "rerun_all",
    "rerun_from_failed",
]
