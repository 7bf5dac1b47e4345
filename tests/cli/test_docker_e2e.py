"""``workflowcore run --executor docker`` end to end: the real CLI, a real engine, real
containers (tests marked ``docker``; skipped loudly without an engine, see
``tests/docker_engine.py``).

Each test builds its own git repository; every test checks that no container of its runs
is left on the engine.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from workflowcore.runtime.executors.docker import DockerExecutor

from ..docker_engine import IMAGE, containers, docker, docker_engine
from ..seed import clean, seed_blocks
from ._repo import make_repo, wfc_env
from ._repo import wfc as _wfc

__all__ = ["docker_engine"]  # the fixture, imported for pytest

pytestmark = [pytest.mark.docker,
              pytest.mark.skipif(os.name != "posix", reason="POSIX-only (process groups)")]

SECRET = "d0cker-S3cret-Value-77"


def wfc(repo: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return _wfc(repo, *args, timeout=timeout)


def run_json(repo: Path, *args: str) -> Dict[str, Any]:
    proc = wfc(repo, *args, "--executor", "docker", "--format", "json")
    assert proc.stdout, proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    data["_returncode"] = proc.returncode
    data["_stderr"] = proc.stderr
    return data


def statuses(workflow: Dict[str, Any]) -> Dict[str, str]:
    return {name: j["status"] for name, j in workflow["jobs"].items()}


def logs(repo: Path, wid: str) -> Dict[str, str]:
    proc = wfc(repo, "logs", wid, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return {k: v or "" for k, v in json.loads(proc.stdout)["logs"].items()}


@pytest.fixture
def no_leftovers(docker_engine: str) -> Any:
    """Collects the workflow run ids of a test; none may keep a container."""
    ids: List[str] = []
    yield ids
    for wid in ids:
        assert containers(wid) == [], f"run {wid} left containers behind"


# -- the seed's workspace example ------------------------------------------------------------

def test_seed_workspace_example_as_written(tmp_path: Path, no_leftovers: List[str]) -> None:
    """The seed's ``flow``/``downstream`` example, unchanged: ``working_directory: /tmp`` in
    image ``buildpack-deps:jessie``. Each job has its own container, so its own /tmp: the
    file reaches ``downstream`` only through the workspace, as on CircleCI."""
    if docker("image", "inspect", "buildpack-deps:jessie", check=False).returncode != 0:
        docker("tag", IMAGE, "buildpack-deps:jessie")  # offline stand-in (start-docker.sh)
    [block] = [b for b in seed_blocks() if "echo-output" in b.text]
    text = clean(block.text)
    if docker("run", "--rm", "buildpack-deps:jessie", "test", "-x", "/bin/bash",
               check=False).returncode != 0:  # a stand-in without bash: POSIX test instead
        text = text.replace("[[ `cat /tmp/workspace/echo-output` == \"Hello, world!\" ]]",
                            "[ \"$(cat /tmp/workspace/echo-output)\" = \"Hello, world!\" ]")
    repo = make_repo(tmp_path, text)
    doc = run_json(repo, "run", "--branch", "main")
    assert doc["_returncode"] == 0, doc["_stderr"]
    [wf] = doc["workflows"]
    no_leftovers.append(wf["id"])
    assert wf["name"] == "btd" and wf["status"] == "success"
    assert statuses(wf) == {"flow": "success", "downstream": "success"}
    found = logs(repo, wf["id"])
    assert "It worked!" in found["downstream"]
    assert "primary container: buildpack-deps:jessie" in found["flow"]
    assert "persisted /tmp/workspace/echo-output" in found["flow"]


# -- fan-out / fan-in ------------------------------------------------------------------------

FAN = f"""
version: 2.1
jobs:
  build:
    docker: [{{image: {IMAGE}}}]
    steps:
      - run: mkdir -p ws && echo base > ws/base.txt
      - persist_to_workspace: {{root: ws, paths: [base.txt]}}
  test:
    parameters: {{n: {{type: integer}}}}
    docker: [{{image: {IMAGE}}}]
    steps:
      - attach_workspace: {{at: ws}}
      - run: |
          echo "start $(cut -d' ' -f1 /proc/uptime)"
          sleep 2
          echo "<< parameters.n >>:$(cat ws/base.txt)" > ws/part-<< parameters.n >>.txt
          echo "end $(cut -d' ' -f1 /proc/uptime)"
      - persist_to_workspace: {{root: ws, paths: [part-<< parameters.n >>.txt]}}
  merge:
    docker: [{{image: {IMAGE}}}]
    steps:
      - attach_workspace: {{at: /tmp/all}}
      - run: cat /tmp/all/part-*.txt; ls /tmp/all
