"""Tar archives for workspace layers and caches, written and read defensively.

Writing (:class:`ArchiveWriter`): directories are added recursively without following
symlinks; a symlink is stored as a link only when it stays inside the tree being archived
(absolute targets inside it are rewritten to relative ones so the link still works where the
archive is unpacked); a link pointing outside is refused. Hard links are stored as plain
files, so an archive never carries a hard-link member of ours.

Reading (:func:`extract_archive`) never trusts the archive: absolute names, ``..``, links
whose target leaves the destination, device files and writes *through* a symlink that already
exists in the destination and points elsewhere are all refused. Existing files and links are
replaced (later layers win) by unlinking first and creating exclusively, so a write can never
follow a planted link. Python's ``tarfile`` extraction filters exist only on recent versions
and differ between them; doing the few file operations ourselves keeps one behaviour
everywhere.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import tarfile
from pathlib import Path, PurePosixPath
from typing import IO, Callable, Mapping, Union

from ...errors import StoreError
from .._fs import is_within, relative_member

__all__ = ["ArchiveWriter", "extract_archive"]

ErrorFactory = Callable[[str], StoreError]
Destination = Union[Path, Mapping[str, Path]]


class ArchiveWriter:
    """Adds files and trees to an uncompressed tar stream.

    ``error`` builds the exception raised for a refused path (the workspace store passes
    :class:`~workflowcore.errors.WorkspaceError`).
    """

    def __init__(self, fileobj: IO[bytes], error: ErrorFactory) -> None:
        # closed by close() / __exit__: the writer is itself the context manager
        self._tar = tarfile.open(  # noqa: SIM115
            fileobj=fileobj, mode="w|", format=tarfile.PAX_FORMAT)
        self._error = error
        self._seen: set[str] = set()
        self._external_links = False
        self.count = 0

    def close(self) -> None:
        self._tar.close()

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_tree(self, root: Path, rel: str, *, arc_prefix: str = "", what: str = "path",
                 external_links: bool = False) -> None:
        """Add ``root/rel`` (a file, link or directory, recursively) as ``arc_prefix/rel``.

        Symlinks are checked against ``root``: the tree being archived is the boundary. With
        ``external_links`` (caches: a virtualenv's ``bin/python -> /usr/bin/python3``) links
        leaving it are stored verbatim instead of refused.
        """
        self._external_links = external_links
        root_real = os.path.realpath(root)
        start = root / rel if rel != "." else root
        if not os.path.lexists(start):
            raise self._error(f"{what} {str(start)!r} does not exist")
        parent_real = os.path.realpath(start.parent if rel != "." else start)
        if not is_within(parent_real, root_real):
            raise self._error(
                f"{what} {rel!r} leads outside {str(root)!r} through a symlinked directory; "
                "persist the real directory instead of a path through the link"
            )
        self._add(root, root_real, rel, arc_prefix, what)

    def _arcname(self, arc_prefix: str, rel: str) -> str:
        if rel == ".":
            return arc_prefix or "."
        return f"{arc_prefix}/{rel}" if arc_prefix else rel

    def _add(self, root: Path, root_real: str, rel: str, arc_prefix: str, what: str) -> None:
        path = root / rel if rel != "." else root
        arcname = self._arcname(arc_prefix, rel)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            self._add_link(root, root_real, rel, arcname, path, st, what)
            return
        if stat.S_ISDIR(st.st_mode):
            if arcname != "." and arcname not in self._seen:
                self._seen.add(arcname)
                self._tar.addfile(self._info(arcname, st, tarfile.DIRTYPE))
            for name in sorted(os.listdir(path)):
                child = name if rel == "." else f"{rel}/{name}"
                self._add(root, root_real, child, arc_prefix, what)
            return
        if not stat.S_ISREG(st.st_mode):
            return  # sockets, fifos, devices: nothing a later job can use
        if arcname in self._seen:
            return
        self._seen.add(arcname)
        info = self._info(arcname, st, tarfile.REGTYPE)
        info.size = st.st_size
        with open(path, "rb") as fh:
            self._tar.addfile(info, fh)
        self.count += 1

    def _add_link(self, root: Path, root_real: str, rel: str, arcname: str, path: Path,
                  st: os.stat_result, what: str) -> None:
        target = os.readlink(path)
        link_dir = posixpath.dirname(rel) if rel != "." else ""
        root_lex = os.path.abspath(root)
        if posixpath.isabs(target):
            # Absolute targets inside the tree become relative so the link survives unpacking
            # somewhere else; judge them both as written and with links resolved.
            norm = posixpath.normpath(target)
            inside = is_within(norm, root_lex) or is_within(norm, root_real)
            base = root_lex if is_within(norm, root_lex) else root_real
            target_rel = posixpath.relpath(norm, base)
        else:
            target_rel = posixpath.normpath(posixpath.join(link_dir, target))
            inside = not (target_rel == ".." or target_rel.startswith("../"))
        if inside and not is_within(os.path.realpath(path), root_real):
            inside = False  # e.g. the target goes through another link that leaves the tree
        if not inside and self._external_links:
            if arcname not in self._seen:
                self._seen.add(arcname)
                info = self._info(arcname, st, tarfile.SYMTYPE)
                info.linkname = target
                self._tar.addfile(info)
                self.count += 1
            return
        if not inside:
            raise self._error(
                f"{what} {rel!r} is a symlink to {target!r}, which is outside "
                f"{str(root)!r}; copy the file it points to into the tree (or make the link "
                "point inside it) before persisting"
            )
        if arcname in self._seen:
            return
        self._seen.add(arcname)
        info = self._info(arcname, st, tarfile.SYMTYPE)
        info.linkname = posixpath.relpath(target_rel, link_dir or ".")
        self._tar.addfile(info)
        self.count += 1

    @staticmethod
    def _info(arcname: str, st: os.stat_result, kind: bytes) -> tarfile.TarInfo:
        info = tarfile.TarInfo(arcname)
        info.type = kind
        info.mode = stat.S_IMODE(st.st_mode) & 0o777
        info.mtime = int(st.st_mtime)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info


def extract_archive(fileobj: IO[bytes], dest: Destination, *, describe: str,
                    error: ErrorFactory, external_links: bool = False) -> int:
    """Unpack a tar stream into ``dest``; returns the number of files and links written.

    ``dest`` is one directory, or a mapping from the first path component of each member to
    the directory that component stands for (caches keep ``home/...`` and ``abs/...`` apart).
    ``describe`` names the archive in error messages so the user knows which one to delete.
    ``external_links`` lets symlink members point outside ``dest`` (caches); writing
    *through* such a link is still refused for every later member.
    """
    count = 0
    made: dict[str, tuple[Path, str]] = {}
    with tarfile.open(fileobj=fileobj, mode="r|") as tar:
        for member in tar:
            base, rel = _route(member.name, dest, describe, error)
            if rel is None:
                continue
            base_key = str(base)
            if base_key not in made:
                base.mkdir(parents=True, exist_ok=True)
                made[base_key] = (base, os.path.realpath(base))
            base_real = made[base_key][1]
            target = base / str(rel)
            _check_parent(target, base, base_real, member.name, describe, error)
            if member.isdir():
                _make_dir(target, base_real, member.name, describe, error)
                continue
            if target.is_dir() and not target.is_symlink():
                raise error(
                    f"cannot unpack {member.name!r} from {describe}: a directory with that "
                    f"name already exists in {str(base)!r}; remove it or persist the path "
                    "under a different name"
                )
            if member.issym():
                link_target = posixpath.normpath(
                    posixpath.join(posixpath.dirname(str(rel)), member.linkname))
                escapes = posixpath.isabs(member.linkname) or link_target == ".." or \
                    link_target.startswith("../")
                if escapes and not external_links:
                    raise error(_refuse(member.name, describe, base,
                                        f"it is a symlink to {member.linkname!r}"))
                _unlink(target)
                os.symlink(member.linkname, target)
                count += 1
            elif member.islnk():
                source_rel = relative_member(member.linkname)
                source = base / str(source_rel) if source_rel is not None else None
                if source is None or not source.is_file() or not is_within(
                        os.path.realpath(source), base_real):
                    raise error(_refuse(member.name, describe, base,
                                        f"it is a hard link to {member.linkname!r}"))
                _unlink(target)
                shutil.copyfile(source, target, follow_symlinks=True)
                os.chmod(target, member.mode & 0o777)
                count += 1
            elif member.isfile():
                src = tar.extractfile(member)
                if src is None:  # pragma: no cover - isfile() members always have data
                    continue
                _unlink(target)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(src, out)
                os.chmod(target, member.mode & 0o777)
                os.utime(target, (member.mtime, member.mtime))
                count += 1
            else:
                raise error(_refuse(member.name, describe, base,
                                    "it is a device, fifo or other special file"))
    return count


def _refuse(name: str, describe: str, base: Path, why: str) -> str:
    return (
        f"refusing archive member {name!r} of {describe}: {why}, which would escape "
        f"{str(base)!r}. The archive was not written by workflowcore or was tampered with; "
        "delete it and rerun the job that produced it"
    )


def _route(name: str, dest: Destination, describe: str,
           error: ErrorFactory) -> tuple[Path, PurePosixPath | None]:
    rel = relative_member(name)
    if rel is None:
        raise error(_refuse(name, describe, dest if isinstance(dest, Path) else Path("."),
                            "its name is absolute or contains '..'"))
    if isinstance(dest, Path):
        return dest, (None if str(rel) == "." else rel)
    head, *rest = rel.parts
    if head not in dest:
        raise error(f"refusing archive member {name!r} of {describe}: unknown top-level "
                    f"directory {head!r}; delete the archive and save it again")
    return dest[head], (PurePosixPath(*rest) if rest else None)


def _check_parent(target: Path, base: Path, base_real: str, name: str, describe: str,
                  error: ErrorFactory) -> None:
    """Refuse when an *existing* ancestor of ``target`` resolves outside ``base``.

    Checked before any directory is created, so ``makedirs`` cannot create directories
    through a planted link either.
    """
    probe = target.parent
    while not os.path.lexists(probe) and probe != base:
        probe = probe.parent
    if not is_within(os.path.realpath(probe), base_real):
        raise error(_refuse(name, describe, base,
                            f"{str(probe)!r} is a symlink leading outside the destination"))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(f"cannot unpack {name!r} from {describe} into {str(base)!r}: {exc} "
                    "(a file where a directory is needed? persist them under different "
                    "names)") from exc


def _make_dir(target: Path, base_real: str, name: str, describe: str,
              error: ErrorFactory) -> None:
    if target.is_symlink():
        if not is_within(os.path.realpath(target), base_real):
            raise error(_refuse(name, describe, Path(base_real),
                                f"{str(target)!r} is a symlink leading outside the destination"))
        return
    if os.path.lexists(target) and not target.is_dir():
        target.unlink()
    target.mkdir(exist_ok=True)


def _unlink(path: Path) -> None:
    if os.path.lexists(path):
        path.unlink()

