"""Filter rules one by one (semantics R3.1-R3.5, docs/planning.md rule 4), on
``filter_reason`` directly: no config around them, so each assertion is about one rule."""

from __future__ import annotations

from typing import Any

import pytest

from workflowcore.planning import Trigger, filter_reason, matches_spec
from workflowcore.planning.filters import legacy_branches_reason


def reason(filters: Any, branch: str | None = None, tag: str | None = None) -> str | None:
    t = Trigger(branch=branch, tag=tag)
    return filter_reason(filters, t.kind, t.ref, t.variables())


# -- R3.1.2 / R3.1.3: values ---------------------------------------------------------------

@pytest.mark.parametrize(("spec", "name", "expected"), [
    ("main", "main", True),
    ("main", "main2", False),
    ("/main/", "main", True),
    ("/main/", "main2", False),             # a regex must match the whole name
    ("/feature-.*/", "feature-x", True),
    ("/feature-.*/", "my-feature-x", False),
    ("/^config-test/", "config-test", True),  # R3.1.3: "only matches the config-test tag"
    ("/^config-test/", "config-test-1", False),
    ("/pre-prod(?:-.+)?$/", "pre-prod-eu", True),
    ("(not a pattern", "(not a pattern", True),  # not between slashes: a literal name
    ("/", "/", True),                        # a lone slash is a literal too
    (".*", "anything", False),
])
def test_a_value_is_a_literal_or_a_whole_name_regex(spec: str, name: str,
                                                     expected: bool) -> None:
    assert matches_spec(spec, name) is expected


def test_a_lookahead_rejected_by_re2_still_matches_as_written() -> None:
    # validate warns (filter-regex-re2); the plan follows the pattern's plain intent.
    assert matches_spec("/^(?!main).*$/", "dev") is True
    assert matches_spec("/^(?!main).*$/", "main") is False


def test_a_pattern_no_engine_compiles_excludes_the_job_with_a_reason() -> None:
    r = reason({"branches": {"only": "/(/"}}, branch="main")
    assert r is not None and r.startswith("filters.branches.only: /(/ is not a valid regular")


# -- R3.3.1: branch pushes -------------------------------------------------------------------

@pytest.mark.parametrize("filters", [None, {}, {"tags": {"only": "/.*/"}}, {"branches": {}}])
def test_a_branch_push_runs_a_job_without_branch_rules(filters: Any) -> None:
    assert reason(filters, branch="anything") is None


@pytest.mark.parametrize(("only", "branch", "runs"), [
    ("master", "master", True),
    ("master", "feature/x", False),
    (["master", "/release-.*/"], "release-1", True),
    (["master", "/release-.*/"], "feature/x", False),
])
def test_branches_only_takes_a_string_or_a_list(only: Any, branch: str, runs: bool) -> None:
    assert (reason({"branches": {"only": only}}, branch=branch) is None) is runs


def test_the_reason_quotes_the_filter() -> None:
    assert reason({"branches": {"only": ["master"]}}, branch="feature/x") == \
        "branch 'feature/x' does not match filters.branches.only ['master']"
    assert reason({"branches": {"only": "master"}}, branch="feature/x") == \
        "branch 'feature/x' does not match filters.branches.only ['master']"
    assert reason({"branches": {"ignore": ["/wip-.*/", "gh-pages"]}}, branch="gh-pages") == \
        "branch 'gh-pages' matches filters.branches.ignore ['/wip-.*/', 'gh-pages']"


@pytest.mark.parametrize(("ignore", "branch", "runs"), [
    ("gh-pages", "gh-pages", False),
    ("gh-pages", "main", True),
    (["/wip-.*/"], "wip-1", False),
    (["/wip-.*/"], "x-wip-1", True),
])
def test_branches_ignore_takes_a_string_or_a_list(ignore: Any, branch: str,
                                                   runs: bool) -> None:
    assert (reason({"branches": {"ignore": ignore}}, branch=branch) is None) is runs


@pytest.mark.parametrize(("branch", "runs"), [("main", True), ("dev", False),
                                              ("release-1", False)])
def test_when_only_and_ignore_are_both_set_only_decides(branch: str, runs: bool) -> None:
    # R3.2 (recommended reading): the ignore list is dead, even where it would match.
    f = {"branches": {"only": ["main"], "ignore": ["main", "/.*/"]}}
    assert (reason(f, branch=branch) is None) is runs


# -- R3.3.2: tag pushes ----------------------------------------------------------------------

