"""``workflowcore prune``: keep the last N runs, remove the rest of the state (issue 12).

Local runs accumulate: one real project reached 18 GB after three runs. Job directories are
removed as each job ends (unless ``--keep-jobs``); what remains grows with every run — the
workflow records and logs, workspace layers, artifacts, kept job directories. ``prune``
keeps the ``--keep`` most recent *pipelines* (one ``workflowcore run`` and every rerun of
its workflows) and removes everything of the older ones.

What is never removed: a workflow run that is running or waits for an approval (it can still
go on), and a workspace that a kept rerun inherits (a rerun reads its original's layers).
Caches are CircleCI's to expire, after 15 days (configuration reference, ``save_cache``);
``--caches`` removes entries unused for that long (or ``--cache-days``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from pathlib import Path
from typing import Dict, Iterable, List, Set

from .._text import plural
from ..runtime._fs import path_component, remove_tree
from ..runtime.stores import WorkflowRunRecord
from ._common import EXIT_OK, UsageError
from ._runtools import add_state_options, int_at_least, open_state, print_json

__all__ = ["add_parser", "prune"]

#: workflow statuses that can still change: never pruned
_LIVE = ("running", "on_hold", "failing")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "prune", help="remove old runs from the state directory",
        description="Keep the most recent pipelines (a run and its reruns) and remove the "
                    "workflow runs, logs, workspaces, artifacts and job directories of older "
                    "ones. Running and on-hold workflow runs are kept.")
    p.add_argument("--keep", type=int_at_least(0, "0 or more"), default=5, metavar="N",
                   help="pipelines to keep, newest first (default: 5; 0 removes every "
                        "finished one)")
    p.add_argument("--caches", action="store_true",
                   help="also remove cache entries not used for --cache-days days")
    p.add_argument("--cache-days", type=float, default=15.0, metavar="D",
                   help="with --caches: the age in days (default: 15, CircleCI's)")
    p.add_argument("--dry-run", action="store_true", help="say what would go; remove nothing")
    add_state_options(p)
    p.set_defaults(func=prune)


def _size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _human(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


def _pipelines(records: Iterable[WorkflowRunRecord]) -> List[List[WorkflowRunRecord]]:
    """Records grouped by pipeline, newest pipeline (by its latest activity) first."""
    groups: Dict[str, List[WorkflowRunRecord]] = {}
    for r in records:
        groups.setdefault(r.pipeline_id, []).append(r)
    return sorted(groups.values(), key=lambda g: max(r.updated_at for r in g), reverse=True)


def prune(args: argparse.Namespace) -> int:
    state = open_state(args.state_dir, create=False)
    try:
        records = state.store.list()
        groups = _pipelines(records)
        keep_ids: Set[str] = {r.id for g in groups[: args.keep] for r in g}
        live = [r for r in records if r.status in _LIVE and r.id not in keep_ids]
        keep_ids |= {r.id for r in live}
        kept_workspaces = {str(r.settings.get("workspace_id") or r.id)
                           for r in records if r.id in keep_ids}
        doomed = [r for r in records if r.id not in keep_ids]
        paths: List[Path] = []
        for r in doomed:
            paths.append(state.artifacts.root / path_component(r.id))
            paths.append(state.jobs_dir / path_component(r.id))
            if r.id not in kept_workspaces:
                paths.append(state.workspace.root / path_component(r.id))
        known = {path_component(r.id) for r in records}
        if state.jobs_dir.is_dir():  # job directories of runs the state no longer knows
            paths += [d for d in state.jobs_dir.iterdir() if d.name not in known]
        if args.caches and state.caches.root.is_dir():
            cutoff = time.time() - args.cache_days * 86400
            paths += [d for d in state.caches.root.iterdir() if _last_used(d) < cutoff]
        paths = [p for p in paths if os.path.lexists(p)]
        freed = sum(_size(p) for p in paths)
        if not args.dry_run:
            for r in doomed:
                state.store.delete(r.id)
            for p in paths:
                if p.is_dir() and not p.is_symlink():
                    remove_tree(p)
                else:
                    p.unlink(missing_ok=True)
        verb = "would remove" if args.dry_run else "removed"
        if args.format == "json":
            print_json({"version": 1, "dry_run": bool(args.dry_run),
                        "removed": [r.id for r in doomed], "kept": sorted(keep_ids),
                        "kept_live": [r.id for r in live], "freed_bytes": freed})
            return EXIT_OK
        pipelines = len({r.pipeline_id for r in doomed})
        dirs = plural(len(paths), "directory", "directories")
        print(f"{verb} {plural(len(doomed), 'workflow run')} of "
              f"{plural(pipelines, 'pipeline')} and {dirs} ({_human(freed)}); "
              f"kept {plural(len(keep_ids), 'workflow run')}")
        if live:
            print(f"kept {plural(len(live), 'older workflow run')} that can still go on "
                  f"(running or on hold): {', '.join(r.id for r in live)}")
        return EXIT_OK
    except OSError as exc:
        raise UsageError(f"prune: {exc.strerror or exc}: {getattr(exc, 'filename', '')}") \
            from exc
    finally:
        state.store.close()


def _last_used(entry: Path) -> float:
    try:
        st = entry.stat()
    except OSError:
        return time.time()
    return max(st.st_mtime, st.st_atime)

