"""Run state: what a workflow run was, is, and produced, kept so a killed process can resume.

One :class:`WorkflowRunRecord` per workflow run (a workflow of a pipeline, or a rerun of one)
holds its id, pipeline id, workflow name, config path, trigger, the serialised plan, the
scheduler snapshot, one :class:`JobRecord` per job (status, exit code, actor, timings), the
masked logs of finished jobs, and when it was created and last updated.

Every state change is one :class:`Transition` written in **one transaction**: the new
scheduler snapshot, the job rows that changed, the logs of jobs that finished and a line in
the run's history. So after a ``SIGKILL`` the store holds the state *after* the last complete
transition and never a half of one: a finished job's result and log are either both there or
the job is still ``running`` in the snapshot (and the runner re-runs it).

Ownership. A workflow run being driven has an ``owner`` (``host:pid:start``, see
:mod:`workflowcore.runtime.runner`); :meth:`RunStore.claim` is a compare-and-set on it, so two
processes never drive the same run. Other processes talk to the owner through *requests*
(``approve``, ``reject``, ``cancel``) that the owner takes and applies between transitions.
Each process group a running job starts is recorded (:class:`ProcessRecord`) until the job's
row stops being ``running``, so whoever takes over from a killed owner can stop what it left
running before running the job again.

Parallel jobs. A job with ``parallelism: N`` runs N nodes; its row carries one
:class:`NodeRecord` per node (``JobRecord.nodes``; empty for a job of one node) and each
finished node's masked log is kept apart (:meth:`RunStore.node_logs`). A node finishing is a
transition like any other (its record and log in one transaction); the job row stays
``running`` until the last node ends. A job interrupted with some nodes finished is run
again whole on resume (``attempts`` + 1), its stale node logs dropped when it restarts.

Schema versions. :data:`RUNSTATE_SCHEMA_VERSION` is in the ``meta`` table. A file of an older
version is migrated when it is opened, in the same transaction that applies the schema
(:data:`_MIGRATIONS`: version 1 → 2 adds ``jobs.nodes`` and the ``node_logs`` table), so a
process killed mid-migration leaves the old version intact. A newer version is refused
rather than misread.

Marker. A SQLite store carries ``PRAGMA application_id`` = :data:`RUNSTATE_APPLICATION_ID`; a
file that belongs to another application is refused, never adopted. A store written before
the marker existed (our tables, no marker) gets it the first time it is opened.

Implementations: :class:`SQLiteRunStore` (the default; WAL, ``synchronous=FULL``, one
``BEGIN IMMEDIATE`` per transition, safe across processes) and :class:`InMemoryRunStore` (for
tests and embedding hosts; it round-trips data through JSON so it accepts exactly what SQLite
accepts). The same contract test suite runs against both.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import (
    Any,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Union,
    runtime_checkable,
)

from ...errors import RunNotFoundError, StoreCorruptedError, StoreError
from ...planning.plan import ExcludedJob, PlannedJob, PlannedWorkflow

__all__ = [
    "PLAN_DATA_VERSION",
    "REQUEST_KINDS",
    "RUNSTATE_APPLICATION_ID",
    "RUNSTATE_SCHEMA_VERSION",
    "InMemoryRunStore",
    "JobRecord",
    "NodeRecord",
    "ProcessRecord",
    "RunRequest",
    "RunStore",
    "SQLiteRunStore",
    "Transition",
    "WorkflowRunRecord",
    "workflow_from_data",
    "workflow_to_data",
]

#: Version of the SQLite schema; bumped on changes (older files are migrated on open).
RUNSTATE_SCHEMA_VERSION = 2
#: Version of the serialised plan (:func:`workflow_to_data`), kept apart from the schema so
#: a schema migration does not orphan the plans already stored.
PLAN_DATA_VERSION = 1
#: ``PRAGMA application_id`` of a workflowcore run state file ("WFC1").
RUNSTATE_APPLICATION_ID = 0x57464331
#: What another process may ask the owner of a workflow run to do.
REQUEST_KINDS: Tuple[str, ...] = ("approve", "reject", "cancel")


@dataclass(frozen=True)
class NodeRecord:
    """One node of a parallel job (``index`` = its ``CIRCLE_NODE_INDEX``): ``queued`` until
    it gets a slot, ``running``, then ``success``/``failed``/``canceled``."""

    index: int
    status: str
    exit_code: Optional[int] = None
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    duration: Optional[float] = None
    message: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return {"index": self.index, "status": self.status, "exit_code": self.exit_code,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "duration": self.duration, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeRecord:
        return cls(int(data["index"]), str(data["status"]), data.get("exit_code"),
                   data.get("started_at"), data.get("finished_at"), data.get("duration"),
                   data.get("message"))


@dataclass(frozen=True)
class JobRecord:
    """One job of a workflow run as the store keeps it.

    ``attempts`` counts how often the job went to an executor in this workflow run (a job
    re-run after its process died has 2). ``kept_from`` names the workflow run whose result
    a rerun-from-failed kept instead of running the job again. Times are Unix seconds.
    ``nodes`` has one :class:`NodeRecord` per node of a job run with ``parallelism`` > 1
    (in index order), and is empty otherwise.
    """

    name: str
    status: str
    exit_code: Optional[int] = None
    actor: Optional[str] = None
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    duration: Optional[float] = None
    message: Optional[str] = None
    attempts: int = 0
    kept_from: Optional[str] = None
    nodes: Tuple[NodeRecord, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        return {
            "name": self.name, "status": self.status, "exit_code": self.exit_code,
            "actor": self.actor, "started_at": self.started_at,
            "finished_at": self.finished_at, "duration": self.duration,
            "message": self.message, "attempts": self.attempts, "kept_from": self.kept_from,
            **({"nodes": [n.to_dict() for n in self.nodes]} if self.nodes else {}),
        }


@dataclass(frozen=True)
class WorkflowRunRecord:
    """One workflow run. ``workflow`` is the workflow's name; ``plan`` is the
    :class:`PlannedWorkflow` as :func:`workflow_to_data` writes it (:meth:`planned` reads it
    back); ``snapshot`` is :meth:`Scheduler.snapshot`; ``jobs`` is in plan order.

    ``settings`` is opaque to the store: what a host needs to resume the run the same way
    (source directory, executor kind, contexts file...), never secrets. ``rerun_of`` names
    the workflow run this one reruns. Treat the mappings as read-only.
    """

    id: str
    pipeline_id: str
    workflow: str
    status: str
    plan: Mapping[str, Any]
    snapshot: Mapping[str, Any]
    jobs: Mapping[str, JobRecord]
    config_path: Optional[str] = None
    trigger: Mapping[str, Any] = field(default_factory=dict)
    actor: Optional[str] = None
    rerun_of: Optional[str] = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    owner: Optional[str] = None
    created_at: float = 0.0
    updated_at: float = 0.0

    def planned(self) -> PlannedWorkflow:
        """The plan this run follows."""
        return workflow_from_data(self.plan)


@dataclass(frozen=True)
class Transition:
    """One state change of a workflow run, written atomically.

    ``event`` names it for the history (``job-finished``, ``approved``, ...); ``snapshot``
    and ``status`` replace the run's; ``jobs`` replace those job rows (each must be a job of
    the run); ``logs`` set the masked log of those jobs. ``reset_node_logs`` names jobs
    whose node logs are dropped first (a parallel job starting again); ``node_logs`` then
    sets ``{job: {node index: masked log}}``. ``at`` defaults to now.
    """

    event: str
    snapshot: Mapping[str, Any]
    status: str
    jobs: Sequence[JobRecord] = ()
    logs: Mapping[str, str] = field(default_factory=dict)
    at: Optional[float] = None
    node_logs: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    reset_node_logs: Sequence[str] = ()


@dataclass(frozen=True)
class RunRequest:
    """A request to the owner of a workflow run: ``approve`` (``job`` as ``actor``),
    ``reject`` (``job``) or ``cancel``. ``id`` is given by the store."""

    kind: str
    job: Optional[str] = None
    actor: Optional[str] = None
    id: int = 0

    def __post_init__(self) -> None:
        if self.kind not in REQUEST_KINDS:
            raise ValueError(f"request kind must be one of {REQUEST_KINDS}, got {self.kind!r}")
        if self.kind in ("approve", "reject") and not self.job:
            raise ValueError(f"a {self.kind!r} request names a job")


@dataclass(frozen=True)
class ProcessRecord:
    """A process group a job started, kept while the job runs: ``pgid`` on ``host``, whose
    leader started at ``start`` (``/proc`` clock ticks; ``-`` unknown), so a reused pid is
    told from the original."""

    job: str
    pgid: int
    start: str
    host: str
    at: float = 0.0


@runtime_checkable
class RunStore(Protocol):
    """Where workflow runs live. Every method is one transaction; all are thread-safe."""

    def create(self, run: WorkflowRunRecord, logs: Mapping[str, str] | None = None,
               node_logs: Mapping[str, Mapping[int, str]] | None = None) -> None:
        """Add a new workflow run (``StoreError`` if the id exists); ``logs`` (and the
        ``node_logs`` of parallel ones) for kept jobs."""
        ...

    def update(self, run_id: str, transition: Transition) -> None:
        """Apply one transition atomically (``RunNotFoundError`` for an unknown run)."""
        ...

    def get(self, run_id: str) -> WorkflowRunRecord:
        """The workflow run with this id, or ``RunNotFoundError``."""
        ...

    def ids(self) -> List[str]:
        """Every workflow run id, newest first."""
        ...

    def list(self) -> List[WorkflowRunRecord]:
        """Every workflow run, newest first."""
        ...

    def log(self, run_id: str, job: str) -> Optional[str]:
        """The masked log of a finished job (``None`` when there is none yet)."""
        ...

    def logs(self, run_id: str) -> Dict[str, str]:
        """Every stored log of the run, in plan order."""
        ...

    def node_logs(self, run_id: str, job: str) -> Dict[int, str]:
        """The masked logs of the finished nodes of a parallel job, by node index."""
        ...

    def history(self, run_id: str) -> List[Tuple[str, float]]:
        """``(event, time)`` of every transition, oldest first (``created`` first)."""
        ...

    def claim(self, run_id: str, owner: Optional[str], expected: Optional[str]) -> bool:
        """Set the owner to ``owner`` if it is ``expected`` now (compare-and-set)."""
        ...

    def post_request(self, run_id: str, request: RunRequest) -> int:
        """Queue a request for the run's owner; returns its id."""
        ...

    def take_requests(self, run_id: str) -> List[RunRequest]:
        """Remove and return the queued requests, oldest first."""
        ...

    def pending_requests(self, run_id: str) -> List[RunRequest]:
        """The queued requests, oldest first, left in place."""
        ...

    def add_process(self, run_id: str, process: ProcessRecord) -> None:
        """Record a process group of a running job. :meth:`update` drops a job's records
        when it writes the job's row with a status other than ``running``."""
        ...

    def processes(self, run_id: str) -> List[ProcessRecord]:
        """The recorded process groups of the run, oldest first."""
        ...

    def clear_processes(self, run_id: str) -> None:
        """Forget every recorded process group of the run (they were stopped)."""
        ...

    def delete(self, run_id: str) -> None:
        """Forget the workflow run: its record, jobs, logs, history, requests and processes
        (``workflowcore prune``). :class:`RunNotFoundError` for an unknown id."""
        ...

    def close(self) -> None:
        ...