@pytest.mark.parametrize("filters", [None, {}, {"branches": {"only": "/.*/"}}])
def test_a_tag_push_skips_a_job_without_tag_filters(filters: Any) -> None:
    assert reason(filters, tag="v1.0") == (
        "tag 'v1.0': the job has no filters.tags (a tag push runs only jobs whose "
        "filters.tags allow it)")


def test_a_tags_filter_without_only_or_ignore_runs_for_no_tag() -> None:
    assert reason({"tags": {}}, tag="v1.0") == (
        "tag 'v1.0': filters.tags has neither 'only' nor 'ignore', so the job runs for no tag")


@pytest.mark.parametrize(("tags", "tag", "runs"), [
    ({"only": "/^v.*/"}, "v1.0", True),
    ({"only": "/^v.*/"}, "release-1", False),
    ({"ignore": "/^testing-.*/"}, "v1.0", True),       # ignore alone: every other tag
    ({"ignore": "/^testing-.*/"}, "testing-1", False),
    ({"only": ["v1", "v2"], "ignore": "v1"}, "v1", True),  # only decides
])
def test_tag_rules(tags: Any, tag: str, runs: bool) -> None:
    assert (reason({"tags": tags}, tag=tag) is None) is runs


def test_branch_rules_do_not_apply_to_a_tag_push() -> None:
    f = {"tags": {"only": "/.*/"}, "branches": {"ignore": "/.*/"}}
    assert reason(f, tag="v1") is None
    assert reason(f, branch="main") == "branch 'main' matches filters.branches.ignore ['/.*/']"


# -- R3.5: expression filters ----------------------------------------------------------------

@pytest.mark.parametrize(("expr", "branch", "tag", "runs"), [
    ('pipeline.git.branch == "main"', "main", None, True),
    ('pipeline.git.branch == "main"', "dev", None, False),
    ('pipeline.git.branch == "main"', None, "v1", False),  # undefined branch: false
    ('pipeline.git.branch != "main"', None, "v1", False),  # undefined infects != too
    ("pipeline.git.branch or pipeline.git.tag", "dev", None, True),
    ("pipeline.git.branch or pipeline.git.tag", None, "v1", True),  # every branch and tag
    ('pipeline.git.branch == "main" or pipeline.git.tag starts-with "release"', None,
     "release-2", True),
    ('pipeline.git.branch == "main" or pipeline.git.tag starts-with "release"', None,
     "v2", False),
    ('pipeline.git.branch != "develop" and not (pipeline.git.branch matches /feature-.*/)',
     "main", None, True),
    ('pipeline.git.branch != "develop" and not (pipeline.git.branch matches /feature-.*/)',
     "feature-1", None, False),
    ('pipeline.git.branch != "develop" and not (pipeline.git.branch matches /feature-.*/)',
     "develop", None, False),
    ("pipeline.git.tag matches /^v.*/", None, "v3", True),  # no tags map needed (R3.5.3)
])
def test_expression_filters(expr: str, branch: str | None, tag: str | None,
                            runs: bool) -> None:
    assert (reason(expr, branch=branch, tag=tag) is None) is runs


def test_a_false_expression_is_quoted_on_one_line() -> None:
    r = reason('pipeline.git.branch == "main"\n  and true\n', branch="dev")
    assert r == ("filters expression is false for branch 'dev': "
                 "pipeline.git.branch == \"main\" and true")


def test_an_expression_that_cannot_be_evaluated_gives_a_reason() -> None:
    r = reason("pipeline.git.brnch == 1", branch="main")
    assert r is not None and r.startswith("its filters expression cannot be evaluated: ")
    assert "pipeline.git.brnch" in r


# -- R3.6.1: job-level branches, only for a config without workflows -------------------------

@pytest.mark.parametrize(("branches", "branch", "expected"), [
    ({"only": "main"}, "main", None),
    ({"only": ["main"]}, "dev", "branch 'dev' does not match the job's branches.only ['main']"),
    ({"ignore": "/wip-.*/"}, "wip-1",
     "branch 'wip-1' matches the job's branches.ignore ['/wip-.*/']"),
    ({"ignore": "/wip-.*/"}, "main", None),
    # CR21: "If both ignore and only are present in config, only ignore will be taken into
    # account" — the opposite of workflow filters.
    ({"only": "main", "ignore": "dev"}, "feature", None),
    ({"only": "main", "ignore": "main"}, "main",
     "branch 'main' matches the job's branches.ignore ['main']"),
    (None, "any", None),
])
def test_legacy_job_level_branches(branches: Any, branch: str, expected: str | None) -> None:
    assert legacy_branches_reason(branches, branch) == expected
