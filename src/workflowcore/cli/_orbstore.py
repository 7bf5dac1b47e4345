"""The orb store and lock file a config-reading command uses (docs/orbs.md): one place for
``--orb-dir``, reading ``.circleci/orbs.lock``, checking it, and saying which version each
orb reference resolved to."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Dict, Mapping, Optional, Tuple

from ..reporting.diagnostics import FileReport, format_text
from ._common import UsageError, err

if TYPE_CHECKING:  # `validate` imports this module and needs neither planning nor the lock
    from ..config.orbs.lock import Lock
    from ..planning import Plan

__all__ = [
    "add_orb_dir_option",
    "orbs_as_locked",
    "plan_orbs",
    "read_config_lock",
    "record_in_lock",
]


def add_orb_dir_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--orb-dir", default=None, metavar="DIR",
                   help="the orb store: packed orbs and orb source trees "
                        "(<namespace>/<name>@<version>.yml, <namespace>/<name>/<version>/); "
                        "searched after .circleci/orbs beside the config (default: the "
                        "per-user store, $WORKFLOWCORE_ORB_STORE or ~/.cache/workflowcore/orbs)")


def read_config_lock(config_path: str | os.PathLike[str]) -> Lock:
    """The lock beside the config; an unusable lock file is a usage error (exit 2)."""
    from ..config.orbs.lock import LockError, lock_path_for, read_lock

    try:
        return read_lock(lock_path_for(config_path))
    except LockError as exc:
        raise UsageError(str(exc)) from None


def orbs_as_locked(lock: Lock, resolved: Mapping[str, Tuple[str, str]],
                   unavailable: Mapping[str, str]) -> bool:
    """Check what the store gave against the lock: on a mismatch print the lock's errors
    (stderr) and return ``False`` (the caller fails the command); else print one line naming
    the version each orb reference resolved to and return ``True``."""
    from ..config.orbs.lock import check_lock

    diags = check_lock(lock, resolved, unavailable) if lock.orbs else []
    if diags:
        sys.stderr.write(format_text([FileReport(str(lock.path), diags, [])], summary=False))
        return False
    if resolved:
        parts = []
        for ref, (got, _) in sorted(resolved.items()):
            locked = " (locked)" if ref in lock.orbs else ""
            parts.append(f"{ref} -> {got.rsplit('@', 1)[-1]}{locked}" if got != ref else ref)
        err("orbs from the local store: " + ", ".join(parts))
    return True


def record_in_lock(lock: Lock, resolved: Mapping[str, Tuple[str, str]]) -> Optional[Lock]:
    """Add the references the lock does not know yet (never changing an entry) and write
    it; a lock that cannot be written is a warning, not a failed run."""
    from ..config.orbs.lock import write_lock

    merged = lock.merged(resolved)
    if merged.orbs == lock.orbs:
        return None
    try:
        write_lock(merged)
    except OSError as exc:
        print(f"workflowcore: warning: cannot write the orb lock {str(lock.path)!r}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return None
    return merged


def plan_orbs(plan: Plan) -> Tuple[Dict[str, Tuple[str, str]], Dict[str, str]]:
    """``Plan.orbs`` as (resolved reference, digest) pairs, and the unavailable orbs its jobs
    need (reference → reference), as :func:`orbs_as_locked` takes them."""
    resolved = {k: (v["resolved"], v["digest"]) for k, v in plan.orbs.items()}
    missing = {r: r for w in plan.workflows for j in w.jobs for r in j.unavailable_orbs}
    return resolved, missing
