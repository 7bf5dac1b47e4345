"""The seed document's workflow examples (shared/seed/workflows.md), cleaned and completed
as ``tests/seed.py`` does, planned for the branches and tags their prose talks about."""

from __future__ import annotations

from typing import Any

import pytest

from workflowcore.config import load
from workflowcore.errors import ConfigError
from workflowcore.planning import Plan, Trigger, plan

from ..seed import clean, complete, seed_blocks
from ._helpers import only, reasons, running

BLOCKS = {b.line: b for b in seed_blocks()}


def seed_config(line: int) -> str:
    text = clean(BLOCKS[line].text)
    first = load(text)
    undefined = [d.message.rsplit(" ", 1)[1] for d in first.diagnostics
                 if d.code == "job-undefined"]
    return complete(text, undefined)


def seed_plan(line: int, **trigger: Any) -> Plan:
    r = load(seed_config(line))
    return plan(r, Trigger(**trigger))


def test_parallel_jobs_both_run_at_the_first_stage() -> None:
    wf = only(seed_plan(33, branch="main"))
    assert running(wf) == ["build", "test"]
    assert all(not j.requires for j in wf.jobs)


def test_sequential_jobs_run_in_a_chain() -> None:
    wf = only(seed_plan(65, branch="main"))
    assert [(j.name, list(j.requires)) for j in wf.jobs] == [
        ("build", []), ("test1", ["build"]), ("test2", ["test1"]), ("deploy", ["test2"])]


def test_fan_out_fan_in() -> None:
    wf = only(seed_plan(94, branch="main"))
    tests = [f"acceptance_test_{i}" for i in range(1, 5)]
    assert running(wf) == ["build", *tests, "deploy"]
    assert all(list(wf.job(t).requires) == ["build"] for t in tests)
    assert list(wf.job("deploy").requires) == tests


def test_approval_holds_deploy_behind_a_gate() -> None:
    wf = only(seed_plan(127, branch="main"))
    assert running(wf) == ["build", "test1", "test2", "hold", "deploy"]
    assert wf.job("hold").type == "approval" and wf.job("hold").definition is None
    assert list(wf.job("hold").requires) == ["test2"]
    assert list(wf.job("deploy").requires) == ["hold"]


def test_contexts_are_carried_per_job() -> None:
    wf = only(seed_plan(162, branch="main"))
    assert {j.name: j.context for j in wf.jobs} == {
        "build": (), "test1": ("org-global",), "test2": ("org-global",), "deploy": ()}


@pytest.mark.parametrize(("branch", "runs"), [
    ("dev", ["test_dev"]),
    ("user-alice", ["test_dev"]),
    ("stage", ["test_stage"]),
    ("pre-prod", ["test_pre-prod"]),
    ("pre-prod-eu", ["test_pre-prod"]),
    ("main", []),
    ("xuser-alice", []),  # /user-.*/ must match the whole name
])
def test_branch_level_job_execution(branch: str, runs: list[str]) -> None:
    assert running(only(seed_plan(192, branch=branch))) == runs


def test_branch_level_reasons_quote_the_filters() -> None:
    wf = only(seed_plan(192, branch="main"))
    assert not wf.runs and wf.reason == "every job was excluded for branch 'main'"
    assert reasons(wf) == {
        "test_dev": "branch 'main' does not match filters.branches.only ['dev', '/user-.*/']",
        "test_stage": "branch 'main' does not match filters.branches.only ['stage']",
        "test_pre-prod": "branch 'main' does not match filters.branches.only "
                         "['/pre-prod(?:-.+)?$/']",
    }


@pytest.mark.parametrize(("trigger", "runs"), [
    ({"branch": "main"}, True),          # "runs for all branches"
    ({"tag": "v1.0"}, True),             # "and all tags"
    ({"tag": "testing-1"}, False),       # "except those starting with testing-"
])
def test_tags_ignore_example(trigger: dict[str, str], runs: bool) -> None:
    assert only(seed_plan(226, **trigger)).runs is runs


def test_the_docs_tag_example_that_requires_a_missing_job_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="requires 'test', which is the name of 0 other jobs"):
        seed_plan(242, tag="config-test-1")


@pytest.mark.parametrize(("trigger", "runs"), [
    ({"branch": "main"}, ["build", "test"]),       # build and test for all branches
    ({"branch": "feature"}, ["build", "test"]),
    ({"tag": "config-test-1"}, ["build", "test", "deploy"]),  # deploy only for such tags
    ({"tag": "config-test"}, ["build", "test", "deploy"]),
    ({"tag": "v1"}, []),
])
def test_tag_and_branch_example(trigger: dict[str, str], runs: list[str]) -> None:
    assert running(only(seed_plan(266, **trigger))) == runs


def test_tag_and_branch_example_reasons() -> None:
    wf = only(seed_plan(266, branch="main"))
    assert reasons(wf) == {"deploy": "branch 'main' matches filters.branches.ignore ['/.*/']"}
    wf = only(seed_plan(266, tag="v1"))
    assert set(reasons(wf).values()) == {
        "tag 'v1' does not match filters.tags.only ['/^config-test.*/']"}


def test_workspace_example_runs_flow_then_downstream() -> None:
    wf = only(seed_plan(307, branch="main"))
    assert [(j.name, list(j.requires)) for j in wf.jobs] == [
        ("flow", []), ("downstream", ["flow"])]
    assert wf.job("downstream").definition is not None


@pytest.mark.parametrize("line", [33, 65, 94, 127, 162, 192, 226, 307])
def test_no_seed_example_runs_on_a_tag_without_tag_filters_except_226(line: int) -> None:
    p = seed_plan(line, tag="v1.0")
    assert only(p).runs is (line == 226)
