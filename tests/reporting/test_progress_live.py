"""Progress a person reads at a glance (issue 12): dated plain lines when piped, a heartbeat
for a silent step, grammatical counts, a live table on a terminal (rich), and a cancel that
says it cancels."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli._repo import SRC, make_repo, wfc
from workflowcore.runtime.events import (
    JobFinished,
    JobOutput,
    JobQueued,
    JobStarted,
    NodeFinished,
    NodeStarted,
    WorkflowStarted,
)

rich_console = pytest.importorskip("rich.console")

STAMP = r"\d\d:\d\d:\d\d "

ONE_JOB = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: {name: Say hello, command: echo hello}
workflows:
  w:
    jobs: [build]
"""

SILENT = """
version: 2.1
jobs:
  quiet:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: {name: pytest, command: echo begin; sleep 2; echo end}
workflows:
  w:
    jobs: [quiet]
"""

HELD = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo built
workflows:
  w:
    jobs:
      - build
      - hold: {type: approval, requires: [build]}
      - build: {name: deploy, requires: [hold]}
"""


def progress_lines(stdout: str) -> list[str]:
    """The live part of `run`'s text output (the summary follows a blank line)."""
    return stdout.split("\n\n", 1)[0].splitlines()


# -- plain lines -------------------------------------------------------------------------------

def test_piped_progress_lines_are_dated_and_grammatical(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, ONE_JOB)
    proc = wfc(repo, "run", "--branch", "main")
    assert proc.returncode == 0, proc.stderr
    lines = progress_lines(proc.stdout)
    assert lines and all(re.match(STAMP, line) for line in lines), lines
    bare = [line[9:] for line in lines]
    assert re.fullmatch(r"workflow w started: \S+ \(1 job\)", bare[0]), bare[0]
    assert "[w] build | ==> Say hello" in bare and "[w] build | hello" in bare
    assert any(line.startswith("[w] build: ok (exit 0, ") for line in bare)
    assert "\x1b[" not in proc.stdout  # no terminal codes in a pipe
    # the summary has the trigger, the times and each step's time
    summary = proc.stdout.split("\n\n", 1)[1]
    assert re.search(r"^  trigger: branch 'main' at [0-9a-f]{12} \(push\)$", summary, re.M)
    assert re.search(r"^  started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, finished \d\d:\d\d:\d\d "
                     r"\(\d+\.\ds\)$", summary, re.M), summary
    assert re.search(r"^      Say hello\s+\d+\.\ds$", summary, re.M), summary


def test_quiet_keeps_the_job_lines_only(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, ONE_JOB)
    proc = wfc(repo, "run", "--branch", "main", "--quiet")
    assert proc.returncode == 0, proc.stderr
    lines = progress_lines(proc.stdout)
    assert not any(" | " in line for line in lines)
    assert any(re.match(STAMP + r"\[w\] build: ok ", line) for line in lines)


def test_a_silent_step_gets_a_heartbeat_once_per_interval(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, SILENT)
    proc = wfc(repo, "run", "--branch", "main", "--heartbeat", "0.5")
    assert proc.returncode == 0, proc.stderr
    beats = [line for line in progress_lines(proc.stdout) if "still running" in line]
    pattern = STAMP + (r"\[w\] quiet: still running \(step 'pytest', \d+\.\ds, "
                       r"silent for \d+\.\ds\)")
    assert beats and all(re.fullmatch(pattern, b) for b in beats), beats
    assert 2 <= len(beats) <= 5, beats  # 2 s of silence, one per 0.5 s at most
    # after the step spoke again, no heartbeat until it is silent again
    lines = progress_lines(proc.stdout)
    end = next(i for i, line in enumerate(lines) if line.endswith("[w] quiet | end"))
    assert not any("still running" in line for line in lines[end:])


