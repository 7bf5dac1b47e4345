"""One job's surroundings for executor tests: a run directory, the three stores and a
:class:`SubprocessExecutor`, with the output collected."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

from workflowcore.runtime.executor import JobRequest, JobResult
from workflowcore.runtime.executors import SubprocessExecutor
from workflowcore.runtime.stores import (
    FileSystemArtifactStore,
    FileSystemCacheStore,
    FileSystemWorkspaceStore,
)


class Env:
    """One run directory with stores, an executor and a collected output."""

    def __init__(self, tmp: Path, source: Optional[Path] = None) -> None:
        self.tmp = tmp
        self.workspace = FileSystemWorkspaceStore(tmp / "stores" / "workspace")
        self.caches = FileSystemCacheStore(tmp / "stores" / "cache")
        self.artifacts = FileSystemArtifactStore(tmp / "stores" / "artifacts")
        self.executor = SubprocessExecutor(tmp / "run", source, kill_grace=0.5)
        self.lines: List[str] = []

    def run(self, job: str, steps: List[Any], **kwargs: Any) -> JobResult:
        definition: dict[str, Any] = {"docker": [{"image": "cimg/base:stable"}], "steps": steps}
        definition.update(kwargs.pop("definition", {}))
        req = JobRequest(
            run_id="run-1", workflow_id=kwargs.pop("workflow_id", "wf-1"), job_name=job,
            definition=definition, workspace=self.workspace, caches=self.caches,
            artifacts=self.artifacts, on_output=self.lines.append, **kwargs)
        return self.executor.execute(req)

    def job_home(self, job: str, workflow: str = "wf-1") -> Path:
        return self.tmp / "run" / workflow / job / "home"
