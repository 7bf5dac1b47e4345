"""One scenario suite, run with the subprocess executor and with the Dask executor on a real
``LocalCluster`` of worker processes: the results must be the same.

Each test builds a committed git repository (``checkout`` travels to the workers as a git
bundle), real stores (SQLite run state, workspace, caches, artifacts, timings) and a Runner.
Sleeps stay at or under one second.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from tests.runtime._procs import alive
from workflowcore.config import load
from workflowcore.planning import Trigger, plan
from workflowcore.planning.plan import PlannedWorkflow
from workflowcore.runtime import Runner
from workflowcore.runtime.contexts import Context
from workflowcore.runtime.events import Event, JobFinished, JobOutput
from workflowcore.runtime.executor import Executor
from workflowcore.runtime.executors import SubprocessExecutor
from workflowcore.runtime.stores import (
    FileSystemArtifactStore,
    FileSystemCacheStore,
    FileSystemWorkspaceStore,
    SQLiteRunStore,
)
from workflowcore.runtime.stores.timings import TimingsStore

from ..cli._repo import make_repo
from ..fanout import FAN, job_times
from ..rerun import RERUN, printed_stamp
from ..seed import clean, seed_blocks

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX-only")

EXECUTORS = ["subprocess", "dask"]
SECRET = "s3cr3t-Value-42xyz"


class Env:
    """A repository, the stores and a Runner on the executor of the parameter."""

    def __init__(self, tmp: Path, kind: str, client: Any, config: str,
                 files: Optional[Dict[str, str]] = None, **executor_options: Any) -> None:
        self.tmp = tmp
        self.kind = kind
        self.client = client
        self.repo = make_repo(tmp, config, files)
        state = tmp / "state"
        self.store = SQLiteRunStore(state / "runs.sqlite")
        self.workspace = FileSystemWorkspaceStore(state / "workspace")
        self.caches = FileSystemCacheStore(state / "cache")
        self.artifacts = FileSystemArtifactStore(state / "artifacts")
        self.timings = TimingsStore(state / "timings")
        self.events: List[Event] = []
        self.executor_options = executor_options
        self.runner = self.make_runner()

    def make_executor(self) -> Executor:
        if self.kind == "dask":
            from workflowcore.runtime.executors.dask import DaskExecutor

            return DaskExecutor(self.client, self.repo, exclude=[self.tmp / "state"],
                                **self.executor_options)
        return SubprocessExecutor(self.tmp / "jobs", self.repo, keep_job_dirs=False)

    def make_runner(self, contexts: Optional[Dict[str, Context]] = None) -> Runner:
        return Runner(self.make_executor(), self.store, workspace=self.workspace,
                      caches=self.caches, artifacts=self.artifacts, timings=self.timings,
                      contexts=contexts, max_parallel=4, on_event=self.events.append,
                      poll_interval=0.02, project_environment={"PROJECT_TOKEN": SECRET})

    def planned(self) -> PlannedWorkflow:
        text = (self.repo / ".circleci" / "config.yml").read_text(encoding="utf-8")
        [workflow] = plan(load(text, "config.yml"), Trigger(branch="main")).workflows
        return workflow

    def logs(self, workflow_id: str) -> Dict[str, str]:
        return self.store.logs(workflow_id)

    def close(self) -> None:
        self.runner.executor.close()
        self.store.close()


@pytest.fixture(params=EXECUTORS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_env(tmp_path: Path, kind: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    made: List[Env] = []

    def make(config: str, files: Optional[Dict[str, str]] = None, **options: Any) -> Env:
        client = request.getfixturevalue("client") if kind == "dask" else None
        env = Env(tmp_path, kind, client, config, files, **options)
        made.append(env)
        return env

    yield make
    for env in made:
        env.close()


def statuses(env: Env, workflow_id: str) -> Dict[str, str]:
    return {name: str(job.status) for name, job in env.store.get(workflow_id).jobs.items()}


# -- fan-out / fan-in --------------------------------------------------------------------------

def test_fan_out_fan_in(make_env: Any) -> None:
    env = make_env(FAN)
    [record] = env.runner.run([env.planned()])
    assert record.status == "success"
    assert set(statuses(env, record.id).values()) == {"success"}
    t = {name: job_times(text) for name, text in env.logs(record.id).items()}
    fan = ["t1", "t2", "t3"]
    assert all(t[name][0] >= t["build"][1] for name in fan)
    assert t["merge"][0] >= max(t[n][1] for n in fan)
    # at least two of the three ran at the same time (the cluster has two one-thread workers)
    starts = sorted((t[n][0], t[n][1]) for n in fan)
    assert any(b[0] < a[1] for a, b in zip(starts, starts[1:])), "no two tests overlapped"
    if env.kind == "dask":
        workers = {re.search(r"running on Dask worker (\S+)", log).group(1)  # type: ignore[union-attr]
                   for log in env.logs(record.id).values()}
        assert len(workers) == 2, "the jobs did not spread over both workers"


# -- the seed's workspace example --------------------------------------------------------------

def test_seed_workspace_example(make_env: Any) -> None:
    """The seed's ``flow``/``downstream`` example, ``/tmp`` adapted to ``~/tmp`` (each job's
    own HOME), so the file can only reach ``downstream`` through the workspace."""
    [block] = [b for b in seed_blocks() if "echo-output" in b.text]
    text = clean(block.text).replace("working_directory: /tmp", "working_directory: ~/tmp")
    text = text.replace("/tmp/workspace", "~/tmp/workspace")
    env = make_env(text)
    [record] = env.runner.run([env.planned()])
    assert record.status == "success"
    assert statuses(env, record.id) == {"flow": "success", "downstream": "success"}
    assert "It worked!" in env.logs(record.id)["downstream"]
    # the layer is in the run's own store, whichever machine produced it
    assert env.workspace.layers(record.id) == ["flow"]
    attached = env.tmp / "attached"
    assert env.workspace.attach(record.id, ["flow"], attached) == ["flow"]
    assert (attached / "echo-output").read_text() == "Hello, world!\n"


# -- approval, contexts and secrets ------------------------------------------------------------

APPROVAL = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo "built with $PROJECT_TOKEN"}]
  deploy:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo "deploying as $CIRCLE_USERNAME with ${#DEPLOY_KEY} key chars, key $DEPLOY_KEY"
workflows:
  ship:
    jobs:
      - build
      - hold: {type: approval, requires: [build]}
      - deploy: {requires: [hold], context: [deployers]}
"""


