"""``workflowcore prune`` keeps the last N pipelines and removes the rest (issue 12, disk).

Real runs through the command: three pipelines, each persisting a workspace and storing an
artifact with ``--keep-jobs``; prune keeps the newest, removes the others' records, logs,
workspaces, artifacts and job directories, and never a run on hold or a workspace a kept
rerun inherits.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

from ._repo import jobs_dir, make_repo, wfc

CONFIG = """
version: 2.1
jobs:
  build:
    docker: [{image: x}]
    steps:
      - run: mkdir -p out && head -c 20000 /dev/zero > out/blob && echo "$FAIL" > out/f
      - persist_to_workspace: {root: out, paths: [blob]}
      - store_artifacts: {path: out/blob}
      - run: test -z "$FAIL"
  after:
    docker: [{image: x}]
    steps:
      - attach_workspace: {at: ws}
      - run: test -s ws/blob
workflows:
  w:
    jobs: [build, {after: {requires: [build]}}]
"""

HOLD = """
version: 2.1
jobs:
  a: {docker: [{image: x}], steps: [{run: "true"}]}
workflows:
  held:
    jobs: [{gate: {type: approval}}, {a: {requires: [gate]}}]
"""


def run_json(repo: Path, *args: str) -> Dict[str, Any]:
    proc = wfc(repo, *args, "--format", "json")
    assert proc.stdout, proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def ids(repo: Path) -> List[str]:
    return [w["id"] for w in run_json(repo, "status")["workflows"]]


def test_prune_keeps_the_newest_pipelines_and_frees_their_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CONFIG)
    state = repo / ".workflowcore"
    runs = [run_json(repo, "run", "--keep-jobs")["workflows"][0]["id"] for _ in range(3)]
    assert all((state / "workspace" / r).is_dir() for r in runs)
    assert all((jobs_dir(repo) / r).is_dir() for r in runs)

    dry = wfc(repo, "prune", "--keep", "1", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would remove 2 workflow runs of 2 pipelines and 6 directories")
    assert sorted(ids(repo)) == sorted(runs)

    doc = run_json(repo, "prune", "--keep", "1")
    assert sorted(doc["removed"]) == sorted(runs[:2]) and doc["kept"] == [runs[2]]
    assert doc["freed_bytes"] >= 2 * 2 * 20000  # layers and artifacts of two runs
    assert ids(repo) == [runs[2]]
    for gone in runs[:2]:
        assert not (state / "workspace" / gone).exists()
        assert not (state / "artifacts" / gone).exists()
        assert not (jobs_dir(repo) / gone).exists()
        assert wfc(repo, "status", gone).returncode == 2
    assert (state / "workspace" / runs[2]).is_dir()
    again = wfc(repo, "prune", "--keep", "1")
    assert again.stdout.startswith("removed 0 workflow runs of 0 pipelines and 0 directories")


def test_prune_never_removes_a_run_on_hold(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CONFIG)
    failed = wfc(repo, "run", "-e", "FAIL=1", "--format", "json")
    assert failed.returncode == 1, failed.stderr
    original = json.loads(failed.stdout)["workflows"][0]["id"]
    proc = wfc(repo, "rerun", original, "--from-failed", "--format", "json")
    rerun = json.loads(proc.stdout)
    # -e values are never stored: without FAIL the rerun passes, and a warning says why
    assert rerun["status"] == "success"
    assert "the run was started with -e FAIL; their values are not stored" in proc.stderr
    (repo / ".circleci" / "config.yml").write_text(HOLD)
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "hold"], check=True,
                   capture_output=True)
    held = wfc(repo, "run", "--format", "json")
    assert held.returncode == 3, held.stderr
    hold_id = json.loads(held.stdout)["workflows"][0]["id"]

    doc = run_json(repo, "prune", "--keep", "0")
    assert doc["kept_live"] == [hold_id] and doc["kept"] == [hold_id]
    assert sorted(doc["removed"]) == sorted([original, rerun["id"]])
    text = wfc(repo, "prune", "--keep", "0").stdout
    assert f"kept 1 older workflow run that can still go on (running or on hold): {hold_id}" \
        in text
    assert wfc(repo, "approve", hold_id, "gate").returncode == 0  # it can still go on
