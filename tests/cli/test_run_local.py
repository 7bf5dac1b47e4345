"""``workflowcore run`` on a laptop (issue 12, "Using it on a laptop" and built-ins from git).

Every test runs the real command in a throwaway git repository: the trigger defaults to the
current branch, ``--sha``/``--tag`` choose the commit ``checkout`` checks out, jobs can be
listed, selected and dry-run, project variables come from ``-e``/``--env-file`` (masked),
built-in variables come from git, job directories live outside the repository and are
removed when the job ends unless ``--keep-jobs``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict

from ._repo import jobs_dir, make_repo, wfc

CONFIG = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/python:3.12}]
    steps:
      - checkout
      - run: echo "branch=${CIRCLE_BRANCH:-none} tag=${CIRCLE_TAG:-none} sha=$CIRCLE_SHA1"
      - run: echo "user=$CIRCLE_PROJECT_USERNAME repo=$CIRCLE_PROJECT_REPONAME"
      - run: echo "url=$CIRCLE_REPOSITORY_URL"
      - run: echo "build=$CIRCLE_BUILD_URL"
      - run: cat version.txt; git log -1 --format=%s
      - run: echo "token=$API_TOKEN region=$REGION"
      - run: mkdir -p out && echo built > out/b.txt
      - persist_to_workspace: {root: out, paths: [b.txt]}
  test:
    docker: [{image: cimg/python:3.12}]
    steps:
      - attach_workspace: {at: ws}
      - run: cat ws/b.txt 2>/dev/null || echo no-workspace
  deploy:
    docker: [{image: cimg/python:3.12}]
    steps: [{run: echo deploying}]
workflows:
  main:
    jobs:
      - build
      - test: {requires: [build]}
      - deploy: {requires: [test]}
"""


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "-C", str(repo),
                           *args], check=True, capture_output=True, text=True)
    return proc.stdout.strip()


def repo_with_history(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path, CONFIG, {"version.txt": "1\n"})
    git(repo, "remote", "add", "origin", "https://github.com/acme/widgets.git")
    git(repo, "tag", "v1")
    (repo / "version.txt").write_text("2\n")
    git(repo, "commit", "-qam", "second")
    git(repo, "branch", "-M", "trunk")
    return repo


def as_json(proc: subprocess.CompletedProcess[str]) -> Dict[str, Any]:
    assert proc.stdout, proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def log_of(repo: Path, wid: str, job: str) -> str:
    doc = as_json(wfc(repo, "logs", wid, job, "--format", "json"))
    return str(doc["logs"][job])


def test_the_trigger_defaults_to_the_current_branch(tmp_path: Path) -> None:
    repo = repo_with_history(tmp_path)
    proc = wfc(repo, "run", "--format", "json", "-j", "build")
    assert proc.returncode == 0, proc.stderr
    [wf] = as_json(proc)["workflows"]
    log = log_of(repo, wf["id"], "build")
    head = git(repo, "rev-parse", "HEAD")
    assert f"branch=trunk tag=none sha={head}" in log
    assert "user=acme repo=widgets" in log
    assert "url=https://github.com/acme/widgets.git" in log
    assert f"/workflow/{wf['id']}/job/build/1" in log and "build=workflowcore://" in log
    assert "2\nsecond" in log  # HEAD checked out, with its history


def test_a_tag_trigger_runs_the_tagged_commit(tmp_path: Path) -> None:
    repo = repo_with_history(tmp_path)
    proc = wfc(repo, "run", "--tag", "v1", "--format", "json", "build")
    # the workflow has no tag filter: on CircleCI jobs do not run for tags by default
    assert proc.returncode == 2 and "no job 'build' runs for this trigger" in proc.stderr
    text = CONFIG.replace("      - build\n", "      - build: {filters: {tags: {only: /.*/}}}\n")
    (repo / ".circleci" / "config.yml").write_text(text)
    proc = wfc(repo, "run", "--tag", "v1", "--format", "json", "build")
    assert proc.returncode == 0, proc.stderr
    [wf] = as_json(proc)["workflows"]
    log = log_of(repo, wf["id"], "build")
    assert "branch=none tag=v1" in log and "1\ninit" in log


def test_sha_checks_out_that_commit(tmp_path: Path) -> None:
    repo = repo_with_history(tmp_path)
    first = git(repo, "rev-parse", "HEAD~1")
    proc = wfc(repo, "run", "--sha", "HEAD~1", "--format", "json", "--job", "build")
    assert proc.returncode == 0, proc.stderr
    [wf] = as_json(proc)["workflows"]
    log = log_of(repo, wf["id"], "build")
    assert f"sha={first}" in log and "1\ninit" in log
    bad = wfc(repo, "run", "--sha", "nope", "build")
    assert bad.returncode == 2 and "--sha nope: no such commit" in bad.stderr


def test_no_branch_on_a_detached_head_without_a_tag_is_a_usage_error(tmp_path: Path) -> None:
    repo = repo_with_history(tmp_path)
    git(repo, "checkout", "-q", "--detach", "HEAD")
    proc = wfc(repo, "run")
    assert proc.returncode == 2
    assert "HEAD is detached and has no tag: give --branch B or --tag T" in proc.stderr


