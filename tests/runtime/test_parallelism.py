"""``parallelism: N`` run locally: the Runner with the SubprocessExecutor (real shells, real
files), the SQLite run store and the filesystem workspace and artifact stores.

Each node of a job must see its own ``CIRCLE_NODE_INDEX``/``CIRCLE_NODE_TOTAL``, run in a
directory of its own, take one slot of the pool, and the job must be the sum of its nodes.
Sleeps stay under half a second.
"""

from __future__ import annotations

import io
import os
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from workflowcore.config import load
from workflowcore.planning import Trigger, plan
from workflowcore.planning.plan import PlannedJob, PlannedWorkflow
from workflowcore.reporting.progress import (
    ProgressPrinter,
    format_node_log_text,
    format_workflow_text,
    workflow_object,
)
from workflowcore.runtime import Runner
from workflowcore.runtime.events import (
    Event,
    JobFinished,
    JobOutput,
    JobStarted,
    NodeFinished,
    NodeStarted,
    WorkflowStarted,
)
from workflowcore.runtime.executor import JobResult
from workflowcore.runtime.executors import SubprocessExecutor
from workflowcore.runtime.parallelism import (
    MAX_PARALLELISM,
    combine_node_results,
    parallelism_of,
)
from workflowcore.runtime.runner import default_owner
from workflowcore.runtime.scheduler import Scheduler
from workflowcore.runtime.stores import (
    FileSystemArtifactStore,
    FileSystemWorkspaceStore,
    InMemoryRunStore,
    JobRecord,
    RunStore,
    SQLiteRunStore,
    Transition,
)
from workflowcore.runtime.stores.runstate import RUNSTATE_SCHEMA_VERSION, NodeRecord

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX-only")


class Env:
    """A state directory, the stores, a Runner and the events it emitted. ``@OUT@`` in a
    config is replaced by ``out``, a directory every node can write to."""

    def __init__(self, tmp: Path, *, max_parallel: int = 4,
                 project_environment: Optional[Dict[str, str]] = None) -> None:
        self.tmp = tmp
        self.out = tmp / "out"
        self.out.mkdir()
        self.db = tmp / "runs.sqlite"
        self.store = SQLiteRunStore(self.db)
        self.workspace = FileSystemWorkspaceStore(tmp / "workspace")
        self.artifacts = FileSystemArtifactStore(tmp / "artifacts")
        self.events: List[Event] = []
        self.runner = Runner(
            SubprocessExecutor(tmp / "jobs", None, kill_grace=0.5), self.store,
            workspace=self.workspace, artifacts=self.artifacts, max_parallel=max_parallel,
            on_event=self.events.append, poll_interval=0.02,
            project_environment=project_environment)

    def planned(self, config: str) -> PlannedWorkflow:
        loaded = load(config.replace("@OUT@", str(self.out)), "config.yml")
        [workflow] = plan(loaded, Trigger(branch="main")).workflows
        return workflow

    def of(self, kind: type, job: Optional[str] = None) -> List[Any]:
        return [e for e in self.events
                if isinstance(e, kind) and (job is None or getattr(e, "job", None) == job)]


@pytest.fixture
def env(tmp_path: Path) -> Any:
    e = Env(tmp_path)
    yield e
    e.store.close()


def config(jobs: str, workflow: str) -> str:
    return f"version: 2.1\njobs:\n{jobs}\nworkflows:\n  main:\n    jobs:\n{workflow}\n"


# -- environment, directories, events ---------------------------------------------------------

NODES = config("""
  test:
    parameters: {n: {type: integer, default: 4}}
    docker: [{image: cimg/base:stable}]
    parallelism: << parameters.n >>
    steps:
      - run: |
          echo "node $CIRCLE_NODE_INDEX of $CIRCLE_NODE_TOTAL"
          echo "$CIRCLE_NODE_INDEX/$CIRCLE_NODE_TOTAL $HOME" > @OUT@/node-$CIRCLE_NODE_INDEX
""", "      - test")


