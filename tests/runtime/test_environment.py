"""Built-in variables and the precedence merge (§6.3)."""

from __future__ import annotations

from workflowcore.runtime.environment import builtin_environment, env_value, merge_environment


def test_builtins() -> None:
    env = builtin_environment(job="test-3.11", workflow_id="wf-1", build_num=7, branch="main",
                              sha1="abc", project_reponame="repo", project_username="org",
                              workflow_job_id="job-1", pipeline_id="p-1", username="alice",
                              node_total=4)
    assert env["CI"] == env["CIRCLECI"] == "true"
    assert env["CIRCLE_JOB"] == "test-3.11"
    assert env["CIRCLE_BUILD_NUM"] == "7"
    assert env["CIRCLE_WORKING_DIRECTORY"] == "~/project"  # unexpanded, as on CircleCI
    assert env["CIRCLE_NODE_INDEX"] == "0"
    assert env["CIRCLE_NODE_TOTAL"] == "4"
    assert env["CIRCLE_WORKFLOW_WORKSPACE_ID"] == "wf-1"
    assert env["CIRCLE_USERNAME"] == "alice"
    assert "CIRCLE_TAG" not in env  # unset, not empty, on branch builds
    tagged = builtin_environment(job="j", workflow_id="w", tag="v1.0")
    assert tagged["CIRCLE_TAG"] == "v1.0"
    assert "CIRCLE_BRANCH" not in tagged


def test_precedence() -> None:
    merged = merge_environment(
        project={"A": "project", "B": "project", "C": "project", "D": "project",
                 "E": "project"},
        contexts={"B": "context", "C": "context", "D": "context", "E": "context",
                  "CIRCLE_BRANCH": "from-context"},
        builtins={"C": "builtin", "D": "builtin", "E": "builtin", "CIRCLE_BRANCH": "main"},
        job={"D": "job", "E": "job"},
        step={"E": "step"},
    )
    assert merged == {"A": "project", "B": "context", "C": "builtin", "D": "job", "E": "step",
                      "CIRCLE_BRANCH": "main"}  # a context cannot override a built-in


def test_values_become_strings() -> None:
    assert env_value(True) == "true"
    assert env_value(False) == "false"
    assert env_value(None) == ""
    assert env_value(3) == "3"
    assert env_value(1.5) == "1.5"
    assert merge_environment(job={"N": 1, "B": True}) == {"N": "1", "B": "true"}
