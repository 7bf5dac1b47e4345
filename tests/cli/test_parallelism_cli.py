"""``parallelism: 3`` through the real CLI: ``run``, ``status`` and ``logs --node`` in a
temporary git repository (``python -m workflowcore``, real shells, real SQLite)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

from ._repo import make_repo, wfc

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX-only")

CONFIG = """
version: 2.1
jobs:
  test:
    docker: [{image: cimg/base:stable}]
    parallelism: 3
    steps:
      - run: |
          echo "hello from node $CIRCLE_NODE_INDEX of $CIRCLE_NODE_TOTAL"
          if [ "$CIRCLE_NODE_INDEX" = 2 ]; then exit 4; fi
workflows:
  main:
    jobs: [test]
"""


def as_json(proc: subprocess.CompletedProcess[str]) -> Dict[str, Any]:
    assert proc.stdout, proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def test_run_status_and_node_logs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CONFIG)
    proc = wfc(repo, "run", "--branch", "main")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a node failed: the run failed
    # live progress names the node
    assert "[main] test: started as " in proc.stdout and ", 3 nodes" in proc.stdout
    assert "[main] test[1/3] | hello from node 1 of 3" in proc.stdout
    assert "[main] test[2/3]: FAILED (exit 4" in proc.stdout
    [wid] = re.findall(r"^\d\d:\d\d:\d\d workflow main started: (\S+) ", proc.stdout, re.M)

    status = wfc(repo, "status", wid, "--format", "json")
    assert status.returncode == 0, status.stderr
    wf = as_json(status)
    assert wf["version"] == 1 and wf["id"] == wid
    job = wf["jobs"]["test"]
    assert (job["status"], job["exit_code"]) == ("failed", 4)
    assert job["message"].startswith("node 2 of 3 failed; test[2/3]: ")
    assert [(n["index"], n["status"], n["exit_code"]) for n in job["nodes"]] == [
        (0, "success", 0), (1, "success", 0), (2, "failed", 4)]
    assert all(isinstance(n["duration"], float) for n in job["nodes"])

    text = wfc(repo, "status", wf["id"])
    assert text.returncode == 0, text.stderr
    assert "[2/3]  failed" in text.stdout and "exit 4" in text.stdout

    one = wfc(repo, "logs", wf["id"], "test", "--node", "1")
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith("==> test[1/3] (success)\n")
    assert "hello from node 1 of 3" in one.stdout
    assert "node 0" not in one.stdout and "node 2" not in one.stdout

    as_doc = as_json(wfc(repo, "logs", wf["id"], "test", "--node", "2", "--format", "json"))
    assert as_doc["node"] == 2
    assert "hello from node 2 of 3" in as_doc["logs"]["test"]

    every = wfc(repo, "logs", wf["id"], "test")
    assert every.returncode == 0, every.stderr
    assert [line for line in every.stdout.splitlines() if line.startswith("==> test")] == [
        "==> test (failed)", "==> test[0/3] (success)", "==> test[1/3] (success)",
        "==> test[2/3] (failed)"]


def test_logs_node_errors_are_one_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CONFIG)
    proc = wfc(repo, "run", "--branch", "main", "--format", "json")
    [wf] = as_json(proc)["workflows"]
    assert [n["index"] for n in wf["jobs"]["test"]["nodes"]] == [0, 1, 2]  # `run` JSON too
    missing = wfc(repo, "logs", wf["id"], "test", "--node", "3")
    assert missing.returncode == 2
    assert "ran 3 nodes (0-2); there is no node 3" in missing.stderr
    assert "Traceback" not in missing.stderr
    no_job = wfc(repo, "logs", wf["id"], "--node", "1")
    assert no_job.returncode == 2 and "--node needs a JOB" in no_job.stderr
    bad = wfc(repo, "logs", wf["id"], "test", "--node", "x")
    assert bad.returncode == 2 and "--node takes a node index" in bad.stderr
