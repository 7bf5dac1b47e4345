"""Small filesystem helpers shared by the stores and the executors.

They live in one private module so every place that turns a user-controlled string (a job
name, a workflow id, a cache key) into a path does it the same, safe way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import shutil
import stat
import sys
import uuid
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Optional, Sequence, Tuple
from urllib.parse import quote

__all__ = [
    "LinkInTheWay",
    "escaping_link",
    "is_within",
    "open_dir_nofollow",
    "path_component",
    "real_within",
    "relative_member",
    "remove_tree",
    "temp_sibling",
]


def path_component(name: str) -> str:
    """``name`` as one safe file-name component: no ``/``, never ``.``/``..``/empty.

    Percent-encoding keeps it reversible and readable for ordinary job names
    (``build-and-test`` stays as it is; ``deploy prod`` becomes ``deploy%20prod``).
    """
    encoded = quote(name, safe="-_+@=,")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    elif not encoded:
        encoded = "%00"
    if len(encoded) > 200:  # file-name limits; keep it unique with a digest
        encoded = encoded[:150] + "-" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return encoded


def relative_member(path: str) -> PurePosixPath | None:
    """Normalise a relative, ``/``-separated path; ``None`` when it is absolute or uses ``..``.

    ``./a//b/`` becomes ``a/b``; ``.`` stays ``.`` (the root itself). A ``..`` anywhere is
    refused rather than resolved: a path that walks up and back down is never needed and is the
    shape every traversal attack takes.
    """
    if not path or path.startswith("/") or "\x00" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def is_within(path: str, root: str) -> bool:
    """Lexical containment of two absolute, normalised paths (``root`` itself counts)."""
    path = posixpath.normpath(path)
    root = posixpath.normpath(root)
    return path == root or path.startswith(root.rstrip("/") + "/")


def real_within(path: Path, root_real: str) -> bool:
    """Whether ``path``, with every symlink resolved, lies inside ``root_real`` (a realpath)."""
    return is_within(os.path.realpath(path), root_real)


def temp_sibling(path: Path, suffix: str = "") -> Path:
    """A unique temporary name in ``path``'s directory, for write-then-``os.replace``."""
    return path.parent / f".tmp-{uuid.uuid4().hex}{suffix}"


class LinkInTheWay(OSError):
    """A component that must be a real directory is a symlink (see :func:`open_dir_nofollow`).

    ``path`` is the link (as ``base`` joined with the components walked so far) and
    ``target`` what it points to, so a refusal can name both.
    """

    def __init__(self, path: Path, target: str) -> None:
        super().__init__(f"{str(path)!r} is a symlink to {target!r}")
        self.path = path
        self.target = target


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def open_dir_nofollow(base_fd: int, base: Path, parts: Sequence[str], *,
                      create: bool) -> int:
    """Open (creating with ``create``) ``parts`` below the open directory ``base_fd`` one
    component at a time with ``O_NOFOLLOW``; returns a new fd for the last one.

    Each component is judged as the destination is *at that moment* through directory fds
    (``openat``), so a link planted by an earlier archive member, an earlier layer or a step
    running in the background is never followed, however the path looks lexically. Raises
    :class:`LinkInTheWay` for a symlinked component, ``NotADirectoryError`` for a file.
    ``base`` only names paths in errors.
    """
    fd = os.dup(base_fd)
    here = base
    try:
        for part in parts:
            if part in ("", ".", "..") or "/" in part:
                raise ValueError(f"not a single path component: {part!r}")
            here = here / part
            try:
                nfd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                # created meanwhile: judged by the open below like any other
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=fd)
                nfd = _open_component(fd, part, here)
            except OSError:
                nfd = _open_component(fd, part, here)
            os.close(fd)
            fd = nfd
        return fd
    except BaseException:
        os.close(fd)
        raise


def _open_component(fd: int, part: str, here: Path) -> int:
    """The ``open`` of :func:`open_dir_nofollow` again, turning a symlink into
    :class:`LinkInTheWay` (``O_NOFOLLOW`` reports it as ``ELOOP``, or ``ENOTDIR`` on some
    systems when combined with ``O_DIRECTORY``)."""
    try:
        return os.open(part, _DIR_FLAGS, dir_fd=fd)
    except OSError:
        try:
            st = os.stat(part, dir_fd=fd, follow_symlinks=False)
        except OSError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise LinkInTheWay(here, os.readlink(part, dir_fd=fd)) from None
        raise


def escaping_link(anchor: Path, rel: str) -> Optional[Tuple[Path, str]]:
    """The first symlink among ``rel``'s components below ``anchor`` that resolves outside
    ``anchor``, as ``(link, its target)``; ``None`` when there is none.

    For a step's ``root``/``path``/``at``: links that stay inside the job's directory are
    followed as the job would follow them; one that leads out (``~/art -> /outside``, a
    committed ``coverage -> /home/me/.ssh``) would carry host files into a store or write
    host files, so the caller refuses it and names the link.
    """
    anchor_real = os.path.realpath(anchor)
    here = anchor
    for part in rel.split("/"):
        if part in ("", "."):
            continue
        here = here / part
        if not os.path.islink(here):
            if not os.path.lexists(here):
                return None
            continue
        if not is_within(os.path.realpath(here), anchor_real):
            return here, os.readlink(here)
    return None


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything under it, never following a link out of it.

    Jobs leave read-only trees behind (Go's module cache, ``chmod -R a-w`` fixtures): the
    directory holding such an entry is made writable and the removal retried. Errors that
    remain are ignored; the tree is the job's scratch space, not the user's data.
    """

    def retry(func: Callable[..., Any], name: str, _exc: BaseException) -> None:
        try:
            parent = os.path.dirname(name)
            os.chmod(parent, os.stat(parent, follow_symlinks=False).st_mode | stat.S_IWUSR
                     | stat.S_IXUSR | stat.S_IRUSR)
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, stat.S_IRWXU)
            func(name)
        except OSError:
            pass

    if not os.path.lexists(path):
        return
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:  # pragma: no cover - Python 3.11
        shutil.rmtree(path, onerror=lambda f, n, e: retry(f, n, e[1]))
