"""``rerun`` of several workflow runs, or of a whole pipeline (issue 12).

A pipeline with two workflows, one failing: ``rerun --pipeline P --from-failed`` reruns only
the failed one; ``rerun A B`` reruns both together in one pool (one JSON document with both);
an unknown or ambiguous pipeline id is a usage error naming it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

from ._repo import make_repo, wfc

CONFIG = """
version: 2.1
jobs:
  ok: {docker: [{image: x}], steps: [{run: echo fine}]}
  flaky: {docker: [{image: x}], steps: [checkout, {run: test -e fixed}]}
workflows:
  good: {jobs: [ok]}
  bad: {jobs: [flaky]}
"""


def as_json(text: str) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads(text)
    return data


def test_rerun_a_pipeline_from_failed_and_several_runs_together(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CONFIG)
    first = wfc(repo, "run", "--branch", "main", "--format", "json")
    assert first.returncode == 1, first.stderr
    doc = as_json(first.stdout)
    by_name = {w["name"]: w for w in doc["workflows"]}
    assert by_name["good"]["status"] == "success" and by_name["bad"]["status"] == "failed"

    again = wfc(repo, "rerun", "--pipeline", doc["pipeline"][:8], "--from-failed",
                "--format", "json")
    assert again.returncode == 1, again.stderr
    rerun = as_json(again.stdout)
    assert rerun["rerun_of"] == by_name["bad"]["id"] and rerun["name"] == "bad"

    both = wfc(repo, "rerun", by_name["good"]["id"], rerun["id"], "--format", "json")
    assert both.returncode == 1, both.stderr
    together = as_json(both.stdout)
    assert together["pipeline"] == doc["pipeline"]
    assert sorted((w["name"], w["rerun_of"]) for w in together["workflows"]) == [
        ("bad", rerun["id"]), ("good", by_name["good"]["id"])]

    assert "matches no pipeline" in wfc(repo, "rerun", "--pipeline", "zzzzzzzz").stderr
    (repo / "fixed").write_text("")  # uncommitted work on the same commit: checked out
    fixed = wfc(repo, "rerun", "--pipeline", doc["pipeline"], "--from-failed",
                "--format", "json")
    assert fixed.returncode == 0, fixed.stderr
    assert as_json(fixed.stdout)["name"] == "bad"  # only the workflow that had failed
    nothing = wfc(repo, "rerun", "--pipeline", doc["pipeline"], "--from-failed")
    assert nothing.returncode == 2
    assert "every workflow succeeded; nothing to rerun from failed" in nothing.stderr