# -- plan (de)serialisation ----------------------------------------------------------------

def workflow_to_data(workflow: PlannedWorkflow) -> Dict[str, Any]:
    """A :class:`PlannedWorkflow` as JSON-able data, job definitions included (unlike
    ``PlannedWorkflow.to_dict``, which is the public plan view and leaves them out)."""
    return {
        "version": PLAN_DATA_VERSION,
        "name": workflow.name,
        "runs": workflow.runs,
        "reason": workflow.reason,
        "jobs": [
            {
                "name": j.name, "job": j.job, "type": j.type,
                "requires": [[k, list(v)] for k, v in j.requires.items()],
                "context": list(j.context),
                "definition": j.definition,
                "serial_group": j.serial_group,
                "unavailable_orbs": list(j.unavailable_orbs),
            }
            for j in workflow.jobs
        ],
        "excluded": [e.to_dict() for e in workflow.excluded],
    }


def workflow_from_data(data: Mapping[str, Any]) -> PlannedWorkflow:
    """Inverse of :func:`workflow_to_data`; ``StoreCorruptedError`` for data it cannot read."""
    try:
        if data.get("version") != PLAN_DATA_VERSION:
            raise ValueError(f"unsupported plan version {data.get('version')!r}")
        jobs = tuple(
            PlannedJob(
                name=str(j["name"]), job=str(j["job"]), type=str(j["type"]),
                requires={str(k): tuple(str(s) for s in v) for k, v in j["requires"]},
                context=tuple(str(c) for c in j["context"]),
                definition=j["definition"],
                serial_group=j.get("serial_group"),
                unavailable_orbs=tuple(j.get("unavailable_orbs") or ()),
            )
            for j in data["jobs"]
        )
        excluded = tuple(ExcludedJob(str(e["name"]), str(e["job"]), str(e["reason"]))
                         for e in data.get("excluded", ()))
        return PlannedWorkflow(name=str(data["name"]), runs=bool(data["runs"]),
                               reason=data.get("reason"), jobs=jobs, excluded=excluded)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StoreCorruptedError(f"the stored plan cannot be read: {exc}") from exc


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"run state must be JSON data: {exc}") from exc


