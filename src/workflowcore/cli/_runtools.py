"""What the run commands share: the state directory, building a Runner, ids, output, exit codes.

State directory layout (``--state-dir``, default ``.workflowcore`` in the current directory)::

    runs.sqlite      run state (SQLiteRunStore, WAL)
    workspace/       workspace layers, one directory per workflow run
    cache/           save_cache / restore_cache entries
    artifacts/       store_artifacts output
    jobs/            each job's directory (HOME, scripts) for the subprocess executor
    timings/         test timings from store_test_results, for `circleci tests split`
    .gitignore       "*": git (and so ``checkout``) never sees any of it
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

from .._paths import cache_dir
from ..config.orbs.lock import lock_path_for
from ..errors import ExecutorError, RunNotFoundError, StoreError
from ..planning import PlannedWorkflow
from ..reporting.diagnostics import FileReport, format_text
from ..reporting.live import LiveTablePrinter, rich_available
from ..reporting.progress import DEFAULT_HEARTBEAT, ProgressPrinter
from ..runtime.contexts import Context, load_contexts_file
from ..runtime.events import Event, WorkflowStarted
from ..runtime.executor import Executor
from ..runtime.executors import SubprocessExecutor
from ..runtime.executors.subprocess import job_images
from ..runtime.runner import Runner
from ..runtime.stores import (
    FileSystemArtifactStore,
    FileSystemCacheStore,
    FileSystemWorkspaceStore,
    SQLiteRunStore,
    WorkflowRunRecord,
)
from ..runtime.stores.timings import TimingsStore
from ._common import EXIT_FAILED, EXIT_OK, EXIT_ON_HOLD, UsageError, err
from ._projectenv import add_env_options

__all__ = [
    "EXECUTORS",
    "State",
    "add_runner_options",
    "add_state_options",
    "build_runner",
    "default_actor",
    "exit_code_for",
    "find_source_dir",
    "host_note",
    "int_at_least",
    "jobs_dir_for",
    "load_contexts",
    "open_state",
    "positive_int",
    "print_json",
    "progress_printer",
    "resolve_id",
]

EXECUTORS = ("subprocess", "docker", "dask")
#: where an existing Dask cluster is (``--dask-scheduler``), as Dask itself reads it
DASK_SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
DEFAULT_STATE_DIR = ".workflowcore"
APPROVE_HINT = "workflowcore approve {id} {job}"
PROGRESS_MODES = ("auto", "live", "plain")
PROGRESS_ENV = "WORKFLOWCORE_PROGRESS"
HEARTBEAT_ENV = "WORKFLOWCORE_HEARTBEAT"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected seconds (a number, 0 for never), got {text!r}")
    return value


def int_at_least(minimum: int, what: str) -> Callable[[str], int]:
    """An argparse ``type`` for integers ``>= minimum`` (``what`` names them in errors)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


positive_int = int_at_least(1, "a positive integer")


def add_state_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state-dir", default=None, metavar="D",
                   help=f"where run state lives (default: {DEFAULT_STATE_DIR} in the current "
                        "directory)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="output format (default: text)")


