"""``status`` says what triggered a run and when it ran, with each node's result; ``logs
--step`` prints one step of a job's log (issue 12)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.cli._repo import make_repo, wfc

CONFIG = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: {name: Say hello, command: echo hello}
      - run: {name: Build it, command: echo compiling; echo built}
      - run: {name: Build docs, command: echo docs}
  test:
    docker: [{image: cimg/base:stable}]
    parallelism: 2
    steps:
      - run: {name: Prepare, command: echo ready}
      - run: {name: Run tests, command: 'echo "tests on node $CIRCLE_NODE_INDEX"'}
workflows:
  w:
    jobs: [build, {test: {requires: [build]}}]
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """One run of CONFIG: (repo, workflow run id, the commit it ran)."""
    repo = make_repo(tmp_path_factory.mktemp("status"), CONFIG)
    proc = wfc(repo, "run", "--branch", "main", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    wid = json.loads(proc.stdout)["workflows"][0]["id"]
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                         text=True, check=True).stdout.strip()
    return repo, wid, sha


def test_status_shows_trigger_times_and_nodes(ran: tuple[Path, str, str]) -> None:
    repo, wid, sha = ran
    proc = wfc(repo, "status", wid)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"workflow w: success  (id {wid})"
    assert lines[1] == f"  trigger: branch 'main' at {sha[:12]} (push)"
    assert re.fullmatch(r"  started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, finished \d\d:\d\d:\d\d "
                        r"\(\d+\.\ds\)", lines[2]), lines[2]
    assert re.search(r"^  test\s+success\s+exit 0", proc.stdout, re.M)
    for k in (0, 1):
        assert re.search(rf"^    \[{k}/2\]\s+success\s+exit 0\s+\d+\.\ds$", proc.stdout, re.M)
    listing = wfc(repo, "status")
    assert f"  trigger: branch 'main' at {sha[:12]} (push)" in listing.stdout


def test_logs_step_by_number_title_or_part(ran: tuple[Path, str, str]) -> None:
    repo, wid, _ = ran
    by_number = wfc(repo, "logs", wid, "build", "--step", "2")
    assert by_number.returncode == 0, by_number.stderr
    assert by_number.stdout == ("==> build (success), step 2\n==> Build it\ncompiling\n"
                                "built\n")
    by_title = wfc(repo, "logs", wid, "build", "--step", "Build it")
    assert by_title.stdout == by_number.stdout  # the exact title
    by_part = wfc(repo, "logs", wid, "build", "--step", "hello")
    assert by_part.stdout.splitlines()[1:] == ["==> Say hello", "hello"]
    as_json = json.loads(wfc(repo, "logs", wid, "build", "--step", "3", "--format",
                             "json").stdout)
    assert as_json["step"] == {"number": 3, "name": "Build docs"}
    assert as_json["logs"] == {"build": "==> Build docs\ndocs\n"}


def test_logs_step_of_a_parallel_job(ran: tuple[Path, str, str]) -> None:
    repo, wid, _ = ran
    every = wfc(repo, "logs", wid, "test", "--step", "Run tests")
    assert every.returncode == 0, every.stderr
    assert every.stdout.splitlines() == [
        "==> test[0/2] (success), step 2", "==> Run tests", "tests on node 0",
        "==> test[1/2] (success), step 2", "==> Run tests", "tests on node 1"]
    one = wfc(repo, "logs", wid, "test", "--step", "2", "--node", "1")
    assert one.stdout.splitlines() == ["==> test[1/2] (success), step 2", "==> Run tests",
                                       "tests on node 1"]


@pytest.mark.parametrize(("args", "message"), [
    (["build", "--step", "Build"], "'Build' matches 2 steps (2 'Build it', 3 'Build docs'); "
                                   "give its number"),
    (["build", "--step", "9"], "job build: no step '9' in the log; its steps: 1 'Say hello', "
                               "2 'Build it', 3 'Build docs'"),
    (["--step", "1"], "--step needs a JOB"),
    (["test", "--step", "1", "--node", "5"], "job 'test' ran 2 nodes (0-1); there is no "
                                             "node 5"),
])
def test_logs_step_errors_are_one_line(ran: tuple[Path, str, str], args: list[str],
                                       message: str) -> None:
    repo, wid, _ = ran
    proc = wfc(repo, "logs", wid, *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
