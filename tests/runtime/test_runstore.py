"""The RunStore contract, run against SQLiteRunStore and InMemoryRunStore alike, plus what
only SQLite promises (WAL, atomic transitions under SIGKILL, several processes)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator

import pytest

from workflowcore.errors import RunNotFoundError, StoreCorruptedError, StoreError
from workflowcore.planning.plan import ExcludedJob, PlannedJob, PlannedWorkflow
from workflowcore.runtime.scheduler import Scheduler
from workflowcore.runtime.stores import (
    InMemoryRunStore,
    JobRecord,
    ProcessRecord,
    RunRequest,
    RunStore,
    SQLiteRunStore,
    Transition,
    WorkflowRunRecord,
)
from workflowcore.runtime.stores.runstate import (
    RUNSTATE_APPLICATION_ID,
    workflow_from_data,
    workflow_to_data,
)

SRC = Path(__file__).resolve().parents[2] / "src"

WORKFLOW = PlannedWorkflow(
    name="main", runs=True,
    jobs=(
        PlannedJob("build", "build", definition={"steps": [{"run": "make"}],
                                                  "environment": {"N": 1, "F": 1.5}}),
        PlannedJob("hold", "hold", type="approval", requires={"build": ("success",)}),
        PlannedJob("deploy", "deploy-job", requires={"hold": ("success",),
                                                     "build": ("success", "failed")},
                   context=("prod",), definition={"steps": [{"checkout": None}]},
                   serial_group="deploys"),
    ),
    excluded=(ExcludedJob("lint", "lint", "branch 'main' is ignored"),),
)


def record(run_id: str = "wf-1", *, created: float = 100.0, **kw: Any) -> WorkflowRunRecord:
    sched = Scheduler(WORKFLOW)
    data: Dict[str, Any] = {
        "id": run_id, "pipeline_id": "pipe-1", "workflow": "main", "status": "running",
        "plan": workflow_to_data(WORKFLOW), "snapshot": sched.snapshot(),
        "jobs": {n: JobRecord(n, s.value) for n, s in sched.statuses().items()},
        "config_path": "/repo/.circleci/config.yml", "trigger": {"branch": "main", "tag": None},
        "actor": "alice", "settings": {"source_dir": "/repo"}, "created_at": created,
        "updated_at": created}
    data.update(kw)
    return WorkflowRunRecord(**data)


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    s: RunStore = (SQLiteRunStore(tmp_path / "state" / "runs.sqlite")
                   if request.param == "sqlite" else InMemoryRunStore())
    yield s
    s.close()


# -- the contract ------------------------------------------------------------------------------

def test_both_implement_the_protocol(store: RunStore) -> None:
    assert isinstance(store, RunStore)


def test_create_then_get_round_trips_every_field(store: RunStore) -> None:
    rec = record()
    store.create(rec)
    got = store.get("wf-1")
    assert got == rec
    assert list(got.jobs) == ["build", "hold", "deploy"]
    assert got.planned() == WORKFLOW  # definitions, requires order, excluded jobs included


def test_plan_serialisation_is_lossless() -> None:
    data = workflow_to_data(WORKFLOW)
    assert workflow_from_data(data) == WORKFLOW
    assert list(workflow_from_data(data).job("deploy").requires) == ["hold", "build"]
    with pytest.raises(StoreCorruptedError):
        workflow_from_data({**data, "version": 99})
    with pytest.raises(StoreCorruptedError):
        workflow_from_data({"version": 1, "jobs": [{"name": "x"}]})


def test_unknown_ids_raise_run_not_found(store: RunStore) -> None:
    for call in (lambda: store.get("nope"), lambda: store.log("nope", "a"),
                 lambda: store.logs("nope"), lambda: store.history("nope"),
                 lambda: store.take_requests("nope"), lambda: store.pending_requests("nope"),
                 lambda: store.claim("nope", "me", None),
                 lambda: store.post_request("nope", RunRequest("cancel")),
                 lambda: store.update("nope", Transition("x", {}, "running"))):
        with pytest.raises(RunNotFoundError, match="nope"):
            call()
    assert issubclass(RunNotFoundError, KeyError)


def test_duplicate_ids_are_refused(store: RunStore) -> None:
    store.create(record())
    with pytest.raises(StoreError, match="already exists"):
        store.create(record())


def test_update_replaces_snapshot_status_jobs_and_logs(store: RunStore) -> None:
    store.create(record())
    sched = Scheduler(WORKFLOW)
    sched.get_ready()
    sched.start("build")
    sched.done("build", "failed")
    finished = JobRecord("build", "failed", exit_code=2, actor="alice", started_at=101.0,
                         finished_at=102.5, duration=1.5, message="exit 2", attempts=1)
    store.update("wf-1", Transition("job-finished", sched.snapshot(), "failed",
                                    jobs=[finished], logs={"build": "line 1\nline 2"}, at=103.0))
    got = store.get("wf-1")
    assert got.status == "failed"
    assert got.snapshot == sched.snapshot()
    assert got.jobs["build"] == finished
    assert got.jobs["hold"].status == "blocked"  # untouched rows stay
    assert got.updated_at == 103.0 and got.created_at == 100.0
    assert store.log("wf-1", "build") == "line 1\nline 2"
    assert store.log("wf-1", "deploy") is None
    assert store.history("wf-1") == [("created", 100.0), ("job-finished", 103.0)]


def test_a_transition_is_all_or_nothing(store: RunStore) -> None:
    store.create(record())
    before = store.get("wf-1")
    with pytest.raises(StoreError, match="no job 'ghost'"):
        store.update("wf-1", Transition(
            "job-finished", {"changed": True}, "failed",
            jobs=[JobRecord("build", "failed"), JobRecord("ghost", "success")],
            logs={"build": "should not be kept"}))
    assert store.get("wf-1") == before
    assert store.log("wf-1", "build") is None
    assert [e for e, _ in store.history("wf-1")] == ["created"]


def test_data_must_be_json(store: RunStore) -> None:
    store.create(record())
    with pytest.raises(StoreError, match="JSON"):
        store.update("wf-1", Transition("x", {"bad": object()}, "running"))
    with pytest.raises(StoreError, match="JSON"):
        store.create(record("wf-2", settings={"path": Path("/x")}))


def test_ids_and_list_are_newest_first(store: RunStore) -> None:
    store.create(record("old", created=1.0))
    store.create(record("new", created=3.0))
    store.create(record("mid", created=2.0))
    store.create(record("tie", created=3.0))  # same time: the later insert is newer
    assert store.ids() == ["tie", "new", "mid", "old"]
    assert [r.id for r in store.list()] == ["tie", "new", "mid", "old"]


def test_logs_are_in_plan_order(store: RunStore) -> None:
    store.create(record(), logs={"deploy": "d"})
    store.update("wf-1", Transition("x", {}, "running", logs={"build": "b"}))
    assert list(store.logs("wf-1")) == ["build", "deploy"]


def test_claim_is_compare_and_set(store: RunStore) -> None:
    store.create(record())
    assert store.get("wf-1").owner is None
    assert store.claim("wf-1", "p1", None)
    assert not store.claim("wf-1", "p2", None)
    assert store.get("wf-1").owner == "p1"
    assert store.claim("wf-1", "p2", "p1")
    assert store.claim("wf-1", None, "p2")
    assert store.get("wf-1").owner is None


def test_requests_queue_in_order_and_are_taken_once(store: RunStore) -> None:
    store.create(record())
    store.create(record("wf-2"))
    assert store.take_requests("wf-1") == []
    first = store.post_request("wf-1", RunRequest("approve", "hold", "bob"))
    second = store.post_request("wf-1", RunRequest("cancel"))
    store.post_request("wf-2", RunRequest("cancel"))
    assert second > first
    pending = store.pending_requests("wf-1")
    assert [(r.kind, r.job, r.actor) for r in pending] == [("approve", "hold", "bob"),
                                                          ("cancel", None, None)]
    assert store.take_requests("wf-1") == pending
    assert store.take_requests("wf-1") == []
    assert len(store.pending_requests("wf-2")) == 1


def test_request_kinds_are_checked() -> None:
    with pytest.raises(ValueError, match="kind"):
        RunRequest("delete")
    with pytest.raises(ValueError, match="names a job"):
        RunRequest("approve")


# -- SQLite only ---------------------------------------------------------------------------------

def test_sqlite_uses_wal_and_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with SQLiteRunStore(path) as s:
        s.create(record())
    assert (path.stat().st_mode & 0o777) == 0o600
    conn = sqlite3.connect(str(path))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_sqlite_state_survives_reopening_and_is_shared(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    a, b = SQLiteRunStore(path), SQLiteRunStore(path)
    a.create(record())
    assert b.get("wf-1") == a.get("wf-1")  # another connection sees the commit
    assert b.claim("wf-1", "b", None)
    assert not a.claim("wf-1", "a", None)
    a.close()
    b.close()
    with SQLiteRunStore(path) as c:
        assert c.get("wf-1").owner == "b"


def test_sqlite_reports_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreCorruptedError, match="cannot be read"):
        SQLiteRunStore(path)


def test_sqlite_refuses_another_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    SQLiteRunStore(path).close()
    conn = sqlite3.connect(str(path))
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 99"):
        SQLiteRunStore(path)


_WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {src!r})
    from workflowcore.runtime.stores import JobRecord, SQLiteRunStore, Transition
    store = SQLiteRunStore({db!r})
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        status = "failed" if n % 2 else "success"
        store.update("wf-1", Transition(
            "job-finished", {{"n": n, "build": status}}, status,
            jobs=[JobRecord("build", status, exit_code=n), JobRecord("deploy", status,
                                                                      exit_code=n)],
            logs={{"build": "x" * 5000 + str(n)}}))
""")


