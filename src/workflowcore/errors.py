"""The exception tree of workflowcore.

User mistakes in a config are *diagnostics*, failing jobs are *results*; exceptions are for
misuse of the API and for infrastructure that is not there. Everything raised on purpose
derives from :class:`WorkflowCoreError`::

    WorkflowCoreError(Exception)
    ├── ConfigError              .diagnostics: the errors that made a config unusable
    ├── PlanError(ValueError)    plan() on an invalid config, unknown workflow, bad trigger
    │   └── CycleError           .cycle: tuple of job names, first == last
    ├── SchedulerError(ValueError)  misuse: done() for a job never handed out, ...
    ├── OrbUnavailableError      a workflow to run needs orbs that are not available offline
    ├── ExecutorError            infrastructure failure, never a failing job
    │   ├── ExecutorUnavailableError  docker missing, engine down, cluster unreachable
    │   ├── ExecutionTimeoutError
    │   └── ExecutorCrashedError
    └── StoreError
        ├── RunNotFoundError
        ├── RunBusyError          another live process drives that workflow run
        ├── WorkspaceError        a path escaping the workspace, a bad archive member
        └── StoreCorruptedError
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from .diagnostics import Diagnostic

__all__ = [
    "ConfigError",
    "CycleError",
    "ExecutionTimeoutError",
    "ExecutorCrashedError",
    "ExecutorError",
    "ExecutorUnavailableError",
    "OrbUnavailableError",
    "PlanError",
    "RunBusyError",
    "RunNotFoundError",
    "SchedulerError",
    "StoreCorruptedError",
    "StoreError",
    "WorkflowCoreError",
    "WorkspaceError",
]


class WorkflowCoreError(Exception):
    """Base of every exception workflowcore raises on purpose."""


class ConfigError(WorkflowCoreError):
    """A config has errors; ``diagnostics`` holds all of them (warnings included)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        head = str(errors[0]) if errors else "invalid config"
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        super().__init__(head + more)


class PlanError(WorkflowCoreError, ValueError):
    """A plan cannot be computed: invalid config, unknown workflow, contradictory trigger."""


class CycleError(PlanError):
    """The ``requires`` graph has a cycle; ``cycle`` lists it with first == last."""

    def __init__(self, message: str, cycle: Sequence[str]) -> None:
        super().__init__(message)
        self.cycle: tuple[str, ...] = tuple(cycle)


class SchedulerError(WorkflowCoreError, ValueError):
    """The scheduler was driven wrongly (a job done twice, never handed out, ...)."""


class ExecutorError(WorkflowCoreError):
    """The machinery that runs jobs failed. A job exiting non-zero is *not* this."""


class ExecutorUnavailableError(ExecutorError):
    """The executor cannot run anything here (no docker binary, engine down, ...)."""


class ExecutionTimeoutError(ExecutorError):
    """The executor gave up waiting for its own infrastructure."""


class ExecutorCrashedError(ExecutorError):
    """The executor process or worker died while running a job."""


class StoreError(WorkflowCoreError):
    """Run state or workspace storage failed."""


class RunNotFoundError(StoreError, KeyError):
    """No run or workflow with that id in the state directory."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else "run not found"


class RunBusyError(StoreError):
    """The workflow run is being driven by another live process (or runner)."""


class WorkspaceError(StoreError):
    """A workspace operation was refused (path escape, bad archive member, missing root)."""


class StoreCorruptedError(StoreError):
    """Stored state cannot be read back."""


class OrbUnavailableError(WorkflowCoreError):
    """Jobs of a workflow to run need orbs that are not available offline, so they cannot
    run faithfully. ``jobs`` maps each such job to the orb references it needs; ``orbs``
    lists every missing orb, sorted. Raised before anything runs."""

    def __init__(self, jobs: dict[str, tuple[str, ...]]) -> None:
        self.jobs = dict(jobs)
        self.orbs: tuple[str, ...] = tuple(sorted({o for refs in jobs.values() for o in refs}))
        names = sorted(self.jobs)
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        super().__init__(
            f"{len(self.orbs)} orb(s) needed by the workflow are not available offline: "
            f"{', '.join(self.orbs)} (needed by {shown}); put their sources in an orb store "
            "and pass --orb-dir, or skip those jobs (--skip-missing-orbs)")
