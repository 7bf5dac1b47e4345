"""Step normalisation (§1.6, §1.7), durations, JUnit summaries and the artifact store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workflowcore.errors import StoreError
from workflowcore.runtime.steps import (
    DEFAULT_NO_OUTPUT_TIMEOUT,
    AttachWorkspaceStep,
    CheckoutStep,
    InvalidStep,
    PersistToWorkspaceStep,
    RestoreCacheStep,
    RunStep,
    SaveCacheStep,
    StoreArtifactsStep,
    StoreTestResultsStep,
    UnsupportedStep,
    normalize_step,
    normalize_steps,
    parse_duration,
    summarize_junit,
)
from workflowcore.runtime.stores import ArtifactStore, FileSystemArtifactStore


def test_run_string_form_is_command_and_name() -> None:
    step = normalize_step({"run": "make test"})
    assert step == RunStep("run", "make test", "on_success", command="make test")
    assert isinstance(step, RunStep)
    assert step.shell is None
    assert step.no_output_timeout == DEFAULT_NO_OUTPUT_TIMEOUT
    assert not step.background
    assert step.environment == {}


def test_run_map_form() -> None:
    step = normalize_step({"run": {
        "command": "pytest", "name": "Tests", "shell": "/bin/sh -eo pipefail",
        "environment": {"N": 2, "FLAG": True}, "working_directory": "sub",
        "background": False, "no_output_timeout": "1.25h", "when": "always",
        "max_auto_reruns": 2, "auto_rerun_delay": "10s"}})
    assert isinstance(step, RunStep)
    assert (step.name, step.command, step.shell, step.when) == (
        "Tests", "pytest", "/bin/sh -eo pipefail", "always")
    assert step.environment == {"N": "2", "FLAG": "true"}
    assert step.working_directory == "sub"
    assert step.no_output_timeout == 4500.0
    assert (step.max_auto_reruns, step.auto_rerun_delay) == (2, 10.0)
    assert normalize_step({"deploy": "./ship.sh"}).type == "deploy"


@pytest.mark.parametrize(("raw", "fragment"), [
    ({"run": {"name": "no command"}}, "requires a `command`"),
    ({"run": {"command": "x", "when": "sometimes"}}, "Invalid when condition"),
    ({"run": {"command": "x", "no_output_timeout": "soon"}}, "invalid duration"),
    ({"run": {"command": "x", "environment": ["A=1"]}}, "must be a map"),
    ({"run": {"command": "x", "max_auto_reruns": 9}}, "max_auto_reruns"),
    ({"persist_to_workspace": {"root": "."}}, "requires `paths`"),
    ("store_test_results", "needs a map"),
    ({"restore_cache": {"name": "x"}}, "requires `key` or `keys`"),
    ("my-command", "unknown step `my-command`"),
    ({"when": {"condition": True, "steps": []}}, "resolved when the config is compiled"),
    (42, "a step must be"),
])
def test_invalid_steps_become_failing_records(raw: object, fragment: str) -> None:
    step = normalize_step(raw)
    assert isinstance(step, InvalidStep)
    assert fragment in step.reason


def test_other_builtins() -> None:
    steps = normalize_steps([
        "checkout",
        {"checkout": {"path": "src"}},
        {"persist_to_workspace": {"root": "/tmp/ws", "paths": "dist"}},
        {"attach_workspace": {"at": "/tmp/ws"}},
        {"save_cache": {"key": "k", "paths": ["a"], "when": "always"}},
        {"restore_cache": {"key": "k1", "keys": ["k2", "k3"]}},
        {"store_artifacts": {"path": "out", "destination": "reports"}},
        {"store_test_results": {"path": "results"}},
        "setup_remote_docker",
        {"add_ssh_keys": {"fingerprints": ["aa:bb"]}},
    ])
    assert steps[0] == CheckoutStep("checkout", "Checkout code", path=".")
    assert isinstance(steps[1], CheckoutStep)
    assert steps[1].path == "src"
    assert steps[2] == PersistToWorkspaceStep("persist_to_workspace", "Persisting to Workspace",
                                              root="/tmp/ws", paths=("dist",))
    assert steps[3] == AttachWorkspaceStep("attach_workspace", "Attaching Workspace",
                                           at="/tmp/ws")
    assert isinstance(steps[4], SaveCacheStep)
    assert steps[4].when == "always"
    assert isinstance(steps[5], RestoreCacheStep)
    assert steps[5].keys == ("k1", "k2", "k3")
    assert isinstance(steps[6], StoreArtifactsStep)
    assert steps[6].when == "always"
    assert isinstance(steps[7], StoreTestResultsStep)
    assert steps[7].when == "always"
    assert isinstance(steps[8], UnsupportedStep)
    assert steps[8].note == "not supported locally: setup_remote_docker (step skipped)"
    assert isinstance(steps[9], UnsupportedStep)
    assert "add_ssh_keys" in steps[9].note
    assert normalize_steps(None) == []
    assert isinstance(normalize_steps("checkout")[0], InvalidStep)


@pytest.mark.parametrize(("text", "seconds"), [
    ("20m", 1200.0), ("1.25h", 4500.0), ("5s", 5.0), ("1h30m", 5400.0), ("300ms", 0.3),
    ("90", 90.0), (45, 45.0), ("1m0.5s", 60.5),
])
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "m", "10 minutes", "-5s", True, -1])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(bad)


# -- JUnit --------------------------------------------------------------------------------------

JUNIT = """<?xml version="1.0"?>
<testsuites>
  <testsuite name="s" tests="99" failures="0">
    <testcase classname="pkg.Mod" name="test_ok"/>
    <testcase classname="pkg.Mod" name="test_bad"><failure message="boom"/></testcase>
    <testcase classname="pkg.Mod" name="test_err"><error/></testcase>
    <testcase classname="pkg.Mod" name="test_skip"><skipped/></testcase>
  </testsuite>
