"""The orb lock file: which version each orb reference of a config resolved to, and the
digest of what was used, so later runs use the same orbs until they are updated on purpose.

``.circleci/orbs.lock`` beside the config (docs/orbs.md, "Lock file")::

    {
      "lockfile": 1,
      "orbs": {
        "circleci/node@5": {"resolved": "circleci/node@5.0.3",
                            "digest": "sha256:9f2c..."}
      }
    }

Keys are references as the config writes them. ``digest`` is :func:`.store.orb_digest` of
the packed orb text. Reading pins each reference to its locked version
(:meth:`Lock.pins`); after compiling, :func:`check_lock` compares what the store gave with
what the lock says: a stored orb whose digest changed (``orb-lock-mismatch``) or a locked
version the store no longer has (``orb-lock-stale``) is an error, since the run would not
be the one the lock describes. ``workflowcore run`` adds entries for references the lock
does not know yet and never changes an entry; ``workflowcore orb lock`` / ``orb update``
write it afresh.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from ...diagnostics import Diagnostic, Severity
from .._files import read_bounded
from .store import Resolved

__all__ = [
    "LOCK_NAME",
    "LOCK_VERSION",
    "Lock",
    "LockEntry",
    "LockError",
    "check_lock",
    "lock_path_for",
    "read_lock",
    "resolution_of",
    "write_lock",
]

LOCK_NAME = "orbs.lock"
LOCK_VERSION = 1
_MAX_LOCK_BYTES = 4 * 1024 * 1024


class LockError(ValueError):
    """A lock file that cannot be used (unreadable, not JSON, wrong shape or version); the
    message names the file and the fix."""


@dataclass(frozen=True)
class LockEntry:
    resolved: str
    digest: str

    @property
    def version(self) -> str:
        return self.resolved.rsplit("@", 1)[-1]


@dataclass
class Lock:
    path: Path
    orbs: Dict[str, LockEntry] = field(default_factory=dict)
    exists: bool = False

    def pins(self) -> Dict[str, str]:
        """Reference as written → locked version (the compiler's ``orb_pins``)."""
        return {ref: e.version for ref, e in self.orbs.items()}

    def to_json(self) -> str:
        data = {"lockfile": LOCK_VERSION,
                "orbs": {ref: {"resolved": e.resolved, "digest": e.digest}
                         for ref, e in sorted(self.orbs.items())}}
        return json.dumps(data, indent=2, sort_keys=False) + "\n"

    def merged(self, resolved: Mapping[str, Union[Resolved, Tuple[str, str]]], *,
               replace: bool = False) -> Lock:
        """This lock with an entry for every resolved reference: new ones added, existing
        ones kept (or, with ``replace``, every entry taken from ``resolved``). Values are
        :class:`Resolved` or (resolved reference, digest) pairs."""
        orbs = {} if replace else dict(self.orbs)
        for ref, r in resolved.items():
            if replace or ref not in orbs:
                got, digest = (r.orb.ref, r.digest) if isinstance(r, Resolved) else r
                orbs[ref] = LockEntry(got, digest)
        return Lock(self.path, orbs, self.exists)


def lock_path_for(config_path: Union[str, os.PathLike[str]]) -> Path:
    """``orbs.lock`` beside the config (``.circleci/orbs.lock``)."""
    return Path(config_path).parent / LOCK_NAME


def read_lock(path: Union[str, os.PathLike[str]]) -> Lock:
    """The lock at ``path`` (an empty one when there is no file). Raises
    :class:`LockError` for a file that is there but cannot be used."""
    p = Path(path)
    if not os.path.lexists(p):
        return Lock(p)
    where = f"orb lock file {str(p)!r}"
    fix = "fix it, or delete it and run `workflowcore orb lock` to write a new one"
    try:
        raw = read_bounded(p, _MAX_LOCK_BYTES)
        data: Any = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise LockError(f"{where} cannot be read: {reason}; {fix}") from None
    if not isinstance(data, dict) or not isinstance(data.get("orbs"), dict):
        raise LockError(f"{where} is not a lock file (no `orbs` mapping); {fix}")
    version = data.get("lockfile")
    if version != LOCK_VERSION:
        raise LockError(f"{where} has format {version!r}, this workflowcore reads "
                        f"{LOCK_VERSION}; {fix}")
    orbs: Dict[str, LockEntry] = {}
    for ref, entry in data["orbs"].items():
        if not (isinstance(entry, dict) and isinstance(entry.get("resolved"), str)
                and isinstance(entry.get("digest"), str)
                and entry["digest"].startswith("sha256:") and "@" in entry["resolved"]):
            raise LockError(f"{where}: the entry for {ref!r} needs `resolved` "
                            "(namespace/name@version) and `digest` (sha256:...); " + fix)
        orbs[str(ref)] = LockEntry(entry["resolved"], entry["digest"])
    return Lock(p, orbs, True)


def write_lock(lock: Lock) -> None:
    """Write the lock atomically (a temporary file renamed over it)."""
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = lock.path.with_name(f".{lock.path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(lock.to_json(), encoding="utf-8")
        os.replace(tmp, lock.path)
    finally:
        if tmp.exists():
            tmp.unlink()


def resolution_of(resolved: Mapping[str, Resolved]) -> Dict[str, Tuple[str, str]]:
    """Reference as written → (resolved reference, digest), what :func:`check_lock` takes."""
    return {ref: (r.orb.ref, r.digest) for ref, r in resolved.items()}


def check_lock(lock: Lock, resolved: Mapping[str, Tuple[str, str]],
               unavailable: Optional[Mapping[str, str]] = None) -> List[Diagnostic]:
    """Errors where what the store gave differs from what the lock pinned.

    ``resolved``: reference as written → (resolved reference, digest)
    (:func:`resolution_of`); ``unavailable``: the unavailable orbs (alias → reference), so
    a locked orb the store lost is named too.
    """
    out: List[Diagnostic] = []
    path = str(lock.path)
    hint = ("if the change is intended, run `workflowcore orb update` to lock what the store "
            "has now; else restore the locked orb in the store (`workflowcore orb add`)")
    for ref, (got, digest) in resolved.items():
        entry = lock.orbs.get(ref)
        if entry is None:
            continue
        if got != entry.resolved:
            out.append(Diagnostic(
                code="orb-lock-stale", path=path, severity=Severity.ERROR,
                message=f"'{ref}' is locked to {entry.resolved}, which the orb store does "
                        f"not have; it resolved to {got} instead",
                hint=hint))
        elif digest != entry.digest:
            out.append(Diagnostic(
                code="orb-lock-mismatch", path=path, severity=Severity.ERROR,
                message=f"the stored {got} is not the orb that was locked: its digest is "
                        f"{digest}, the lock says {entry.digest}",
                hint=hint))
    for ref in sorted(set((unavailable or {}).values())):
        entry = lock.orbs.get(ref)
        if entry is not None and ref not in resolved:
            out.append(Diagnostic(
                code="orb-lock-stale", path=path, severity=Severity.ERROR,
                message=f"'{ref}' is locked to {entry.resolved}, which the orb store does "
                        "not have",
                hint=hint))
    return out
