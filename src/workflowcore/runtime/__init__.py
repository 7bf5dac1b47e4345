"""Runtime: the pure scheduler, executors, stores and the runner. The only layer with
effects (processes, files, threads)."""

from .scheduler import SNAPSHOT_VERSION, Scheduler, rerun_all, rerun_from_failed
from .status import JobStatus, WorkflowStatus

__all__ = ["SNAPSHOT_VERSION", "JobStatus", "Scheduler", "WorkflowStatus", "rerun_all",
           "rerun_from_failed"]
