"""``workflowcore plan`` through the real command: formats, exit codes (0 planned, 1 config
errors, 2 bad invocation), options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """version: 2.1
parameters:
  release: {type: boolean, default: false}
jobs:
  build: {docker: [{image: cimg/base:stable}], steps: [checkout]}
  deploy: {docker: [{image: cimg/base:stable}], steps: [checkout]}
  nightly: {docker: [{image: cimg/base:stable}], steps: [checkout]}
workflows:
  ci:
    jobs:
      - build:
          filters: {tags: {only: /^v.*/}}
      - hold:
          type: approval
          requires: [build]
          filters: {branches: {only: main}, tags: {only: /^v.*/}}
      - deploy:
          requires: [hold]
          context: prod
          filters: {branches: {only: main}, tags: {only: /^v.*/}}
  release:
    when: << pipeline.parameters.release >>
    jobs: [nightly]
  scheduled:
    triggers: [{schedule: {cron: "0 0 * * *", filters: {branches: {only: main}}}}]
    jobs: [nightly]
"""
BAD = """version: 2.1
jobs:
  build: {docker: [{image: cimg/base:stable}], steps: [checkout]}
workflows:
  ci:
    jobs:
      - build: {requires: [biuld]}
"""
BAD_FILTER = """version: 2.1
jobs:
  build: {docker: [{image: cimg/base:stable}], steps: [checkout]}
workflows:
  ci:
    jobs:
      - build: {filters: pipeline.git.brnch == "main"}
"""
ORB = """version: 2.1
orbs:
  node: circleci/node@5.0.0
workflows:
  ci:
    jobs: [node/test]
"""


def wfc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workflowcore", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "config.yml").write_text(CONFIG)
    (tmp_path / "bad.yml").write_text(BAD)
    (tmp_path / "bad_filter.yml").write_text(BAD_FILTER)
    (tmp_path / "orb.yml").write_text(ORB)
    (tmp_path / ".circleci").mkdir()
    (tmp_path / ".circleci" / "config.yml").write_text(CONFIG)
    return tmp_path


def test_text_plan_for_a_branch(files: Path) -> None:
    r = wfc("plan", "config.yml", "--branch", "main", cwd=files)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == [
        "plan for branch 'main'",
        "",
        "workflow ci: 3 jobs run, 1 approval gate (hold)",
        "  stage    job              requires",
        "      1    build",
        "      2  ⏸ hold (approval)  ← build",
        "      3    deploy           ← hold  [context: prod]",
        "",
        "workflow release: does not run — when: << pipeline.parameters.release >> is false",
        "",
        "workflow scheduled: does not run — it runs only on its schedule (triggers: schedule), "
        "not on a push of branch 'main'",
    ]


def test_the_default_path_is_the_circleci_config(files: Path) -> None:
    r = wfc("plan", "-b", "dev", cwd=files)
    assert r.returncode == 0
    assert "    ✗ 2 jobs — branch 'dev' does not match filters.branches.only ['main']:\n" \
           "        hold, deploy\n" in r.stdout


def test_json_format_is_the_contract(files: Path) -> None:
    r = wfc("plan", "config.yml", "--tag", "v1.0", "--format", "json", cwd=files)
    assert r.returncode == 0
    d = json.loads(r.stdout)
    assert d["version"] == 1
    assert d["trigger"] == {"branch": None, "tag": "v1.0", "event": "push", "parameters": {}}
    ci = d["workflows"][0]
    assert [j["name"] for j in ci["jobs"]] == ["build", "hold", "deploy"]
    assert ci["jobs"][2] == {"name": "deploy", "job": "deploy", "type": "build",
                             "requires": {"hold": ["success"]}, "context": ["prod"]}


@pytest.mark.parametrize(("fmt", "first"), [("mermaid", "flowchart LR"),
                                            ("dot", "digraph plan {")])
def test_drawing_formats(files: Path, fmt: str, first: str) -> None:
    r = wfc("plan", "config.yml", "-b", "main", "-f", fmt, cwd=files)
    assert r.returncode == 0 and r.stdout.splitlines()[0] == first
    assert "hold" in r.stdout


def test_nothing_runs_is_still_exit_0(files: Path) -> None:
    r = wfc("plan", "config.yml", "--tag", "nightly-1", cwd=files)
    assert r.returncode == 0
    assert "workflow ci: does not run — every job was excluded for tag 'nightly-1'" in r.stdout


def test_params_are_typed_by_their_declaration(files: Path) -> None:
    r = wfc("plan", "config.yml", "-b", "main", "--param", "release=true", "-f", "json",
            cwd=files)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["trigger"]["parameters"] == {"release": True}
    assert d["workflows"][1]["runs"] is True


def test_workflow_selection(files: Path) -> None:
    r = wfc("plan", "config.yml", "-b", "main", "-w", "scheduled", "-w", "release", "-f",
            "json", cwd=files)
    assert r.returncode == 0
    assert [w["name"] for w in json.loads(r.stdout)["workflows"]] == ["release", "scheduled"]


def test_schedule_event(files: Path) -> None:
    r = wfc("plan", "config.yml", "-b", "main", "--event", "schedule", "-w", "scheduled",
            cwd=files)
    assert r.returncode == 0
    assert r.stdout.splitlines()[0] == "plan for branch 'main' (schedule event)"
    assert "workflow scheduled: 1 job runs" in r.stdout


def test_values_set_pipeline_values(files: Path, tmp_path: Path) -> None:
    (tmp_path / "v.yml").write_text(CONFIG.replace(
        "when: << pipeline.parameters.release >>",
        "when: pipeline.trigger_source == \"scheduled_pipeline\""))
    r = wfc("plan", "v.yml", "-b", "main", "--event", "api", "--value",
            "trigger_source=scheduled_pipeline", "-w", "release", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "workflow release: 1 job runs" in r.stdout


def test_config_errors_exit_1_with_diagnostics_on_stderr(files: Path) -> None:
    r = wfc("plan", "bad.yml", "-b", "main", cwd=files)
    assert r.returncode == 1 and r.stdout == ""
    assert "bad.yml:7:28: error: Job 'build' requires 'biuld', which is the name of 0 other " \
           "jobs in workflow 'ci' [requires-unknown]" in r.stderr


def test_a_bad_filter_expression_exits_1(files: Path) -> None:
    r = wfc("plan", "bad_filter.yml", "-b", "main", cwd=files)
    assert r.returncode == 1 and r.stdout == ""
    assert "bad_filter.yml:7:26: error: Job 'build' has an invalid filters expression: " \
           "Referred to a variable \"pipeline.git.brnch\" that does not exist " \
           "[expr-unknown-variable]" in r.stderr


def test_compile_warnings_go_to_stderr_once(files: Path) -> None:
    r = wfc("plan", "orb.yml", "-b", "main", cwd=files)
    assert r.returncode == 0
    assert r.stderr.count("[orb-unavailable]") == 1
    assert "node/test" in r.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["config.yml"], "one of the arguments --branch/-b --tag/-t is required"),
    (["config.yml", "-b", "main", "-t", "v1"], "not allowed with argument"),
    (["config.yml", "-b", ""], "the branch name must be a non-empty string"),
    (["config.yml", "-b", "main", "-w", "nope"],
     "no workflow named 'nope'; this config has: ci, release, scheduled"),
    (["missing.yml", "-b", "main"], "missing.yml: no such file"),
    ([".", "-b", "main"], "is a directory"),
    (["config.yml", "-b", "main", "-p", "nope=1"],
     "unknown pipeline parameter 'nope' (declared: release)"),
    (["config.yml", "-b", "main", "-p", "release=maybe"],
     "pipeline parameter 'release' is a boolean; got 'maybe'"),
    (["config.yml", "-b", "main", "-p", "release"], "--param takes KEY=VALUE"),
    (["config.yml", "-b", "main", "--value", "git.branch=x"],
     "set pipeline.git.branch with the trigger's branch or tag"),
    (["config.yml", "-b", "main", "--event", "pr"], "invalid choice: 'pr'"),
    (["config.yml", "-b", "main", "-f", "yaml"], "invalid choice: 'yaml'"),
])
def test_bad_invocations_exit_2(files: Path, args: list[str], message: str) -> None:
    r = wfc("plan", *args, cwd=files)
    assert r.returncode == 2 and r.stdout == ""
    assert message in r.stderr