def add_runner_options(p: argparse.ArgumentParser, *, resuming: bool) -> None:
    """Options of the commands that run jobs. On commands that continue a stored run, the
    defaults come from that run (same executor and contexts file)."""
    same = " (default: as the workflow run was started)" if resuming else ""
    p.add_argument("--contexts", default=None, metavar="F",
                   help="contexts file" + (same or " (default: .circleci/contexts.yml if it "
                                                   "exists, else contexts.yml beside the "
                                                   "config)"))
    p.add_argument("--executor", choices=EXECUTORS, default=None,
                   help="how jobs run" + (same or " (default: subprocess)"))
    p.add_argument("--max-parallel", type=positive_int, default=None, metavar="N",
                   help="jobs running at once (default: the CPU count)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="text format: do not print job output lines")
    p.add_argument("--progress", choices=PROGRESS_MODES, default=None,
                   help="text format: 'live' keeps a table of the jobs on the terminal "
                        "(needs the rich extra), 'plain' prints dated lines; default 'auto': "
                        f"live when stdout is a terminal and rich is installed (${PROGRESS_ENV})")
    p.add_argument("--heartbeat", type=_seconds, default=None, metavar="S",
                   help="plain progress: say a job still runs when it printed nothing for S "
                        f"seconds (default {DEFAULT_HEARTBEAT:g}, ${HEARTBEAT_ENV}; 0: never)")
    p.add_argument("--isolate", action="store_true",
                   help="subprocess executor: run each job in namespaces of its own (Linux): "
                        "HOME=/home/circleci, a private /tmp, nothing outlives the job "
                        "(docs/isolation.md)" + (" (default: as the workflow run was started)"
                                                 if resuming else ""))
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="dask executor: worker processes of the local Dask cluster (default: "
                        "the CPU count; docs/distributed.md)")
    p.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                   help="dask executor: run the jobs on the existing Dask cluster of this "
                        f"scheduler (tcp://HOST:8786; default ${DASK_SCHEDULER_ENV}, else a "
                        "local cluster)")
    p.add_argument("--keep-jobs", action="store_true",
                   help="keep each finished job's directory (default: removed when the job "
                        "ends; see 'workflowcore prune' for the rest of the state)")
    add_env_options(p)


def default_actor() -> str:
    try:
        return getpass.getuser() or "local-user"
    except (KeyError, OSError):  # no passwd entry / no login name in a container
        return "local-user"


@dataclass
class State:
    root: Path
    store: SQLiteRunStore
    workspace: FileSystemWorkspaceStore
    caches: FileSystemCacheStore
    artifacts: FileSystemArtifactStore

    @property
    def jobs_dir(self) -> Path:
        return jobs_dir_for(self.root)


def jobs_dir_for(state_root: Path) -> Path:
    """Where the subprocess executor puts the jobs of the state directory ``state_root``.

    Outside the project by default (``$XDG_CACHE_HOME/workflowcore/jobs/<digest of the state
    directory>``; ``WORKFLOWCORE_JOBS_DIR`` replaces the base): a job inside the user's work
    tree would find the user's ``node_modules``, ``setup.cfg`` or ``.git`` above its own
    directory, which a CircleCI job never sees (issue 12).
    """
    base = os.environ.get("WORKFLOWCORE_JOBS_DIR") or str(cache_dir() / "jobs")
    digest = hashlib.sha256(os.path.realpath(state_root).encode("utf-8",
                                                                "surrogateescape")).hexdigest()
    return Path(base).absolute() / digest[:16]


def open_state(state_dir: Optional[str], *, create: bool) -> State:
    root = Path(state_dir or DEFAULT_STATE_DIR).absolute()
    if not create and not (root / "runs.sqlite").exists():
        raise UsageError(f"no run state in {str(root)!r} (no workflow has been run with this "
                         "--state-dir)")
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        ignore = root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by workflowcore: run state, never part of a "
                              "checkout\n*\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot create the state directory {str(root)!r}: "
                         f"{exc.strerror or exc}") from exc
    try:
        store = SQLiteRunStore(root / "runs.sqlite")
    except StoreError as exc:
        raise UsageError(str(exc)) from exc
    return State(root, store, FileSystemWorkspaceStore(root / "workspace"),
                 FileSystemCacheStore(root / "cache"), FileSystemArtifactStore(root / "artifacts"))