def test_approval_then_approve(make_env: Any) -> None:
    env = make_env(APPROVAL)
    contexts = {"deployers": Context("deployers", {"DEPLOY_KEY": SECRET})}
    env.runner = env.make_runner(contexts)
    [record] = env.runner.run([env.planned()], actor="alice")
    assert record.status == "on_hold"
    assert statuses(env, record.id) == {"build": "success", "hold": "on_hold",
                                        "deploy": "blocked"}
    env.runner.executor.close()  # `approve` is another process, with an executor of its own
    env.runner = env.make_runner(contexts)
    done = env.runner.approve(record.id, "hold", "bob")
    assert done.status == "success"
    assert statuses(env, record.id) == {"build": "success", "hold": "success",
                                        "deploy": "success"}
    logs = env.logs(record.id)
    assert "deploying as bob with 18 key chars, key ********" in logs["deploy"]
    assert "built with ********" in logs["build"]
    lines = [e.line for e in env.events if isinstance(e, JobOutput)]
    assert lines and not any(SECRET in line for line in lines)
    assert not any(SECRET in log for log in logs.values())


# -- a failure, then rerun --from-failed -------------------------------------------------------

def test_failure_then_rerun_from_failed(make_env: Any) -> None:
    env = make_env(RERUN, {"check.sh": "echo checking; exit 1\n"})
    [first] = env.runner.run([env.planned()])
    assert first.status == "failed"
    assert statuses(env, first.id) == {"build": "success", "test": "failed",
                                       "deploy": "not_run"}
    assert env.store.get(first.id).jobs["test"].exit_code == 1
    stamp = printed_stamp(env.logs(first.id)["test"])

    (env.repo / "check.sh").write_text("echo checking; exit 0\n", encoding="utf-8")  # the fix
    env.runner.executor.close()
    env.runner = env.make_runner()
    new = env.runner.rerun(first.id, from_failed=True)
    assert new.id != first.id and new.status == "success"
    assert statuses(env, new.id) == {"build": "success", "test": "success",
                                     "deploy": "success"}
    logs = env.logs(new.id)
    assert printed_stamp(logs["test"]) == stamp  # the kept layer is attached
    assert "built-once" in logs["build"]  # build did not run again: its log is kept
    assert "checking" in logs["test"]