workflows:
  fan:
    jobs:
      - build
      - test: {{name: t1, n: 1, requires: [build]}}
      - test: {{name: t2, n: 2, requires: [build]}}
      - test: {{name: t3, n: 3, requires: [build]}}
      - merge: {{requires: [t1, t2, t3]}}
"""


def test_fan_out_fan_in(tmp_path: Path, no_leftovers: List[str]) -> None:
    repo = make_repo(tmp_path, FAN)
    started = time.monotonic()
    doc = run_json(repo, "run", "--branch", "main", "--max-parallel", "3")
    elapsed = time.monotonic() - started
    assert doc["_returncode"] == 0, doc["_stderr"]
    [wf] = doc["workflows"]
    no_leftovers.append(wf["id"])
    assert set(statuses(wf).values()) == {"success"}
    found = logs(repo, wf["id"])
    assert "1:base\n2:base\n3:base\nbase.txt\npart-1.txt\npart-2.txt\npart-3.txt" in \
        found["merge"]
    # containers share the kernel: /proc/uptime is one clock for all of them
    times = {name: [float(x) for x in re.findall(r"^(?:start|end) ([\d.]+)$", found[name],
                                                  re.M)]
             for name in ("t1", "t2", "t3")}
    assert max(t[0] for t in times.values()) < min(t[1] for t in times.values()), \
        "the fanned-out jobs did not overlap"
    assert elapsed < 6 * 2, f"three 2s jobs in parallel took {elapsed:.1f}s in all"


# -- failure, rerun from failed ------------------------------------------------------------------

RERUN = f"""
version: 2.1
jobs:
  build:
    docker: [{{image: {IMAGE}}}]
    steps:
      - run: mkdir -p out && cat /proc/sys/kernel/random/uuid > out/stamp && echo built-once
      - persist_to_workspace: {{root: out, paths: [stamp]}}
  test:
    docker: [{{image: {IMAGE}}}]
    steps:
      - checkout
      - attach_workspace: {{at: /tmp/ws}}
      - run: echo "stamp $(cat /tmp/ws/stamp)"; sh check.sh
      - run:
          when: on_fail
          command: echo cleanup-after-failure
  deploy:
    docker: [{{image: {IMAGE}}}]
    steps: [{{run: echo deployed}}]
workflows:
  w:
    jobs: [build, {{test: {{requires: [build]}}}}, {{deploy: {{requires: [test]}}}}]
"""


def test_a_failing_job_then_rerun_from_failed(tmp_path: Path, no_leftovers: List[str]) -> None:
    repo = make_repo(tmp_path, RERUN, {"check.sh": "echo checking; exit 3\n"})
    first = run_json(repo, "run", "--branch", "main")
    assert first["_returncode"] == 1, first["_stderr"]
    [wf] = first["workflows"]
    no_leftovers.append(wf["id"])
    assert statuses(wf) == {"build": "success", "test": "failed", "deploy": "not_run"}
    assert wf["jobs"]["test"]["exit_code"] == 3
    old_logs = logs(repo, wf["id"])
    assert "cleanup-after-failure" in old_logs["test"]
    [stamp] = re.findall(r"^stamp (\S+)$", old_logs["test"], re.M)

    (repo / "check.sh").write_text("echo checking; exit 0\n", encoding="utf-8")  # the fix
    new = run_json(repo, "rerun", wf["id"], "--from-failed")
    assert new["_returncode"] == 0, new["_stderr"]
    no_leftovers.append(new["id"])
    assert statuses(new) == {"build": "success", "test": "success", "deploy": "success"}
    new_logs = logs(repo, new["id"])
    assert re.findall(r"^stamp (\S+)$", new_logs["test"], re.M) == [stamp], \
        "build ran again instead of its workspace layer being kept"


# -- services ---------------------------------------------------------------------------------

SERVICE = f"""
version: 2.1
jobs:
  client:
    docker:
      - image: {IMAGE}
      - image: {IMAGE}
        name: cache
        command: ["/bin/sh", "-c", "while true; do echo PONG | nc -l -p 6379; done"]
      - image: {IMAGE}
        name: web
        command:
          - /bin/sh
          - -c
          - mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -p 8080 -h /www
    steps:
      - run: |
          for i in $(seq 100); do
            wget -q -O- http://localhost:8080/ 2>/dev/null && break; sleep 0.1
          done
          wget -q -O- http://web:8080/
          for i in $(seq 100); do
            r=$(echo PING | nc cache 6379 2>/dev/null) && [ -n "$r" ] && break; sleep 0.1
          done
          echo "cache says $r"
