"""``checkout`` as CircleCI does it: a real git clone of the project at the trigger's commit.

CircleCI's checkout step clones the repository, then ``git checkout --force -B "$CIRCLE_BRANCH"
"$CIRCLE_SHA1"`` on a branch build or ``git checkout "$CIRCLE_TAG"`` on a tag build; submodules
are not fetched (configuration reference, "checkout"). Jobs rely on ``.git`` being there:
``git describe``, ``git log``, setuptools-scm versions, the path-filtering orb's ``git diff``.

Locally the clone's source is the user's own repository, so it must never be written through:

* the clone's ``origin`` fetches from the local repository (offline, and it sees the local
  branches a ``git diff origin/main`` needs) but its push URL is disabled, so a deploy job's
  ``git push`` fails with a message instead of pushing to the user's repository;
* objects are copied, not hard-linked (``--no-hardlinks``): a job that rewrites a loose
  object cannot change the user's repository;
* the clone is made with a clean git environment (no ``GIT_DIR``/``GIT_WORK_TREE`` from the
  caller) so it can never be pointed at the user's work tree.

By default the uncommitted state of the work tree (modified tracked files, deletions, untracked
files that are not ignored) is applied on top when the trigger's commit is ``HEAD``: a local
run tests the work in progress, which is what people run it for. ``committed_only`` turns that
off. Files that are *private* (the contexts file) never reach the job either way.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from ._fs import is_within

__all__ = [
    "DISABLED_PUSH_URL",
    "CheckoutError",
    "CheckoutTarget",
    "GitInfo",
    "clone_checkout",
    "git_info",
    "git_toplevel",
    "is_repository_root",
    "project_slug",
    "resolve_revision",
]

#: what a job's ``git push`` meets: a path that cannot exist (no network is tried), and
#: git's "does not appear to be a git repository" names it, so the message says why
DISABLED_PUSH_URL = "/dev/null/workflowcore-local-run/push-disabled-in-local-runs"

_GIT_TIMEOUT = 600.0


class CheckoutError(Exception):
    """The checkout cannot be made; the message says why and what to do."""


def _clean_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_AUTHOR_NAME", "workflowcore")
    env.setdefault("GIT_AUTHOR_EMAIL", "workflowcore@localhost")
    env.setdefault("GIT_COMMITTER_NAME", "workflowcore")
    env.setdefault("GIT_COMMITTER_EMAIL", "workflowcore@localhost")
    return env


def _git(args: Sequence[str], cwd: Optional[Path] = None,
         check: bool = True) -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, env=_clean_env(),
                              stdin=subprocess.DEVNULL, capture_output=True, check=False,
                              timeout=_GIT_TIMEOUT)
    except FileNotFoundError as exc:
        raise CheckoutError("git is not installed on this machine; checkout needs it") from exc
    except subprocess.TimeoutExpired as exc:
        raise CheckoutError(f"git {args[0]} did not finish in {_GIT_TIMEOUT:g}s") from exc
    if check and proc.returncode != 0:
        why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CheckoutError(f"git {' '.join(args[:2])} failed: "
                            f"{why[-1] if why else f'exit {proc.returncode}'}")
    return proc


def _out(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def git_toplevel(path: Path) -> Optional[Path]:
    """The work tree ``path`` belongs to, or ``None`` outside git."""
    try:
        proc = _git(["-C", str(path), "rev-parse", "--show-toplevel"], check=False)
    except CheckoutError:
        return None
    return Path(_out(proc)) if proc.returncode == 0 and _out(proc) else None


@dataclass(frozen=True)
class CheckoutTarget:
    """What ``checkout`` checks out: the trigger's commit and its branch or tag."""

    revision: Optional[str] = None
    branch: Optional[str] = None
    tag: Optional[str] = None
    committed_only: bool = False

    @classmethod
    def from_environment(cls, env: Mapping[str, str], *,
                         committed_only: bool = False) -> CheckoutTarget:
        """From the job's built-in variables (``CIRCLE_SHA1``, ``CIRCLE_BRANCH``,
        ``CIRCLE_TAG``), which the runner set from the trigger."""
        return cls(env.get("CIRCLE_SHA1") or None, env.get("CIRCLE_BRANCH") or None,
                   env.get("CIRCLE_TAG") or None, committed_only)


