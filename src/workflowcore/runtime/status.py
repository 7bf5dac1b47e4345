"""Job and workflow statuses, spelled exactly as CircleCI's API spells them.

Both enums subclass ``str`` so a status compares equal to its API spelling
(``JobStatus.SUCCESS == "success"``), hashes like it (so ``"success" in {JobStatus.SUCCESS}``
holds on every supported Python) and serialises to JSON without a custom encoder. The
scheduler (:mod:`workflowcore.runtime.scheduler`) produces them; reporters and stores only
read them. The full aggregation rule from job statuses to a workflow status lives in the
scheduler's docstring and ``docs/scheduling.md``.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["JobStatus", "WorkflowStatus"]


class JobStatus(str, Enum):
    """The life of one job in a workflow (semantics §4.1).

    ``blocked`` → (``queued`` → ``running`` | ``on_hold``) → one of the five terminal statuses
    ``success``, ``failed``, ``canceled``, ``unauthorized``, ``not_run``. CircleCI's legacy
    outcomes (``timedout``, ``infrastructure_fail``, ...) are deliberately absent: a runner
    reports them as ``failed``.
    """

    BLOCKED = "blocked"
    QUEUED = "queued"
    RUNNING = "running"
    ON_HOLD = "on_hold"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELED = "canceled"
    UNAUTHORIZED = "unauthorized"
    NOT_RUN = "not_run"

    @property
    def is_terminal(self) -> bool:
        """Terminal statuses never change again (within one run of a workflow)."""
        return self in _TERMINAL_JOB

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:
        # Python < 3.11 hashes enum members by name ("SUCCESS"); keep str semantics.
        return str.__hash__(self)


class WorkflowStatus(str, Enum):
    """The status of a whole workflow (semantics §4.2).

    The scheduler produces ``running``, ``failing``, ``on_hold``, ``success``, ``failed``,
    ``canceled``, ``unauthorized`` and ``not_run``. ``queued`` (serial-group wait) and
    ``error`` (infrastructure could not start a job) exist for runners and for data read
    from CircleCI's API; the pure scheduler never returns them.
    """

    RUNNING = "running"
    FAILING = "failing"
    ON_HOLD = "on_hold"
    QUEUED = "queued"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELED = "canceled"
    ERROR = "error"
    UNAUTHORIZED = "unauthorized"
    NOT_RUN = "not_run"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_WORKFLOW

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:
        return str.__hash__(self)


_TERMINAL_JOB = frozenset(
    {
        JobStatus.SUCCESS,
        JobStatus.FAILED,
        JobStatus.CANCELED,
        JobStatus.UNAUTHORIZED,
        JobStatus.NOT_RUN,
    }
)
_TERMINAL_WORKFLOW = frozenset(
    {
        WorkflowStatus.SUCCESS,
        WorkflowStatus.FAILED,
        WorkflowStatus.CANCELED,
        WorkflowStatus.ERROR,
        WorkflowStatus.UNAUTHORIZED,
        WorkflowStatus.NOT_RUN,
    }
)
