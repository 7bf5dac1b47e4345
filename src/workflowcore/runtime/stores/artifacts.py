"""Job artifacts (``store_artifacts``), kept as plain files under the run directory.

Layout: ``root/<run>/<job>/<destination>/...``. ``destination`` comes from the config, so it
gets the same checks as workspace paths: relative, no ``..``. Files are copied (symlinks are
followed only when they stay inside the source tree, so an artifact can never carry a copy of
``/etc/passwd`` through a planted link; the refusal names the link and its target) and each
copy is written to a temporary name and then ``os.replace``-d into place. On the store's side
nothing is written through a link either: every directory below the job's artifact directory
is opened with ``O_NOFOLLOW`` (:func:`~workflowcore.runtime._fs.open_dir_nofollow`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import List, Protocol, runtime_checkable

from ...errors import StoreError
from .._fs import (
    LinkInTheWay,
    is_within,
    open_dir_nofollow,
    path_component,
    relative_member,
    temp_sibling,
)

__all__ = ["Artifact", "ArtifactStore", "FileSystemArtifactStore"]


@dataclass(frozen=True)
class Artifact:
    """One stored artifact: ``path`` as listed to users (``/``-separated), and its copy."""

    path: str
    location: Path
    size: int

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "location": str(self.location), "size": self.size}


@runtime_checkable
class ArtifactStore(Protocol):
    def store(self, run: str, job: str, source: Path, destination: str) -> List[Artifact]:
        """Copy a file, or every file under a directory, to ``destination``."""
        ...


class FileSystemArtifactStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).absolute()

    def __repr__(self) -> str:
        return f"FileSystemArtifactStore({str(self.root)!r})"

    def job_dir(self, run: str, job: str) -> Path:
        return self.root / path_component(run) / path_component(job)

    def store(self, run: str, job: str, source: Path, destination: str) -> List[Artifact]:
        dest_rel = relative_member(destination)
        if dest_rel is None:
            raise StoreError(
                f"store_artifacts destination {destination!r} is absolute or contains '..'; "
                "give a relative prefix such as 'reports/html'"
            )
        source = Path(source)
        if not os.path.lexists(source):
            return []
        base = self.job_dir(run, job)
        target_root = base / str(dest_rel) if str(dest_rel) != "." else base
        if source.is_dir():
            src_real = os.path.realpath(source)
            files: list[tuple[Path, str]] = []
            for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
                dirnames.sort()
                for name in sorted(filenames) + sorted(
                        d for d in dirnames if os.path.islink(os.path.join(dirpath, d))):
                    full = Path(dirpath) / name
                    if full.is_symlink() and full.is_dir():
                        continue  # a linked directory inside the tree would be a duplicate
                    rel = full.relative_to(source).as_posix()
                    if not is_within(os.path.realpath(full), src_real):
                        raise StoreError(
                            f"store_artifacts: {str(full)!r} is a symlink to "
                            f"{os.readlink(full)!r}, outside {str(source)!r}; copy the file "
                            "into the directory instead"
                        )
                    if full.is_file():
                        files.append((full, rel))
        else:
            # a single file lands at ``destination`` itself (or under its own name for ".")
            single = "" if str(dest_rel) != "." else source.name
            files = [(source, single)] if source.is_file() else []
        out: list[Artifact] = []
        if not files:
            return out
        base.mkdir(parents=True, exist_ok=True)
        base_fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for src, rel in files:
                target = target_root / rel if rel else target_root
                parts = target.relative_to(base).parts
                try:
                    size = _copy_into(src, base_fd, base, parts)
                except LinkInTheWay as exc:
                    raise StoreError(
                        f"store_artifacts: cannot store {str(target)!r}: {str(exc.path)!r} is "
                        f"a symlink to {exc.target!r} in the artifact store, and nothing is "
                        "written through a link; remove it"
                    ) from exc
                shown = "/".join(p for p in (str(dest_rel), rel) if p and p != ".")
                out.append(Artifact(shown, target, size))
        finally:
            os.close(base_fd)
        return out


def _copy_into(src: Path, base_fd: int, base: Path, parts: tuple[str, ...]) -> int:
    """Copy ``src`` to ``base/parts`` through directory fds: written to a temporary name in
    the (opened, never followed) parent, then renamed over the final name. Returns the size."""
    parent_fd = open_dir_nofollow(base_fd, base, parts[:-1], create=True)
    tmp = temp_sibling(Path(parts[-1])).name
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644,
                     dir_fd=parent_fd)
        try:
            with open(src, "rb") as fh, os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(fh, out)
                size = out.tell()
            os.replace(tmp, parts[-1], src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
        finally:
            if os.path.lexists(f"/proc/self/fd/{parent_fd}/{tmp}") or _exists(tmp, parent_fd):
                os.unlink(tmp, dir_fd=parent_fd)
        return size
    finally:
        os.close(parent_fd)


def _exists(name: str, dir_fd: int) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True