def find_source_dir(config: Path) -> Path:
    """The tree ``checkout`` copies: the project whose root holds ``.circleci/`` (as
    CircleCI checks out the repository whose root holds the config), else the git work tree
    containing the config, else the config's directory. The first rule matters for a
    project inside another repository (a monorepo, or this project's own examples/)."""
    config = config.absolute()
    if config.parent.name == ".circleci":
        return config.parent.parent
    try:
        proc = subprocess.run(["git", "-C", str(config.parent), "rev-parse", "--show-toplevel"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, check=False, timeout=60)
        if proc.returncode == 0 and proc.stdout.strip():
            return Path(proc.stdout.decode().strip())
    except (OSError, subprocess.TimeoutExpired):
        pass
    return config.parent


def load_contexts(path: Optional[str]) -> Dict[str, Context]:
    """The contexts of ``path`` (none when ``None``); diagnostics go to stderr; errors in the
    file are a usage error (exit 2), never a run with some contexts silently missing."""
    if path is None:
        return {}
    result = load_contexts_file(path)
    if result.diagnostics:
        sys.stderr.write(format_text([FileReport(path, result.diagnostics, result.lines)],
                                     summary=False))
    if not result.ok:
        raise UsageError(f"{path}: the contexts file has errors")
    return dict(result.contexts)


def make_executor(kind: str, state: State, source_dir: Optional[str],
                  private_files: Sequence[str] = (), *, keep_job_dirs: bool = False,
                  committed_only: bool = False, isolate: bool = False,
                  dask_workers: Optional[int] = None,
                  dask_scheduler: Optional[str] = None) -> Executor:
    """The executor ``kind``; ``private_files`` (contexts files) are never checked out.
    ``isolate``: the subprocess executor's isolating mode (a usage error, exit 2, saying
    why and what to do when this machine cannot isolate jobs). ``dask_workers`` and
    ``dask_scheduler``: the dask executor's cluster (a new local one, or an existing one)."""
    if kind == "dask":
        if isolate:
            raise UsageError("--isolate is an option of the subprocess executor, not of the "
                             "dask executor (docs/distributed.md)")
        return _dask_executor(state, source_dir, private_files, keep_job_dirs=keep_job_dirs,
                              committed_only=committed_only, workers=dask_workers,
                              scheduler=dask_scheduler)
    if dask_workers is not None or dask_scheduler is not None:
        raise UsageError("--workers and --dask-scheduler are options of the dask executor; "
                         "add --executor dask")
    if kind == "subprocess":
        try:
            own = [] if source_dir is None else [
                lock_path_for(Path(source_dir) / ".circleci" / "config.yml")]
            return SubprocessExecutor(state.jobs_dir, source_dir, private_files=private_files,
                                      keep_job_dirs=keep_job_dirs,
                                      committed_only=committed_only, isolate=isolate,
                                      own_files=own)
        except ExecutorError as exc:
            raise UsageError(f"--isolate: {exc}") from exc
    if isolate:
        raise UsageError("--isolate is an option of the subprocess executor; the docker "
                         "executor already runs each job in containers of its own")
    try:
        module = importlib.import_module("workflowcore.runtime.executors.docker")
        factory = module.DockerExecutor
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"the docker executor is not available in this installation ({exc}); "
                         "use --executor subprocess") from exc
    try:
        executor: Executor = factory(state.jobs_dir, source_dir=source_dir,
                                     private_files=private_files)
    except ExecutorError as exc:
        raise UsageError(f"the docker executor cannot run here: {exc}") from exc
    return executor


def _dask_executor(state: State, source_dir: Optional[str], private_files: Sequence[str], *,
                   keep_job_dirs: bool, committed_only: bool, workers: Optional[int],
                   scheduler: Optional[str]) -> Executor:
    """The dask executor, loaded only now (``distributed`` stays out of the core imports):
    on the cluster of ``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``), else on a new local
    cluster of ``workers`` processes that the executor closes after the run."""
    try:
        module = importlib.import_module("workflowcore.runtime.executors.dask")
    except ImportError as exc:
        raise UsageError(f"the dask executor needs Dask's distributed package ({exc}): "
                         "pip install 'workflowcore[dask]'") from exc
    own = [] if source_dir is None else [
        lock_path_for(Path(source_dir) / ".circleci" / "config.yml")]
    options: Dict[str, Any] = {"private_files": private_files, "own_files": own,
                               "keep_job_dirs": keep_job_dirs,
                               "committed_only": committed_only, "exclude": [state.root]}
    address = scheduler or os.environ.get(DASK_SCHEDULER_ENV) or None
    if address is not None and workers is not None:
        raise UsageError("--workers sizes a local Dask cluster; with --dask-scheduler (or "
                         f"${DASK_SCHEDULER_ENV}) the cluster's own workers run the jobs")
    try:
        if address is None:
            executor: Executor = module.local_cluster_executor(source_dir, workers=workers,
                                                               **options)
        else:
            executor = module.connect_executor(address, source_dir, **options)
    except (OSError, TimeoutError, ValueError) as exc:
        where = f"the Dask scheduler at {address}" if address else "a local Dask cluster"
        raise UsageError(f"cannot reach {where}: {exc}") from exc
    return executor