</testsuites>
"""


def test_junit_counts_test_cases(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.xml").write_text(JUNIT)
    (tmp_path / "r" / "nested").mkdir()
    (tmp_path / "r" / "nested" / "b.xml").write_text(
        '<testsuite tests="3" failures="1" errors="0" skipped="1"/>')  # attributes only
    (tmp_path / "r" / "broken.xml").write_text("<testsuite><testcase>")
    (tmp_path / "r" / "notes.txt").write_text("ignored")
    summary, problems = summarize_junit(tmp_path / "r")
    assert (summary.tests, summary.failures, summary.errors, summary.skipped) == (7, 2, 1, 2)
    assert summary.passed == 2
    assert summary.failed_tests == ("pkg.Mod.test_bad", "pkg.Mod.test_err")
    assert len(summary.files) == 2
    assert len(problems) == 1
    assert "broken.xml" in problems[0]
    single, _ = summarize_junit(tmp_path / "r" / "a.xml")
    assert single.tests == 4
    none, _ = summarize_junit(tmp_path / "missing")
    assert none.tests == 0


# -- artifacts ----------------------------------------------------------------------------------

def test_artifact_store(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path / "artifacts")
    assert isinstance(store, ArtifactStore)
    src = tmp_path / "out"
    (src / "html").mkdir(parents=True)
    (src / "html" / "index.html").write_text("<h1>")
    (src / "log.txt").write_text("log")
    stored = store.store("run", "job", src, "reports")
    assert sorted(a.path for a in stored) == ["reports/html/index.html", "reports/log.txt"]
    assert all(a.location.read_text() in ("<h1>", "log") for a in stored)
    single = store.store("run", "job", src / "log.txt", "logs/build.log")
    assert [a.path for a in single] == ["logs/build.log"]
    assert store.store("run", "job", tmp_path / "missing", "x") == []


@pytest.mark.parametrize("bad", ["../up", "/abs", "a/../../b"])
def test_artifact_destination_escape_refused(tmp_path: Path, bad: str) -> None:
    store = FileSystemArtifactStore(tmp_path / "artifacts")
    (tmp_path / "f").write_text("x")
    with pytest.raises(StoreError, match="absolute or contains"):
        store.store("run", "job", tmp_path / "f", bad)


def test_artifact_symlink_out_of_source_refused(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(tmp_path / "artifacts")
    (tmp_path / "secret").write_text("s")
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path / "secret", tmp_path / "out" / "leak")
    with pytest.raises(StoreError, match="outside"):
        store.store("run", "job", tmp_path / "out", "x")
    assert not list((tmp_path / "artifacts").rglob("leak"))
