"""Nothing a job starts outlives it (issue 12): ``setsid`` daemons, double forks and the
daemons of background steps are stopped at the end of the job and named in its log; a
process of another job running at the same time is left alone; a later command that takes
a run over from a killed runner stops what that runner's jobs left.

Real shells, real ``setsid``, real processes found in ``/proc``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, List, Optional

import pytest
from tests.runtime._jobenv import Env
from tests.runtime._procs import pids_with

from workflowcore.planning.plan import PlannedJob, PlannedWorkflow
from workflowcore.runtime._reaper import TOKEN_VARIABLE, new_job_token, stop_job_processes
from workflowcore.runtime.executor import JobResult
from workflowcore.runtime.executors import MockExecutor
from workflowcore.runtime.runner import Runner, owner_alive
from workflowcore.runtime.stores.runstate import InMemoryRunStore

pytestmark = [
    pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc"),
    pytest.mark.skipif(shutil.which("setsid") is None, reason="needs setsid (util-linux)"),
]


def marker() -> str:
    """A ``sleep`` argument no other process has: ``300.<digits>``."""
    return f"300.{uuid.uuid4().int % 10**9:09d}"


def gone_soon(arg: str, seconds: float = 3.0) -> bool:
    end = time.monotonic() + seconds
    while pids_with(arg):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_a_setsid_daemon_is_stopped_and_named(env: Env) -> None:
    mark = marker()
    result = env.run("build", [
        # a copy of sleep named Xvfb: the log names the program as ps would
        {"run": f"cp \"$(command -v sleep)\" ./Xvfb; setsid ./Xvfb {mark} >/dev/null 2>&1 &"},
        {"run": f"sleep 0.3; ps -o sid=,args= -p $(pgrep -f 'Xvfb {mark}') || true"},
    ])
    assert result.status == "success", result.log
    assert pids_with(mark) == []
    stopped = [line for line in result.log.splitlines() if line.startswith("stopped ")]
    assert len(stopped) == 1, result.log
    assert stopped[0].startswith("stopped 1 process the job left running: Xvfb (pid ")


def test_double_forks_nohup_and_background_step_daemons_are_stopped(env: Env) -> None:
    double, nohup, from_background = marker(), marker(), marker()
    result = env.run("build", [
        {"run": {"command": f"setsid sleep {from_background} >/dev/null 2>&1 & sleep 60",
                 "background": True}},
        # double fork: the subshell exits, its child is reparented away from the step
        {"run": f"( (sleep {double} >/dev/null 2>&1 &) & ); true"},
        {"run": f"nohup setsid sleep {nohup} >/dev/null 2>&1 &"},
        {"run": f"sleep 0.3; test -n \"$(pgrep -f 'sleep {from_background}')\""},
    ])
    assert result.status == "success", result.log
    for mark in (double, nohup, from_background):
        assert pids_with(mark) == [], mark
    line = next(x for x in result.log.splitlines() if x.startswith("stopped "))
    assert line.startswith("stopped 3 processes the job left running: "), line
    assert line.count("sleep (pid ") == 3, line


def test_the_config_cannot_set_the_token(env: Env) -> None:
    """The token is set for every step whatever the job's or the step's environment say."""
    mark = marker()
    result = env.run("build", [
        {"run": {"command": f"setsid sleep {mark} >/dev/null 2>&1 &",
                 "environment": {TOKEN_VARIABLE: "from-step"}}},
        {"run": "sleep 0.3"},  # time to exec: the log names processes as found
    ], definition={"environment": {TOKEN_VARIABLE: "from-config"}})
    assert result.status == "success", result.log
    assert pids_with(mark) == []
    assert re.search(r"stopped 1 process the job left running: sleep \(pid \d+\)$",
                     result.log), result.log


def test_a_job_that_leaves_nothing_says_nothing(env: Env) -> None:
    result = env.run("build", [{"run": "sleep 0.1 & wait"}])
    assert result.status == "success", result.log
    assert "left running" not in result.log


def test_two_jobs_at_once_stop_only_their_own_processes(tmp_path: Path) -> None:
    env = Env(tmp_path)
    mine, theirs = marker(), marker()
    results: dict[str, JobResult] = {}

    def run(name: str, steps: List[Any]) -> None:
        results[name] = env.run(name, steps)

    long_job = threading.Thread(target=run, args=("long", [
        {"run": f"setsid sleep {theirs} >/dev/null 2>&1 &"},
        {"run": "sleep 3"},
    ]))
    long_job.start()
    end = time.monotonic() + 10
    while not pids_with(theirs) and time.monotonic() < end:
        time.sleep(0.05)
    run("short", [{"run": f"setsid sleep {mine} >/dev/null 2>&1 &"}, {"run": "sleep 0.3"}])
    # the short job has ended: its daemon is gone, the other job's is untouched
    assert pids_with(mine) == []
    assert pids_with(theirs), "the other job's process was stopped"
    assert long_job.is_alive()
    long_job.join(30)
    assert pids_with(theirs) == []
    assert results["short"].status == results["long"].status == "success"
    assert results["short"].log.count("sleep (pid ") == 1
    assert results["long"].log.count("sleep (pid ") == 1


def _orphan(token: str, mark: str) -> subprocess.Popen[bytes]:
    """A process as a killed runner's job leaves it: own session, the job's token."""
    return subprocess.Popen(["sleep", mark], env={**os.environ, TOKEN_VARIABLE: token},
                            start_new_session=True)


def test_a_run_taken_over_from_a_dead_runner_stops_its_daemons() -> None:
    store = InMemoryRunStore()
    wf = PlannedWorkflow("w", True, None, (PlannedJob("a", "a", definition={"steps": []}),))
    record = Runner(MockExecutor(lambda r: 0), store).create(wf)
    mark, other = marker(), marker()
    left = _orphan(new_job_token(record.id), mark)
    unrelated = _orphan(new_job_token(record.id + "-another-run"), other)
    try:
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dead = f"{socket.gethostname()}:{gone}:0:dead"
        assert not owner_alive(dead)
        assert store.claim(record.id, dead, None)
        done = Runner(MockExecutor(lambda r: 0), store, owner="live-host:2:0:y",
                      kill_grace=0.5).resume(record.id)
        assert done.status == "success"
        assert left.wait(5) is not None  # stopped (SIGTERM), and reaped here
        assert unrelated.poll() is None  # another run's process: left alone
    finally:
        for proc in (left, unrelated):
            proc.kill()
            proc.wait()


def test_sigterm_is_tried_before_sigkill() -> None:
    """A process that handles SIGTERM gets to exit on it within the grace period."""
    token = new_job_token("run-x")
    script = ("import signal, sys, time\n"
              "signal.signal(signal.SIGTERM, lambda *a: sys.exit(7))\n"
              "print('ready', flush=True)\n"
              "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            env={**os.environ, TOKEN_VARIABLE: token}, start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    proc.stdout.close()
    lines = stop_job_processes(token, grace=5)
    code: Optional[int] = proc.wait(5)
    assert code == 7  # exited through its SIGTERM handler, not killed
    assert lines and lines[0].startswith("stopped 1 process the job left running: python")
