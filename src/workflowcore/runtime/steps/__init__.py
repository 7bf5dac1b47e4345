"""Built-in steps, interpreted the same way by every executor.

``normalize_step``/``normalize_steps`` turn a compiled job's ``steps`` into typed records;
``run_steps(request, host)`` runs them on a :class:`StepHost` (what an executor provides)
and returns the :class:`~workflowcore.runtime.executor.JobResult`. The cache-key renderer and
the JUnit summariser are public because reporters and other executors reuse them.
"""

from ._cachekey import CacheKeyError, arch_string, file_checksum, render_cache_key
from ._engine import BackgroundHandle, StepError, StepHost, resolve_job_path, run_steps
from ._junit import summarize_junit
from ._model import (
    DEFAULT_NO_OUTPUT_TIMEOUT,
    DEFAULT_SHELL,
    FALLBACK_SHELL,
    UNSUPPORTED_STEPS,
    WHEN_VALUES,
    AnyStep,
    AttachWorkspaceStep,
    CheckoutStep,
    InvalidStep,
    PersistToWorkspaceStep,
    RestoreCacheStep,
    RunStep,
    SaveCacheStep,
    Step,
    StoreArtifactsStep,
    StoreTestResultsStep,
    UnsupportedStep,
    normalize_step,
    normalize_steps,
    parse_duration,
)

__all__ = [
    "DEFAULT_NO_OUTPUT_TIMEOUT",
    "DEFAULT_SHELL",
    "FALLBACK_SHELL",
    "UNSUPPORTED_STEPS",
    "WHEN_VALUES",
    "AnyStep",
    "AttachWorkspaceStep",
    "BackgroundHandle",
    "CacheKeyError",
    "CheckoutStep",
    "InvalidStep",
    "PersistToWorkspaceStep",
    "RestoreCacheStep",
    "RunStep",
    "SaveCacheStep",
    "Step",
    "StepError",
    "StepHost",
    "StoreArtifactsStep",
    "StoreTestResultsStep",
    "UnsupportedStep",
    "arch_string",
    "file_checksum",
    "normalize_step",
    "normalize_steps",
    "parse_duration",
    "render_cache_key",
    "resolve_job_path",
    "run_steps",
    "summarize_junit",
]
