"""The README's first command: the bundled example runs end to end, and ``checkout`` copies
the project that holds ``.circleci/`` — not the repository it happens to sit in."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wfc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workflowcore", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_demo_runs_inside_a_larger_repository(tmp_path: Path) -> None:
    outer = tmp_path / "monorepo"
    demo = outer / "services" / "demo"
    shutil.copytree(ROOT / "examples" / "demo", demo)
    (outer / "unrelated.txt").write_text("not part of the demo\n")
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    subprocess.run(["git", "-C", str(outer), "add", "-A"], check=True)

    r = wfc("run", "--branch", "feature/x", "--format", "json", cwd=demo)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    (wf,) = doc["workflows"]
    assert wf["status"] == "success"
    assert {k: v["status"] for k, v in wf["jobs"].items()} == {
        "build": "success", "test-unit": "success", "test-lint": "success"}

    logs = wfc("logs", wf["id"], "build", cwd=demo)
    assert logs.returncode == 0
    assert "copied 2 files from " + str(demo) in logs.stdout
    assert "unrelated.txt" not in logs.stdout


def test_demo_holds_for_approval_on_main_then_deploys(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(ROOT / "examples" / "demo", demo)
    r = wfc("run", "--branch", "main", "--format", "json", cwd=demo)
    assert r.returncode == 3, r.stdout + r.stderr  # on hold
    (wf,) = json.loads(r.stdout)["workflows"]
    assert wf["status"] == "on_hold" and wf["jobs"]["hold"]["status"] == "on_hold"
    r = wfc("approve", wf["id"], "hold", "--format", "json", cwd=demo)
    assert r.returncode == 0, r.stdout + r.stderr
    done = json.loads(r.stdout)
    assert done["status"] == "success" and done["jobs"]["deploy"]["status"] == "success"
