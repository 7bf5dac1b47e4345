"""The isolating mode of the subprocess executor (issue 12): ``SubprocessExecutor(...,
isolate=True)``. Real namespaces (``unshare``/``nsenter``), real jobs, real files.

Skipped, with the reason shown, where this machine cannot create the namespaces.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import List

import pytest
from tests.runtime._jobenv import Env
from tests.runtime._procs import pids_with

from workflowcore.cli._common import UsageError
from workflowcore.cli._runtools import make_executor, open_state
from workflowcore.errors import ExecutorError
from workflowcore.runtime.executor import JobResult
from workflowcore.runtime.executors import SubprocessExecutor
from workflowcore.runtime.executors._isolation import Isolation, probe_isolation


def _probe() -> str:
    try:
        probe_isolation()
    except ExecutorError as exc:
        return str(exc)
    return ""


_WHY_NOT = _probe()
needs_isolation = pytest.mark.skipif(bool(_WHY_NOT), reason=f"!!! ISOLATION TESTS SKIPPED: "
                                                            f"{_WHY_NOT}")


class IsolatedEnv(Env):
    def __init__(self, tmp: Path, *, user_namespace: bool = False) -> None:
        super().__init__(tmp)
        self.executor = SubprocessExecutor(tmp / "run", None, kill_grace=0.5, isolate=True)
        if user_namespace:  # the path a non-root user takes (it works for root too)
            assert self.executor.isolation is not None
            iso = self.executor.isolation
            self.executor.isolation = Isolation(iso.unshare, iso.nsenter, iso.python,
                                                user_namespace=True)

    def job_dir(self, job: str) -> Path:
        return self.tmp / "run" / "wf-1" / job


def outputs(result: JobResult) -> List[str]:
    return [s.output for s in result.steps]


@pytest.fixture
def env(tmp_path: Path) -> IsolatedEnv:
    return IsolatedEnv(tmp_path)


@needs_isolation
def test_an_isolated_job_sees_circleci_paths_and_a_private_tmp(env: IsolatedEnv) -> None:
    name = f"wfc-isolation-{uuid.uuid4().hex}"
    result = env.run("build", [
        {"run": "echo $HOME; pwd; echo ~/project"},
        {"run": f"echo private > /tmp/{name}; ls /tmp"},
        {"run": f"cat /tmp/{name}"},  # the next step is in the same namespaces
        # the job's own files, at the path the job sees
        {"run": "echo $WORKFLOWCORE_JOB_DIR; test -f \"$BASH_ENV\" && "
                "test -f \"$WORKFLOWCORE_JOB_DIR/steps/step-003\" && echo found"},
    ])
    assert result.status == "success", result.log
    assert outputs(result)[0].splitlines() == ["/home/circleci", "/home/circleci/project",
                                                "/home/circleci/project"]
    assert outputs(result)[2] == "private"
    assert outputs(result)[3].splitlines() == ["/tmp/.workflowcore-job", "found"]
    assert not os.path.exists(f"/tmp/{name}")  # not on this machine's /tmp
    assert (env.job_dir("build") / "tmp" / name).read_text() == "private\n"
    assert (env.job_dir("build") / "home" / "project").is_dir()


@needs_isolation
def test_nothing_an_isolated_job_starts_outlives_it(env: IsolatedEnv) -> None:
    plain, cleared, background = (f"300.{uuid.uuid4().int % 10**9:09d}" for _ in range(3))
    result = env.run("build", [
        {"run": {"command": f"setsid sleep {background} >/dev/null 2>&1 & sleep 60",
                 "background": True}},
        {"run": f"setsid sleep {plain} >/dev/null 2>&1 &"},
        # a cleared environment has no job token: the PID namespace still catches it
        {"run": f"env -i setsid sleep {cleared} >/dev/null 2>&1 &"},
        {"run": f"sleep 0.3; pgrep -f 'sleep {plain}' >/dev/null"},  # still there in-job
    ])
    assert result.status == "success", result.log
    for mark in (plain, cleared, background):
        assert pids_with(mark) == [], mark
    stopped = " ".join(line for line in result.log.splitlines() if line.startswith("stopped "))
    assert stopped.count("sleep (pid ") == 3, result.log


@needs_isolation
def test_workspaces_and_caches_work_from_home_circleci_project(env: IsolatedEnv) -> None:
    produced = env.run("build", [
        {"run": "mkdir -p out && echo built > out/a && ln -s /home/circleci/project/out/a "
                "abs-link && python3 -m venv --without-pip venv"},
        {"persist_to_workspace": {"root": "/home/circleci/project",
                                  "paths": ["out", "abs-link", "venv"]}},
        {"save_cache": {"key": "out-v1", "paths": ["/home/circleci/project/out"]}},
    ])
    assert produced.status == "success", produced.log
    consumed = env.run("test", [
        {"attach_workspace": {"at": "/home/circleci/project"}},
        {"run": "readlink abs-link; cat abs-link; venv/bin/python -c "
                "'import sys; print(sys.prefix)'"},
        {"run": "rm -rf out"},
        {"restore_cache": {"key": "out-v1"}},
        {"run": "cat ~/project/out/a"},
    ], upstream_jobs=("build",))
    assert consumed.status == "success", consumed.log
    assert outputs(consumed)[1].splitlines() == [
        "/home/circleci/project/out/a", "built", "/home/circleci/project/venv"]
    assert outputs(consumed)[4] == "built"
    assert "Found a cache from key out-v1" in consumed.log


@needs_isolation
def test_a_root_through_a_link_is_followed_as_the_job_sees_it(env: IsolatedEnv) -> None:
    """``dist -> /home/circleci/project/out`` leads nowhere on this machine, but inside the
    job's directory for the job: it is followed, not refused."""
    result = env.run("build", [
        {"run": "mkdir out && echo x > out/f && ln -s /home/circleci/project/out dist"},
        {"persist_to_workspace": {"root": "dist", "paths": ["f"]}},
        {"run": "ln -s /etc outside"},
        {"persist_to_workspace": {"root": "outside", "paths": ["hostname"]}},
    ])
    assert [s.status for s in result.steps] == ["success", "success", "success", "failed"]
    assert "/home/circleci/project/outside, a symlink to '/etc'" in (result.steps[3].note or "")