def test_sqlite_transitions_survive_sigkill_whole(tmp_path: Path) -> None:
    """A writer killed at a random moment leaves the last complete transition, never half."""
    db = tmp_path / "runs.sqlite"
    with SQLiteRunStore(db) as s:
        s.create(record())
    proc = subprocess.Popen([sys.executable, "-c", _WRITER.format(src=str(SRC), db=str(db))],
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with SQLiteRunStore(db) as s:
        got = s.get("wf-1")
        n = got.snapshot["n"]
        assert n > 1
        assert got.status == got.snapshot["build"]
        assert got.jobs["build"].exit_code == got.jobs["deploy"].exit_code == n
        assert s.log("wf-1", "build") == "x" * 5000 + str(n)
        assert len(s.history("wf-1")) == n + 1


def test_take_requests_is_atomic_across_connections(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    a, b = SQLiteRunStore(path), SQLiteRunStore(path)
    a.create(record())
    for _ in range(20):
        a.post_request("wf-1", RunRequest("cancel"))
    takers: Dict[str, Callable[[str], Any]] = {"a": a.take_requests, "b": b.take_requests}
    taken = [r.id for name in ("a", "b", "a") for r in takers[name]("wf-1")]
    assert len(taken) == len(set(taken)) == 20
    a.close()
    b.close()


# -- whose file it is (issue 10, item 12) ----------------------------------------------------

def test_a_database_of_another_application_is_refused_not_adopted(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    conn = sqlite3.connect(str(path))
    conn.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
    conn.execute("INSERT INTO customers VALUES (1, 'ann')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"is not a workflowcore run state database \(it "
                                         r"holds other tables: customers\)"):
        SQLiteRunStore(path)
    conn = sqlite3.connect(str(path))  # untouched: no table of ours, no marker
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"customers"}
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0
    conn.close()


def test_a_database_marked_by_another_application_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA application_id = 1234")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"application id 0x4d2, another application's"):
        SQLiteRunStore(path)


def test_a_store_from_before_the_marker_is_adopted_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with SQLiteRunStore(path) as s:
        s.create(record())
    conn = sqlite3.connect(str(path))
    assert conn.execute("PRAGMA application_id").fetchone()[0] == RUNSTATE_APPLICATION_ID
    conn.execute("PRAGMA application_id = 0")  # as written by an older workflowcore
    conn.execute("DROP TABLE processes")
    conn.commit()
    conn.close()
    with SQLiteRunStore(path) as s:
        assert s.get("wf-1").actor == "alice"
    conn = sqlite3.connect(str(path))
    assert conn.execute("PRAGMA application_id").fetchone()[0] == RUNSTATE_APPLICATION_ID
    conn.close()


def test_text_that_is_not_text_is_a_store_error_not_a_traceback(tmp_path: Path) -> None:
    with SQLiteRunStore(tmp_path / "runs.sqlite") as store:
        with pytest.raises(StoreError, match="it is not valid text"):
            store.create(record(actor="m\udcff"))
        with pytest.raises(RunNotFoundError):
            store.get("wf-1")  # nothing half-written


# -- process groups of running jobs (issue 10, item 6) -----------------------------------------

def test_process_groups_are_kept_while_the_job_runs(store: RunStore) -> None:
    store.create(record())
    store.add_process("wf-1", ProcessRecord("build", 4242, "777", "host-a", 1.0))
    store.add_process("wf-1", ProcessRecord("deploy", 4343, "-", "host-a", 2.0))
    assert [(p.job, p.pgid, p.start) for p in store.processes("wf-1")] == \
        [("build", 4242, "777"), ("deploy", 4343, "-")]
    snap = Scheduler(WORKFLOW).snapshot()
    store.update("wf-1", Transition("job-started", snap, "running",
                                    jobs=[JobRecord("build", "running")]))
    assert [p.job for p in store.processes("wf-1")] == ["build", "deploy"]
    store.update("wf-1", Transition("job-finished", snap, "running",
                                    jobs=[JobRecord("build", "success")]))
    assert [p.job for p in store.processes("wf-1")] == ["deploy"]  # build's are dropped
    store.clear_processes("wf-1")
    assert store.processes("wf-1") == []