def test_heartbeat_from_the_environment_and_its_errors(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, SILENT)
    env_run = subprocess.run(
        [sys.executable, "-m", "workflowcore", "run", "--branch", "main", "--quiet"],
        cwd=repo, capture_output=True, text=True, timeout=60,
        env={**_env(), "WORKFLOWCORE_HEARTBEAT": "0.5"})
    assert env_run.returncode == 0, env_run.stderr
    assert "[w] quiet: still running (step 'pytest', " in env_run.stdout  # --quiet keeps it
    off = wfc(repo, "run", "--branch", "main", "--heartbeat", "0")
    assert off.returncode == 0 and "still running" not in off.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "workflowcore", "run", "--branch", "main"],
        cwd=repo, capture_output=True, text=True, timeout=60,
        env={**_env(), "WORKFLOWCORE_HEARTBEAT": "soon"})
    assert bad.returncode == 2
    assert "WORKFLOWCORE_HEARTBEAT" in bad.stderr and "'soon'" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    wrong = wfc(repo, "run", "--branch", "main", "--heartbeat", "-1")
    assert wrong.returncode == 2 and "expected seconds" in wrong.stderr


def _env() -> dict[str, str]:
    from tests.cli._repo import wfc_env

    return wfc_env()


# -- cancel ------------------------------------------------------------------------------------

