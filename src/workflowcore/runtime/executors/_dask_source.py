"""The project's files for ``checkout`` on a Dask worker that shares no directory with us.

A local ``checkout`` clones the user's repository and lays the uncommitted work on top
(runtime/_git.py). A worker on another machine cannot read that repository, so the client
packs it once per run into a :class:`SourcePayload` that Dask carries to each worker (once a
worker, however many jobs it runs):

* a git repository travels as a ``git bundle`` of every ref (and ``HEAD``), so the job's
  clone has the same commits, branches and tags (``git describe``, ``git diff origin/main``),
  plus a tar of the uncommitted work (modified and untracked-but-not-ignored files) and the
  list of deleted files;
* any other tree travels as a tar of the files a local checkout would copy
  (runtime/_source.py).

Private files (the contexts file) and the run directory never enter the payload. On the
worker, :func:`materialize` rebuilds a *mirror* of the user's work tree from the payload
(once per payload, under the worker's own directory) and the worker's ordinary
:class:`~workflowcore.runtime.executors.SubprocessExecutor` checks out from that mirror
exactly as it does from the user's repository on this machine. Nothing here imports Dask.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ...errors import ExecutorError, StoreError
from .._fs import is_within, remove_tree
from .._git import git_toplevel, is_repository_root, resolve_revision
from .._source import checkout_files
from ..stores._archive import extract_archive

__all__ = ["SourcePayload", "build_payload", "materialize", "remove_mirrors"]

_GIT_TIMEOUT = 600.0
#: the ref the bundle's HEAD is fetched into on the worker (a detached HEAD is no branch)
_HEAD_REF = "refs/workflowcore/head"
_READY = ".workflowcore-source-ready"


@dataclass(frozen=True)
class SourcePayload:
    """What a worker needs to rebuild the project's work tree.

    ``kind`` is ``git`` (``bundle`` + ``overlay`` tar + ``deleted``) or ``tree`` (``overlay``
    holds every file). ``head``/``branch`` say what the mirror checks out. ``private`` and
    ``own`` are paths relative to the project root (contexts files; workflowcore's own files
    such as the orb lock) that the checkout leaves out or leaves as committed. ``origin``
    names the client's directory, for messages only. ``digest`` identifies the content.
    """

    kind: str
    origin: str
    digest: str
    bundle: bytes = b""
    overlay: bytes = b""
    deleted: Tuple[str, ...] = ()
    head: Optional[str] = None
    branch: Optional[str] = None
    private: Tuple[str, ...] = ()
    own: Tuple[str, ...] = ()
    files: int = field(default=0)

    @property
    def size(self) -> int:
        return len(self.bundle) + len(self.overlay)


def _git(args: Sequence[str], cwd: Optional[Path] = None) -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, check=False, timeout=_GIT_TIMEOUT)
    except FileNotFoundError as exc:
        raise ExecutorError("git is not installed on this machine; the Dask executor needs "
                            "it to send the repository to the workers") from exc
    except subprocess.TimeoutExpired as exc:
        raise ExecutorError(f"git {args[0]} did not finish in {_GIT_TIMEOUT:g}s") from exc
    if proc.returncode != 0:
        why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ExecutorError(f"git {' '.join(args[:3])} failed: "
                            f"{why[-1] if why else f'exit {proc.returncode}'}")
    return proc.stdout


def _relative(paths: Sequence[Path], top: str) -> Tuple[str, ...]:
    out = []
    for p in paths:
        real = os.path.realpath(p)
        if real != top and is_within(real, top):
            out.append(os.path.relpath(real, top))
    return tuple(out)


def _identity(path: str, follow: bool) -> Optional[Tuple[int, int]]:
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def build_payload(source: Path, *, private: Sequence[Path] = (), exclude: Sequence[Path] = (),
                  own: Sequence[Path] = ()) -> SourcePayload:
    """Pack ``source`` (see the module docstring). :class:`ExecutorError` when git fails."""
    source = Path(source).absolute()
    if not source.is_dir():
        raise ExecutorError(f"the source directory {str(source)!r} does not exist")
    top_real = os.path.realpath(source)
    secret = {i for i in (_identity(str(p), True) for p in private) if i is not None}
    private_rel = _relative(private, top_real)
    own_rel = _relative(own, top_real)
    excluded = [os.path.realpath(e) for e in exclude]
    if is_repository_root(source) and resolve_revision(source, "HEAD") is not None:
        return _git_payload(source, top_real, secret, private_rel, own_rel, excluded)
    files, _how = checkout_files(source, exclude, private)
    overlay, count = _tar(top_real, files, secret, excluded)
    digest = hashlib.sha256(overlay).hexdigest()
    return SourcePayload("tree", str(source), digest, overlay=overlay, private=private_rel,
                         own=own_rel, files=count)


def _git_payload(source: Path, top_real: str, secret: set[Tuple[int, int]],
                 private_rel: Tuple[str, ...], own_rel: Tuple[str, ...],
                 excluded: List[str]) -> SourcePayload:
    top = git_toplevel(source) or source
    head = resolve_revision(top, "HEAD")
    branch_raw = subprocess.run(["git", "-C", str(top), "symbolic-ref", "-q", "--short", "HEAD"],
                                capture_output=True, check=False, stdin=subprocess.DEVNULL,
                                timeout=_GIT_TIMEOUT).stdout.decode().strip()
    with tempfile.TemporaryDirectory(prefix="wfc-bundle-") as tmp:
        bundle_path = Path(tmp) / "source.bundle"
        _git(["-C", str(top), "bundle", "create", "--quiet", str(bundle_path), "--all"])
        bundle = bundle_path.read_bytes()
    changed = _git(["-C", str(top), "diff", "--name-only", "-z", "--no-renames", "HEAD"])
    untracked = _git(["-C", str(top), "ls-files", "-o", "--exclude-standard", "-z"])
    names = sorted({n for n in (changed + b"\0" + untracked).decode(
        "utf-8", "surrogateescape").split("\0") if n})
    present: List[str] = []
    deleted: List[str] = []
    own_set = set(own_rel)
    for rel in names:
        if rel in own_set:
            continue  # workflowcore's own files stay as committed (as a local checkout does)
        if os.path.lexists(os.path.join(top_real, rel)):
            present.append(rel)
        else:
            deleted.append(rel)
    overlay, count = _tar(top_real, present, secret, excluded)
    digest = hashlib.sha256(bundle + b"\0" + overlay + b"\0" +
                            "\0".join(deleted).encode("utf-8", "surrogateescape")).hexdigest()
    return SourcePayload("git", str(top), digest, bundle=bundle, overlay=overlay,
                         deleted=tuple(deleted), head=head, branch=branch_raw or None,
                         private=private_rel, own=own_rel, files=count)


def _tar(top_real: str, names: Sequence[str], secret: set[Tuple[int, int]],
         excluded: Sequence[str]) -> Tuple[bytes, int]:
    """A tar of the regular files and symlinks ``names`` (relative to ``top_real``), without
    private files (by identity, so another name of one is left out too) or excluded trees."""
    buf = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in names:
            full = os.path.join(top_real, rel)
            if any(full == e or is_within(full, e) for e in excluded):
                continue
            if _identity(full, False) in secret or _identity(full, True) in secret:
                continue
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                continue  # a submodule or nested repository: not checked out
            info = tar.gettarinfo(full, arcname=rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isreg():
                with open(full, "rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
            count += 1
    return buf.getvalue(), count


_locks: Dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def materialize(payload: SourcePayload, base: Path) -> Path:
    """The mirror of the project for ``payload`` under ``base`` (built on first use; later
    calls, from any thread of this worker, reuse it). :class:`ExecutorError` on failure."""
    dest = base / f"source-{payload.digest[:20]}"
    with _locks_guard:
        lock = _locks.setdefault(str(dest), threading.Lock())
    with lock:
        if (dest / ".git" / _READY).exists() or (dest / _READY).exists():
            return dest
        base.mkdir(parents=True, exist_ok=True)
        tmp = base / f".tmp-source-{uuid.uuid4().hex[:12]}"
        try:
            tmp.mkdir()
            if payload.kind == "git":
                _mirror_git(payload, tmp)
                marker = tmp / ".git" / _READY
            else:
                _untar(payload.overlay, tmp)
                marker = tmp / _READY
            marker.touch()
            os.replace(tmp, dest)
        except (OSError, StoreError) as exc:
            raise ExecutorError(f"cannot rebuild the project's files under {str(base)!r}: "
                                f"{getattr(exc, 'strerror', None) or exc}") from exc
        finally:
            if tmp.exists():
                remove_tree(tmp)
        return dest


def _mirror_git(payload: SourcePayload, dest: Path) -> None:
    bundle = dest.parent / f"{dest.name}.bundle"
    bundle.write_bytes(payload.bundle)
    try:
        _git(["init", "--quiet", str(dest)])
        _git(["-C", str(dest), "fetch", "--quiet", "--update-head-ok", str(bundle),
              "refs/*:refs/*", f"HEAD:{_HEAD_REF}"])
    finally:
        bundle.unlink()
    if payload.branch:
        _git(["-C", str(dest), "checkout", "--quiet", "--force", payload.branch])
    else:
        _git(["-C", str(dest), "checkout", "--quiet", "--force", "--detach", _HEAD_REF])
    _untar(payload.overlay, dest)
    for rel in payload.deleted:
        target = dest / rel
        if os.path.lexists(target) and not target.is_dir():
            target.unlink()


def _untar(data: bytes, dest: Path) -> None:
    """Unpack a payload tar with the stores' defensive reader (never through a link)."""
    extract_archive(io.BytesIO(data), dest, describe="the project's files from the client",
                    error=StoreError)


def remove_mirrors(base: Path) -> None:
    """Remove every mirror under ``base`` (the end of a client's session)."""
    if base.is_dir():
        shutil.rmtree(base, ignore_errors=True)
