"""Where runs keep what outlives a job: run state, workspace layers, caches and artifacts.

Each store is a small Protocol with a filesystem implementation; all of them refuse paths
that would escape their directories (see each module's docstring).
"""

from .artifacts import Artifact, ArtifactStore, FileSystemArtifactStore
from .cache import CacheEntry, CacheStore, FileSystemCacheStore
from .runstate import (
    InMemoryRunStore,
    JobRecord,
    ProcessRecord,
    RunRequest,
    RunStore,
    SQLiteRunStore,
    Transition,
    WorkflowRunRecord,
)
from .workspace import FileSystemWorkspaceStore, WorkspaceStore, expand_workspace_paths

__all__ = [
    "Artifact",
    "ArtifactStore",
    "CacheEntry",
    "CacheStore",
    "FileSystemArtifactStore",
    "FileSystemCacheStore",
    "FileSystemWorkspaceStore",
    "InMemoryRunStore",
    "JobRecord",
    "ProcessRecord",
    "RunRequest",
    "RunStore",
    "SQLiteRunStore",
    "Transition",
    "WorkflowRunRecord",
    "WorkspaceStore",
    "expand_workspace_paths",
]