def test_each_node_sees_its_index_and_total_in_its_own_directory(env: Env) -> None:
    [record] = env.runner.run([env.planned(NODES)], actor="alice")
    assert record.status == "success", env.store.logs(record.id)
    seen = {p.name: p.read_text().split() for p in env.out.iterdir()}
    assert sorted(seen) == [f"node-{k}" for k in range(4)]
    assert [seen[f"node-{k}"][0] for k in range(4)] == [f"{k}/4" for k in range(4)]
    homes = [seen[f"node-{k}"][1] for k in range(4)]
    assert len(set(homes)) == 4  # a directory of its own per node
    jobs = env.tmp / "jobs" / record.id
    assert sorted(p.name for p in jobs.iterdir()) == [
        "test", "test@node1", "test@node2", "test@node3"]
    job = record.jobs["test"]
    assert (job.status, job.exit_code, job.attempts) == ("success", 0, 1)
    assert [(n.index, n.status, n.exit_code) for n in job.nodes] == [
        (k, "success", 0) for k in range(4)]
    assert all(n.duration is not None and n.started_at is not None for n in job.nodes)
    # one job in the events, four nodes inside it
    [started] = env.of(JobStarted, "test")
    assert started.nodes == 4
    assert sorted(e.node for e in env.of(NodeStarted)) == [0, 1, 2, 3]
    assert sorted((e.node, e.line) for e in env.of(JobOutput) if e.line.startswith("node ")) \
        == [(k, f"node {k} of 4") for k in range(4)]
    assert sorted(e.node for e in env.of(NodeFinished)) == [0, 1, 2, 3]
    [finished] = env.of(JobFinished)
    assert (finished.status, finished.nodes) == ("success", 4)
    kinds = [e.kind for e in env.events if getattr(e, "job", None) == "test"]
    assert kinds.index("job-started") < kinds.index("node-started")
    assert kinds[-1] == "job-finished" and kinds[-2] == "node-finished"
    # the job's log holds every node's, each under a header, in node order
    log = env.store.log(record.id, "test") or ""
    heads = [line for line in log.splitlines() if line.startswith("==> test[")]
    assert heads == [f"==> test[{k}/4] (success)" for k in range(4)]
    assert env.store.node_logs(record.id, "test")[2].count("node 2 of 4") == 1


def test_progress_names_the_node(env: Env) -> None:
    [record] = env.runner.run([env.planned(NODES)])
    out = io.StringIO()
    printer = ProgressPrinter(out)
    for event in env.events:
        printer(event)
    text = out.getvalue()
    assert "[main] test: started as local-user, 4 nodes" in text
    assert "[main] test[2/4] | node 2 of 4" in text
    assert "[main] test[3/4]: ok (" in text
    assert "[main] test: ok (exit 0" in text
    assert record.status == "success"


# -- failures ---------------------------------------------------------------------------------

FAILING = config("""
  test:
    docker: [{image: cimg/base:stable}]
    parallelism: 3
    steps:
      - run: |
          if [ "$CIRCLE_NODE_INDEX" = 1 ]; then echo "node 1 breaks"; exit 3; fi
          sleep 0.3
          echo finished > @OUT@/finished-$CIRCLE_NODE_INDEX
  after:
    docker: [{image: cimg/base:stable}]
    steps: [{run: "true"}]
""", "      - test\n      - after: {requires: [test]}")


def test_a_failing_node_fails_the_job_and_the_others_still_finish(env: Env) -> None:
    [record] = env.runner.run([env.planned(FAILING)])
    assert record.status == "failed"
    job = record.jobs["test"]
    assert (job.status, job.exit_code) == ("failed", 3)
    assert job.message is not None and job.message.startswith("node 1 of 3 failed; test[1/3]")
    assert job.message.endswith("Exited with code exit status 3")
    assert sorted(p.name for p in env.out.iterdir()) == ["finished-0", "finished-2"]
    assert [(n.status, n.exit_code) for n in job.nodes] == [
        ("success", 0), ("failed", 3), ("success", 0)]
    assert record.jobs["after"].status == "not_run"
    [finished] = env.of(JobFinished, "test")
    assert (finished.status, finished.exit_code) == ("failed", 3)
    assert "node 1 breaks" in env.store.node_logs(record.id, "test")[1]
    data = workflow_object(record)["jobs"]["test"]
    assert data["status"] == "failed" and data["exit_code"] == 3
    assert [(n["index"], n["status"], n["exit_code"]) for n in data["nodes"]] == [
        (0, "success", 0), (1, "failed", 3), (2, "success", 0)]
    assert "message" in data["nodes"][1] and "message" not in data["nodes"][0]
    assert "nodes" not in workflow_object(record)["jobs"]["after"]
    text = format_workflow_text(record)
    assert "[1/3]" in text and "failed" in text.split("[1/3]", 1)[1].splitlines()[0]
    assert format_node_log_text(record, "test", 1, "x").startswith("==> test[1/3] (failed)\n")
    assert format_node_log_text(record, "after", 0, None) == "==> after (not_run)\n(no log)\n"


