"""The stores a job sees on a Dask worker: local stand-ins for the client's stores.

The run's real stores (workspace, caches, artifacts, timings) live on the client's machine.
A job on a worker gets these stand-ins instead, which speak the same protocols to the step
interpreter, so ``persist_to_workspace``, ``restore_cache`` and the rest behave exactly as
locally, and whose data travels through Dask:

* :class:`WorkerWorkspace` attaches the upstream layers the task was given (Dask moved them
  here, worker to worker when another worker produced them) and collects what the job
  persists, part by part, for the client to import into the run's workspace;
* :class:`WorkerCaches` saves into a job-local :class:`FileSystemCacheStore` (the same key
  rules) and asks the client, through ``ask``, which saved key matches and for its bytes;
* :class:`ShippedTimings` exports the timings the client sent and keeps what the job
  records for the client;
* artifacts go to a job-local :class:`FileSystemArtifactStore` and are packed for the client
  by :func:`pack_artifacts`.

Nothing here imports Dask; ``ask(op, **args)`` is the worker's round trip to the client.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import IO, Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from ...errors import WorkspaceError
from ..stores._archive import extract_archive
from ..stores.artifacts import Artifact
from ..stores.cache import FileSystemCacheStore
from ..stores.timings import TestTiming, TimingsStore
from ..stores.workspace import expand_workspace_paths, write_layer

__all__ = [
    "Ask",
    "ShippedTimings",
    "WorkerCaches",
    "WorkerWorkspace",
    "pack_artifacts",
    "timing_rows",
    "timings_from_rows",
]

#: ``ask(op, **arguments)``: a question to the client, answered while the job runs
Ask = Callable[..., Any]
#: a layer as it travels: its tar parts in the order they were persisted
Layer = List[bytes]


class WorkerWorkspace:
    """The workspace on a worker: ``given`` holds the upstream layers the task was given
    (layer key -> parts); ``persisted`` collects this job's new parts by layer key."""

    def __init__(self, layers: Dict[str, Layer]) -> None:
        self.given = layers
        self.persisted: Dict[str, Layer] = {}

    def persist(self, run: str, job: str, root: Path, paths: Sequence[str]) -> List[str]:
        matched = expand_workspace_paths(Path(root), paths)
        buf = io.BytesIO()
        write_layer(buf, Path(root), matched)
        self.persisted.setdefault(job, []).append(buf.getvalue())
        return matched

    def attach(self, run: str, jobs: Sequence[str], dest: Path) -> List[str]:
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        applied: List[str] = []
        for job in jobs:
            parts = self.given.get(job) or []
            for part in parts:
                extract_archive(io.BytesIO(part), dest,
                                describe=f"the workspace layer of {job!r}",
                                error=WorkspaceError)
            if parts:
                applied.append(job)
        return applied

    def copy_layers(self, source_run: str, target_run: str,
                    jobs: Iterable[str] | None = None) -> List[str]:
        return []  # the client's store does this (rerun --from-failed); never on a worker

    def layers(self, run: str) -> List[str]:
        return sorted(set(self.given) | set(self.persisted))


class WorkerCaches:
    """Caches on a worker: saves land in ``local`` (a job-local store, so key checks and
    immutability are the real store's); lookups ask the client's store as well."""

    def __init__(self, local: FileSystemCacheStore, ask: Ask) -> None:
        self.local = local
        self.ask = ask

    def exists(self, key: str) -> bool:
        return self.local.exists(key) or bool(self.ask("cache-exists", key=key))

    def match(self, keys: Sequence[str]) -> Optional[str]:
        """CircleCI's rule, candidate by candidate: the first candidate with any match
        decides, and among its matches the most recent save wins (this job's own saves are
        the most recent of all)."""
        candidates = [k for k in keys if k]
        if not candidates:
            return None
        remote: List[Optional[str]] = list(self.ask("cache-match", keys=candidates))
        for candidate, found in zip(candidates, remote):
            mine = self.local.match([candidate])
            if mine is not None:
                return mine
            if found is not None:
                return found
        return None

    def save(self, key: str, write: Callable[[IO[bytes]], None]) -> bool:
        if self.exists(key):
            return False
        return self.local.save(key, write)

    def open(self, key: str) -> IO[bytes]:
        if self.local.exists(key):
            return self.local.open(key)
        return io.BytesIO(bytes(self.ask("cache-open", key=key)))

    def saved(self) -> List[Tuple[str, bytes]]:
        """What this job saved, oldest first: ``(key, archive bytes)``."""
        out: List[Tuple[str, bytes]] = []
        for entry in self.local.entries():
            with self.local.open(entry.key) as fh:
                out.append((entry.key, fh.read()))
        return out


def timing_rows(tests: Iterable[TestTiming]) -> List[List[Any]]:
    return [[t.file, t.classname, t.name, float(t.time)] for t in tests]


def timings_from_rows(rows: Iterable[Sequence[Any]]) -> List[TestTiming]:
    return [TestTiming(str(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]


class ShippedTimings(TimingsStore):
    """The timings of the job's earlier runs as the client sent them; what the job records
    is kept (``recorded``) for the client's store, which decides what to keep."""

    def __init__(self, root: Path, tests: Sequence[TestTiming]) -> None:
        super().__init__(root)
        self._shipped = list(tests)
        self.recorded: Optional[Tuple[List[TestTiming], int, str]] = None

    def load(self, job: str) -> List[TestTiming]:
        return list(self._shipped)

    def record(self, job: str, tests: Iterable[TestTiming], *, node_index: int = 0,
               run_id: str = "") -> int:
        kept = list(tests)
        self.recorded = (kept, node_index, run_id)
        return len(kept)


def pack_artifacts(artifacts: Sequence[Artifact]) -> bytes:
    """One tar of the stored artifacts, each under its listed path (a later one of the same
    path wins, as in the store)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for art in artifacts:
            info = tar.gettarinfo(str(art.location), arcname=art.path)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(art.location, "rb") as fh:
                tar.addfile(info, fh)
    return buf.getvalue()