def _loads(text: Optional[str], what: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise StoreCorruptedError(f"the stored {what} cannot be read: {exc}") from exc


def _not_found(run_id: str) -> RunNotFoundError:
    return RunNotFoundError(f"no workflow run with id {run_id!r}")


# -- SQLite --------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workflow_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    pipeline_id TEXT NOT NULL,
    workflow TEXT NOT NULL,
    status TEXT NOT NULL,
    config_path TEXT,
    trigger TEXT NOT NULL,
    plan TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    actor TEXT,
    rerun_of TEXT,
    settings TEXT NOT NULL,
    owner TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS workflow_runs_created ON workflow_runs (created_at);
CREATE TABLE IF NOT EXISTS jobs (
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    actor TEXT,
    started_at REAL,
    finished_at REAL,
    duration REAL,
    message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    kept_from TEXT,
    nodes TEXT,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS logs (
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    job TEXT NOT NULL,
    log TEXT NOT NULL,
    PRIMARY KEY (run_id, job)
);
CREATE TABLE IF NOT EXISTS node_logs (
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    job TEXT NOT NULL,
    node INTEGER NOT NULL,
    log TEXT NOT NULL,
    PRIMARY KEY (run_id, job, node)
);
CREATE TABLE IF NOT EXISTS transitions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_run ON transitions (run_id, seq);
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    job TEXT,
    actor TEXT,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS processes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    job TEXT NOT NULL,
    pgid INTEGER NOT NULL,
    start TEXT NOT NULL,
    host TEXT NOT NULL,
    at REAL NOT NULL
);
"""

#: What brings a file of schema version V (the key) to V + 1, run inside the transaction
#: that applies :data:`_SCHEMA` (whose ``IF NOT EXISTS`` tables are already there then).
_MIGRATIONS: Dict[int, Tuple[str, ...]] = {
    1: ("ALTER TABLE jobs ADD COLUMN nodes TEXT",),
}

#: The tables every run state file of this project has had (the marker came later).
_OUR_TABLES = frozenset({"meta", "workflow_runs", "jobs", "logs", "transitions", "requests"})

_RUN_COLUMNS = ("id, pipeline_id, workflow, status, config_path, trigger, plan, snapshot, "
                "actor, rerun_of, settings, owner, created_at, updated_at")
_JOB_COLUMNS = ("name, status, exit_code, actor, started_at, finished_at, duration, message, "
                "attempts, kept_from, nodes")


class SQLiteRunStore:
    """Run state in one SQLite file (WAL mode), shared safely by several processes.

    ``synchronous=FULL``: a committed transition survives a power cut, not only a killed
    process; transitions are per job, so the fsync is cheap next to running the job. The
    file is created ``0600`` (logs are masked, but they are still a project's build output).
    """

    def __init__(self, path: Union[str, Path], *, timeout: float = 30.0) -> None:
        self.path = Path(path).absolute()
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the run state database {str(self.path)!r}: "
                             f"{exc}") from exc
        try:
            with self._errors():
                self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                self._check_owner()  # before anything writes to a file that may not be ours
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()
                if mode is None or str(mode[0]).lower() != "wal":
                    raise StoreError(f"cannot switch {str(self.path)!r} to WAL mode "
                                     f"(journal mode: {mode[0] if mode else None})")
                self._conn.execute("PRAGMA synchronous = FULL")
                self._conn.execute("PRAGMA foreign_keys = ON")
                with self._tx() as c:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            c.execute(statement)
                    c.execute(f"PRAGMA application_id = {RUNSTATE_APPLICATION_ID}")
                    row = c.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                    if row is None:
                        c.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)",
                                  (str(RUNSTATE_SCHEMA_VERSION),))
                    elif row[0] != str(RUNSTATE_SCHEMA_VERSION):
                        self._migrate(c, str(row[0]))
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"SQLiteRunStore({str(self.path)!r})"

    def _migrate(self, c: _Cursor, found: str) -> None:
        """Bring a file of an older schema version to :data:`RUNSTATE_SCHEMA_VERSION`, step by
        step, inside the caller's transaction; refuse a newer (or unknown) version."""
        version = int(found) if found.isdigit() else None
        if version is None or version > RUNSTATE_SCHEMA_VERSION \
                or any(v not in _MIGRATIONS for v in range(version, RUNSTATE_SCHEMA_VERSION)):
            raise StoreError(
                f"{str(self.path)!r} holds run state of schema version {found}; this "
                f"workflowcore reads versions up to {RUNSTATE_SCHEMA_VERSION} (use a newer "
                "workflowcore, or another --state-dir)")
        for step in range(version, RUNSTATE_SCHEMA_VERSION):
            for statement in _MIGRATIONS[step]:
                c.execute(statement)
        c.execute("UPDATE meta SET value = ? WHERE key = 'schema'",
                  (str(RUNSTATE_SCHEMA_VERSION),))

    def _check_owner(self) -> None:
        """Refuse a database another application made (``StoreError``, one line).

        Ours: the application id is :data:`RUNSTATE_APPLICATION_ID`, or it is unset and the
        file is empty or holds every table of :data:`_OUR_TABLES` with a schema version
        (a store from before the marker; it gets the marker when the schema is applied).
        """
        app_id = int(self._conn.execute("PRAGMA application_id").fetchone()[0])
        if app_id == RUNSTATE_APPLICATION_ID:
            return
        where = f"{str(self.path)!r} is not a workflowcore run state database"
        if app_id != 0:
            raise StoreError(f"{where} (SQLite application id {app_id:#x}, another "
                             "application's); use another --state-dir")
        tables = {str(r[0]) for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        tables = {t for t in tables if not t.startswith("sqlite_")}
        if not tables:
            return
        if tables >= _OUR_TABLES:
            row = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is not None:
                return
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(f"{where} (it holds other tables: {shown}); use another --state-dir")

    def __enter__(self) -> SQLiteRunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except UnicodeEncodeError as exc:  # a lone surrogate: not text SQLite can store
            raise StoreError(f"run state database {str(self.path)!r}: cannot store "
                             f"{exc.object[max(0, exc.start - 20):exc.end + 20]!r}: it is not "
                             "valid text (a lone surrogate, e.g. bytes that were not UTF-8)"
                             ) from None
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if isinstance(exc, sqlite3.OperationalError) and "not a database" not in text:
                raise StoreError(f"run state database {str(self.path)!r}: {text}") from exc
            raise StoreCorruptedError(
                f"run state database {str(self.path)!r} cannot be read: {text}") from exc

    @contextmanager
    def _tx(self) -> Iterator[_Cursor]:
        with self._lock, self._errors():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Cursor(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[_Cursor]:
        # One deferred transaction, so a record and its jobs come from one consistent state.
        with self._lock, self._errors():
            self._conn.execute("BEGIN")
            try:
                yield _Cursor(self._conn)
            finally:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- writes ------------------------------------------------------------------------------
    def create(self, run: WorkflowRunRecord, logs: Mapping[str, str] | None = None,
               node_logs: Mapping[str, Mapping[int, str]] | None = None) -> None:
        with self._tx() as c:
            if c.execute("SELECT 1 FROM workflow_runs WHERE id = ?", (run.id,)).fetchone():
                raise StoreError(f"a workflow run with id {run.id!r} already exists")
            c.execute(
                f"INSERT INTO workflow_runs ({_RUN_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run.id, run.pipeline_id, run.workflow, run.status, run.config_path,
                 _dumps(dict(run.trigger)), _dumps(dict(run.plan)), _dumps(dict(run.snapshot)),
                 run.actor, run.rerun_of, _dumps(dict(run.settings)), run.owner,
                 run.created_at, run.updated_at))
            for position, job in enumerate(run.jobs.values()):
                c.execute(
                    f"INSERT INTO jobs (run_id, position, {_JOB_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (run.id, position, *_job_row(job)))
            for job_name, text in (logs or {}).items():
                c.execute("INSERT INTO logs (run_id, job, log) VALUES (?, ?, ?)",
                          (run.id, job_name, text))
            self._write_node_logs(c, run.id, node_logs or {})
            c.execute("INSERT INTO transitions (run_id, event, at) VALUES (?, 'created', ?)",
                      (run.id, run.created_at))

    def update(self, run_id: str, transition: Transition) -> None:
        at = time.time() if transition.at is None else transition.at
        snapshot = _dumps(dict(transition.snapshot))
        with self._tx() as c:
            cur = c.execute(
                "UPDATE workflow_runs SET snapshot = ?, status = ?, updated_at = ? WHERE id = ?",
                (snapshot, str(transition.status), at, run_id))
            if cur.rowcount == 0:
                raise _not_found(run_id)
            for job in transition.jobs:
                cur = c.execute(
                    "UPDATE jobs SET name = ?, status = ?, exit_code = ?, actor = ?, "
                    "started_at = ?, finished_at = ?, duration = ?, message = ?, attempts = ?, "
                    "kept_from = ?, nodes = ? WHERE run_id = ? AND name = ?",
                    (*_job_row(job), run_id, job.name))
                if cur.rowcount == 0:
                    raise StoreError(f"workflow run {run_id!r} has no job {job.name!r}")
                if str(job.status) != "running":
                    c.execute("DELETE FROM processes WHERE run_id = ? AND job = ?",
                              (run_id, job.name))
            for job_name, text in transition.logs.items():
                c.execute("INSERT OR REPLACE INTO logs (run_id, job, log) VALUES (?, ?, ?)",
                          (run_id, job_name, text))
            for job_name in transition.reset_node_logs:
                c.execute("DELETE FROM node_logs WHERE run_id = ? AND job = ?",
                          (run_id, job_name))
            self._write_node_logs(c, run_id, transition.node_logs)
            c.execute("INSERT INTO transitions (run_id, event, at) VALUES (?, ?, ?)",
                      (run_id, transition.event, at))

    @staticmethod
    def _write_node_logs(c: _Cursor, run_id: str,
                         node_logs: Mapping[str, Mapping[int, str]]) -> None:
        for job_name, by_node in node_logs.items():
            for index, text in by_node.items():
                c.execute("INSERT OR REPLACE INTO node_logs (run_id, job, node, log) "
                          "VALUES (?, ?, ?, ?)", (run_id, job_name, int(index), text))

    def claim(self, run_id: str, owner: Optional[str], expected: Optional[str]) -> bool:
        with self._tx() as c:
            cur = c.execute("UPDATE workflow_runs SET owner = ? WHERE id = ? AND owner IS ?",
                            (owner, run_id, expected))
            if cur.rowcount:
                return True
            if not c.execute("SELECT 1 FROM workflow_runs WHERE id = ?", (run_id,)).fetchone():
                raise _not_found(run_id)
            return False

    def post_request(self, run_id: str, request: RunRequest) -> int:
        with self._tx() as c:
            if not c.execute("SELECT 1 FROM workflow_runs WHERE id = ?", (run_id,)).fetchone():
                raise _not_found(run_id)
            cur = c.execute("INSERT INTO requests (run_id, kind, job, actor, at) "
                            "VALUES (?, ?, ?, ?, ?)",
                            (run_id, request.kind, request.job, request.actor, time.time()))
            return int(cur.lastrowid or 0)

    def take_requests(self, run_id: str) -> List[RunRequest]:
        with self._read() as c:  # the usual answer is "none": do not take the write lock
            if not c.execute("SELECT 1 FROM requests WHERE run_id = ? LIMIT 1",
                             (run_id,)).fetchone():
                self._exists(c, run_id)
                return []
        with self._tx() as c:
            out = self._requests(c, run_id)
            if out:
                c.execute("DELETE FROM requests WHERE run_id = ? AND seq <= ?",
                          (run_id, out[-1].id))
            return out

    def pending_requests(self, run_id: str) -> List[RunRequest]:
        with self._read() as c:
            self._exists(c, run_id)
            return self._requests(c, run_id)

    def add_process(self, run_id: str, process: ProcessRecord) -> None:
        with self._tx() as c:
            self._exists(c, run_id)
            c.execute("INSERT INTO processes (run_id, job, pgid, start, host, at) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      (run_id, process.job, process.pgid, process.start, process.host,
                       process.at or time.time()))

    def processes(self, run_id: str) -> List[ProcessRecord]:
        with self._read() as c:
            self._exists(c, run_id)
            rows = c.execute("SELECT job, pgid, start, host, at FROM processes "
                             "WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
            return [ProcessRecord(str(r[0]), int(r[1]), str(r[2]), str(r[3]), float(r[4]))
                    for r in rows]

    def clear_processes(self, run_id: str) -> None:
        with self._tx() as c:
            self._exists(c, run_id)
            c.execute("DELETE FROM processes WHERE run_id = ?", (run_id,))

    def delete(self, run_id: str) -> None:
        with self._tx() as c:
            self._exists(c, run_id)
            # every other table references workflow_runs ON DELETE CASCADE
            c.execute("DELETE FROM workflow_runs WHERE id = ?", (run_id,))

    @staticmethod
    def _requests(c: _Cursor, run_id: str) -> List[RunRequest]:
        rows = c.execute("SELECT seq, kind, job, actor FROM requests WHERE run_id = ? "
                         "ORDER BY seq", (run_id,)).fetchall()
        return [RunRequest(kind=r[1], job=r[2], actor=r[3], id=int(r[0])) for r in rows]

    # -- reads -------------------------------------------------------------------------------
    def get(self, run_id: str) -> WorkflowRunRecord:
        with self._read() as c:
            row = c.execute(f"SELECT {_RUN_COLUMNS} FROM workflow_runs WHERE id = ?",
                            (run_id,)).fetchone()
            if row is None:
                raise _not_found(run_id)
            return self._record(c, row)

    def ids(self) -> List[str]:
        with self._read() as c:
            rows = c.execute("SELECT id FROM workflow_runs ORDER BY created_at DESC, seq DESC")
            return [str(r[0]) for r in rows.fetchall()]

    def list(self) -> List[WorkflowRunRecord]:
        with self._read() as c:
            rows = c.execute(f"SELECT {_RUN_COLUMNS} FROM workflow_runs "
                             "ORDER BY created_at DESC, seq DESC").fetchall()
            return [self._record(c, row) for row in rows]

    def log(self, run_id: str, job: str) -> Optional[str]:
        with self._read() as c:
            self._exists(c, run_id)
            row = c.execute("SELECT log FROM logs WHERE run_id = ? AND job = ?",
                            (run_id, job)).fetchone()
            return None if row is None else str(row[0])

    def logs(self, run_id: str) -> Dict[str, str]:
        with self._read() as c:
            self._exists(c, run_id)
            rows = c.execute(
                "SELECT l.job, l.log FROM logs l LEFT JOIN jobs j "
                "ON j.run_id = l.run_id AND j.name = l.job WHERE l.run_id = ? "
                "ORDER BY j.position", (run_id,)).fetchall()
            return {str(r[0]): str(r[1]) for r in rows}

    def node_logs(self, run_id: str, job: str) -> Dict[int, str]:
        with self._read() as c:
            self._exists(c, run_id)
            rows = c.execute("SELECT node, log FROM node_logs WHERE run_id = ? AND job = ? "
                             "ORDER BY node", (run_id, job)).fetchall()
            return {int(r[0]): str(r[1]) for r in rows}

    def history(self, run_id: str) -> List[Tuple[str, float]]:
        with self._read() as c:
            self._exists(c, run_id)
            rows = c.execute("SELECT event, at FROM transitions WHERE run_id = ? ORDER BY seq",
                             (run_id,)).fetchall()
            return [(str(r[0]), float(r[1])) for r in rows]

    @staticmethod
    def _exists(c: _Cursor, run_id: str) -> None:
        if not c.execute("SELECT 1 FROM workflow_runs WHERE id = ?", (run_id,)).fetchone():
            raise _not_found(run_id)

    @staticmethod
    def _record(c: _Cursor, row: Sequence[Any]) -> WorkflowRunRecord:
        run_id = str(row[0])
        jobs = c.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE run_id = ? ORDER BY position",
                         (run_id,)).fetchall()
        return WorkflowRunRecord(
            id=run_id, pipeline_id=str(row[1]), workflow=str(row[2]), status=str(row[3]),
            config_path=row[4], trigger=_loads(row[5], "trigger") or {},
            plan=_loads(row[6], "plan") or {}, snapshot=_loads(row[7], "snapshot") or {},
            actor=row[8], rerun_of=row[9], settings=_loads(row[10], "settings") or {},
            owner=row[11], created_at=float(row[12]), updated_at=float(row[13]),
            jobs={str(j[0]): _job_from(j) for j in jobs},
        )


class _Cursor:
    """The connection, typed narrowly (only ``execute`` is used inside a transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)


def _job_row(job: JobRecord) -> Tuple[Any, ...]:
    nodes = _dumps([n.to_dict() for n in job.nodes]) if job.nodes else None
    return (job.name, str(job.status), job.exit_code, job.actor, job.started_at,
            job.finished_at, job.duration, job.message, job.attempts, job.kept_from, nodes)


def _job_from(row: Sequence[Any]) -> JobRecord:
    """A ``jobs`` row (the :data:`_JOB_COLUMNS`) as a :class:`JobRecord`."""
    return JobRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                     row[9], nodes=_nodes_from(row[10]))


def _nodes_from(text: Optional[str]) -> Tuple[NodeRecord, ...]:
    data = _loads(text, "node records")
    if not data:
        return ()
    try:
        return tuple(NodeRecord.from_dict(n) for n in data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StoreCorruptedError(f"the stored node records cannot be read: {exc}") from exc


# -- in memory -----------------------------------------------------------------------------

def _roundtrip(value: Mapping[str, Any]) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads(_dumps(dict(value)))
    return data


class InMemoryRunStore:
    """The :class:`RunStore` contract in a dict, for tests and hosts that keep state
    elsewhere. Data goes through JSON like in SQLite, so both accept the same values."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._runs: Dict[str, WorkflowRunRecord] = {}
        self._order: Dict[str, int] = {}
        self._logs: Dict[str, Dict[str, str]] = {}
        self._node_logs: Dict[str, Dict[str, Dict[int, str]]] = {}
        self._history: Dict[str, List[Tuple[str, float]]] = {}
        self._requests: Dict[str, List[RunRequest]] = {}
        self._processes: Dict[str, List[ProcessRecord]] = {}
        self._seq = 0

    def __repr__(self) -> str:
        return f"InMemoryRunStore({len(self._runs)} workflow runs)"

    def _get(self, run_id: str) -> WorkflowRunRecord:
        try:
            return self._runs[run_id]
        except KeyError:
            raise _not_found(run_id) from None

    def create(self, run: WorkflowRunRecord, logs: Mapping[str, str] | None = None,
               node_logs: Mapping[str, Mapping[int, str]] | None = None) -> None:
        with self._lock:
            if run.id in self._runs:
                raise StoreError(f"a workflow run with id {run.id!r} already exists")
            stored = replace(run, trigger=_roundtrip(run.trigger), plan=_roundtrip(run.plan),
                             snapshot=_roundtrip(run.snapshot),
                             settings=_roundtrip(run.settings), jobs=dict(run.jobs),
                             status=str(run.status))
            self._seq += 1
            self._runs[run.id] = stored
            self._order[run.id] = self._seq
            self._logs[run.id] = dict(logs or {})
            self._node_logs[run.id] = {j: {int(k): str(v) for k, v in by.items()}
                                       for j, by in (node_logs or {}).items()}
            self._history[run.id] = [("created", run.created_at)]
            self._requests[run.id] = []
            self._processes[run.id] = []

    def update(self, run_id: str, transition: Transition) -> None:
        at = time.time() if transition.at is None else transition.at
        with self._lock:
            run = self._get(run_id)
            jobs = dict(run.jobs)
            for job in transition.jobs:
                if job.name not in jobs:
                    raise StoreError(f"workflow run {run_id!r} has no job {job.name!r}")
                jobs[job.name] = replace(job, status=str(job.status))
            ended = {j.name for j in transition.jobs if str(j.status) != "running"}
            self._runs[run_id] = replace(run, snapshot=_roundtrip(transition.snapshot),
                                         status=str(transition.status), jobs=jobs,
                                         updated_at=at)
            self._logs[run_id].update(transition.logs)
            kept = self._node_logs[run_id]
            for job_name in transition.reset_node_logs:
                kept.pop(job_name, None)
            for job_name, by_node in transition.node_logs.items():
                kept.setdefault(job_name, {}).update(
                    {int(k): str(v) for k, v in by_node.items()})
            self._history[run_id].append((transition.event, at))
            self._processes[run_id] = [p for p in self._processes[run_id]
                                       if p.job not in ended]

    def get(self, run_id: str) -> WorkflowRunRecord:
        with self._lock:
            return self._get(run_id)

    def ids(self) -> List[str]:
        with self._lock:
            return sorted(self._runs, key=lambda i: (-self._runs[i].created_at,
                                                     -self._order[i]))

    def list(self) -> List[WorkflowRunRecord]:
        with self._lock:
            return [self._runs[i] for i in self.ids()]

    def log(self, run_id: str, job: str) -> Optional[str]:
        with self._lock:
            self._get(run_id)
            return self._logs[run_id].get(job)

    def logs(self, run_id: str) -> Dict[str, str]:
        with self._lock:
            run = self._get(run_id)
            stored = self._logs[run_id]
            return {name: stored[name] for name in run.jobs if name in stored}

    def node_logs(self, run_id: str, job: str) -> Dict[int, str]:
        with self._lock:
            self._get(run_id)
            return dict(sorted(self._node_logs[run_id].get(job, {}).items()))

    def history(self, run_id: str) -> List[Tuple[str, float]]:
        with self._lock:
            self._get(run_id)
            return list(self._history[run_id])

    def claim(self, run_id: str, owner: Optional[str], expected: Optional[str]) -> bool:
        with self._lock:
            run = self._get(run_id)
            if run.owner != expected:
                return False
            self._runs[run_id] = replace(run, owner=owner)
            return True

    def post_request(self, run_id: str, request: RunRequest) -> int:
        with self._lock:
            self._get(run_id)
            self._seq += 1
            self._requests[run_id].append(replace(request, id=self._seq))
            return self._seq

    def take_requests(self, run_id: str) -> List[RunRequest]:
        with self._lock:
            self._get(run_id)
            out, self._requests[run_id] = self._requests[run_id], []
            return out

    def pending_requests(self, run_id: str) -> List[RunRequest]:
        with self._lock:
            self._get(run_id)
            return list(self._requests[run_id])

    def add_process(self, run_id: str, process: ProcessRecord) -> None:
        with self._lock:
            self._get(run_id)
            self._processes[run_id].append(
                replace(process, at=process.at or time.time()))

    def processes(self, run_id: str) -> List[ProcessRecord]:
        with self._lock:
            self._get(run_id)
            return list(self._processes[run_id])

    def clear_processes(self, run_id: str) -> None:
        with self._lock:
            self._get(run_id)
            self._processes[run_id] = []

    def delete(self, run_id: str) -> None:
        with self._lock:
            self._get(run_id)
            for table in (self._runs, self._order, self._logs, self._node_logs,
                          self._history, self._requests, self._processes):
                table.pop(run_id, None)

    def close(self) -> None:
        """Nothing to release."""