def test_cancel_says_canceling_never_resumed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, HELD)
    held = wfc(repo, "run", "--branch", "main", "--format", "json")
    assert held.returncode == 3, held.stderr
    wid = json.loads(held.stdout)["workflows"][0]["id"]
    text = wfc(repo, "cancel", wid)
    assert text.returncode == 0, text.stderr
    assert "resumed" not in text.stdout + text.stderr
    assert re.search(STAMP + rf"workflow w canceling: {wid} \(3 jobs\)", text.stdout)
    assert f"workflow w: canceled: {wid}" in text.stdout

    again = make_repo(tmp_path / "json", HELD)
    held = wfc(again, "run", "--branch", "main", "--format", "json")
    wid = json.loads(held.stdout)["workflows"][0]["id"]
    as_json = wfc(again, "cancel", wid, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert f"workflow w canceling: {wid}" in as_json.stderr
    assert "resumed" not in as_json.stderr
    assert json.loads(as_json.stdout)["status"] == "canceled"


# -- the live table ----------------------------------------------------------------------------

def _render(printer: object, width: int = 140) -> str:
    out = io.StringIO()
    console = rich_console.Console(file=out, force_terminal=True, width=width, height=40,
                                   color_system=None)
    console.print(printer.table())  # type: ignore[attr-defined]
    return out.getvalue()


def test_the_live_table_shows_job_state_node_elapsed_and_last_line() -> None:
    from workflowcore.reporting.live import LiveTablePrinter

    history = io.StringIO()
    console = rich_console.Console(file=history, force_terminal=True, width=140,
                                   color_system=None)
    printer = LiveTablePrinter(console, live=False)
    t0 = 1_700_000_000.0
    events = [
        WorkflowStarted("wf-1", "w", "p-1", ("build", "test", "deploy"), time=t0),
        JobQueued("wf-1", "w", "build", time=t0),
        JobStarted("wf-1", "w", "build", "alice", time=t0),
        JobOutput("wf-1", "w", "build", "==> Build it", time=t0 + 1),
        JobOutput("wf-1", "w", "build", "compiling module 7", time=t0 + 2),
        JobFinished("wf-1", "w", "build", "success", 0, 3.5, time=t0 + 3.5),
        JobStarted("wf-1", "w", "test", "alice", nodes=2, time=t0 + 4),
        NodeStarted("wf-1", "w", "test", 0, 2, time=t0 + 4),
        NodeStarted("wf-1", "w", "test", 1, 2, time=t0 + 4),
        JobOutput("wf-1", "w", "test", "==> Run tests", node=1, nodes=2, time=t0 + 5),
        JobOutput("wf-1", "w", "test", "collected 12 items", node=1, nodes=2, time=t0 + 5),
        NodeFinished("wf-1", "w", "test", 0, 2, "failed", 1, 2.0, "boom", time=t0 + 6),
    ]
    for event in events:
        printer(event)
    text = _render(printer)
    header = text.splitlines()[0].split()
    assert header == ["job", "node", "state", "elapsed", "step", "last", "output"]
    rows = {tuple(line.split()[:3]): line for line in text.splitlines()[1:]}
    build = rows[("build", "ok", "3.5s")]
    assert "Build it" in build and "compiling module 7" in build
    running = rows[("test", "test[1/2]", "running")]
    assert "Run tests" in running and "collected 12 items" in running
    assert re.search(r"running\s+\d+(\.\d)?[smh]", running)  # elapsed, still growing
    assert rows[("test", "test[0/2]", "FAILED")]
    assert rows[("test", "2", "nodes")]  # the parallel job's own row
    assert any(line.split()[:2] == ["deploy", "waiting"] for line in text.splitlines())
    # what happened stays above the table, dated
    assert re.search(STAMP + r"\[w\] build: ok \(exit 0, 3\.5s\)", history.getvalue())
    assert re.search(STAMP + r"workflow w started: wf-1 \(3 jobs\)", history.getvalue())


def test_a_failed_job_shows_its_last_lines_and_quiet_hides_output() -> None:
    from workflowcore.reporting.live import LiveTablePrinter

    for quiet in (False, True):
        history = io.StringIO()
        console = rich_console.Console(file=history, force_terminal=True, width=140,
                                       color_system=None)
        printer = LiveTablePrinter(console, live=False, show_output=not quiet)
        printer(WorkflowStarted("wf-1", "w", "p-1", ("build",)))
        printer(JobStarted("wf-1", "w", "build", "alice"))
        printer(JobOutput("wf-1", "w", "build", "/bin/bash: line 1: nope: command not found"))
        printer(JobFinished("wf-1", "w", "build", "failed", 127, 0.2, "step 'x' failed"))
        shown = history.getvalue()
        assert "[w] build: FAILED (exit 127, 0.2s): step 'x' failed" in shown
        assert ("| /bin/bash: line 1: nope" in shown) is not quiet
        assert ("workflowcore logs wf-1 build" in shown) is not quiet
        assert ("last output" in _render(printer)) is not quiet


def test_the_live_table_fits_the_terminal() -> None:
    from workflowcore.reporting.live import LiveTablePrinter

    console = rich_console.Console(file=io.StringIO(), force_terminal=True, width=100,
                                   height=12, color_system=None)
    printer = LiveTablePrinter(console, live=False)
    jobs = tuple(f"job{i:02d}" for i in range(30))
    printer(WorkflowStarted("wf-1", "w", "p-1", jobs))
    printer(JobStarted("wf-1", "w", "job25", "alice"))
    out = io.StringIO()
    rich_console.Console(file=out, width=100, height=12).print(printer.table())
    lines = out.getvalue().splitlines()
    assert len(lines) <= 12
    assert any(line.startswith("job25") and "running" in line for line in lines)
    assert "… 23 more rows (23 waiting)" in out.getvalue()


def test_live_progress_through_the_cli(tmp_path: Path) -> None:
    """``--progress live`` in a pipe: rich draws no table there (not a terminal), the dated
    lines and the failed job's excerpt still come, then the usual summary."""
    config = ONE_JOB.replace("echo hello", "echo hello; nosuchcommand")
    repo = make_repo(tmp_path, config)
    proc = wfc(repo, "run", "--branch", "main", "--progress", "live")
    assert proc.returncode == 1, proc.stderr
    assert re.search(STAMP + r"workflow w started: \S+ \(1 job\)", proc.stdout)
    assert re.search(STAMP + r"\[w\] build: FAILED \(exit 127, ", proc.stdout)
    assert "    | /bin/bash: line 1: nosuchcommand: command not found" in proc.stdout or \
        "    | /bin/sh: 1: nosuchcommand: not found" in proc.stdout
    assert "workflow w: failed  (id " in proc.stdout  # the summary


def test_rich_stays_out_of_the_core_imports() -> None:
    code = ("import sys, workflowcore, workflowcore.cli.main, workflowcore.reporting.live; "
            "print('rich' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**_env(), "PYTHONPATH": str(SRC)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