def test_list_and_dry_run(tmp_path: Path) -> None:
    repo = repo_with_history(tmp_path)
    listed = wfc(repo, "run", "--list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "main (runs)", "  build", "  test  (requires build)", "  deploy  (requires test)"]
    dry = wfc(repo, "run", "--dry-run", "deploy", "--with-requires")
    assert dry.returncode == 0, dry.stderr
    assert "workflow main: 3 jobs run" in dry.stdout
    assert not (repo / ".workflowcore").exists(), "a dry run records nothing"


def test_selected_jobs_with_and_without_their_requirements(tmp_path: Path) -> None:
    repo = repo_with_history(tmp_path)
    alone = wfc(repo, "run", "test", "--format", "json")
    assert alone.returncode == 0, alone.stderr
    assert "note: test runs without the job(s) it requires (build)" in alone.stderr
    [wf] = as_json(alone)["workflows"]
    assert list(wf["jobs"]) == ["test"]
    assert "no-workspace" in log_of(repo, wf["id"], "test")
    both = wfc(repo, "run", "--job", "test", "--with-requires", "--format", "json")
    assert both.returncode == 0, both.stderr
    [wf] = as_json(both)["workflows"]
    assert list(wf["jobs"]) == ["build", "test"]
    assert "built" in log_of(repo, wf["id"], "test")
    unknown = wfc(repo, "run", "nosuch")
    assert unknown.returncode == 2
    assert "no job 'nosuch' runs for this trigger; jobs that do: build, deploy, test" \
        in unknown.stderr


def test_project_variables_from_e_and_env_file_are_masked(tmp_path: Path) -> None:
    repo = repo_with_history(tmp_path)
    env_file = tmp_path / "vars.env"
    env_file.write_text("# project settings\nexport API_TOKEN='tok-from-file'\n"
                        "REGION=eu-west-1\n")
    proc = wfc(repo, "run", "build", "--env-file", str(env_file), "-e",
               "API_TOKEN=tok-from-cli", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [wf] = as_json(proc)["workflows"]
    log = log_of(repo, wf["id"], "build")
    assert "token=******** region=********" in log
    assert "tok-from" not in log and "eu-west-1" not in log
    bad = tmp_path / "bad.env"
    bad.write_text("OK=1\nthis line is wrong\n")
    proc = wfc(repo, "run", "build", "--env-file", str(bad))
    assert proc.returncode == 2 and f"{bad}:2: expected KEY=VALUE" in proc.stderr
    proc = wfc(repo, "run", "build", "-e", "1X=2")
    assert proc.returncode == 2 and "'1X' is not a valid environment variable name" \
        in proc.stderr


def test_job_directories_are_outside_the_repository_and_removed(tmp_path: Path) -> None:
    repo = repo_with_history(tmp_path)
    proc = wfc(repo, "run", "build", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [wf] = as_json(proc)["workflows"]
    jobs = jobs_dir(repo)
    assert not str(jobs).startswith(str(repo))
    assert not (jobs / wf["id"] / "build").exists()
    kept = wfc(repo, "run", "build", "--keep-jobs", "--format", "json")
    [wf] = as_json(kept)["workflows"]
    project = jobs / wf["id"] / "build" / "home" / "project"
    assert (project / ".git").is_dir() and (project / "version.txt").read_text() == "2\n"


def test_the_host_is_named_once_per_run(tmp_path: Path) -> None:
    repo = repo_with_history(tmp_path)
    proc = wfc(repo, "run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.count("runs every job's steps on this machine") == 1
    assert "the jobs' images are not used (cimg/python:3.12)" in proc.stderr
    assert "trigger: branch trunk (the current git branch" in proc.stderr


SHARED = """
version: 2.1
jobs:
  a: {docker: [{image: x}], working_directory: /tmp/wfc-shared-APP, steps: [{run: "true"}]}
  b: {docker: [{image: x}], working_directory: /tmp/wfc-shared-APP/, steps: [{run: "true"}]}
  c: {docker: [{image: x}], working_directory: /tmp/wfc-shared-APP, steps: [{run: "true"}]}
  d: {docker: [{image: x}], working_directory: ~/app, steps: [{run: "true"}]}
workflows:
  w:
    jobs: [a, b, {c: {requires: [a, b]}}, d]
"""


def test_jobs_sharing_an_absolute_directory_at_once_are_warned(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, SHARED.replace("APP", tmp_path.name))
    proc = wfc(repo, "run", "--branch", "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [warning] = [line for line in proc.stderr.splitlines() if "may run at the same time" in line]
    # a and b are unordered; c comes after both, d has its own HOME
    assert warning.startswith(f"workflowcore: warning: a, b may run at the same time in "
                              f"/tmp/wfc-shared-{tmp_path.name} ")
    sequential = wfc(repo, "run", "--branch", "main", "c", "--with-requires", "--job", "d",
                     "--max-parallel", "1")
    assert sequential.returncode == 0
    only_c = wfc(repo, "run", "--branch", "main", "c")
    assert "may run at the same time" not in only_c.stderr


def test_the_orb_lock_a_run_writes_does_not_dirty_the_checkout(tmp_path: Path) -> None:
    # `run` records orb versions in .circleci/orbs.lock before the jobs start (docs/orbs.md);
    # that file is workflowcore's, so a job's `git status` stays clean (a real project's
    # setuptools-scm version would otherwise turn "dirty")
    repo = make_repo(tmp_path, CLEAN)
    (repo / ".circleci" / "orbs.lock").write_text('{"lockfile": 1, "orbs": {}}\n')
    proc = wfc(repo, "run", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [wf] = as_json(proc)["workflows"]
    log = log_of(repo, wf["id"], "clean")
    assert "status=[]" in log and "applied the uncommitted work" not in log
    (repo / "work.txt").write_text("in progress\n")
    [wf] = as_json(wfc(repo, "run", "--format", "json"))["workflows"]
    assert "status=[?? work.txt]" in log_of(repo, wf["id"], "clean")


CLEAN = """
version: 2.1
jobs:
  clean:
    docker: [{image: x}]
    steps: [checkout, {run: 'echo "status=[$(git status --porcelain)]"'}]
workflows:
  w: {jobs: [clean]}
"""
