"""``workflowcore validate`` options, through the real command: standard input, finding the
config upwards, ``--ignore``, ``--fail-on``, ``--severity-threshold``, the project file, colour,
and ``# cci-ignore`` comments as the command reports them."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from ._repo import wfc_env

# two yaml-truthy warnings (lines 6 and 7), no error
WARNS = """version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    environment:
      A: off
      B: on
    steps: [checkout]
workflows:
  main:
    jobs: [build]
"""
# one warning (yaml-truthy, line 6) and one error (job-undefined, line 10)
MIXED = WARNS.replace("      B: on\n", "").replace("jobs: [build]", "jobs: [build, deploy]")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def wfc(cwd: Path, *args: str, stdin: Optional[str] = None,
        env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    environ = wfc_env()
    environ.pop("NO_COLOR", None)
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "workflowcore", "validate", *args], cwd=cwd,
                          input=stdin, capture_output=True, text=True, timeout=60,
                          env=environ, check=False)


def project(tmp_path: Path, config: str = WARNS, files: Optional[Dict[str, str]] = None,
            git: bool = True) -> Path:
    """A project directory holding ``.circleci/config.yml`` (and a ``.git`` when ``git``)."""
    top = tmp_path / "proj"
    (top / ".circleci").mkdir(parents=True)
    (top / ".circleci" / "config.yml").write_text(config, encoding="utf-8")
    if git:
        (top / ".git").mkdir()
    for name, text in (files or {}).items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(text, encoding="utf-8")
    return top


def codes(out: str) -> list[str]:
    return re.findall(r"^\S+:\d+:\d+: \w+: .* \[([a-z0-9-]+)\]$", out, re.M)


# -- where the config comes from ------------------------------------------------------------

def test_dash_reads_the_config_from_standard_input(tmp_path: Path) -> None:
    r = wfc(tmp_path, "-", stdin=MIXED)
    assert r.returncode == 1, r.stderr
    assert "<stdin>:10:19: error: Cannot find a definition for job named deploy " \
           "[job-undefined]" in r.stdout.splitlines()
    ok = wfc(tmp_path, "-", stdin=WARNS.replace(": off", ": 'off'").replace(": on", ": 'on'"))
    assert (ok.returncode, ok.stdout) == (0, "1 file valid\n")


def test_standard_input_is_bounded_by_max_bytes(tmp_path: Path) -> None:
    r = wfc(tmp_path, "--max-bytes", "64", "-", stdin=WARNS)
    assert r.returncode == 1
    assert r.stdout.startswith("<stdin>:1:1: error: the file has more than 64 bytes "
                               "[yaml-too-large]")


def test_dash_twice_is_a_usage_error(tmp_path: Path) -> None:
    r = wfc(tmp_path, "-", "-", stdin=WARNS)
    assert r.returncode == 2 and "'-' (standard input) can be given only once" in r.stderr


def test_config_is_found_upwards_and_shown_relative_to_here(tmp_path: Path) -> None:
    top = project(tmp_path, MIXED)
    deep = top / "src" / "pkg"
    deep.mkdir(parents=True)
    r = wfc(deep)
    assert r.returncode == 1
    assert codes(r.stdout) == ["yaml-truthy", "job-undefined"]
    assert r.stdout.startswith("../../.circleci/config.yml:6:10: warning:")


def test_search_stops_at_the_top_of_a_git_work_tree(tmp_path: Path) -> None:
    outer = project(tmp_path, MIXED, git=False)     # a config above the repository
    repo = outer / "vendor" / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    r = wfc(repo / "sub")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("workflowcore: no .circleci/config.yml in . or its parents up to the "
                        "git work tree's top ..; give the config's path (workflowcore validate "
                        "PATH), or '-' to read standard input\n")


def test_config_yaml_is_named_when_config_yml_is_missing(tmp_path: Path) -> None:
    top = tmp_path / "p"
    (top / ".circleci").mkdir(parents=True)
    (top / ".git").mkdir()
    (top / ".circleci" / "config.yaml").write_text(WARNS)
    r = wfc(top)
    assert r.returncode == 2
    assert ".circleci/config.yaml exists, but CircleCI reads only config.yml" in r.stderr


# -- what is shown and what fails ----------------------------------------------------------

def test_ignore_takes_globs_repeated_and_comma_separated(tmp_path: Path) -> None:
    top = project(tmp_path, MIXED)
    assert codes(wfc(top).stdout) == ["yaml-truthy", "job-undefined"]
    r = wfc(top, "--ignore", "yaml-*")
    assert codes(r.stdout) == ["job-undefined"] and r.returncode == 1
    r = wfc(top, "--ignore", "job-undefined,nothing-such", "--ignore", "yaml-truthy")
    assert (r.returncode, r.stdout) == (0, "1 file valid\n")


def test_fail_on_warning(tmp_path: Path) -> None:
    top = project(tmp_path, WARNS)
    assert wfc(top).returncode == 0
    r = wfc(top, "--fail-on", "warning")
    assert r.returncode == 1 and r.stdout.endswith("0 errors, 2 warnings in 1 file\n")


def test_severity_threshold_hides_but_never_what_fails(tmp_path: Path) -> None:
    top = project(tmp_path, MIXED)
    r = wfc(top, "--severity-threshold", "error")
    assert codes(r.stdout) == ["job-undefined"] and r.returncode == 1
    r = wfc(top, "--severity-threshold", "error", "--fail-on", "warning")
    assert codes(r.stdout) == ["yaml-truthy", "job-undefined"] and r.returncode == 1
    r = wfc(top, "--severity-threshold", "error", "--ignore", "job-*")
    assert (r.returncode, r.stdout) == (0, "1 file valid\n")


# -- the project file ------------------------------------------------------------------------

def test_pyproject_settings_apply_and_the_command_line_wins(tmp_path: Path) -> None:
    top = project(tmp_path, MIXED, files={"pyproject.toml": (
        '[project]\nname = "x"\n\n[tool.workflowcore]\nignore = ["job-*"]\n'
        'fail-on = "warning"\n')})
    r = wfc(top)
    assert codes(r.stdout) == ["yaml-truthy"] and r.returncode == 1  # warning fails
    r = wfc(top, "--fail-on", "error")
    assert codes(r.stdout) == ["yaml-truthy"] and r.returncode == 0
    r = wfc(top, "--ignore", "yaml-truthy")  # added to the file's list
    assert (r.returncode, r.stdout) == (0, "1 file valid\n")
    r = wfc(top, "--no-project-file")
    assert codes(r.stdout) == ["yaml-truthy", "job-undefined"]


def test_workflowcore_toml_is_found_upwards_and_preferred(tmp_path: Path) -> None:
    top = project(tmp_path, WARNS, files={
        ".workflowcore.toml": 'severity-threshold = "error"\n',
        "pyproject.toml": '[tool.workflowcore]\nfail-on = "warning"\n'})
    r = wfc(top / ".circleci", "config.yml")
    assert (r.returncode, r.stdout) == (0, "1 file valid\n")  # only the dedicated file read
    # a pyproject.toml without our table does not stop the search
    (top / ".circleci" / "pyproject.toml").write_text('[project]\nname = "workflowcore"\n')
    assert wfc(top / ".circleci", "config.yml").stdout == "1 file valid\n"


def test_standard_input_uses_the_project_file_of_the_current_directory(tmp_path: Path) -> None:
    top = project(tmp_path, WARNS, files={".workflowcore.toml": 'fail-on = "warning"\n'})
    assert wfc(top, "-", stdin=WARNS).returncode == 1
    assert wfc(tmp_path, "-", stdin=WARNS).returncode == 0


@pytest.mark.parametrize(("text", "message"), [
    ('ignores = ["x"]\n', "workflowcore: .workflowcore.toml: unknown setting 'ignores'; "
                          "did you mean 'ignore'?\n"),
    ('fail-on = "info"\n', "workflowcore: .workflowcore.toml: 'fail-on' is 'info'; use one of "
                           '"error", "warning"\n'),
    ('ignore = "yaml-truthy"\n', "workflowcore: .workflowcore.toml: 'ignore' must be a list of "
                                 'diagnostic codes (globs allowed), e.g. ignore = ["yaml-truthy"'
                                 ', "orb-*"]\n'),
])
def test_a_bad_project_file_is_one_line_naming_it(tmp_path: Path, text: str,
                                                   message: str) -> None:
    top = project(tmp_path, WARNS, files={".workflowcore.toml": text})
    r = wfc(top)
    assert (r.returncode, r.stdout, r.stderr) == (2, "", message)


def test_invalid_toml_names_the_file_and_the_place(tmp_path: Path) -> None:
    top = project(tmp_path, WARNS, files={"pyproject.toml": "[tool.workflowcore]\n"
                                                            "fail-on = warning\n"})
    r = wfc(top)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == ("workflowcore: pyproject.toml: not valid TOML: Invalid value (at line "
                        "2, column 11)\n")


def test_dotted_keys_in_pyproject_are_read(tmp_path: Path) -> None:
    top = project(tmp_path, WARNS, files={"pyproject.toml": 'tool.workflowcore.fail-on = '
                                                            '"warning"\n'})
    assert wfc(top).returncode == 1


def test_without_a_toml_reader_the_file_is_skipped_with_a_warning(tmp_path: Path) -> None:
    """Python < 3.11 without tomli: simulated by making both imports fail in the process."""
    top = project(tmp_path, WARNS, files={".workflowcore.toml": 'fail-on = "warning"\n'})
    code = ("import sys; sys.modules['tomllib'] = None; sys.modules['tomli'] = None; "
            "from workflowcore.cli.main import main; sys.exit(main(['validate']))")
    r = subprocess.run([sys.executable, "-c", code], cwd=top, capture_output=True, text=True,
                       timeout=60, env=wfc_env(), check=False)
    assert (r.returncode, r.stdout.splitlines()[-1]) == (0, "0 errors, 2 warnings in 1 file")
    assert r.stderr == ("workflowcore: warning: .workflowcore.toml: not read: reading TOML "
                        "needs Python 3.11 or the 'tomli' package (pip install tomli)\n")


# -- comments, as the command reports them ---------------------------------------------------

SUPPRESSED = WARNS.replace("A: off", "A: off  # cci-ignore yaml-truthy -- the tool wants it") \
    .replace("B: on", "B: on  # cci-ignore job-unused")


def test_comments_silence_and_unused_ones_are_reported(tmp_path: Path) -> None:
    top = project(tmp_path, SUPPRESSED)
    r = wfc(top, "--no-snippets")
    assert r.returncode == 0
    assert [line for line in r.stdout.splitlines() if not line.startswith(" ")] == [
        ".circleci/config.yml:7:10: warning: B: on is the boolean true in YAML 1.1, not the "
        "text 'on' [yaml-truthy]",
        ".circleci/config.yml:7:27: warning: 'job-unused' in this 'cci-ignore' matches no "
        "finding on line 7 [suppression-unused]",
        "0 errors, 2 warnings in 1 file"]
    assert wfc(top, "--fail-on", "warning", "--ignore", "yaml-truthy").returncode == 1
    r = wfc(top, "--fail-on", "warning", "--ignore", "yaml-truthy,suppression-unused")
    assert (r.returncode, r.stdout) == (0, "1 file valid\n")


def test_sarif_lists_silenced_findings_as_suppressed_and_json_does_not(tmp_path: Path) -> None:
    top = project(tmp_path, SUPPRESSED)
    doc = json.loads(wfc(top, "--format", "sarif", "--ignore", "suppression-*").stdout)
    results = doc["runs"][0]["results"]
    assert [(x["locations"][0]["physicalLocation"]["region"]["startLine"], x["ruleId"],
             x.get("suppressions")) for x in results] == [
        (7, "yaml-truthy", None),
        (6, "yaml-truthy", [{"kind": "inSource", "justification": "the tool wants it"}]),
        (7, "suppression-unused", [{"kind": "external"}])]
    plain = json.loads(wfc(top, "--format", "json").stdout)
    assert [d["line"] for d in plain["files"][0]["diagnostics"]] == [7, 7]
    assert plain["summary"] == {"errors": 0, "warnings": 2, "files": 1}


# -- colour ----------------------------------------------------------------------------------

def test_color_always_paints_and_the_text_underneath_is_unchanged(tmp_path: Path) -> None:
    top = project(tmp_path, MIXED)
    plain = wfc(top)
    painted = wfc(top, "--color", "always", env={"NO_COLOR": "1"})  # the flag wins
    assert "\x1b[" not in plain.stdout and "\x1b[1m\x1b[31merror:\x1b[0m" in painted.stdout
    assert ANSI.sub("", painted.stdout) == plain.stdout
    assert painted.returncode == plain.returncode == 1
    for fmt in ("json", "sarif", "github"):  # machines never get colour
        assert "\x1b[" not in wfc(top, "--format", fmt, "--color", "always").stdout


def _on_a_terminal(cwd: Path, env: Dict[str, str], *args: str) -> str:
    """Run with stdout on a pseudo-terminal, as in an interactive shell."""
    environ = wfc_env()
    environ.pop("NO_COLOR", None)
    environ.update({"TERM": "xterm", **env})
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "workflowcore", "validate", *args],
                                cwd=cwd, stdout=slave, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, env=environ)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    finally:
        os.close(master)
    return b"".join(chunks).decode()


def test_auto_colours_a_terminal_unless_no_color(tmp_path: Path) -> None:
    top = project(tmp_path, MIXED)
    assert "\x1b[" in _on_a_terminal(top, {})
    assert "\x1b[" not in _on_a_terminal(top, {"NO_COLOR": "1"})
    assert "\x1b[" not in _on_a_terminal(top, {"TERM": "dumb"})
    assert "\x1b[" not in _on_a_terminal(top, {}, "--color", "never")
    assert "\x1b[" not in wfc(top, "--color", "auto").stdout  # a pipe
