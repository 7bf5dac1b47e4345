"""Helpers for end-to-end tests through ``python -m workflowcore``: a throwaway git
repository holding a config, and the command run inside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

SRC = Path(__file__).resolve().parents[2] / "src"


def wfc(repo: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``workflowcore ARGS`` in ``repo`` (this checkout's sources first on the path)."""
    return subprocess.run([sys.executable, "-m", "workflowcore", *args], cwd=repo,
                          capture_output=True, text=True, timeout=timeout, env=wfc_env())


def wfc_env() -> Dict[str, str]:
    """The environment the command runs with (for Popen-started runs too)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def jobs_dir(repo: Path, state: str = ".workflowcore") -> Path:
    """Where ``workflowcore run`` in ``repo`` puts its jobs (outside the repository)."""
    from workflowcore.cli._runtools import jobs_dir_for

    return jobs_dir_for(repo / state)


def make_repo(tmp_path: Path, config: str, files: Optional[Dict[str, str]] = None) -> Path:
    """A committed git repository with ``.circleci/config.yml`` and ``files``."""
    repo = tmp_path / "repo"
    (repo / ".circleci").mkdir(parents=True)
    (repo / ".circleci" / "config.yml").write_text(config, encoding="utf-8")
    for name, text in (files or {}).items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    return repo