# -- caches, artifacts and test timings travel back to the run's stores ------------------------

STORES = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - checkout
      - run: mkdir -p deps reports && echo dependency > deps/lib.txt && cp lock.txt deps/
      - save_cache: {key: 'deps-{{ checksum "lock.txt" }}', paths: [deps]}
      - run: |
          x='<testsuite name="s"><testcase classname="a" name="one" time="1.5"/>'
          printf '%s</testsuite>' "$x" > reports/junit.xml
          echo report > reports/summary.txt
      - store_test_results: {path: reports}
      - store_artifacts: {path: reports, destination: out}
  use:
    docker: [{image: cimg/base:stable}]
    steps:
      - restore_cache: {keys: ['deps-']}
      - run: cat deps/lib.txt deps/lock.txt
workflows:
  w:
    jobs: [build, {use: {requires: [build]}}]
"""


def test_caches_artifacts_and_timings(make_env: Any) -> None:
    env = make_env(STORES, {"lock.txt": "locked-1\n"})
    [record] = env.runner.run([env.planned()])
    assert record.status == "success", env.logs(record.id)
    logs = env.logs(record.id)
    assert "dependency\nlocked-1" in logs["use"]
    [entry] = env.caches.entries()
    assert entry.key.startswith("deps-")
    finished = {e.job: e for e in env.events if isinstance(e, JobFinished)}
    paths = sorted(a.path for a in finished["build"].artifacts)
    assert paths == ["out/junit.xml", "out/summary.txt"]
    for art in finished["build"].artifacts:  # stored on this machine, in the run's store
        assert Path(art.location).is_file()
        assert str(env.tmp / "state" / "artifacts") in str(art.location)
    assert [(t.classname, t.name, t.time) for t in env.timings.load("build")] == \
        [("a", "one", 1.5)]


# -- live output, cancel -----------------------------------------------------------------------

LIVE = """
version: 2.1
jobs:
  talk:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo first-line; sleep 1; echo last-line
  long:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo $$ > "$PIDS/long.pid"; echo long-started; sleep 30; echo never
workflows:
  w:
    jobs: [talk, {long: {requires: [talk]}}]
"""


def test_live_output_and_cancel(make_env: Any, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    env = make_env(LIVE.replace("$PIDS", str(pids)))
    workflow = env.planned()
    record = env.runner.create(workflow)
    seen: Dict[str, float] = {}
    lock = threading.Lock()
    cancels: List[threading.Thread] = []

    def watch(event: Event) -> None:
        if isinstance(event, JobOutput):
            with lock:
                seen.setdefault(event.line, time.monotonic())
        if isinstance(event, JobOutput) and event.line == "long-started":
            cancels.append(threading.Thread(target=env.runner.cancel, args=(record.id,)))
            cancels[-1].start()

    env.runner.subscribe(watch)
    started = time.monotonic()
    [done] = env.runner.drive([record.id])
    took = time.monotonic() - started
    for thread in cancels:
        thread.join(10)
    assert done.status == "canceled"
    assert statuses(env, record.id)["long"] == "canceled"
    assert took < 20, "the canceled job was not stopped"
    pid = int((pids / "long.pid").read_text())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the remote job's process outlived its cancel")
    assert statuses(env, record.id)["talk"] == "success"
    # each line came while its job ran, not all at the end
    assert seen["last-line"] - seen["first-line"] > 0.5
