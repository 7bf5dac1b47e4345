"""Five real projects through ``workflowcore run`` (issue 12 acceptance).

The bounded part, always run when ``shared/projects`` is there: each project's archive is
extracted and made a git repository (``benchmarks/run_projects.py``), then ``run --list``
and ``run --dry-run`` must show what the config says (checked against the config's own
workflow entries and against ``plan --format json``, not against lists written here), and
one real job that needs no network runs: astronomer-providers' ``build-and-verify`` on a
version tag that is not the package's version, whose own script must see ``CIRCLE_TAG`` and
the checked-out ``setup.cfg`` and stop before its ``pip install``.

The whole campaign needs the registries and many minutes: ``WFC_REAL_PROJECTS=1`` runs it
here (every job of every project, ``WFC_REAL_PROJECTS_MINUTES`` each, default 20;
``WFC_REAL_PROJECTS_STANDINS=1`` adds the image stand-ins of ``--image-standins``; the test
fails only when a failure is classified ``ours`` or a run leaves no state), otherwise it is
skipped saying so.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest
import yaml
from benchmarks.run_projects import (
    Project,
    _git,
    classify,
    load_manifest,
    markdown,
    prepare,
    run_project,
    wfc,
)

from tests.cli._repo import wfc_env
from tests.conftest import shared_dir


def _projects_dir() -> Path:
    try:
        return shared_dir() / "projects"
    except RuntimeError as exc:
        return Path(str(exc))  # not a directory: the rows below skip with this reason


PROJECTS_DIR = _projects_dir()
MISSING = (f"shared/projects is missing ({PROJECTS_DIR}): clone the project next to "
           "shared/ or set WFC_SHARED")
PROJECTS: List[Project] = (load_manifest(PROJECTS_DIR)
                           if (PROJECTS_DIR / "MANIFEST.tsv").is_file() else [])
ROWS = ([pytest.param(p, id=p.name) for p in PROJECTS] or
        [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="missing")])


def _orbs() -> Path:
    return PROJECTS_DIR.parent / "orbs"


def _wfc(source: Path, *args: str, timeout: float = 120) -> Any:
    proc = wfc(list(args), cwd=source, env=wfc_env(), timeout=timeout)
    return proc


def _entries(config: Dict[str, Any], workflow: str) -> List[Dict[str, Any]]:
    """A workflow's job entries as ``{"job", "name", "matrix"}`` read from the raw YAML."""
    out = []
    for entry in config["workflows"][workflow]["jobs"]:
        if isinstance(entry, str):
            out.append({"job": entry, "name": entry, "matrix": False})
        else:
            (job, args), = entry.items()
            args = args or {}
            out.append({"job": job, "name": args.get("name", job),
                        "matrix": "matrix" in args})
    return out


@pytest.mark.parametrize("project", ROWS)
def test_list_and_dry_run_show_what_the_config_says(project: Project, tmp_path: Path) -> None:
    source, branch, counts = prepare(project, tmp_path, _orbs())
    assert counts[branch] == max(counts.values())
    config = yaml.safe_load((source / ".circleci" / "config.yml").read_text(encoding="utf-8"))
    plan_proc = _wfc(source, "plan", "--branch", branch, "--format", "json",
                     "--orb-dir", str(_orbs()))
    assert plan_proc.returncode == 0, plan_proc.stderr
    plan = json.loads(plan_proc.stdout)
    workflows = {wf["name"]: wf for wf in plan["workflows"]}
    # Every workflow of the config is planned, and every job entry is planned or excluded
    # (a matrix entry as one or more jobs of that definition, never under another job).
    assert set(workflows) == {name for name in config["workflows"] if name != "version"}
    for name, wf in workflows.items():
        if not wf["runs"]:  # a scheduled workflow on a push: not run, saying why
            assert wf["reason"], wf
            continue
        planned = {j["name"]: j["job"] for j in wf["jobs"]}
        seen: Set[str] = set(planned) | {e["name"] for e in wf["excluded"]}
        for entry in _entries(config, name):
            if entry["matrix"]:
                assert entry["job"] in planned.values() or wf["excluded"], (name, entry)
            else:
                assert entry["name"] in seen, (name, entry, sorted(seen))
    assert any(wf["runs"] and wf["jobs"] for wf in workflows.values())

    # `run --dry-run` (default trigger: the current branch) prints that same plan...
    dry = _wfc(source, "run", "--dry-run", "--format", "json", "--orb-dir", str(_orbs()),
               "--skip-missing-orbs")
    assert dry.returncode == 0, dry.stderr
    dry_plan = json.loads(dry.stdout)
    assert dry_plan["trigger"]["branch"] == branch
    assert dry_plan["workflows"] == plan["workflows"]

    # ...and `run --list` names each workflow, whether it runs, and each job it runs.
    listed = _wfc(source, "run", "--list", "--orb-dir", str(_orbs()), "--skip-missing-orbs")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    for name, wf in workflows.items():
        header = [line for line in lines if line.startswith(f"{name} (")]
        assert header, (name, listed.stdout)
        assert ("(runs)" in header[0]) == wf["runs"], header
        for job in wf["jobs"]:
            assert any(re.match(rf"  {re.escape(job['name'])}(\s|$)", line)
                       for line in lines), (job["name"], listed.stdout)
    # Listing and planning never record a run.
    assert not (source / ".workflowcore").exists()