def build_runner(state: State, *, executor: str, source_dir: Optional[str],
                 contexts: Mapping[str, Context], max_parallel: Optional[int],
                 fmt: str, quiet: bool, contexts_path: Optional[str] = None,
                 skip_missing_orbs: bool = False, keep_job_dirs: bool = False,
                 committed_only: bool = False,
                 project_environment: Optional[Mapping[str, str]] = None,
                 isolate: bool = False, progress: Optional[str] = None,
                 heartbeat: Optional[float] = None, takeover: str = "resumed",
                 dask_workers: Optional[int] = None,
                 dask_scheduler: Optional[str] = None) -> Runner:
    """A Runner on the state directory whose events are rendered for ``fmt``. The contexts
    file in use and any at the default places are never checked out into a job.

    ``progress``/``heartbeat`` are the options (``None``: their environment variable, else
    the default); ``takeover`` is the verb for a workflow run taken in hand again
    (``cancel`` takes one over only to cancel it: ``canceling``, never ``resumed``)."""
    printer: Any
    if fmt == "text":
        printer = progress_printer(progress, quiet=quiet, heartbeat=heartbeat,
                                   takeover=takeover)
    else:
        def printer(event: Event) -> None:
            _announce_ids(event, takeover)
    private = secret_files(contexts_path, source_dir)
    runs = make_executor(executor, state, source_dir, private, keep_job_dirs=keep_job_dirs,
                         committed_only=committed_only, isolate=isolate,
                         dask_workers=dask_workers, dask_scheduler=dask_scheduler)
    if max_parallel is None and executor == "dask":
        max_parallel = int(getattr(runs, "slots", 1))  # every thread of the cluster
    return Runner(runs,
                  state.store, workspace=state.workspace, caches=state.caches,
                  artifacts=state.artifacts, contexts=contexts, max_parallel=max_parallel,
                  on_event=printer, skip_missing_orbs=skip_missing_orbs,
                  project_environment=project_environment,
                  timings=TimingsStore(state.root / "timings"))


def host_note(executor: str, workflows: Sequence[PlannedWorkflow]) -> Optional[str]:
    """Once per run, with the subprocess executor: the jobs run on this machine, and the
    images their configs name are not used (listed once, not once per job)."""
    if executor != "subprocess":
        return None
    images: List[str] = []
    for wf in workflows:
        for job in wf.jobs:
            for image in _images(job.definition or {}):
                if image not in images:
                    images.append(image)
    note = (f"note: the subprocess executor runs every job's steps on this machine, as "
            f"{default_actor()}, with this machine's tools")
    if images:
        shown = ", ".join(images[:6]) + (f" and {len(images) - 6} more" if len(images) > 6
                                         else "")
        note += f"; the jobs' images are not used ({shown}): --executor docker runs them"
    return note


def _images(definition: Mapping[str, Any]) -> List[str]:
    return [image if kind == "docker" else f"{kind} image {image}"
            for kind, image in job_images(definition) if kind != "windows"]


def _announce_ids(event: Event, takeover: str = "resumed") -> None:
    """JSON mode: stdout is the document; stderr names each workflow run as it starts."""
    if isinstance(event, WorkflowStarted):
        verb = takeover if event.resumed else "started"
        err(f"workflow {event.workflow} {verb}: {event.workflow_id}")


def progress_printer(mode: Optional[str], *, quiet: bool, heartbeat: Optional[float],
                     takeover: str = "resumed") -> Any:
    """The text-format event callback: a live table (``rich``) when ``mode`` is ``live``,
    or ``auto`` and stdout is a terminal with rich installed; else dated plain lines with
    a heartbeat. A bad environment variable, or ``live`` without rich, is a usage error."""
    mode = mode or os.environ.get(PROGRESS_ENV) or "auto"
    if mode not in PROGRESS_MODES:
        raise UsageError(f"${PROGRESS_ENV}={mode!r}: expected one of "
                         f"{', '.join(PROGRESS_MODES)}")
    if heartbeat is None:
        raw = os.environ.get(HEARTBEAT_ENV)
        try:
            heartbeat = _seconds(raw) if raw else DEFAULT_HEARTBEAT
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"${HEARTBEAT_ENV}: {exc}") from None
    terminal = sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
    if mode == "live" and not rich_available():
        raise UsageError("--progress live needs rich: pip install 'workflowcore[rich]' "
                         "(or use --progress plain)")
    if mode == "live" or (mode == "auto" and terminal and rich_available()):
        from rich.console import Console  # only here: rich stays out of the core imports

        return LiveTablePrinter(Console(file=sys.stdout), show_output=not quiet,
                                approve_hint=APPROVE_HINT, takeover=takeover)
    return ProgressPrinter(sys.stdout, show_output=not quiet, approve_hint=APPROVE_HINT,
                           heartbeat=heartbeat, takeover=takeover)