def test_the_first_failing_node_gives_the_exit_code() -> None:
    ok = JobResult.success(log="fine", duration=0.2)
    results = [ok, JobResult.failed(5, message="step 'a' failed: exit code 5", log="x"),
               JobResult.failed(2, message="step 'b' failed", log="y")]
    combined = combine_node_results("t", results, duration=1.5)
    assert (combined.status, combined.exit_code, combined.duration) == ("failed", 5, 1.5)
    assert combined.message == "nodes 1, 2 of 3 failed; t[1/3]: step 'a' failed: exit code 5"
    canceled = combine_node_results("t", [ok, JobResult.canceled(message="stopped")],
                                    canceled=True)
    assert (canceled.status, canceled.exit_code) == ("canceled", None)
    assert combine_node_results("t", [ok, ok]).status == "success"
    with pytest.raises(ValueError, match="at least one node"):
        combine_node_results("t", [])


@pytest.mark.parametrize(("value", "expected"), [
    (None, 1), (1, 1), (4, 4), ("3", 3), (" 2 ", 2), (2.0, 2), (MAX_PARALLELISM, MAX_PARALLELISM),
])
def test_parallelism_values(value: Any, expected: int) -> None:
    definition = {} if value is None else {"parallelism": value}
    assert parallelism_of(definition) == expected


@pytest.mark.parametrize(("value", "why"), [
    (0, "not a positive whole number"), (-2, "not a positive whole number"),
    (True, "not a positive whole number"), ("many", "not a positive whole number"),
    (2.5, "not a positive whole number"), ("<< parameters.n >>", "not a positive"),
    (MAX_PARALLELISM + 1, "excessive parallelism"),
])
def test_bad_parallelism_values(value: Any, why: str) -> None:
    with pytest.raises(ValueError, match=why) as info:
        parallelism_of({"parallelism": value})
    assert "\n" not in str(info.value) and "parallelism" in str(info.value)


def test_a_bad_parallelism_fails_the_job_without_running_it(env: Env) -> None:
    marker = env.out / "ran"
    wf = PlannedWorkflow("main", True, jobs=(
        PlannedJob("test", "test", definition={
            "parallelism": "many", "steps": [{"run": f"touch {marker}"}]}),
        PlannedJob("after", "after", requires={"test": ("success",)},
                   definition={"steps": [{"run": f"touch {marker}"}]}),
    ))
    [record] = env.runner.run([wf])
    assert record.status == "failed"
    job = record.jobs["test"]
    assert job.status == "failed" and job.exit_code is None and job.attempts == 0
    assert job.message is not None and "parallelism 'many'" in job.message
    assert record.jobs["after"].status == "not_run"
    assert not marker.exists()


# -- test results, artifacts, workspace --------------------------------------------------------

REPORTS = config("""
  test:
    docker: [{image: cimg/base:stable}]
    parallelism: 3
    steps:
      - run: |
          mkdir -p reports
          i=$CIRCLE_NODE_INDEX
          fail=""
          if [ "$i" = 2 ]; then fail="<failure>boom</failure>"; fi
          case='<testcase classname="c" name="a%s"/><testcase classname="c" name="b%s">%s'
          printf "<testsuite>$case</testcase></testsuite>" "$i" "$i" "$fail" > reports/junit.xml
          echo "from node $i" > reports/which.txt
      - store_test_results: {path: reports}
      - store_artifacts: {path: reports/which.txt, destination: which.txt}
""", "      - test")


def test_test_results_are_summed_and_every_node_keeps_its_artifacts(env: Env) -> None:
    [record] = env.runner.run([env.planned(REPORTS)])
    assert record.status == "success", env.store.log(record.id, "test")
    [finished] = env.of(JobFinished, "test")
    tests = finished.test_results
    assert tests is not None
    assert (tests.tests, tests.failures, len(tests.files)) == (6, 1, 3)
    assert tests.failed_tests == ("c.b2",)
    assert sorted(a.location.read_text() for a in finished.artifacts) == [
        f"from node {k}\n" for k in range(3)]
    assert {a.path for a in finished.artifacts} == {"which.txt"}
    assert len({a.location for a in finished.artifacts}) == 3
    assert len(env.of(NodeFinished, "test")) == 3
    assert finished.to_dict()["artifacts"][0]["location"].endswith("which.txt")