def _astronomer() -> Project:
    found = [p for p in PROJECTS if p.repo == "astronomer/astronomer-providers"]
    if not found:
        pytest.skip(MISSING if not PROJECTS else
                    "astronomer/astronomer-providers is no longer in MANIFEST.tsv")
    return found[0]


def test_a_real_job_runs_on_a_tag_with_the_projects_own_script(tmp_path: Path) -> None:
    """``build-and-verify`` runs ``.circleci/scripts/verify_tag_and_version.py``, which
    compares ``CIRCLE_TAG`` with ``setup.cfg``'s version; on a tag that differs it exits 1
    before the step that needs the network."""
    source, _, _ = prepare(_astronomer(), tmp_path, _orbs(), branch="main")
    setup = configparser.ConfigParser(strict=False)
    setup.read(source / "setup.cfg")
    version = setup["metadata"]["version"]
    tag = "9.9.9"
    assert version != tag
    _git(source, "tag", tag)
    state = tmp_path / "state"
    proc = _wfc(source, "run", "--tag", tag, "--job", "build-and-verify", "--format", "json",
                "--state-dir", str(state), "--orb-dir", str(_orbs()), "--skip-missing-orbs",
                "--committed-only", timeout=300)
    assert proc.returncode == 1, proc.stderr
    (wf,) = json.loads(proc.stdout)["workflows"]
    assert list(wf["jobs"]) == ["build-and-verify"]
    job = wf["jobs"]["build-and-verify"]
    assert (job["status"], job["exit_code"]) == ("failed", 1)
    assert job["message"].startswith("step 'verify tag' failed")
    logs = _wfc(source, "logs", wf["id"], "build-and-verify", "--state-dir", str(state),
                "--format", "json")
    assert logs.returncode == 0, logs.stderr
    log = json.loads(logs.stdout)["logs"]["build-and-verify"]
    assert f"checked out tag {tag}" in log
    assert (f"The version in setup.cfg ({version}) does not match the Git Tag ({tag})."
            in log)
    assert "==> build artifacts" not in log  # stopped before `pip install -U build`
    verdict = classify(job["status"], job["message"], log)
    assert verdict.kind == "unknown", verdict  # the project's own check: neither ours nor
    assert "does not match the Git Tag" in verdict.evidence  # a known environment cause


@pytest.mark.skipif(os.environ.get("WFC_REAL_PROJECTS") != "1",
                    reason="the full real-project campaign needs PyPI, npm and many minutes: "
                    "set WFC_REAL_PROJECTS=1 (or run benchmarks/run_projects.py)")
@pytest.mark.slow
@pytest.mark.parametrize("project", ROWS)
def test_every_job_of_a_real_project_runs_and_no_failure_is_ours(
        project: Project, tmp_path: Path) -> None:
    minutes = float(os.environ.get("WFC_REAL_PROJECTS_MINUTES", "20"))
    report = run_project(project, tmp_path, orb_dir=_orbs(), timeout_minutes=minutes,
                         standins=os.environ.get("WFC_REAL_PROJECTS_STANDINS") == "1",
                         log=sys.stderr)
    print(markdown([report]))
    assert report.error is None, report.error
    counts = report.counts()
    assert counts["run"] >= 1, counts
    assert counts["planned"] == len(report.jobs), (counts, [j.job for j in report.jobs])
    ours = [(j.job, j.verdict.reason, j.verdict.evidence)
            for j in report.jobs if j.verdict.kind == "ours"]
    assert not ours, ours


# Lines from the campaign's logs (issue 12 note), each with the verdict it must get.
CLASSIFIED = [
    ("./.circleci/setup_bash.sh: line 5: sudo: command not found", "environment"),
    ('error Error: https://registry.yarnpkg.com/@fms-cat/automaton/-/automaton-2.1.1.tgz: '
     'Request failed "404 Not Found"', "environment"),
    ("ERROR: Package 'networkx' requires a different Python: 3.11.7 not in "
     "'!=3.14.1,>=3.12'", "environment"),
    ("fatal: unable to access 'https://github.com/pre-commit/pre-commit-hooks/': Could not "
     "resolve host: github.com", "environment"),
    ("Error: error:0308010C:digital envelope routines::unsupported", "environment"),
    ("/sbin/start-stop-daemon: unable to stat /usr/bin/Xvfb (No such file or directory)",
     "environment"),
    ("Could not resolve host: pypi.org", "unknown"),  # a registry this machine reaches
    ('  File "/work/main/src/workflowcore/runtime/steps/_engine.py", line 9, in run',
     "ours"),
]


@pytest.mark.parametrize(("line", "kind"), CLASSIFIED, ids=[k + str(i) for i, (_, k)
                                                            in enumerate(CLASSIFIED)])
def test_a_failing_steps_output_is_classified_with_the_line_that_decided(
        line: str, kind: str) -> None:
    log = f"==> Checkout code\nchecked out\n==> Build\nsome output\n{line}\nExited with code 1"
    verdict = classify("failed", "step 'Build' failed: Exited with code exit status 1", log)
    assert verdict.kind == kind, verdict
    assert verdict.evidence == line.strip() or (kind == "unknown" and line in verdict.evidence)
    # Only the failing step counts: the same line in an earlier, passing step does not.
    earlier = f"==> Setup\n{line}\n==> Build\nplain failure\nExited with code 1"
    assert classify("failed", "step 'Build' failed: Exited", earlier).kind == "unknown"
