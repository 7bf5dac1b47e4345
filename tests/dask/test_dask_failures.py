"""The Dask executor when the cluster misbehaves: a worker process SIGKILLed in the middle of a
job, a job whose ``resource_class`` no worker offers. Real ``LocalCluster`` processes (this
module's own cluster: killing a worker never damages another module's)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
from pathlib import Path
from typing import Any, List

import pytest

from workflowcore.runtime.events import Event, JobOutput

from .test_dask_scenarios import Env, statuses

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX-only")

KILL = """
version: 2.1
jobs:
  victim:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: |
          if [ -f "@OUT@/first" ]; then echo second-attempt; exit 0; fi
          touch "@OUT@/first"; echo $$ > "@OUT@/victim.pid"; echo victim-started; sleep 30
  bystander:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo bystander-ran}]
  after:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo after-ran}]
workflows:
  w:
    jobs: [victim, bystander, {after: {requires: [victim]}}]
"""


class Killer:
    """Kills the worker process that runs ``victim`` once the job has started."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.worker: str = ""
        self.killed: List[int] = []
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if not isinstance(event, JobOutput) or event.job != "victim":
            return
        found = re.match(r"running on Dask worker (\S+)", event.line)
        if found and not self.killed:
            self.worker = found.group(1)
        if event.line == "victim-started":
            with self.lock:
                if self.killed:
                    return
                pid = self.client.run(os.getpid)[self.worker]
                os.kill(pid, signal.SIGKILL)
                self.killed.append(pid)


def _stop_orphan(out: Path) -> None:
    """The dead worker's job processes outlive it (documented): stop them."""
    pid_file = out / "victim.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)


def _env(tmp_path: Path, client: Any, **options: Any) -> Env:
    out = tmp_path / "out"
    out.mkdir()
    return Env(tmp_path, "dask", client, KILL.replace("@OUT@", str(out)), **options)


def test_killed_worker_job_is_retried_once(tmp_path: Path, client: Any) -> None:
    env = _env(tmp_path, client)
    killer = Killer(client)
    env.runner.subscribe(killer)
    try:
        [record] = env.runner.run([env.planned()])
        jobs = statuses(env, record.id)
        log = env.logs(record.id)["victim"]
    finally:
        _stop_orphan(tmp_path / "out")
        env.close()
    assert killer.killed, "the victim never started"
    assert record.status == "success"
    assert jobs == {"victim": "success", "bystander": "success", "after": "success"}
    assert f"the Dask worker {killer.worker} running this job died" in log
    assert "(attempt 2 of 2)" in log and "second-attempt" in log
    lines = log.splitlines()
    died = next(i for i, line in enumerate(lines) if "died" in line)
    assert lines.index("victim-started") < died < lines.index("second-attempt")


def test_killed_worker_without_retry_fails_the_job_then_rerun(tmp_path: Path,
                                                              client: Any) -> None:
    env = _env(tmp_path, client, retries=0)
    killer = Killer(client)
    env.runner.subscribe(killer)
    try:
        [record] = env.runner.run([env.planned()])
    finally:
        _stop_orphan(tmp_path / "out")
    assert killer.killed
    assert record.status == "failed"
    assert statuses(env, record.id) == {"victim": "failed", "bystander": "success",
                                        "after": "not_run"}
    victim = env.store.get(record.id).jobs["victim"]
    assert victim.message is not None
    assert "died" in victim.message and "infrastructure" in victim.message
    assert "victim-started" in env.logs(record.id)["victim"]
    # the run state is consistent: rerun --from-failed runs the victim and what follows
    env.runner.executor.close()
    env.runner = env.make_runner()
    try:
        new = env.runner.rerun(record.id, from_failed=True)
        assert new.status == "success"
        assert statuses(env, new.id) == {"victim": "success", "bystander": "success",
                                         "after": "success"}
        assert "bystander-ran" in env.logs(new.id)["bystander"]  # kept, not run again
        assert "second-attempt" in env.logs(new.id)["victim"]
    finally:
        env.close()


WANTS = """
version: 2.1
jobs:
  big:
    docker: [{image: cimg/base:stable}]
    resource_class: xlarge
    steps: [{run: echo never-runs}]
workflows:
  w:
    jobs: [big]
"""


def test_a_resource_no_worker_offers_waits_with_a_message(tmp_path: Path,
                                                          client: Any) -> None:
    env = Env(tmp_path, "dask", client, WANTS, enforce_resources=True)
    record = env.runner.create(env.planned())
    said = threading.Event()
    cancels: List[threading.Thread] = []

    def watch(event: Event) -> None:
        if isinstance(event, JobOutput) and event.line.startswith("waiting:"):
            said.set()
            cancels.append(threading.Thread(target=env.runner.cancel, args=(record.id,)))
            cancels[-1].start()

    env.runner.subscribe(watch)
    try:
        [done] = env.runner.drive([record.id])
        for thread in cancels:
            thread.join(10)
        log = env.logs(record.id)["big"]
    finally:
        env.close()
    assert said.is_set()
    assert done.status == "canceled"
    assert "no worker of the Dask cluster" in log and "xlarge=1" in log
    assert "--resources" in log and "never-runs" not in log
