"""Files in and out of a container, as tar streams through ``docker cp`` (no shared paths).

**In** (:func:`upload`): the tar is built here, every member owned by the job's user (so a
non-root ``user:`` can modify what ``attach_workspace``/``restore_cache``/``checkout`` put
in its HOME), and unpacked at ``/`` with full paths. Directories that already exist in the
container get **no** header: a tar header would re-own and re-mode them (``/tmp`` would lose
its sticky bit, a HOME would change owner). The destination itself is created first by the
job's user (``mkdir -p``), as CircleCI's agent would. Nothing but a POSIX ``sh`` is needed in
the image, so busybox and distro images behave the same.

**Out** (:func:`download`): ``docker cp -L`` into a local directory that mirrors the job
path, then absolute symlinks that point inside what was copied are rewritten as relative
links, so they resolve inside the copy the way they did inside the container (the stores
refuse links that lead out of the tree they archive).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
import subprocess
import tarfile
import threading
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from .._fs import is_within
from ._docker_cli import DockerCLI, DockerCommandError

__all__ = ["download", "escaping_link", "local_entries", "upload"]

_NOT_FOUND = ("could not find the file", "no such file or directory", "not found")
# Unpacked by the container user: prints the directories (of those read on stdin) that
# already exist under $1, after creating $1 itself.
_EXISTING_DIRS = (
    'mkdir -p "$1" || exit 3; cd "$1" || exit 3; '
    'while IFS= read -r p; do [ -d "$p" ] && printf "%s\\n" "$p"; done; exit 0'
)


# Run in the container: prints the first symlink among the components of $2 below $1 that
# resolves outside $1, and its target (nothing when there is none, or when this image's
# readlink cannot resolve paths: the container then confines the link anyway).
_ESCAPING_LINK = (
    'set -f; a=$1; ra=$(cd "$a" 2>/dev/null && pwd -P) || exit 0; '
    '[ "$ra" = / ] && exit 0; readlink -f / >/dev/null 2>&1 || exit 0; '
    'p=$a; IFS=/; for c in $2; do [ -n "$c" ] || continue; p=$p/$c; '
    'if [ -L "$p" ]; then r=$(readlink -f "$p" 2>/dev/null) || r=; '
    'case $r in "$ra"|"$ra"/*) ;; *) printf "%s\n%s\n" "$p" "$(readlink "$p")"; exit 0;; '
    'esac; elif [ ! -e "$p" ]; then exit 0; fi; done; exit 0'
)


def escaping_link(cli: DockerCLI, container: str, job_path: str, anchor: str,
                  user: Optional[str]) -> Optional[Tuple[str, str]]:
    """The step engine's link check, judged inside the container (see
    :meth:`~workflowcore.runtime.steps.StepHost.escaping_link`)."""
    args = ["exec"] + (["-u", user] if user else [])
    proc = cli.call(*args, container, "/bin/sh", "-c", _ESCAPING_LINK, "wfc", anchor,
                    posixpath.relpath(job_path, anchor), check=False)
    lines = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
    if proc.returncode != 0 or len(lines) < 2 or not lines[0]:
        return None
    return lines[0], lines[1]


def local_entries(root: Path) -> List[Tuple[str, Path]]:
    """Every directory, file and symlink under ``root`` as ``(relative path, local path)``,
    parents before children (symlinked directories are not followed)."""
    out: List[Tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        names = sorted(filenames) + [d for d in dirnames
                                     if os.path.islink(os.path.join(dirpath, d))]
        for name in [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            out.append((rel, Path(dirpath, name)))
        for name in names:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            out.append((rel, Path(dirpath, name)))
    out.sort(key=lambda e: e[0].split("/"))
    return out


def upload(cli: DockerCLI, container: str, dest: str, entries: Sequence[Tuple[str, Path]], *,
           uid: int, gid: int, user: Optional[str] = None) -> int:
    """Put ``entries`` (relative to ``dest``, a job path) into the container; returns the
    number of files and links written. ``OSError`` when ``dest`` cannot be created."""
    dirs: Dict[str, Path] = {}  # every directory to create, with the local one giving its mode
    files: Dict[str, Path] = {}
    for rel, local in entries:
        parts = rel.split("/")
        for i in range(1, len(parts)):
            dirs.setdefault("/".join(parts[:i]), local.parents[len(parts) - 1 - i])
        if local.is_dir() and not local.is_symlink():
            dirs[rel] = local
        else:
            files[rel] = local
    existing = _existing_dirs(cli, container, dest, sorted(dirs), user)
    written = 0
    argv = cli.argv("cp", "-", f"{container}:/")
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=cli.base_env)
    assert proc.stdin is not None and proc.stderr is not None
    errors: List[bytes] = []
    stderr = proc.stderr
    reader = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
    reader.start()
    prefix = dest.strip("/")
    try:
        with tarfile.open(fileobj=proc.stdin, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for rel in sorted([*dirs, *files], key=lambda r: r.split("/")):
                name = f"{prefix}/{rel}" if prefix else rel
                if rel in dirs:
                    if rel not in existing:
                        tar.addfile(_info(name, dirs[rel], tarfile.DIRTYPE, uid, gid))
                else:
                    written += _add_file(tar, name, files[rel], uid, gid)
    except BrokenPipeError:
        pass  # the CLI gave up; its message is on stderr
    finally:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        rc = proc.wait()
        reader.join()
        stderr.close()
    if rc != 0:
        raise cli.error(["cp", "-", f"{container}:{dest}"], rc, b"".join(errors))
    return written


def _info(name: str, local: Path, kind: bytes, uid: int, gid: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.uid, info.gid = uid, gid
    try:
        st = os.lstat(local)
        info.mode = stat.S_IMODE(st.st_mode)
        info.mtime = int(st.st_mtime)
    except OSError:
        info.mode = 0o755
    return info


def _add_file(tar: tarfile.TarFile, name: str, local: Path, uid: int, gid: int) -> int:
    try:
        st = os.lstat(local)
    except FileNotFoundError:
        return 0  # listed, then deleted: nothing to copy
    info = tarfile.TarInfo(name)
    info.uid, info.gid = uid, gid
    info.mode = stat.S_IMODE(st.st_mode)
    info.mtime = int(st.st_mtime)
    if stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(local)
        tar.addfile(info)
        return 1
    if not stat.S_ISREG(st.st_mode):
        return 0  # sockets, fifos, devices: not copied
    with open(local, "rb") as fh:
        info.size = os.fstat(fh.fileno()).st_size
        tar.addfile(info, fh)
    return 1


def _existing_dirs(cli: DockerCLI, container: str, dest: str, dirs: Sequence[str],
                   user: Optional[str]) -> Set[str]:
    queried = [d for d in dirs if "\n" not in d]
    args = ["exec", "-i"]
    if user:
        args += ["-u", user]
    proc = cli.call(*args, container, "/bin/sh", "-c", _EXISTING_DIRS, "wfc", dest,
                    data="".join(d + "\n" for d in queried).encode("utf-8", "surrogateescape"),
                    check=False)
    if proc.returncode == 3:
        text = proc.stderr.decode("utf-8", "replace").strip()
        raise OSError(text.splitlines()[-1] if text else f"cannot create {dest}")
    if proc.returncode != 0:
        raise cli.error(["exec", container], proc.returncode, proc.stderr)
    return set(proc.stdout.decode("utf-8", "surrogateescape").splitlines())


def download(cli: DockerCLI, container: str, job_path: str, local: Path) -> bool:
    """Copy ``job_path`` (following it if it is a link) to ``local``, which must not exist.
    Returns ``False`` when there is nothing at ``job_path``."""
    local.parent.mkdir(parents=True, exist_ok=True)
    proc = cli.call("cp", "-L", f"{container}:{job_path}", str(local), check=False)
    if proc.returncode != 0:
        text = proc.stderr.decode("utf-8", "replace").lower()
        if any(s in text for s in _NOT_FOUND) and "no such container" not in text:
            return False
        err = cli.error(["cp", f"{container}:{job_path}"], proc.returncode, proc.stderr)
        if isinstance(err, DockerCommandError):  # the path's problem, not the engine's
            raise OSError(f"cannot copy {job_path} out of the container: {err}")
        raise err
    _relativize_links(local, job_path)
    return True


def _relativize_links(local: Path, job_path: str) -> None:
    if not local.is_dir() or local.is_symlink():
        return
    for dirpath, dirnames, filenames in os.walk(local):
        rel_dir = os.path.relpath(dirpath, local)
        job_dir = job_path if rel_dir == "." else posixpath.join(job_path, rel_dir)
        for name in filenames + dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                continue
            target = os.readlink(path)
            if not target.startswith("/"):
                continue
            target = posixpath.normpath(target)
            if is_within(target, job_path):
                os.unlink(path)
                os.symlink(posixpath.relpath(target, job_dir), path)
