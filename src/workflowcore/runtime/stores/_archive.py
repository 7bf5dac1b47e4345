"""Tar archives for workspace layers and caches, written and read defensively.

Writing (:class:`ArchiveWriter`): directories are added recursively without following
symlinks. A symlink is stored as the link it is, wherever it points, as CircleCI's agent does
(a virtualenv's ``bin/python -> /usr/bin/python3`` must survive ``persist_to_workspace`` and
``save_cache``); only an absolute target *inside* the tree being archived is rewritten as a
relative one, so the link still works where the archive is unpacked. Storing a link never
reads what it points to; a path that reaches its files *through* a symlinked directory
leading out of the tree is refused, naming the link. Hard links are stored as plain files, so
an archive never carries a hard-link member of ours.

Reading (:func:`extract_archive`) never trusts the archive and never writes *through* a link:
every parent directory of a member is opened one component at a time with ``O_NOFOLLOW``
through directory fds (:func:`~workflowcore.runtime._fs.open_dir_nofollow`), so it is judged
as the destination is at that moment — a link planted by an earlier member or layer
(``d -> .``, then ``d/d/e``), by the job or by a step running in the background is refused
whatever the path looks like lexically. Files and links are created exclusively in their
(opened) parent after unlinking whatever was there, so an existing link is replaced, never
followed. Absolute names, ``..``, device files and hard links that do not name an earlier
regular file of the same archive are refused as a damaged or foreign archive; a link found
in the destination is reported as what it is. Python's ``tarfile`` extraction filters exist
only on recent versions and differ between them; doing the few file operations ourselves
keeps one behaviour everywhere.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import tarfile
from pathlib import Path, PurePosixPath
from typing import IO, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

from ...errors import StoreError
from .._fs import LinkInTheWay, escaping_link, is_within, open_dir_nofollow, relative_member

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
        self.count = 0

    def close(self) -> None:
        self._tar.close()

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_tree(self, root: Path, rel: str, *, arc_prefix: str = "",
                 what: str = "path") -> None:
        """Add ``root/rel`` (a file, link or directory, recursively) as ``arc_prefix/rel``.

        ``rel`` itself may be a link (stored as one); a parent of it that is a symlink
        leading out of ``root`` is refused, since archiving ``rel`` would read files from
        wherever that link points.
        """
        start = root / rel if rel != "." else root
        if not os.path.lexists(start):
            raise self._error(f"{what} {str(start)!r} does not exist")
        parent = posixpath.dirname(rel) if rel != "." else ""
        hit = escaping_link(root, parent) if parent else None
        if hit is not None:
            link, target = hit
            raise self._error(
                f"{what} {rel!r} goes through {str(link)!r}, a symlink to {target!r} that "
                f"leads outside {str(root)!r}; persist the link itself or the real "
                "directory, not a path through the link"
            )
        self._add(root, os.path.abspath(root), os.path.realpath(root), rel, arc_prefix)

    def _arcname(self, arc_prefix: str, rel: str) -> str:
        if rel == ".":
            return arc_prefix or "."
        return f"{arc_prefix}/{rel}" if arc_prefix else rel

    def _add(self, root: Path, root_lex: str, root_real: str, rel: str,
             arc_prefix: str) -> None:
        path = root / rel if rel != "." else root
        arcname = self._arcname(arc_prefix, rel)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            if arcname not in self._seen:
                self._seen.add(arcname)
                info = self._info(arcname, st, tarfile.SYMTYPE)
                info.linkname = _portable_target(os.readlink(path), rel, root_lex, root_real)
                self._tar.addfile(info)
                self.count += 1
            return
        if stat.S_ISDIR(st.st_mode):
            if arcname != "." and arcname not in self._seen:
                self._seen.add(arcname)
                self._tar.addfile(self._info(arcname, st, tarfile.DIRTYPE))
            for name in sorted(os.listdir(path)):
                child = name if rel == "." else f"{rel}/{name}"
                self._add(root, root_lex, root_real, child, arc_prefix)
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

    @staticmethod
    def _info(arcname: str, st: os.stat_result, kind: bytes) -> tarfile.TarInfo:
        info = tarfile.TarInfo(arcname)
        info.type = kind
        info.mode = stat.S_IMODE(st.st_mode) & 0o777
        info.mtime = int(st.st_mtime)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info


def _portable_target(target: str, rel: str, root_lex: str, root_real: str) -> str:
    """``target`` as stored: an absolute target inside the tree becomes relative to the
    link's directory (judged both as written and with the root's links resolved); every
    other target is kept exactly as it is."""
    if not posixpath.isabs(target):
        return target
    norm = posixpath.normpath(target)
    for base in (root_lex, root_real):
        if is_within(norm, base):
            link_dir = posixpath.dirname(rel) if rel != "." else ""
            return posixpath.relpath(posixpath.relpath(norm, base), link_dir or ".")
    return target


def extract_archive(fileobj: IO[bytes], dest: Destination, *, describe: str,
                    error: ErrorFactory) -> int:
    """Unpack a tar stream into ``dest``; returns the number of files and links written.

    ``dest`` is one directory, or a mapping from the first path component of each member to
    the directory that component stands for (caches keep ``home/...`` and ``abs/...`` apart).
    Each destination directory itself is trusted (created if missing, links in its own path
    followed: the caller chose it); below it nothing is written through a link.
    ``describe`` names the archive in error messages so the user knows which one to delete.
    """
    count = 0
    bases: Dict[str, int] = {}
    try:
        with tarfile.open(fileobj=fileobj, mode="r|") as tar:
            for member in tar:
                base, rel = _route(member.name, dest, describe, error)
                if rel is None:
                    continue
                key = str(base)
                if key not in bases:
                    base.mkdir(parents=True, exist_ok=True)
                    bases[key] = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    count += _extract_member(tar, member, bases[key], base, rel.parts,
                                             dest, describe, error)
                except LinkInTheWay as exc:
                    raise error(
                        f"cannot unpack {member.name!r} of {describe} into {str(base)!r}: "
                        f"{str(exc.path)!r} is a symlink to {exc.target!r} already in the "
                        "destination, and unpacking never creates or writes anything through "
                        "a link. Remove the link, or unpack somewhere else"
                    ) from exc
                except NotADirectoryError as exc:
                    raise error(
                        f"cannot unpack {member.name!r} of {describe} into {str(base)!r}: a "
                        "file is where a directory is needed; persist them under different "
                        "names (or remove the file)"
                    ) from exc
    finally:
        for fd in bases.values():
            os.close(fd)
    return count


def _extract_member(tar: tarfile.TarFile, member: tarfile.TarInfo, base_fd: int, base: Path,
                    parts: Sequence[str], dest: Destination, describe: str,
                    error: ErrorFactory) -> int:
    parent_fd = open_dir_nofollow(base_fd, base, parts[:-1], create=True)
    try:
        name = parts[-1]
        here = base.joinpath(*parts)
        existing = _lstat(name, parent_fd)
        if member.isdir():
            if existing is not None and stat.S_ISLNK(existing.st_mode):
                raise LinkInTheWay(here, os.readlink(name, dir_fd=parent_fd))
            if existing is not None and not stat.S_ISDIR(existing.st_mode):
                os.unlink(name, dir_fd=parent_fd)  # a later directory replaces a file
                existing = None
            if existing is None:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o777, dir_fd=parent_fd)
            # the directory may have been swapped for a link meanwhile: judge it again
            os.close(open_dir_nofollow(parent_fd, here.parent, [name], create=False))
            return 0
        if existing is not None and stat.S_ISDIR(existing.st_mode):
            raise error(
                f"cannot unpack {member.name!r} of {describe}: a directory with that name "
                f"already exists in {str(base)!r}; remove it or persist the path under a "
                "different name"
            )
        if member.issym():
            if existing is not None:
                os.unlink(name, dir_fd=parent_fd)
            os.symlink(member.linkname, name, dir_fd=parent_fd)
            return 1
        if member.islnk():
            source = _hard_link_source(member, base_fd, base, dest, describe, error)
            with open(source, "rb", closefd=True) as src:
                _write_file(name, parent_fd, existing, src, member)
            return 1
        if member.isfile():
            data = tar.extractfile(member)
            if data is None:  # pragma: no cover - isfile() members always have data
                return 0
            _write_file(name, parent_fd, existing, data, member)
            return 1
        raise error(_refuse(member.name, describe, _where(dest),
                            "it is a device, fifo or other special file"))
    finally:
        os.close(parent_fd)


_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _write_file(name: str, parent_fd: int, existing: Optional[os.stat_result],
                src: IO[bytes], member: tarfile.TarInfo) -> None:
    """Replace ``name`` in the open directory ``parent_fd`` by a new file: the old entry
    (file or link) is unlinked and the new one created exclusively, never opened through."""
    if existing is not None:
        os.unlink(name, dir_fd=parent_fd)
    fd = os.open(name, _FILE_FLAGS, 0o600, dir_fd=parent_fd)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fchmod(out.fileno(), member.mode & 0o777)
        os.utime(out.fileno(), (member.mtime, member.mtime))


def _hard_link_source(member: tarfile.TarInfo, base_fd: int, base: Path, dest: Destination,
                      describe: str, error: ErrorFactory) -> int:
    """An fd of the regular file a hard-link member names, opened without following any
    link (our archives have none; a foreign one may name only an earlier file of its own
    destination)."""
    refused = error(_refuse(member.name, describe, _where(dest),
                            f"it is a hard link to {member.linkname!r}"))
    if relative_member(member.linkname) is None:
        raise refused
    try:
        src_base, src_rel = _route(member.linkname, dest, describe, error)
    except StoreError:
        raise refused from None
    if src_rel is None or src_base != base:
        raise refused
    try:
        dir_fd = open_dir_nofollow(base_fd, base, src_rel.parts[:-1], create=False)
    except (FileNotFoundError, NotADirectoryError, LinkInTheWay):
        raise refused from None
    try:
        fd = os.open(src_rel.parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        raise refused from None
    finally:
        os.close(dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise error(_refuse(member.name, describe, _where(dest),
                            f"it is a hard link to {member.linkname!r}, not a regular file"))
    return fd


def _lstat(name: str, dir_fd: int) -> Optional[os.stat_result]:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _where(dest: Destination) -> str:
    """The destination as users know it: one directory, or each anchor's directory."""
    if isinstance(dest, Path):
        return repr(str(dest))
    return " / ".join(f"{str(p)!r}" for p in dest.values())


def _refuse(name: str, describe: str, where: str, why: str) -> str:
    return (
        f"refusing archive member {name!r} of {describe}: {why}, which would escape "
        f"{where}. The archive was not written by workflowcore or was tampered with; "
        "delete it and rerun the job that produced it"
    )


def _route(name: str, dest: Destination, describe: str,
           error: ErrorFactory) -> Tuple[Path, Optional[PurePosixPath]]:
    rel = relative_member(name)
    if rel is None:
        raise error(_refuse(name, describe, _where(dest),
                            "its name is absolute or contains '..'"))
    if isinstance(dest, Path):
        return dest, (None if str(rel) == "." else rel)
    head, *rest = rel.parts
    if head not in dest:
        raise error(f"refusing archive member {name!r} of {describe}: unknown top-level "
                    f"directory {head!r} (expected {', '.join(map(repr, dest))}); delete the "
                    "archive and save it again")
    return dest[head], (PurePosixPath(*rest) if rest else None)
