"""The ``workflowcore-validate`` pre-commit hook (.pre-commit-hooks.yaml), run by the real
``pre-commit`` tool on a temporary repository: ``pre-commit try-repo <this project>``.

pre-commit installs the hook repository into a fresh virtualenv with pip, so this needs the
package index (PyPI, or a local mirror in pip's configuration) for hatchling, pydantic and
PyYAML; without one the test is skipped and says so. try-repo sees the project's HEAD plus
its staged and modified tracked files, not untracked ones: while the project has untracked
files (a new module not yet committed), the test runs try-repo on a snapshot commit of the
working tree instead, so it tests what is on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[2]

GOOD = ("version: 2.1\njobs:\n  build:\n    docker: [{image: cimg/base:stable}]\n"
        "    steps: [checkout]\nworkflows:\n  main:\n    jobs: [build]\n")
BAD = ("version: 2.1\njobs:\n  build:\n    docker: [{image: cimg/base:stable}]\n"
       "    steps: [checkout]\nworkflows:\n  main:\n    jobs: [build, deploy]\n")
#: an orb kept beside the config (docs/orbs.md): not a config, the hook leaves it out
ORB = "version: 2.1\ndescription: an orb, not a config\n"

#: pip's words when it could not reach an index (the test then skips, naming it)
_NO_INDEX = ("Could not find a version that satisfies", "No matching distribution found",
             "NewConnectionError", "Temporary failure in name resolution",
             "Network is unreachable", "Max retries exceeded")


def _git(args: List[str], cwd: Path, env: Dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


def _git_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    return env


def _hook_repo(tmp: Path) -> Path:
    """The project root, or (when it has untracked files try-repo would not see) a snapshot
    commit of its working tree."""
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], ROOT).split("\0")
    untracked = [u for u in untracked if u]
    if not untracked:
        return ROOT
    print(f"try-repo on a snapshot: the project has {len(untracked)} untracked file(s), "
          f"e.g. {untracked[0]}")
    snap = tmp / "snapshot"
    _git(["clone", "-q", str(ROOT), str(snap)], tmp)
    changed = _git(["ls-files", "--modified", "-z"], ROOT).split("\0")
    for rel in {*untracked, *(c for c in changed if c)}:
        src, dst = ROOT / rel, snap / rel
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        elif dst.exists():  # deleted in the working tree
            dst.unlink()
    _git(["add", "-A"], snap)
    _git(["commit", "-q", "-m", "working tree"], snap, env=_git_env())
    return snap


def test_the_hook_passes_a_good_config_and_fails_a_bad_one(tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (it is in the dev extra: "
                    "pip install -e '.[dev]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert (ROOT / ".pre-commit-hooks.yaml").is_file()
    hook_repo = _hook_repo(tmp_path)
    project = tmp_path / "project"
    (project / ".circleci" / "orbs" / "acme").mkdir(parents=True)
    (project / ".circleci" / "config.yml").write_text(GOOD, encoding="utf-8")
    (project / ".circleci" / "continue.yaml").write_text(BAD, encoding="utf-8")
    (project / ".circleci" / "orbs" / "acme" / "tools@1.0.0.yml").write_text(
        ORB, encoding="utf-8")
    (project / "notes.yml").write_text(BAD, encoding="utf-8")  # not under .circleci/
    _git(["init", "-q", "."], project)
    _git(["add", "-A"], project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")  # not the user's cache
    proc = subprocess.run(
        [pre_commit, "try-repo", str(hook_repo), "workflowcore-validate", "--all-files",
         "--color", "never", "--verbose"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 and any(m in out for m in _NO_INDEX):
        pytest.skip("pre-commit could not install the hook: pip reached no package index "
                    "for its dependencies (hatchling, pydantic, PyYAML)")
    assert proc.returncode == 1, out
    assert "workflowcore validate" in out and "Failed" in out, out
    # the bad continuation config is reported with its place and code ...
    assert ".circleci/continue.yaml:8:19: error:" in out and "[job-undefined]" in out, out
    # ... the good config was checked (2 files) and passed; the orb and notes.yml were not
    assert "1 error, 0 warnings in 2 files" in out, out
    assert "tools@1.0.0.yml" not in out and "notes.yml" not in out, out

    # with the bad config fixed, the hook passes
    (project / ".circleci" / "continue.yaml").write_text(GOOD, encoding="utf-8")
    _git(["add", "-A"], project)
    proc = subprocess.run(
        [pre_commit, "try-repo", str(hook_repo), "workflowcore-validate", "--all-files",
         "--color", "never"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout, proc.stdout
