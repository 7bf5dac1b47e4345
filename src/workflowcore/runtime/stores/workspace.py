"""Workflow workspaces: additive layers, one per (workflow run, job) (semantics §7).

``persist_to_workspace`` adds files to the calling job's layer; ``attach_workspace`` unpacks
the layers of the job's upstream jobs, in the order the caller gives (the workflow graph
order), so for sequential writers the later job's file wins (R7.4). A layer is never edited:
each ``persist`` call writes one more tar *part* into the job's layer directory, to a temporary
name first and then ``os.replace``-d into place, so a process killed mid-write leaves no half
part behind. Rerun-from-failed starts a new workflow run that must still see the layers of the
jobs it does not rerun; :meth:`FileSystemWorkspaceStore.copy_layers` carries them over
(hard links where the filesystem allows, since parts are immutable).

Every path from the config is checked: ``paths`` must be relative to ``root`` without ``..``
and may not reach their files through a symlinked directory leading out of ``root``.
Symlinks are persisted and attached as the links they are, wherever they point (a
virtualenv's ``bin/python -> /usr/bin/python3`` keeps working), and unpacking never creates
or writes anything through a link already in the destination
(:mod:`~workflowcore.runtime.stores._archive`). Refusals raise
:class:`~workflowcore.errors.WorkspaceError` naming the path and the fix; the step
interpreter turns them into a failed step, not a crashed run.

Parallel jobs (``parallelism: N``, ``docs/parallelism.md``). The N nodes of one job run at
the same time and may each persist; one layer per job would let them race for the same part
number and apply in finishing order. So node K has a layer of its own, keyed
:func:`node_key` ``(job, K)`` (node 0 keeps the plain job name, so a job without parallelism
is stored exactly as before). :class:`NodeWorkspace` is the store a node's steps see: it files
``persist`` under the node's key. Downstream jobs list :func:`node_layers` of a parallel
upstream job, which applies the nodes' layers in node order (a later node's file wins).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import IO, Iterable, List, Protocol, Sequence, Tuple, runtime_checkable
from urllib.parse import unquote

from ...errors import WorkspaceError
from .._fs import path_component, relative_member, temp_sibling
from ._archive import ArchiveWriter, extract_archive
from ._glob import BadPatternError, glob, has_magic

__all__ = [
    "FileSystemWorkspaceStore",
    "NodeWorkspace",
    "WorkspaceStore",
    "expand_workspace_paths",
    "node_key",
    "node_layers",
    "write_layer",
]


@runtime_checkable
class WorkspaceStore(Protocol):
    """Where workspace layers live. ``run`` is the workflow run id (one workspace each)."""

    def persist(self, run: str, job: str, root: Path, paths: Sequence[str]) -> List[str]:
        """Add ``paths`` (relative to ``root``; Go globs or directories) to ``job``'s layer.

        Returns the matched paths, relative to ``root``.
        """
        ...

    def attach(self, run: str, jobs: Sequence[str], dest: Path) -> List[str]:
        """Unpack the layers of ``jobs`` into ``dest`` in the given order (later wins).

        Returns the jobs whose layers existed and were applied.
        """
        ...

    def copy_layers(self, source_run: str, target_run: str,
                    jobs: Iterable[str] | None = None) -> List[str]:
        """Make ``jobs``' layers of ``source_run`` (all when ``None``) part of ``target_run``."""
        ...

    def layers(self, run: str) -> List[str]:
        """The jobs of ``run`` that have a layer."""
        ...


def node_key(job: str, index: int) -> str:
    """The name node ``index`` of a parallel ``job`` files its things under (workspace layer,
    artifacts, job directory): ``job`` itself for node 0, ``job@nodeK`` for the others.

    Node 0 keeping the plain name means a job without parallelism changes nothing on disk.
    ``@`` survives :func:`~workflowcore.runtime._fs.path_component` unquoted, so the
    directories stay readable; a real job named ``x@node1`` beside a parallel ``x`` would
    share a key (job names are not that, in practice; documented in docs/parallelism.md).
    """
    if index < 0:
        raise ValueError(f"a node index is 0 or more, got {index}")
    return job if index == 0 else f"{job}@node{index}"


def node_layers(job: str, total: int) -> Tuple[str, ...]:
    """The layer keys of every node of ``job``, in node order (what ``attach_workspace``
    applies for an upstream job that ran ``total`` nodes)."""
    return tuple(node_key(job, k) for k in range(max(total, 1)))


class NodeWorkspace:
    """The workspace as node ``index`` of a parallel job sees it: ``persist`` goes to the
    node's own layer (:func:`node_key`), everything else is the wrapped store's.

    A wrapper rather than a new ``persist`` argument, so the step interpreter and any
    :class:`WorkspaceStore` implementation work unchanged.
    """

    def __init__(self, inner: WorkspaceStore, index: int) -> None:
        self.inner = inner
        self.index = index

    def __repr__(self) -> str:
        return f"NodeWorkspace({self.inner!r}, {self.index})"

    def persist(self, run: str, job: str, root: Path, paths: Sequence[str]) -> List[str]:
        return self.inner.persist(run, node_key(job, self.index), root, paths)

    def attach(self, run: str, jobs: Sequence[str], dest: Path) -> List[str]:
        return self.inner.attach(run, jobs, dest)

    def copy_layers(self, source_run: str, target_run: str,
                    jobs: Iterable[str] | None = None) -> List[str]:
        return self.inner.copy_layers(source_run, target_run, jobs)

    def layers(self, run: str) -> List[str]:
        return self.inner.layers(run)


