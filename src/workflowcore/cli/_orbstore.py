"""The orb store and lock file a config-reading command uses (docs/orbs.md): one place for
``--orb-dir``, reading ``.circleci/orbs.lock``, checking it, and saying which version each
orb reference resolved to."""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Mapping, Optional, Tuple

from ..config.orbs.lock import Lock, LockError, check_lock, lock_path_for, read_lock, write_lock
from ..diagnostics import Diagnostic
from ..reporting.diagnostics import FileReport, format_text
from ._common import UsageError, err

__all__ = [
    "add_orb_dir_option",
    "lock_diagnostics",
    "print_resolution",
    "read_config_lock",
    "record_in_lock",
    "resolution_of_plan",
]


def add_orb_dir_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--orb-dir", default=None, metavar="DIR",
                   help="the orb store: packed orbs and orb source trees "
                        "(<namespace>/<name>@<version>.yml, <namespace>/<name>/<version>/); "
                        "searched after .circleci/orbs beside the config (default: the "
                        "per-user store, $WORKFLOWCORE_ORB_STORE or ~/.cache/workflowcore/orbs)")


def read_config_lock(config_path: str | os.PathLike[str]) -> Lock:
    """The lock beside the config; an unusable lock file is a usage error (exit 2)."""
    try:
        return read_lock(lock_path_for(config_path))
    except LockError as exc:
        raise UsageError(str(exc)) from None


def lock_diagnostics(lock: Lock, resolved: Mapping[str, Tuple[str, str]],
                     unavailable: Mapping[str, str]) -> List[Diagnostic]:
    """The lock's complaints about what the store gave; printed (stderr) when there are
    any. The caller fails the command on them (exit 1)."""
    diags = check_lock(lock, resolved, unavailable) if lock.orbs else []
    if diags:
        sys.stderr.write(format_text([FileReport(str(lock.path), diags, [])], summary=False))
    return diags


def print_resolution(resolved: Mapping[str, Tuple[str, str]], lock: Lock) -> None:
    """One stderr line naming the version each orb reference resolved to."""
    if not resolved:
        return
    parts = []
    for ref, (got, _) in sorted(resolved.items()):
        locked = " (locked)" if ref in lock.orbs else ""
        parts.append(f"{ref} -> {got.rsplit('@', 1)[-1]}{locked}" if got != ref else ref)
    err("orbs from the local store: " + ", ".join(parts))


def record_in_lock(lock: Lock, resolved: Mapping[str, Tuple[str, str]]) -> Optional[Lock]:
    """Add the references the lock does not know yet (never changing an entry) and write
    it; a lock that cannot be written is a warning, not a failed run."""
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


def resolution_of_plan(orbs: Mapping[str, Mapping[str, str]]) -> dict[str, Tuple[str, str]]:
    """``Plan.orbs`` as (resolved reference, digest) pairs."""
    return {k: (v["resolved"], v["digest"]) for k, v in orbs.items()}
