"""``workflowcore run --executor dask`` end to end: the CLI starts a ``LocalCluster`` of worker
processes (``--workers``), runs, and tears it down; the commands on stored runs (``approve``,
``resume``) start one of their own, as a later invocation would."""

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

from ..cli._repo import make_repo, wfc, wfc_env

pytestmark = [pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX-only"),
              pytest.mark.slow]
pytest.importorskip("distributed")

APPROVAL = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - checkout
      - run: mkdir -p out && cat marker.txt > out/m && echo built
      - persist_to_workspace: {root: out, paths: [m]}
  deploy:
    docker: [{image: cimg/base:stable}]
    steps:
      - attach_workspace: {at: ws}
      - run: echo "deploying $(cat ws/m) as $CIRCLE_USERNAME"
workflows:
  ship:
    jobs:
      - build
      - hold: {type: approval, requires: [build]}
      - deploy: {requires: [hold]}
"""


def _doc(proc: subprocess.CompletedProcess[str]) -> Dict[str, Any]:
    assert proc.stdout, proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def test_run_on_a_local_cluster_then_approve(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, APPROVAL, {"marker.txt": "committed\n"})
    (repo / "marker.txt").write_text("work-in-progress\n", encoding="utf-8")  # uncommitted
    proc = wfc(repo, "run", "--branch", "main", "--executor", "dask", "--workers", "2",
               "--actor", "alice", "--format", "json", timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    [wf] = _doc(proc)["workflows"]
    assert {n: j["status"] for n, j in wf["jobs"].items()} == {
        "build": "success", "hold": "on_hold", "deploy": "blocked"}
    ok = wfc(repo, "approve", wf["id"], "hold", "--actor", "bob", "--format", "json",
             timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert _doc(ok)["status"] == "success"
    for stderr in (proc.stderr, ok.stderr):  # closing the cluster logs no cancelled wait
        assert "Traceback" not in stderr and " - ERROR - " not in stderr, stderr
    logs = _doc(wfc(repo, "logs", wf["id"], "--format", "json"))["logs"]
    assert "running on Dask worker tcp://127.0.0.1:" in logs["build"]
    assert "deploying work-in-progress as bob" in logs["deploy"]


def test_dask_options_without_the_dask_executor_are_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, APPROVAL, {"marker.txt": "x\n"})
    proc = wfc(repo, "run", "--branch", "main", "--workers", "2")
    assert proc.returncode == 2
    assert "--workers and --dask-scheduler are options of the dask executor" in proc.stderr
    assert "Traceback" not in proc.stderr


SLOW = """
version: 2.1
jobs:
  first:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: mkdir -p out && echo first-data > out/data.txt && echo first-ran
      - persist_to_workspace: {root: out, paths: [data.txt]}
  slow:
    docker: [{image: cimg/base:stable}]
    steps:
      - attach_workspace: {at: ws}
      - run: sleep 2 && echo "got $(cat ws/data.txt)" && echo slow-done
workflows:
  w:
    jobs: [first, {slow: {requires: [first]}}]
"""


def test_client_killed_mid_run_then_resume_keeps_finished_jobs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, SLOW)
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflowcore", "run", "--branch", "main", "--executor", "dask",
         "--workers", "1", "--progress", "plain"], cwd=repo, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=wfc_env(), start_new_session=True)
    lines: List[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "[w] slow | ==> sleep 2" in line:
                break
        assert any("slow | ==> sleep 2" in line for line in lines), lines
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the client and its local cluster, at once
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            assert stream is not None
            stream.close()
    wid = next(re.search(r"started: (\S+)", line).group(1)  # type: ignore[union-attr]
               for line in lines if "started: " in line)
    resumed = wfc(repo, "resume", wid, "--executor", "dask", "--workers", "1",
                  "--format", "json", timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert {n: j["status"] for n, j in _doc(resumed)["jobs"].items()} == {
        "first": "success", "slow": "success"}
    logs = _doc(wfc(repo, "logs", wid, "--format", "json"))["logs"]
    assert re.findall(r"^first-ran$", logs["first"], re.M) == ["first-ran"]
    # the layer came back to the run's store before `first` was recorded finished
    assert "got first-data" in logs["slow"] and "slow-done" in logs["slow"]


CHAIN = """
version: 2.1
jobs:
  a: {docker: [{image: x}], steps: [checkout, {run: echo hello}]}
  b: {docker: [{image: x}], steps: [{run: echo world}]}
workflows:
  w: {jobs: [a, {b: {requires: [a]}}]}
"""


def test_closing_the_cluster_prints_no_traceback(tmp_path: Path) -> None:
    # regression: a job's cancel watcher still waiting on its Dask Event when the run ended
    # made the closing scheduler log "distributed.event - ERROR" with a traceback
    repo = make_repo(tmp_path, CHAIN)
    proc = wfc(repo, "run", "--branch", "main", "--executor", "dask", "--workers", "2",
               timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and " - ERROR - " not in proc.stderr, proc.stderr