@needs_isolation
def test_the_user_namespace_path_works(tmp_path: Path) -> None:
    env = IsolatedEnv(tmp_path, user_namespace=True)
    mark = f"300.{uuid.uuid4().int % 10**9:09d}"
    result = env.run("build", [
        {"run": f"id -u; echo $HOME; setsid sleep {mark} >/dev/null 2>&1 & sleep 0.2"},
    ])
    assert result.status == "success", result.log
    assert outputs(result)[0].splitlines()[:2] == ["0", "/home/circleci"]
    assert pids_with(mark) == []


def test_isolation_that_cannot_work_fails_at_creation(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ExecutorError, match=r"unshare and nsenter not found on PATH.*"
                                            r"run without --isolate"):
        SubprocessExecutor(tmp_path / "run", isolate=True)
    state = open_state(str(tmp_path / "state"), create=True)
    with pytest.raises(UsageError, match=r"^--isolate: cannot isolate jobs"):
        make_executor("subprocess", state, None, isolate=True)
    with pytest.raises(UsageError, match="option of the subprocess executor"):
        make_executor("docker", state, None, isolate=True)


@needs_isolation
def test_the_cli_runs_a_workflow_isolated(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / ".circleci").mkdir(parents=True)
    (project / ".circleci" / "config.yml").write_text(
        "version: 2.1\n"
        "jobs:\n"
        "  build:\n"
        "    docker: [{image: cimg/base:stable}]\n"
        "    steps:\n"
        "      - checkout\n"
        "      - run: test \"$HOME\" = /home/circleci && test \"$(pwd)\" = "
        "/home/circleci/project && cat README\n"
        "workflows:\n"
        "  main:\n"
        "    jobs: [build]\n")
    (project / "README").write_text("hello from the repo\n")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run([*git, *argv], cwd=project, check=True)
    proc = subprocess.run(
        [sys.executable, "-m", "workflowcore", "run", "--isolate", "-b", "main",
         "--state-dir", str(tmp_path / "state")],
        cwd=project, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "hello from the repo" in proc.stdout
    assert "isolated (" in proc.stdout