def expand_workspace_paths(root: Path, paths: Sequence[str]) -> List[str]:
    """Resolve ``persist_to_workspace`` ``paths`` against ``root`` (R7.2), checking each.

    A path is a Go glob when it has ``* ? [ \\``; otherwise a file or directory that must
    exist. ``.`` is the whole root. Raises :class:`WorkspaceError` for absolute paths,
    ``..``, malformed globs and paths that match nothing.
    """
    if not root.is_dir():
        raise WorkspaceError(
            f"persist_to_workspace root {str(root)!r} is not a directory; create it in an "
            "earlier step or point `root` at an existing directory"
        )
    if isinstance(paths, str):
        paths = [paths]
    found: list[str] = []
    for raw in paths:
        pattern = str(raw)
        rel = relative_member(pattern)
        if rel is None:
            raise WorkspaceError(
                f"persist_to_workspace path {pattern!r} is absolute or contains '..'; "
                f"paths must be relative to root {str(root)!r} — move `root` up instead"
            )
        text = str(rel)
        if text == ".":
            found.append(".")
            continue
        if has_magic(text):
            try:
                matches = glob(root, text)
            except BadPatternError as exc:
                raise WorkspaceError(
                    f"persist_to_workspace path {pattern!r} is not a valid glob: {exc}") from exc
        else:
            matches = [text] if os.path.lexists(root / text) else []
        if not matches:
            raise WorkspaceError(
                f"The specified paths did not match any files in {str(root)!r}: {pattern!r} "
                "(check that an earlier step created it, and that the path is relative to root)"
            )
        found.extend(matches)
    return list(dict.fromkeys(found))


class FileSystemWorkspaceStore:
    """Layers as tar parts under ``root/<run>/<job>/NNNNNN.tar``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).absolute()

    def __repr__(self) -> str:
        return f"FileSystemWorkspaceStore({str(self.root)!r})"

    def _job_dir(self, run: str, job: str) -> Path:
        return self.root / path_component(run) / path_component(job)

    def _parts(self, run: str, job: str) -> list[Path]:
        d = self._job_dir(run, job)
        if not d.is_dir():
            return []
        return sorted(p for p in d.iterdir() if p.suffix == ".tar" and not p.name.startswith("."))

    def persist(self, run: str, job: str, root: Path, paths: Sequence[str]) -> List[str]:
        root = Path(root)
        matched = expand_workspace_paths(root, paths)
        layer = self._job_dir(run, job)
        layer.mkdir(parents=True, exist_ok=True)
        existing = self._parts(run, job)
        seq = int(existing[-1].stem) + 1 if existing else 1
        final = layer / f"{seq:06d}.tar"
        tmp = temp_sibling(final, ".tar")
        try:
            with open(tmp, "wb") as fh:
                write_layer(fh, root, matched)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                tmp.unlink()
        return matched

    def attach(self, run: str, jobs: Sequence[str], dest: Path) -> List[str]:
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        applied: list[str] = []
        for job in jobs:
            parts = self._parts(run, job)
            for part in parts:
                with open(part, "rb") as fh:
                    extract_archive(fh, dest, describe=f"workspace layer {str(part)!r}",
                                    error=WorkspaceError)
            if parts:
                applied.append(job)
        return applied

    def copy_layers(self, source_run: str, target_run: str,
                    jobs: Iterable[str] | None = None) -> List[str]:
        src_run = self.root / path_component(source_run)
        if jobs is None:
            names = sorted(p.name for p in src_run.iterdir()) if src_run.is_dir() else []
            pairs = [(unquote(n), src_run / n) for n in names if not n.startswith(".tmp-")]
        else:
            pairs = [(j, self._job_dir(source_run, j)) for j in jobs]
        copied: list[str] = []
        for name, src in pairs:
            if not src.is_dir():
                continue
            dst = self.root / path_component(target_run) / src.name
            if dst.exists():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = temp_sibling(dst)
            try:
                shutil.copytree(src, tmp, copy_function=_link_or_copy)
                os.replace(tmp, dst)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp)
            copied.append(name)
        return copied

    def layers(self, run: str) -> List[str]:
        run_dir = self.root / path_component(run)
        if not run_dir.is_dir():
            return []
        return sorted(unquote(p.name) for p in run_dir.iterdir()
                      if p.is_dir() and not p.name.startswith(".tmp-"))

    def delete_run(self, run: str) -> None:
        """Remove every layer of ``run`` (retention clean-up)."""
        shutil.rmtree(self.root / path_component(run), ignore_errors=True)


def write_layer(fh: IO[bytes], root: Path, matched: Sequence[str]) -> None:
    """Write one workspace layer part: the ``matched`` paths under ``root`` (as
    :func:`expand_workspace_paths` gives them), links stored as links. Shared by every
    store, so a layer is the same archive wherever it is kept."""
    with ArchiveWriter(fh, WorkspaceError) as writer:
        for rel in matched:
            writer.add_tree(root, rel, what="persist_to_workspace path")


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst
