"""``workflowcore validate`` through the real command: output formats and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = """version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps: [checkout]
workflows:
  main:
    jobs: [build]
"""
BAD = """version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps: [checkout]
workflows:
  main:
    jobs:
      - build
      - deploy:
          requires: [tset]
"""


def wfc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workflowcore", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "good.yml").write_text(GOOD)
    (tmp_path / "bad.yml").write_text(BAD)
    (tmp_path / ".circleci").mkdir()
    (tmp_path / ".circleci" / "config.yml").write_text(GOOD)
    return tmp_path


def test_valid_config_exits_0(files: Path) -> None:
    r = wfc("validate", "good.yml", cwd=files)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == "1 file valid\n"


def test_default_path_is_circleci_config(files: Path) -> None:
    r = wfc("validate", cwd=files)
    assert r.returncode == 0 and "1 file valid" in r.stdout


def test_errors_exit_1_with_canonical_lines_snippet_and_hint(files: Path) -> None:
    r = wfc("validate", "bad.yml", cwd=files)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0] == ("bad.yml:10:9: error: Cannot find a definition for job named deploy "
                        "[job-undefined]")
    assert lines[1] == "  10 |       - deploy:"
    assert lines[2] == "     |         ^~~~~~"
    assert "bad.yml:11:22: error: Job 'deploy' requires 'tset', which is the name of 0 other " \
           "jobs in workflow 'main' [requires-unknown]" in lines
    assert "    = hint: did you mean 'test'?" not in lines  # 'tset' is not close to 'build'
    assert lines[-1] == "2 errors, 0 warnings in 1 file"


def test_json_format(files: Path) -> None:
    r = wfc("validate", "--format", "json", "good.yml", "bad.yml", cwd=files)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["version"] == 1 and doc["summary"] == {"errors": 2, "warnings": 0, "files": 2}
    good, bad = doc["files"]
    assert good == {"path": "good.yml", "valid": True, "diagnostics": []}
    d = bad["diagnostics"][0]
    assert d == {"path": "bad.yml", "line": 10, "column": 9, "end_line": 10, "end_column": 15,
                 "severity": "error", "code": "job-undefined",
                 "message": "Cannot find a definition for job named deploy",
                 "hint": d["hint"]}


def test_sarif_format(files: Path) -> None:
    r = wfc("validate", "--format", "sarif", "bad.yml", cwd=files)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "workflowcore"
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} == {
        "job-undefined", "requires-unknown"}
    res = run["results"][0]
    assert res["ruleId"] == "job-undefined" and res["level"] == "error"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 10, "startColumn": 9, "endLine": 10, "endColumn": 15}


def test_github_format(files: Path) -> None:
    r = wfc("validate", "--format", "github", "bad.yml", cwd=files)
    assert r.returncode == 1
    first = r.stdout.splitlines()[0]
    assert first.startswith("::error file=bad.yml,line=10,col=9,endLine=10,endColumn=15,"
                            "title=job-undefined::Cannot find a definition for job named deploy")


def test_missing_file_exits_2(files: Path) -> None:
    r = wfc("validate", "nope.yml", cwd=files)
    assert r.returncode == 2
    assert r.stdout == "" and "nope.yml: no such file" in r.stderr


def test_directory_exits_2(files: Path) -> None:
    r = wfc("validate", ".circleci", cwd=files)
    assert r.returncode == 2 and "is a directory" in r.stderr


def test_bad_option_exits_2(files: Path) -> None:
    r = wfc("validate", "--format", "xml", "good.yml", cwd=files)
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_schema_command_prints_a_json_schema(files: Path) -> None:
    r = wfc("schema", cwd=files)
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    assert "properties" in schema or "$defs" in schema