WORKSPACE = config("""
  build:
    docker: [{image: cimg/base:stable}]
    parallelism: 2
    steps:
      - run: |
          mkdir -p out
          echo "made by $CIRCLE_NODE_INDEX" > out/node-$CIRCLE_NODE_INDEX.txt
          echo "$CIRCLE_NODE_INDEX" > out/common.txt
          sleep 0.$((2 - CIRCLE_NODE_INDEX))
      - persist_to_workspace: {root: ., paths: [out]}
  use:
    docker: [{image: cimg/base:stable}]
    steps:
      - attach_workspace: {at: ws}
      - run: cat ws/out/node-0.txt ws/out/node-1.txt ws/out/common.txt > @OUT@/seen
""", "      - build\n      - use: {requires: [build]}")


def test_what_two_nodes_persist_is_all_visible_downstream(env: Env) -> None:
    [record] = env.runner.run([env.planned(WORKSPACE)])
    assert record.status == "success", env.store.logs(record.id)
    # node 1 finishes first (it sleeps less), yet node order decides: node 1's file wins
    assert (env.out / "seen").read_text() == "made by 0\nmade by 1\n1\n"
    assert env.workspace.layers(record.id) == ["build", "build@node1"]


# -- rerun ------------------------------------------------------------------------------------

RERUN = config("""
  build:
    docker: [{image: cimg/base:stable}]
    parallelism: 2
    steps:
      - run: mkdir -p out && echo "b$CIRCLE_NODE_INDEX" > out/b$CIRCLE_NODE_INDEX
      - persist_to_workspace: {root: ., paths: [out]}
  test:
    docker: [{image: cimg/base:stable}]
    parallelism: 3
    steps:
      - attach_workspace: {at: ws}
      - run: |
          echo run >> @OUT@/runs-$CIRCLE_NODE_INDEX
          cat ws/out/b0 ws/out/b1
          if [ "$CIRCLE_NODE_INDEX" = 1 ] && [ ! -e @OUT@/fixed ]; then exit 1; fi
""", "      - build\n      - test: {requires: [build]}")


def test_rerun_from_failed_reruns_every_node_and_keeps_the_upstream_layers(env: Env) -> None:
    [first] = env.runner.run([env.planned(RERUN)])
    assert first.status == "failed"
    assert [n.status for n in first.jobs["test"].nodes] == ["success", "failed", "success"]
    (env.out / "fixed").touch()
    second = env.runner.rerun(first.id, from_failed=True)
    assert second.status == "success", env.store.logs(second.id)
    assert second.jobs["build"].kept_from == first.id
    assert [n.status for n in second.jobs["build"].nodes] == ["success", "success"]
    assert env.store.node_logs(second.id, "build") == env.store.node_logs(first.id, "build")
    assert [n.status for n in second.jobs["test"].nodes] == ["success"] * 3
    # every node ran again, not only the failed one
    assert [(env.out / f"runs-{k}").read_text() for k in range(3)] == ["run\nrun\n"] * 3
    # both nodes' layers of the kept job came along
    assert sorted(env.workspace.layers(second.id)) == ["build", "build@node1"]
    assert "b0\nb1" in env.store.node_logs(second.id, "test")[2]


# -- the pool ----------------------------------------------------------------------------------

SLOTS = config("""
  test:
    docker: [{image: cimg/base:stable}]
    parallelism: 4
    steps:
      - run: |
          date +%s.%N > @OUT@/start-$CIRCLE_NODE_INDEX
          sleep 0.4
          date +%s.%N > @OUT@/end-$CIRCLE_NODE_INDEX
""", "      - test")


def _peak(out: Path, n: int) -> int:
    marks = []
    for k in range(n):
        marks.append((float((out / f"start-{k}").read_text()), 1))
        marks.append((float((out / f"end-{k}").read_text()), -1))
    now = peak = 0
    for _, step in sorted(marks):  # an end before a start at the same instant
        now += step
        peak = max(peak, now)
    return peak


def test_nodes_take_slots_of_the_pool(tmp_path: Path) -> None:
    env = Env(tmp_path, max_parallel=2)
    try:
        [record] = env.runner.run([env.planned(SLOTS)])
    finally:
        env.store.close()
    assert record.status == "success"
    assert _peak(env.out, 4) == 2  # two at a time: bounded, and really in parallel
    nodes = record.jobs["test"].nodes
    assert all(n.started_at is not None for n in nodes)
    later = sorted(n.started_at or 0.0 for n in nodes)
    assert later[2] - later[0] >= 0.3  # the last two waited for slots


def test_cancel_ends_waiting_nodes_without_running_them(tmp_path: Path) -> None:
    env = Env(tmp_path, max_parallel=1)
    text = config("""
  test:
    docker: [{image: cimg/base:stable}]
    parallelism: 3
    steps:
      - run: touch @OUT@/ran-$CIRCLE_NODE_INDEX; sleep 5
""", "      - test")
    workflow = env.planned(text)
    out: Dict[str, Any] = {}
    thread = threading.Thread(target=lambda: out.update(r=env.runner.run([workflow])))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not (env.out / "ran-0").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        wid = next(e.workflow_id for e in env.events if isinstance(e, WorkflowStarted))
        t0 = time.monotonic()
        canceled = env.runner.cancel(wid)
        thread.join(10)
        assert time.monotonic() - t0 < 4
    finally:
        env.store.close()
    assert canceled.status == "canceled"
    job = canceled.jobs["test"]
    assert job.status == "canceled" and job.exit_code is None
    assert [n.status for n in job.nodes] == ["canceled"] * 3
    assert job.nodes[1].message == "canceled before it started"
    assert sorted(p.name for p in env.out.iterdir()) == ["ran-0"]


# -- persisted state ----------------------------------------------------------------------------

def test_reopened_state_shows_every_node(env: Env) -> None:
    [record] = env.runner.run([env.planned(FAILING)])
    env.store.close()
    with SQLiteRunStore(env.db) as again:
        got = again.get(record.id)
        job = got.jobs["test"]
        assert job == record.jobs["test"]
        assert [(n.index, n.status, n.exit_code) for n in job.nodes] == [
            (0, "success", 0), (1, "failed", 3), (2, "success", 0)]
        assert set(again.node_logs(record.id, "test")) == {0, 1, 2}
        assert "node 1 breaks" in again.node_logs(record.id, "test")[1]
        assert again.node_logs(record.id, "after") == {}
        events = [e for e, _ in again.history(record.id)]
        assert events.count("node-started") == 2  # node 0 starts with the job
        assert events.count("node-finished") == 2  # the last node's is the job's
    env.store = SQLiteRunStore(env.db)  # for the fixture to close


def _dead_owner() -> str:
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return default_owner().replace(f":{os.getpid()}:", f":{proc.pid}:")


def test_a_job_interrupted_between_nodes_runs_every_node_again(env: Env) -> None:
    workflow = env.planned(config("""
  test:
    docker: [{image: cimg/base:stable}]
    parallelism: 3
    steps:
      - run: echo "attempt $CIRCLE_BUILD_NUM node $CIRCLE_NODE_INDEX"
""", "      - test"))
    created = env.runner.create(workflow, actor="alice")
    sched = Scheduler(workflow)
    sched.get_ready()
    sched.start("test")
    assert env.store.claim(created.id, _dead_owner(), None)
    env.store.update(created.id, Transition(
        "node-finished", sched.snapshot(), "running",
        jobs=[JobRecord("test", "running", None, "alice", 1.0, attempts=1, nodes=(
            NodeRecord(0, "success", 0, 1.0, 2.0, 1.0), NodeRecord(1, "running", None, 1.0),
            NodeRecord(2, "queued")))],
        node_logs={"test": {0: "the old attempt"}}))
    resumed = env.runner.resume(created.id)
    assert resumed.status == "success"
    job = resumed.jobs["test"]
    assert job.attempts == 2
    assert [n.status for n in job.nodes] == ["success"] * 3
    logs = env.store.node_logs(created.id, "test")
    assert [logs[k].count(f"attempt 2 node {k}") for k in range(3)] == [1, 1, 1]
    assert "the old attempt" not in "".join(logs.values())


