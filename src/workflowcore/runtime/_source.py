"""Which files of the local repository a ``checkout`` step puts into a job.

Shared by executors so a job sees the same files whichever way they travel (copied on this
machine, streamed into a container): in a git work tree, ``git ls-files -co
--exclude-standard`` (tracked plus untracked-but-not-ignored, so uncommitted work is tested);
otherwise the whole tree minus ``.git``. Paths are relative, ``/``-separated, sorted.

*Private* files are never checked out, whichever way they would be chosen: the contexts
file (plaintext secrets) is one, since ``.circleci/contexts.yml`` is typically untracked and
not ignored, so ``git ls-files -co`` lists it (issue 10, item 10). A private file is matched
by its real path and by its identity (device and inode), so another spelling of its path, a
hard link to it or a link inside the project that names it is left out as well.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ._fs import is_within

__all__ = ["GIT_HOW", "TREE_HOW", "all_entries", "checkout_files", "git_files", "tree_files"]

_Identity = Tuple[int, int]

GIT_HOW = "git ls-files: tracked and untracked files, ignored ones left out"
TREE_HOW = "not a git repository: the whole tree except .git"


def git_files(source: Path) -> Optional[List[str]]:
    """Tracked plus untracked-not-ignored files, or ``None`` when git cannot say."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(source), "ls-files", "-co", "--exclude-standard", "-z"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            check=False, timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return sorted({n for n in names if n})


def tree_files(source: Path) -> List[str]:
    """Every file and symlink under ``source`` except inside ``.git``."""
    return _walk(source, skip_git=True)


def all_entries(root: Path) -> List[str]:
    """Every file and symlink under ``root``, ``.git`` included (a clone travelling into a
    container), relative and sorted."""
    return _walk(root, skip_git=False)


def _walk(root: Path, *, skip_git: bool) -> List[str]:
    out: List[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not (skip_git and d == ".git"))
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(filenames) + [d for d in dirnames
                                         if os.path.islink(os.path.join(dirpath, d))]:
            out.append(name if rel_dir == "." else f"{rel_dir}/{name}")
    return out


def _identity(path: str, follow: bool) -> Optional[_Identity]:
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def checkout_files(source: Path, exclude: Sequence[Path] = (),
                   private: Sequence[Path] = ()) -> Tuple[List[str], str]:
    """The files to check out and how they were chosen (one line for the job log).

    Anything under ``exclude`` (the run directory, when it lives inside the repository) is
    left out, so a run never copies itself into its own jobs. So is every ``private`` file
    (see the module's docstring), and the line says how many were left out and why.
    """
    files = git_files(source)
    how = GIT_HOW
    if files is None:
        files, how = tree_files(source), TREE_HOW
    src_real = os.path.realpath(source)
    excluded = [os.path.relpath(os.path.realpath(e), src_real) for e in exclude]
    excluded = [e for e in excluded
                if e != "." and is_within(os.path.join(src_real, e), src_real)]
    kept = [rel for rel in files
            if not any(rel == e or rel.startswith(e + "/") for e in excluded)]
    secret = {i for i in (_identity(str(p), True) for p in private) if i is not None}
    if not secret:
        return kept, how
    left_out: List[str] = []
    checked: List[str] = []
    for rel in kept:
        full = os.path.join(src_real, rel)
        # the file itself, or a link whose target is the file
        if _identity(full, False) in secret or _identity(full, True) in secret:
            left_out.append(rel)
        else:
            checked.append(rel)
    if left_out:
        shown = ", ".join(left_out[:3]) + (", ..." if len(left_out) > 3 else "")
        how += f"; left out the contexts file, which holds secrets ({shown})"
    return checked, how
