"""``checkout`` is a real git clone at the trigger's commit (issue 12, "Safety first").

A job's ``git`` must see its own repository (``.git`` in the checkout: ``git describe``,
``git log``, ``git diff`` work) and never the user's: the checkout's top level is the job's
own directory, pushing is disabled, and outside the checkout ``git`` stops at the job's
directory. A ``--tag`` trigger checks out the tag, a commit that is not HEAD checks out that
commit, and the work tree's uncommitted changes are applied only on top of HEAD.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.runtime._jobenv import Env

from workflowcore.runtime._git import git_info, project_slug
from workflowcore.runtime.executors import SubprocessExecutor

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          env={**os.environ, **GIT_ENV})
    return proc.stdout.decode().strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "git@github.com:acme/widgets.git")
    (repo / "version.txt").write_text("1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    git(repo, "tag", "v1.0.0")
    (repo / "version.txt").write_text("2\n")
    git(repo, "commit", "-q", "-am", "second")
    return repo


def run(env: Env, steps: list[Any], repo: Path, **environment: str) -> Any:
    return env.run("build", ["checkout", *steps],
                   environment={"CIRCLE_SHA1": git(repo, "rev-parse", "HEAD"),
                                "CIRCLE_BRANCH": "main", **environment})


def test_the_checkout_is_its_own_repository_at_the_commit(tmp_path: Path, repo: Path) -> None:
    env = Env(tmp_path, source=repo)
    result = run(env, [{"run": "git rev-parse --show-toplevel; git describe --tags; "
                               "git log --format=%s; git rev-parse --abbrev-ref HEAD"}], repo)
    assert result.ok, result.log
    top, describe, *rest = result.steps[1].output.splitlines()
    assert Path(top) == env.job_home("build") / "project"
    assert describe.startswith("v1.0.0-1-g")
    assert rest == ["second", "first", "main"]


def test_a_job_cannot_push_to_the_users_repository(tmp_path: Path, repo: Path) -> None:
    env = Env(tmp_path, source=repo)
    before = git(repo, "rev-parse", "main")
    result = run(env, [{"run": "git commit -q --allow-empty -m evil && "
                               "git push origin HEAD:main"}],
                 repo, GIT_AUTHOR_NAME="x", GIT_AUTHOR_EMAIL="x@y", GIT_COMMITTER_NAME="x",
                 GIT_COMMITTER_EMAIL="x@y")
    assert result.status == "failed"
    assert git(repo, "rev-parse", "main") == before
    assert "push-disabled-in-local-runs" in result.log


def test_outside_the_checkout_git_stops_at_the_job_directory(tmp_path: Path,
                                                             repo: Path) -> None:
    # the run directory inside the user's repository, as .workflowcore/ is by default
    (repo / ".gitignore").write_text(".workflowcore/\n")
    env = Env(tmp_path, source=repo)
    env.executor = SubprocessExecutor(repo / ".workflowcore" / "jobs", repo, kill_grace=0.5)
    result = env.run("build", [{"run": "cd ~ && git status"}])
    assert result.status == "failed"
    assert "not a git repository" in result.log


def test_a_tag_trigger_checks_out_the_tag(tmp_path: Path, repo: Path) -> None:
    env = Env(tmp_path, source=repo)
    result = env.run("build", ["checkout", {"run": "cat version.txt; git describe --tags"}],
                     environment={"CIRCLE_TAG": "v1.0.0"})
    assert result.ok, result.log
    assert result.steps[1].output.splitlines() == ["1", "v1.0.0"]
    assert "checked out tag v1.0.0" in result.log


def test_an_unknown_tag_fails_checkout_with_the_fix(tmp_path: Path, repo: Path) -> None:
    env = Env(tmp_path, source=repo)
    result = env.run("build", ["checkout"], environment={"CIRCLE_TAG": "v9"})
    assert result.status == "failed"
    assert "tag 'v9' does not exist" in (result.steps[0].note or "")


def test_an_older_commit_is_checked_out_without_the_work_tree(tmp_path: Path,
                                                              repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD~1")
    (repo / "version.txt").write_text("dirty\n")
    env = Env(tmp_path, source=repo)
    result = env.run("build", ["checkout", {"run": "cat version.txt; git rev-parse HEAD"}],
                     environment={"CIRCLE_SHA1": first, "CIRCLE_BRANCH": "main"})
    assert result.ok, result.log
    assert result.steps[1].output.splitlines() == ["1", first]


def test_uncommitted_work_on_head_and_committed_only(tmp_path: Path, repo: Path) -> None:
    (repo / "version.txt").write_text("dirty\n")
    (repo / "new.txt").write_text("new\n")
    env = Env(tmp_path, source=repo)
    result = run(env, [{"run": "cat version.txt new.txt; git status --short"}], repo)
    assert result.ok, result.log
    assert result.steps[1].output.splitlines() == ["dirty", "new", " M version.txt",
                                                   "?? new.txt"]
    env.executor = SubprocessExecutor(tmp_path / "run2", repo, committed_only=True)
    result = run(env, [{"run": "cat version.txt; test ! -e new.txt"}], repo)
    assert result.ok, result.log
    assert result.steps[1].output.splitlines() == ["2"]


def test_a_committed_contexts_file_is_removed_from_the_checkout(tmp_path: Path,
                                                                repo: Path) -> None:
    (repo / ".circleci").mkdir()
    secret = repo / ".circleci" / "contexts.yml"
    secret.write_text("contexts: {}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "oops")
    env = Env(tmp_path, source=repo)
    env.executor = SubprocessExecutor(tmp_path / "run", repo, private_files=[secret])
    result = run(env, [{"run": "test ! -e .circleci/contexts.yml"}], repo)
    assert result.ok, result.log
    assert "left out the contexts file, which holds secrets (.circleci/contexts.yml)" \
        in result.log


def test_a_subdirectory_project_is_copied_and_says_so(tmp_path: Path, repo: Path) -> None:
    sub = repo / "examples" / "demo"
    sub.mkdir(parents=True)
    (sub / "a.txt").write_text("a")
    env = Env(tmp_path, source=sub)
    result = env.run("build", ["checkout", {"run": "ls -A"}])
    assert result.ok, result.log
    assert result.steps[1].output.splitlines() == ["a.txt"]
    assert "copied 1 file from" in result.log and "not the root of a git repository" in result.log


def test_checkout_into_a_non_empty_directory_fails_like_circleci(tmp_path: Path,
                                                                 repo: Path) -> None:
    env = Env(tmp_path, source=repo)
    result = env.run("build", [{"run": "echo x > leftover"}, "checkout"],
                     environment={"CIRCLE_BRANCH": "main"})
    assert result.status == "failed"
    assert "is not empty and not a git repository" in (result.steps[1].note or "")


def test_git_info_and_project_slug(repo: Path) -> None:
    info = git_info(repo)
    assert info.branch == "main" and info.tag is None
    assert info.revision == git(repo, "rev-parse", "HEAD")
    assert info.remote_url == "git@github.com:acme/widgets.git"
    assert project_slug(info.remote_url) == ("acme", "widgets")
    assert project_slug("https://github.com/o/r/") == ("o", "r")
    git(repo, "tag", "v2")
    assert git_info(repo).tag == "v2"