def test_a_state_file_of_schema_1_is_migrated(tmp_path: Path) -> None:
    """A file written before nodes existed (no ``jobs.nodes``, no ``node_logs``) is brought
    to the current schema when opened, keeping what it holds."""
    path = tmp_path / "runs.sqlite"
    wf = PlannedWorkflow("main", True, jobs=(
        PlannedJob("build", "build", definition={"steps": [{"run": "true"}]}),))
    with SQLiteRunStore(path) as store:
        runner = Runner(SubprocessExecutor(tmp_path / "jobs", None), store)
        [old] = runner.run([wf])
    conn = sqlite3.connect(str(path))
    conn.execute("ALTER TABLE jobs DROP COLUMN nodes")
    conn.execute("DROP TABLE node_logs")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    conn.commit()
    conn.close()
    with SQLiteRunStore(path) as store:
        got = store.get(old.id)
        assert got.jobs["build"] == old.jobs["build"] and got.jobs["build"].nodes == ()
        assert store.log(old.id, "build") is not None
        assert store.node_logs(old.id, "build") == {}
        store.update(old.id, Transition("test", got.snapshot, got.status, jobs=[
            JobRecord("build", "success", 0, nodes=(NodeRecord(0, "success", 0),))],
            node_logs={"build": {0: "kept"}}))
        assert store.get(old.id).jobs["build"].nodes == (NodeRecord(0, "success", 0),)
        assert store.node_logs(old.id, "build") == {0: "kept"}
    conn = sqlite3.connect(str(path))
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == \
        str(RUNSTATE_SCHEMA_VERSION)
    conn.close()


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_both_stores_keep_node_records_and_logs(tmp_path: Path, kind: str) -> None:
    store: RunStore = SQLiteRunStore(tmp_path / "runs.sqlite") if kind == "sqlite" \
        else InMemoryRunStore()
    wf = PlannedWorkflow("main", True, jobs=(
        PlannedJob("t", "t", definition={"parallelism": 2, "steps": []}),))
    runner = Runner(SubprocessExecutor(tmp_path / "jobs", None), store)
    run = runner.create(wf)
    nodes = (NodeRecord(0, "success", 0, 1.0, 2.0, 1.0, None), NodeRecord(1, "running"))
    store.update(run.id, Transition("node-finished", run.snapshot, "running",
                                    jobs=[JobRecord("t", "running", nodes=nodes)],
                                    node_logs={"t": {0: "zero", 1: "one"}}))
    assert store.get(run.id).jobs["t"].nodes == nodes
    assert store.node_logs(run.id, "t") == {0: "zero", 1: "one"}
    store.update(run.id, Transition("job-started", run.snapshot, "running",
                                    jobs=[JobRecord("t", "running", attempts=2)],
                                    reset_node_logs=["t"], node_logs={"t": {1: "new"}}))
    assert store.node_logs(run.id, "t") == {1: "new"}
    assert store.get(run.id).jobs["t"].nodes == ()
    copy = replace(store.get(run.id), id="copy")
    store.create(copy, node_logs={"t": {0: "kept"}})
    assert store.node_logs("copy", "t") == {0: "kept"}
    assert store.get(run.id).jobs["t"].to_dict()["attempts"] == 2
    assert "nodes" not in store.get(run.id).jobs["t"].to_dict()
    assert JobRecord("t", "running", nodes=nodes).to_dict()["nodes"][0]["status"] == "success"
    store.close()


def test_secrets_are_masked_in_node_logs_and_messages(tmp_path: Path) -> None:
    secret = "s3cr3t-Node-Value-7"
    env = Env(tmp_path, project_environment={"TOKEN": secret})
    try:
        [record] = env.runner.run([env.planned(config("""
  test:
    docker: [{image: cimg/base:stable}]
    parallelism: 2
    steps:
      - run: echo "token $TOKEN"; exit $CIRCLE_NODE_INDEX
""", "      - test"))])
        logs = env.store.node_logs(record.id, "test")
        assert [logs[k].count("token ********") for k in range(2)] == [1, 1]
        assert secret not in "".join(logs.values())
        assert secret not in (env.store.log(record.id, "test") or "")
        assert secret not in repr(env.store.get(record.id)) and secret not in repr(env.events)
    finally:
        env.store.close()
    assert record.jobs["test"].status == "failed"