def resolve_id(state: State, given: str) -> str:
    """A full workflow run id from an id or an unambiguous prefix of one."""
    ids = state.store.ids()
    if given in ids:
        return given
    matches = [i for i in ids if i.startswith(given)] if len(given) >= 4 else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageError(f"workflow run id {given!r} is ambiguous: " + ", ".join(matches[:5]))
    raise UsageError(str(RunNotFoundError(f"no workflow run with id {given!r} in "
                                          f"{str(state.root)!r}")))


def exit_code_for(records: Iterable[WorkflowRunRecord]) -> int:
    """0: every workflow succeeded; 1: one failed, was canceled or unauthorized; 3: none
    failed and one is on hold."""
    statuses = [r.status for r in records]
    if any(s not in ("success", "not_run", "on_hold") for s in statuses):
        return EXIT_FAILED
    if "on_hold" in statuses:
        return EXIT_ON_HOLD
    return EXIT_OK


def print_json(data: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def contexts_path_for(config: Path, given: Optional[str]) -> Optional[str]:
    """``--contexts``, else ``.circleci/contexts.yml`` (current directory) if it exists,
    else ``contexts.yml`` beside the config if it exists, else none."""
    if given is not None:
        return str(Path(given).absolute())
    for candidate in (Path(".circleci") / "contexts.yml", config.parent / "contexts.yml"):
        if candidate.is_file():
            return str(candidate.absolute())
    return None


def secret_files(contexts_path: Optional[str], source_dir: Optional[str]) -> List[str]:
    """Files a job must never get: the contexts file in use, and a contexts file at the
    default places of the project (``.circleci/contexts.yml``, ``contexts.yml`` beside the
    config) even when another one was given: both hold plaintext secrets."""
    out = [contexts_path] if contexts_path else []
    if source_dir is not None:
        for candidate in (Path(source_dir) / ".circleci" / "contexts.yml",
                          Path(source_dir) / "contexts.yml"):
            if candidate.is_file():
                out.append(str(candidate))
    return out


def warn_if_contexts_exposed(contexts_path: Optional[str], source_dir: Optional[str]) -> None:
    """Warn (stderr) when the contexts file sits inside the project and git does not ignore
    it: ``git add .`` would commit its secrets. Jobs never get it either way."""
    if contexts_path is None or source_dir is None:
        return
    real = os.path.realpath(contexts_path)
    root = os.path.realpath(source_dir)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        return
    try:
        proc = subprocess.run(["git", "-C", source_dir, "check-ignore", "-q", real],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, check=False, timeout=60)
        ignored = proc.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ignored = False
    if not ignored:
        err(f"warning: the contexts file {contexts_path} holds secrets and is inside the "
            "project, not ignored by git: add it to .gitignore, or keep it outside the "
            "repository (e.g. --contexts ~/.config/workflowcore/contexts.yml). It is never "
            "copied into jobs.")


def settings_executor(record: WorkflowRunRecord, given: Optional[str]) -> str:
    kind = given or str(record.settings.get("executor") or "subprocess")
    return kind if kind in EXECUTORS else "subprocess"


def stored_contexts_path(record: WorkflowRunRecord, given: Optional[str]) -> Optional[str]:
    if given is not None:
        return str(Path(given).absolute())
    stored = record.settings.get("contexts_path")
    return str(stored) if stored else None


def source_of(record: WorkflowRunRecord) -> Optional[str]:
    value = record.settings.get("source_dir")
    return str(value) if value else None