workflows:
  w:
    jobs: [client]
"""


def test_service_containers_reachable_from_the_primary(tmp_path: Path,
                                                       no_leftovers: List[str]) -> None:
    repo = make_repo(tmp_path, SERVICE)
    doc = run_json(repo, "run", "--branch", "main")
    [wf] = doc["workflows"]
    no_leftovers.append(wf["id"])
    assert doc["_returncode"] == 0, logs(repo, wf["id"])
    log = logs(repo, wf["id"])["client"]
    assert "hello-web\nhello-web" in log
    assert "cache says PONG" in log


# -- masking -------------------------------------------------------------------------------------

MASKING = f"""
version: 2.1
jobs:
  leak:
    docker: [{{image: {IMAGE}}}]
    steps:
      - run: |
          echo "token=$TOKEN"
          echo "stderr $TOKEN" >&2
          printf 'no newline %s' "$TOKEN"
      - run: echo "failing with $TOKEN"; exit 3
workflows:
  w:
    jobs: [{{leak: {{context: [secrets]}}}}]
"""
CONTEXTS = f"""
contexts:
  secrets:
    environment: {{TOKEN: "{SECRET}"}}
"""


def test_context_secrets_are_masked_in_container_output(tmp_path: Path,
                                                        no_leftovers: List[str]) -> None:
    repo = make_repo(tmp_path, MASKING, {".circleci/contexts.yml": CONTEXTS})
    proc = wfc(repo, "run", "--branch", "main", "--executor", "docker")
    assert proc.returncode == 1
    assert SECRET not in proc.stdout + proc.stderr
    assert "[w] leak | token=********" in proc.stdout
    assert "[w] leak | no newline ********" in proc.stdout
    [wid] = re.findall(r"workflow w started: (\S+)", proc.stdout + proc.stderr)
    no_leftovers.append(wid)
    log = logs(repo, wid)["leak"]
    assert SECRET not in log
    assert "stderr ********" in log and "failing with ********" in log


# -- a run killed mid-way ---------------------------------------------------------------------

KILLED = f"""
version: 2.1
jobs:
  slow:
    docker:
      - image: {IMAGE}
      - image: {IMAGE}
        command: ["sleep", "600"]
    steps:
      - run: echo job-is-running; sleep 120
workflows:
  w:
    jobs: [slow]
"""


def test_a_killed_run_leaves_no_container(tmp_path: Path, docker_engine: str) -> None:
    repo = make_repo(tmp_path, KILLED)
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflowcore", "run", "--branch", "main", "--executor",
         "docker"], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=wfc_env(), start_new_session=True)
    wid = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.search(r"workflow w started: (\S+)", line)
            if m:
                wid = m.group(1)
            if "job-is-running" in line:
                break
        assert wid is not None
        assert len(containers(wid)) == 2  # primary + service
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its children, no goodbye
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    # the primary container removes itself once its owner is gone ...
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(containers(wid)) > 1:
        time.sleep(0.2)
    left = containers(wid)
    assert len(left) <= 1, left
    # ... and cleanup(run id), which the next command on the run calls, removes the rest
    executor = DockerExecutor(tmp_path / "any")
    assert executor.cleanup(wid) == len(left)
    assert containers(wid) == []