def is_repository_root(path: Path) -> bool:
    """Whether ``path`` is the top of a git work tree (what CircleCI clones)."""
    top = git_toplevel(path)
    return top is not None and os.path.realpath(top) == os.path.realpath(path)


@dataclass(frozen=True)
class GitInfo:
    """What a trigger and the built-in variables take from the local repository."""

    revision: Optional[str] = None       # HEAD
    branch: Optional[str] = None         # the current branch (None when detached)
    tag: Optional[str] = None            # a tag pointing at HEAD (None when there is none)
    remote_url: Optional[str] = None     # origin's URL as configured


def git_info(source: Path) -> GitInfo:
    """HEAD, its branch and tag, and the origin URL of the repository at ``source``."""
    if git_toplevel(source) is None:
        return GitInfo()

    def one(*args: str) -> Optional[str]:
        proc = _git(["-C", str(source), *args], check=False)
        text = _out(proc)
        return text if proc.returncode == 0 and text else None

    tags = one("tag", "--points-at", "HEAD", "--sort=-creatordate")
    return GitInfo(
        revision=one("rev-parse", "--verify", "-q", "HEAD"),
        branch=one("symbolic-ref", "-q", "--short", "HEAD"),
        tag=tags.splitlines()[0] if tags else None,
        remote_url=one("config", "--get", "remote.origin.url"),
    )


