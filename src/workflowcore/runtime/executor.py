"""The executor contract: one small protocol that runs one job and reports its result.

An executor gets a :class:`JobRequest` (the compiled job body as plain data, the environment
the runner already merged from contexts and built-ins, the secrets to mask, the stores and a
cancel token) and returns a :class:`JobResult`. A job that exits non-zero is a *result*
(``status="failed"``); exceptions are only for infrastructure the executor could not use,
and are translated at the boundary into :class:`~workflowcore.errors.ExecutorError`
subclasses::

    with SubprocessExecutor(run_dir, source_dir=repo) as executor:
        result = executor.execute(request)

Executors own their resources and release them in ``close()``; :class:`BaseExecutor` gives
the context-manager plumbing and a no-op ``close`` (like httpx's ``BaseTransport``). Tests and
hosts that bring their own runtime use :class:`~workflowcore.runtime.executors.MockExecutor`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    runtime_checkable,
)

from .stores.artifacts import Artifact

if TYPE_CHECKING:
    from ..planning.plan import PlannedJob
    from .stores.artifacts import ArtifactStore
    from .stores.cache import CacheStore
    from .stores.timings import TimingsStore
    from .stores.workspace import WorkspaceStore

__all__ = [
    "JOB_RESULT_STATUSES",
    "STEP_STATUSES",
    "Artifact",
    "BaseExecutor",
    "Executor",
    "JobRequest",
    "JobResult",
    "StepResult",
    "TestResultsSummary",
]

_E = TypeVar("_E", bound="BaseExecutor")

#: What a finished job can be. ``unauthorized`` and ``not_run`` are decided by the runner
#: before an executor is ever called.
JOB_RESULT_STATUSES: Tuple[str, ...] = ("success", "failed", "canceled")
#: ``warning``: the step reported an error that does not fail the job (a cache key that
#: cannot be computed, as on CircleCI); ``skipped``: not run (``when``, unsupported locally).
STEP_STATUSES: Tuple[str, ...] = ("success", "failed", "skipped", "canceled", "warning")


@dataclass(frozen=True)
class JobRequest:
    """Everything an executor needs to run one job invocation.

    ``job_name`` is the invocation name (unique in its workflow; ``CIRCLE_JOB``), ``job`` the
    name of the job definition it runs. ``definition`` is ``PlannedJob.definition``: the
    compiled job body in CircleCI 2.0 shape. ``environment`` is already merged from project,
    context and built-in variables; executors put the job's and steps' ``environment`` on top.
    ``secrets`` are masked in every output line. ``upstream_jobs`` lists, in workflow graph
    order, the invocations whose workspace layers ``attach_workspace`` applies; the
    workspace is keyed by ``workflow_id``. ``work_dir`` is where the executor may put this
    job's files (``None``: the executor chooses). ``cancel`` is set by the runner to stop the
    job; ``on_output`` receives every output line, already masked, possibly from several
    threads one call at a time. ``timeout`` bounds the whole job (seconds). ``on_process``
    is called with ``(pgid, leader start time)`` for each process group the executor starts
    on this machine, as soon as it exists: the runner records it, so that if this process is
    killed the next command that takes the run over stops the group first.
    """

    run_id: str
    workflow_id: str
    job_name: str
    definition: Mapping[str, Any]
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Sequence[str] = ()
    job: Optional[str] = None
    upstream_jobs: Tuple[str, ...] = ()
    work_dir: Optional[Path] = None
    workspace: Optional[WorkspaceStore] = None
    caches: Optional[CacheStore] = None
    artifacts: Optional[ArtifactStore] = None
    cancel: threading.Event = field(default_factory=threading.Event)
    on_output: Optional[Callable[[str], None]] = None
    timeout: Optional[float] = None
    on_process: Optional[Callable[[int, str], None]] = None
    #: Which node of a parallel job this is (``CIRCLE_NODE_INDEX``, from 0) and how many the
    #: job runs (``parallelism``; ``docs/parallelism.md``). Executors give node K>0 files of
    #: its own; ``workspace``/``artifacts`` are already the node's view of the stores.
    node_index: int = 0
    node_total: int = 1
    #: Test timings of the job's earlier runs (``circleci tests split --split-by=timings``);
    #: ``store_test_results`` records this run's. ``None``: timings are not kept.
    timings: Optional[TimingsStore] = None

    @property
    def job_definition_name(self) -> str:
        return self.job or self.job_name

    @classmethod
    def from_planned(cls, planned: PlannedJob, *, run_id: str, workflow_id: str,
                     **kwargs: Any) -> JobRequest:
        """A request for a planned build job (its definition must not be ``None``)."""
        if planned.definition is None:
            raise ValueError(f"job {planned.name!r} has no definition to execute "
                             f"(type {planned.type!r})")
        return cls(run_id=run_id, workflow_id=workflow_id, job_name=planned.name,
                   job=planned.job, definition=planned.definition, **kwargs)


@dataclass(frozen=True)
class StepResult:
    """One step as it ran. ``type`` is the step kind (``run``, ``checkout``, ...);
    ``output`` holds this step's masked output lines; ``note`` says why it was skipped,
    failed or warned, in one line."""

    name: str
    type: str
    status: str
    exit_code: Optional[int] = None
    duration: float = 0.0
    note: Optional[str] = None
    output: str = ""

    def __post_init__(self) -> None:
        if self.status not in STEP_STATUSES:
            raise ValueError(f"step status must be one of {STEP_STATUSES}, got {self.status!r}")

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "type": self.type, "status": self.status,
                "exit_code": self.exit_code, "duration": round(self.duration, 3),
                "note": self.note}


@dataclass(frozen=True)
class TestResultsSummary:
    """Counts from JUnit XML (``store_test_results``); ``failed_tests`` names the failing
    and erroring test cases as ``classname.name`` (at most 100)."""

    __test__ = False  # not a pytest test class, despite the name

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    files: Tuple[str, ...] = ()
    failed_tests: Tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    def __add__(self, other: TestResultsSummary) -> TestResultsSummary:
        return TestResultsSummary(
            self.tests + other.tests, self.failures + other.failures,
            self.errors + other.errors, self.skipped + other.skipped,
            self.files + other.files, (self.failed_tests + other.failed_tests)[:100])

    def to_dict(self) -> Dict[str, Any]:
        return {"tests": self.tests, "failures": self.failures, "errors": self.errors,
                "skipped": self.skipped, "files": list(self.files),
                "failed_tests": list(self.failed_tests)}


@dataclass(frozen=True)
class JobResult:
    """How a job ended. ``exit_code`` is the failing step's exit code (0 on success; ``None``
    when canceled or killed); ``message`` is one line saying why it did not succeed."""

    status: str
    exit_code: Optional[int] = 0
    steps: Tuple[StepResult, ...] = ()
    log: str = ""
    test_results: Optional[TestResultsSummary] = None
    artifacts: Tuple[Artifact, ...] = ()
    duration: float = 0.0
    message: Optional[str] = None

    def __post_init__(self) -> None:
        status = str(self.status)  # accepts JobStatus members too
        if status not in JOB_RESULT_STATUSES:
            raise ValueError(f"job status must be one of {JOB_RESULT_STATUSES}, got {status!r}")
        object.__setattr__(self, "status", status)

    @property
    def ok(self) -> bool:
        return self.status == "success"

    @classmethod
    def success(cls, **kwargs: Any) -> JobResult:
        return cls("success", 0, **kwargs)

    @classmethod
    def failed(cls, exit_code: Optional[int] = 1, **kwargs: Any) -> JobResult:
        return cls("failed", exit_code, **kwargs)

    @classmethod
    def canceled(cls, **kwargs: Any) -> JobResult:
        return cls("canceled", None, **kwargs)

    @classmethod
    def from_exit_code(cls, exit_code: int, **kwargs: Any) -> JobResult:
        return cls("success" if exit_code == 0 else "failed", exit_code, **kwargs)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "message": self.message,
            "duration": round(self.duration, 3),
            "steps": [s.to_dict() for s in self.steps],
            "test_results": self.test_results.to_dict() if self.test_results else None,
            "artifacts": [a.to_dict() for a in self.artifacts],
        }


@runtime_checkable
class Executor(Protocol):
    """Runs one job. Must be safe to call from several runner threads at once."""

    def execute(self, request: JobRequest) -> JobResult:
        ...

    def close(self) -> None:
        ...


class BaseExecutor:
    """Lifecycle defaults for executors: context manager and a no-op :meth:`close`."""

    def execute(self, request: JobRequest) -> JobResult:
        raise NotImplementedError(
            "The 'execute' method must be implemented.")  # pragma: no cover

    def close(self) -> None:
        """Release what the executor holds (containers, clients). Idempotent."""

    def __enter__(self: _E) -> _E:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]] = None,
        exc_value: Optional[BaseException] = None,
        traceback: Optional[TracebackType] = None,
    ) -> None:
        self.close()
