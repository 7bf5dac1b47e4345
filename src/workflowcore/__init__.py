"""workflowcore: read, check, plan and run CircleCI-style workflow configs.

The layers, each usable alone (docs/api.md)::

    load(text) / load_file(path)   -> LoadResult(config, diagnostics)   # lint
    compile(result, trigger)       -> CompileResult                      # 2.1 → 2.0 shape
    plan(result, Trigger(...))     -> Plan                               # which jobs run, why not
    Scheduler(plan.workflows[0])   -> get_ready() / done() / approve()   # pure, graphlib-shaped
    Runner(executor, store).run(plan.workflows) -> WorkflowRunRecords  # subprocess, docker, mock

Names are imported lazily: ``import workflowcore`` stays cheap (an editor that only lints
never imports the runtime).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # diagnostics and errors
    "Diagnostic": "workflowcore.diagnostics",
    "Severity": "workflowcore.diagnostics",
    "WorkflowCoreError": "workflowcore.errors",
    "ConfigError": "workflowcore.errors",
    "PlanError": "workflowcore.errors",
    "CycleError": "workflowcore.errors",
    "SchedulerError": "workflowcore.errors",
    "ExecutorError": "workflowcore.errors",
    "ExecutorUnavailableError": "workflowcore.errors",
    "OrbUnavailableError": "workflowcore.errors",
    "OrbStore": "workflowcore.config.orbs.store",
    "pack_orb": "workflowcore.config.orbs._pack",
    "StoreError": "workflowcore.errors",
    "RunNotFoundError": "workflowcore.errors",
    "WorkspaceError": "workflowcore.errors",
    # config
    "Config": "workflowcore.config",
    "LoadResult": "workflowcore.config",
    "CompileResult": "workflowcore.config",
    "load": "workflowcore.config",
    "load_file": "workflowcore.config",
    "load_or_raise": "workflowcore.config",
    "load_file_or_raise": "workflowcore.config",
    "to_yaml": "workflowcore.config",
    "compile": "workflowcore._compile",
    # planning
    "Trigger": "workflowcore.planning",
    "Plan": "workflowcore.planning",
    "PlannedWorkflow": "workflowcore.planning",
    "PlannedJob": "workflowcore.planning",
    "ExcludedJob": "workflowcore.planning",
    "plan": "workflowcore.planning",
    # runtime
    "Scheduler": "workflowcore.runtime.scheduler",
    "JobStatus": "workflowcore.runtime.status",
    "WorkflowStatus": "workflowcore.runtime.status",
    "rerun_from_failed": "workflowcore.runtime.scheduler",
    "Executor": "workflowcore.runtime.executor",
    "BaseExecutor": "workflowcore.runtime.executor",
    "JobRequest": "workflowcore.runtime.executor",
    "JobResult": "workflowcore.runtime.executor",
    "MockExecutor": "workflowcore.runtime.executors.mock",
    "SubprocessExecutor": "workflowcore.runtime.executors.subprocess",
    "DockerExecutor": "workflowcore.runtime.executors.docker",
    "Runner": "workflowcore.runtime.runner",
    "RunStore": "workflowcore.runtime.stores.runstate",
    "SQLiteRunStore": "workflowcore.runtime.stores.runstate",
    "InMemoryRunStore": "workflowcore.runtime.stores.runstate",
    "WorkflowRunRecord": "workflowcore.runtime.stores.runstate",
    "Event": "workflowcore.runtime.events",
}

__all__ = [
    "BaseExecutor",
    "CompileResult",
    "Config",
    "ConfigError",
    "CycleError",
    "Diagnostic",
    "DockerExecutor",
    "Event",
    "ExcludedJob",
    "Executor",
    "ExecutorError",
    "ExecutorUnavailableError",
    "InMemoryRunStore",
    "JobRequest",
    "JobResult",
    "JobStatus",
    "LoadResult",
    "MockExecutor",
    "OrbStore",
    "OrbUnavailableError",
    "Plan",
    "PlanError",
    "PlannedJob",
    "PlannedWorkflow",
    "RunNotFoundError",
    "RunStore",
    "Runner",
    "SQLiteRunStore",
    "Scheduler",
    "SchedulerError",
    "Severity",
    "StoreError",
    "SubprocessExecutor",
    "Trigger",
    "WorkflowCoreError",
    "WorkflowRunRecord",
    "WorkflowStatus",
    "WorkspaceError",
    "__version__",
    "compile",
    "load",
    "load_file",
    "load_file_or_raise",
    "load_or_raise",
    "pack_orb",
    "plan",
    "rerun_from_failed",
    "to_yaml",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workflowcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - static view of the lazy names
    from ._compile import compile
    from .config import (
        CompileResult,
        Config,
        LoadResult,
        load,
        load_file,
        load_file_or_raise,
        load_or_raise,
        to_yaml,
    )
    from .config.orbs._pack import pack_orb
    from .config.orbs.store import OrbStore
    from .diagnostics import Diagnostic, Severity
    from .errors import (
        ConfigError,
        CycleError,
        ExecutorError,
        ExecutorUnavailableError,
        OrbUnavailableError,
        PlanError,
        RunNotFoundError,
        SchedulerError,
        StoreError,
        WorkflowCoreError,
        WorkspaceError,
    )
    from .planning import ExcludedJob, Plan, PlannedJob, PlannedWorkflow, Trigger, plan
    from .runtime.events import Event
    from .runtime.executor import BaseExecutor, Executor, JobRequest, JobResult
    from .runtime.executors.docker import DockerExecutor
    from .runtime.executors.mock import MockExecutor
    from .runtime.executors.subprocess import SubprocessExecutor
    from .runtime.runner import Runner
    from .runtime.scheduler import Scheduler, rerun_from_failed
    from .runtime.status import JobStatus, WorkflowStatus
    from .runtime.stores.runstate import (
        InMemoryRunStore,
        RunStore,
        SQLiteRunStore,
        WorkflowRunRecord,
    )