def project_slug(remote_url: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """``(username, reponame)`` of an origin URL (``git@github.com:o/r.git``,
    ``https://github.com/o/r``), as ``CIRCLE_PROJECT_USERNAME``/``_REPONAME``."""
    if not remote_url:
        return None, None
    url = remote_url.strip().rstrip("/")
    if url.endswith(".git"):
        url = url[:-4]
    if "://" not in url and ":" in url:  # scp-like: git@host:owner/repo
        url = url.split(":", 1)[1]
    parts = [p for p in url.replace("\\", "/").split("/") if p]
    if len(parts) < 2:
        return None, parts[-1] if parts else None
    return parts[-2], parts[-1]


def resolve_revision(source: Path, ref: str) -> Optional[str]:
    """The commit ``ref`` (a tag, branch or sha) names in ``source``, or ``None``."""
    proc = _git(["-C", str(source), "rev-parse", "--verify", "-q", f"{ref}^{{commit}}"],
                check=False)
    return _out(proc) if proc.returncode == 0 and _out(proc) else None


def clone_checkout(source: Path, dest: Path, *, revision: Optional[str],
                   branch: Optional[str], tag: Optional[str],
                   private: Sequence[Path] = (), exclude: Sequence[Path] = (),
                   committed_only: bool = False) -> List[str]:
    """Clone the repository whose work-tree root is ``source`` (callers check it with
    :func:`is_repository_root`) into ``dest`` (missing or empty) and check out the
    trigger's commit; returns the lines for the job log. :class:`CheckoutError` when it
    cannot (not a repository, an unknown commit or tag, a non-empty ``dest``)."""
    # the callers asked is_repository_root(source) already: no second `git rev-parse`
    top = source
    if not (top / ".git").exists():
        raise CheckoutError(f"{source} is not the root of a git repository")
    if dest.exists() and any(dest.iterdir()) and not (dest / ".git").exists():
        raise CheckoutError(
            f"directory {dest} you are trying to checkout to is not empty and not a git "
            "repository (as on CircleCI: check out first, or into another path)")
    head = resolve_revision(top, "HEAD")
    target = revision or head
    if tag is not None:
        tagged = resolve_revision(top, f"refs/tags/{tag}")
        if tagged is None:
            raise CheckoutError(f"tag {tag!r} does not exist in {top}; create it "
                                f"(git tag {tag}) or trigger a branch instead")
        target = tagged if revision is None else target
    if target is None:
        raise CheckoutError(f"{top} has no commit yet; commit something to check it out")
    lines: List[str] = []
    if not (dest / ".git").exists():
        dest.mkdir(parents=True, exist_ok=True)
        _git(["clone", "--quiet", "--no-hardlinks", "--no-checkout",
              "--no-recurse-submodules", str(top), str(dest)])
    repo = ["-C", str(dest)]
    _git([*repo, "config", "remote.origin.pushurl", DISABLED_PUSH_URL])
    if resolve_revision(dest, target) is None:
        # a commit no branch or tag reaches (a detached HEAD): fetch it by name
        _git([*repo, "fetch", "--quiet", "origin", target], check=False)
        if resolve_revision(dest, target) is None:
            raise CheckoutError(f"commit {target} is not in {top}")
    if tag is not None:
        _git([*repo, "checkout", "--quiet", "--force", target])
        lines.append(f"checked out tag {tag} ({target[:12]}) in a clone of {top}")
    elif branch:
        _git([*repo, "checkout", "--quiet", "--force", "-B", branch, target])
        lines.append(f"checked out {branch} at {target[:12]} in a clone of {top}")
    else:
        _git([*repo, "checkout", "--quiet", "--force", target])
        lines.append(f"checked out {target[:12]} in a clone of {top}")
    left_out = _drop_private(dest, top, private)
    if not committed_only and target == head:
        lines.extend(_apply_work_tree(top, dest, private, exclude, left_out))
    if left_out:
        shown = ", ".join(left_out[:3]) + (", ..." if len(left_out) > 3 else "")
        lines.append(f"left out the contexts file, which holds secrets ({shown})")
    return lines


def _drop_private(dest: Path, top: Path, private: Sequence[Path]) -> List[str]:
    """Remove committed copies of private files from the clone's work tree."""
    removed: List[str] = []
    top_real = os.path.realpath(top)
    for p in private:
        real = os.path.realpath(p)
        if not is_within(real, top_real) or real == top_real:
            continue
        rel = os.path.relpath(real, top_real)
        target = dest / rel
        if os.path.lexists(target):
            target.unlink()
            removed.append(rel)
    return removed


def _apply_work_tree(top: Path, dest: Path, private: Sequence[Path],
                     exclude: Sequence[Path], left_out: List[str]) -> List[str]:
    """Copy uncommitted changes of ``top`` (vs HEAD) and untracked non-ignored files."""
    changed = _out(_git(["-C", str(top), "diff", "--name-only", "-z", "--no-renames", "HEAD"],
                        check=False))
    untracked = _out(_git(["-C", str(top), "ls-files", "-o", "--exclude-standard", "-z"],
                          check=False))
    names = sorted({n for n in (changed + "\0" + untracked).split("\0") if n})
    top_real = os.path.realpath(top)
    exclude_real = [os.path.realpath(p) for p in exclude]
    private_real = {os.path.realpath(p) for p in private}
    secret = {(s.st_dev, s.st_ino) for s in (_stat(str(p)) for p in private) if s}
    applied = deleted = 0
    for rel in names:
        src = os.path.join(top_real, rel)
        if any(src == s or is_within(src, s) for s in exclude_real):
            continue
        st = _stat(src, follow=False)
        target = _stat(src)
        if src in private_real or any(
                s is not None and (s.st_dev, s.st_ino) in secret for s in (st, target)):
            left_out.append(rel)  # the file itself, another name of it, or a link to it
            continue
        dst = dest / rel
        if st is None:  # deleted in the work tree
            if os.path.lexists(dst) and not dst.is_dir():
                dst.unlink()
                deleted += 1
            continue
        if stat.S_ISDIR(st.st_mode):
            continue  # a submodule or nested repository: not checked out
        dst.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(dst) and not dst.is_dir():
            dst.unlink()
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(src), dst)
        elif stat.S_ISREG(st.st_mode):
            shutil.copy2(src, dst, follow_symlinks=False)
        else:
            continue
        applied += 1
    if not applied and not deleted:
        return []
    what = [f"{applied} changed or untracked file{'s' if applied != 1 else ''}"] if applied \
        else []
    if deleted:
        what.append(f"{deleted} deletion{'s' if deleted != 1 else ''}")
    return [f"applied the uncommitted work of {top} on top: {' and '.join(what)} "
            "(run with --committed-only to check out the commit alone)"]


def _stat(path: str, follow: bool = True) -> Optional[os.stat_result]:
    try:
        return os.stat(path) if follow else os.lstat(path)
    except OSError:
        return None
