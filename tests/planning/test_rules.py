"""Planning rules through ``plan()``, each with the semantics file's own example where it
has one (rule ids from shared/docs/circleci-semantics.md)."""

from __future__ import annotations

import pytest

from workflowcore.config import load
from workflowcore.errors import ConfigError, PlanError
from workflowcore.planning import IMPLICIT_WORKFLOW, TERMINAL_STATUSES, Trigger, plan

from ._helpers import jobs, only, planned, reasons, running

# -- R2.4.1: pruning of excluded requirements ------------------------------------------------

D29598 = "version: 2.1\n" + jobs("lint", "build", "publish") + """
workflows:
  main:
    jobs:
      - lint
      - build: { filters: { branches: { only: [master] } } }
      - publish: { requires: [lint, build] }
"""


def test_d29598_publish_runs_without_its_filtered_requirement() -> None:
    wf = only(planned(D29598, branch="feature-x"))
    assert running(wf) == ["lint", "publish"]
    assert dict(wf.job("publish").requires) == {"lint": ("success",)}
    assert reasons(wf) == {
        "build": "branch 'feature-x' does not match filters.branches.only ['master']"}


def test_d29598_on_master_everything_runs_with_both_requirements() -> None:
    wf = only(planned(D29598, branch="master"))
    assert running(wf) == ["lint", "build", "publish"]
    assert list(wf.job("publish").requires) == ["lint", "build"]


def test_d29598_a_job_whose_only_requirement_is_filtered_does_not_run() -> None:
    text = D29598.replace("requires: [lint, build]", "requires: [build]")
    wf = only(planned(text, branch="feature-x"))
    assert running(wf) == ["lint"]
    assert reasons(wf)["publish"] == "all of its requirements were excluded: build"


def test_exclusion_cascades_transitively_and_names_the_requirements() -> None:
    text = "version: 2.1\n" + jobs("a", "b", "c", "d", "e") + """
workflows:
  w:
    jobs:
      - a: {filters: {branches: {only: main}}}
      - b: {requires: [a]}
      - c: {requires: [a, b]}
      - d: {requires: [c]}
      - e
"""
    wf = only(planned(text, branch="dev"))
    assert running(wf) == ["e"]
    assert reasons(wf) == {
        "a": "branch 'dev' does not match filters.branches.only ['main']",
        "b": "all of its requirements were excluded: a",
        "c": "all of its requirements were excluded: a, b",
        "d": "all of its requirements were excluded: c",
    }


def test_a_job_without_requirements_is_only_excluded_by_its_own_filters() -> None:
    text = "version: 2.1\n" + jobs("a", "b") + """
workflows:
  w:
    jobs:
      - a: {filters: {branches: {only: main}}}
      - b
"""
    assert running(only(planned(text, branch="dev"))) == ["b"]


def test_a_requirement_accepting_other_statuses_is_pruned_like_any_other() -> None:
    text = "version: 2.1\n" + jobs("build", "notify") + """
workflows:
  w:
    jobs:
      - build: {filters: {branches: {only: main}}}
      - notify: {requires: [{build: [failed, canceled]}]}
"""
    wf = planned(text, branch="dev").workflows[0]
    assert not wf.runs and wf.reason == "every job was excluded for branch 'dev'"
    assert reasons(wf)["notify"] == "all of its requirements were excluded: build"


# -- R2.3.1: flexible requires --------------------------------------------------------------

FLEX = "version: 2.1\n" + jobs("build", "release", "deploy", "cleanup", "rollback",
                               "notify-build-canceled") + """
workflows:
  w:
    jobs:
      - build
      - release: {requires: [build]}
      - deploy: {requires: [release], filters: {branches: {only: main}}}
      - cleanup:
          requires:
            - deploy: terminal
            - release
      - notify-build-canceled:
          requires:
            - build: canceled
      - rollback:
          requires:
            - release: [failed, canceled]
"""


def test_flexible_requires_keep_their_accepted_statuses() -> None:
    wf = only(planned(FLEX, branch="main"))
    assert dict(wf.job("cleanup").requires) == {"deploy": TERMINAL_STATUSES,
                                               "release": ("success",)}
    assert dict(wf.job("notify-build-canceled").requires) == {"build": ("canceled",)}
    assert dict(wf.job("rollback").requires) == {"release": ("failed", "canceled")}
    assert TERMINAL_STATUSES == ("success", "failed", "canceled", "unauthorized", "not_run")


def test_pruning_drops_an_excluded_requirement_whatever_statuses_it_accepted() -> None:
    wf = only(planned(FLEX, branch="dev"))
    assert "deploy" not in running(wf)
    assert dict(wf.job("cleanup").requires) == {"release": ("success",)}


def test_a_name_listed_twice_in_requires_accepts_both_statuses() -> None:
    text = "version: 2.1\n" + jobs("a", "b") + """
workflows:
  w:
    jobs:
      - a
      - b: {requires: [a, {a: failed}]}
"""
    assert dict(only(planned(text, branch="x")).job("b").requires) == {
        "a": ("success", "failed")}


# -- R3.3.3: the transitive tag rule --------------------------------------------------------

TAGS = "version: 2.1\n" + jobs("build", "deploy") + """
workflows:
  w:
    jobs:
      - build:
          filters: { tags: { only: /.*/ } }
      - deploy:
          requires: [build]
          filters: { tags: { only: /^v.*/ }, branches: { ignore: /.*/ } }
"""


def test_r333_build_and_deploy_run_for_a_v_tag() -> None:
    wf = only(planned(TAGS, tag="v1.2"))
    assert running(wf) == ["build", "deploy"]


def test_r333_deploy_never_runs_for_a_branch() -> None:
    wf = only(planned(TAGS, branch="main"))
    assert running(wf) == ["build"]
    assert reasons(wf) == {"deploy": "branch 'main' matches filters.branches.ignore ['/.*/']"}


def test_r333_without_a_tag_filter_upstream_the_downstream_is_pruned_on_tags() -> None:
    text = TAGS.replace("          filters: { tags: { only: /.*/ } }\n", "")
    wf = planned(text, tag="v1.2").workflows[0]
    assert not wf.runs
    assert reasons(wf) == {
        "build": "tag 'v1.2': the job has no filters.tags (a tag push runs only jobs whose "
                 "filters.tags allow it)",
        "deploy": "all of its requirements were excluded: build",
    }


# -- R3.5: expression filters ---------------------------------------------------------------

EXPR = "version: 2.1\n" + jobs("any", "main-or-release", "not-feature", "plain") + """
workflows:
  w:
    jobs:
      - any:
          filters: pipeline.git.branch or pipeline.git.tag
      - main-or-release:
          filters: pipeline.git.branch == "main" or pipeline.git.tag starts-with "release"
      - not-feature:
          filters: >-
            pipeline.git.branch != "develop"
            and not (pipeline.git.branch matches /feature-.*/)
      - plain
"""


@pytest.mark.parametrize(("trigger", "expected"), [
    ({"branch": "main"}, ["any", "main-or-release", "not-feature", "plain"]),
    ({"branch": "develop"}, ["any", "plain"]),
    ({"branch": "feature-1"}, ["any", "plain"]),
    ({"tag": "release-1"}, ["any", "main-or-release"]),
    ({"tag": "v1"}, ["any"]),
])
def test_r35_expression_filters(trigger: dict[str, str], expected: list[str]) -> None:
    assert running(only(planned(EXPR, **trigger))) == expected


def test_r35_the_reason_quotes_the_expression() -> None:
    wf = only(planned(EXPR, branch="develop"))
    assert reasons(wf)["not-feature"] == (
        "filters expression is false for branch 'develop': pipeline.git.branch != \"develop\" "
        "and not (pipeline.git.branch matches /feature-.*/)")


PARAM_EXPR = """version: 2.1
parameters:
  deploy: {type: boolean, default: false}
  shards: {type: integer, default: 2}
  env: {type: enum, enum: [dev, prod], default: dev}
""" + jobs("deploy", "big", "prod") + """
workflows:
  w:
    jobs:
      - deploy: {filters: pipeline.parameters.deploy}
      - big: {filters: pipeline.parameters.shards > 4}
      - prod: {filters: pipeline.parameters.env == "prod"}
"""


def test_expression_filters_see_declared_defaults() -> None:
    wf = planned(PARAM_EXPR, branch="main").workflows[0]
    assert not wf.runs
    assert reasons(wf)["deploy"] == \
        "filters expression is false for branch 'main': pipeline.parameters.deploy"


def test_expression_filters_see_given_parameters_typed_by_their_declaration() -> None:
    # strings, as a command line gives them
    p = planned(PARAM_EXPR, branch="main",
                parameters={"deploy": "true", "shards": "8", "env": "prod"})
    assert running(only(p)) == ["deploy", "big", "prod"]
    assert p.trigger["parameters"] == {"deploy": True, "shards": 8, "env": "prod"}


def test_an_expression_filter_naming_an_unknown_variable_is_a_config_error() -> None:
    text = "version: 2.1\n" + jobs("a") + """
workflows:
  w:
    jobs:
      - a: {filters: pipeline.git.brnch == "main"}
"""
    with pytest.raises(ConfigError) as exc:
        plan(load(text, "c.yml"), Trigger(branch="main"))
    (d,) = [d for d in exc.value.diagnostics if d.is_error]
    assert d.code == "expr-unknown-variable"
    assert d.message == ("Job 'a' has an invalid filters expression: Referred to a variable "
                         "\"pipeline.git.brnch\" that does not exist")
    assert (d.path, d.line, d.column) == ("c.yml", 8, 22)


@pytest.mark.parametrize(("expr", "code"), [
    ("pipeline.git.branch ==", "expr-invalid"),
    ("pipeline.parameters.nope", "expr-unknown-variable"),
])
def test_bad_expression_filters_are_config_errors(expr: str, code: str) -> None:
    text = "version: 2.1\n" + jobs("a") + f"""
workflows:
  w:
    jobs:
      - a: {{filters: '{expr}'}}
"""
    with pytest.raises(ConfigError) as exc:
        plan(load(text), Trigger(branch="main"))
    assert [d.code for d in exc.value.diagnostics if d.is_error] == [code]


# -- R10.7 + R3: a matrix-expanded job filtered on branches ---------------------------------

MATRIX = """version: 2.1
jobs:
  test:
    parameters: {python: {type: string}}
    docker: [{image: "cimg/python:<< parameters.python >>"}]
    steps: [checkout]
  report: {docker: [{image: x}], steps: [checkout]}
workflows:
  w:
    jobs:
      - test:
          matrix: {parameters: {python: ["3.11", "3.12"]}}
          filters: {branches: {only: main}}
      - report: {requires: [test]}
"""


def test_a_filtered_matrix_excludes_each_member_by_name() -> None:
    wf = planned(MATRIX, branch="dev").workflows[0]
    assert not wf.runs
    assert [(e.name, e.job, e.reason) for e in wf.excluded] == [
        ("test-3.11", "test", "branch 'dev' does not match filters.branches.only ['main']"),
        ("test-3.12", "test", "branch 'dev' does not match filters.branches.only ['main']"),
        ("report", "report", "all of its requirements were excluded: test-3.11, test-3.12"),
    ]


def test_a_matrix_member_runs_its_job_with_the_compiled_definition() -> None:
    wf = only(planned(MATRIX, branch="main"))
    assert running(wf) == ["test-3.11", "test-3.12", "report"]
    member = wf.job("test-3.12")
    assert member.job == "test" and member.type == "build"
    assert member.definition is not None
    assert member.definition["docker"] == [{"image": "cimg/python:3.12"}]
    assert list(wf.job("report").requires) == ["test-3.11", "test-3.12"]


# -- R5: approval jobs ----------------------------------------------------------------------

APPROVAL = "version: 2.1\n" + jobs("build", "deploy") + """
workflows:
  w:
    jobs:
      - build:
          filters: {tags: {only: /.*/}}
      - hold:
          type: approval
          requires: [build]
          context: release-approvers
      - deploy:
          requires: [hold]
          context: [aws, slack]
          filters: {tags: {only: /.*/}}
"""


def test_an_approval_job_is_a_gate_without_a_definition() -> None:
    wf = only(planned(APPROVAL, branch="main"))
    assert running(wf) == ["build", "hold", "deploy"]
    hold = wf.job("hold")
    assert (hold.type, hold.job, hold.definition) == ("approval", "hold", None)
    assert hold.context == ("release-approvers",)
    assert dict(wf.job("deploy").requires) == {"hold": ("success",)}
    assert wf.job("deploy").context == ("aws", "slack")
    assert wf.job("build").definition == {"docker": [{"image": "cimg/base:stable"}],
                                          "steps": ["checkout"]}


def test_an_approval_job_is_filtered_like_any_job_and_its_downstream_pruned() -> None:
    wf = only(planned(APPROVAL, tag="v1"))
    assert running(wf) == ["build"]
    assert reasons(wf)["hold"].startswith("tag 'v1': the job has no filters.tags")
    assert reasons(wf)["deploy"] == "all of its requirements were excluded: hold"


# -- R2.6: scheduled workflows --------------------------------------------------------------

SCHEDULED = "version: 2.1\n" + jobs("build", "nightly-job") + """
workflows:
  commit:
    jobs: [build]
  nightly:
    triggers:
      - schedule:
          cron: "0 0 * * *"
          filters:
            branches:
              only: [main, /release-.*/]
              ignore: [main]
      - schedule:
          cron: "0 12 * * *"
          filters:
            branches:
              ignore: [/wip-.*/, /release-.*/, main]
    jobs: [nightly-job]
"""


def test_a_scheduled_workflow_does_not_run_on_a_push() -> None:
    p = planned(SCHEDULED, branch="main")
    assert p.workflow("commit").runs
    assert p.workflow("nightly").reason == (
        "it runs only on its schedule (triggers: schedule), not on a push of branch 'main'")


@pytest.mark.parametrize(("branch", "runs"), [
    ("main", True),        # only decides: the ignore of the first schedule is dead
    ("release-1", True),
    ("feature", True),     # the second schedule's ignore does not cover it
    ("wip-1", False),
])
def test_a_schedule_event_runs_the_workflow_on_the_branches_a_schedule_allows(
        branch: str, runs: bool) -> None:
    p = planned(SCHEDULED, branch=branch, event="schedule")
    assert p.workflow("nightly").runs is runs
    if not runs:
        assert p.workflow("nightly").reason == \
            "no schedule of this workflow is set up for branch 'wip-1'"


def test_a_schedule_event_runs_only_scheduled_workflows() -> None:
    p = planned(SCHEDULED, branch="main", event="schedule")
    assert p.workflow("commit").reason == \
        "the trigger is a schedule, and this workflow has no 'triggers: schedule'"
    assert running(p.workflow("nightly")) == ["nightly-job"]


def test_schedules_run_on_branches_not_tags() -> None:
    p = planned(SCHEDULED, tag="v1", event="schedule")
    assert p.workflow("nightly").reason == "its schedule runs on branches, not on tags"


def test_an_api_pipeline_does_not_run_a_scheduled_workflow() -> None:
    p = planned(SCHEDULED, branch="main", event="api")
    assert p.workflow("commit").runs and not p.workflow("nightly").runs
    assert p.workflow("nightly").reason == (
        "it runs only on its schedule (triggers: schedule), not on a api pipeline of "
        "branch 'main'")


# -- R2.7: workflow when / unless (decided by the compiler) ----------------------------------

WHEN = """version: 2.1
parameters:
  run-it: {type: boolean, default: false}
  deploy: {type: boolean, default: false}
""" + jobs("build") + """
workflows:
  logic-param:
    when: << pipeline.parameters.run-it >>
    jobs: [build]
  logic-map:
    unless:
      equal: [main, << pipeline.git.branch >>]
    jobs: [build]
  expression:
    when: pipeline.git.branch == "main" or pipeline.parameters.deploy
    jobs: [build]
  always-true:
    when: pipeline.event.name == "nope" or << pipeline.parameters.deploy >>
    jobs: [build]
"""


def test_r27_workflow_conditions_on_main() -> None:
    p = planned(WHEN, branch="main")
    assert [(w.name, w.runs) for w in p.workflows] == [
        ("logic-param", False), ("logic-map", False), ("expression", True),
        ("always-true", True)]
    assert p.workflow("logic-param").reason == "when: << pipeline.parameters.run-it >> is false"
    assert p.workflow("logic-map").reason == \
        "unless: {equal: [main, << pipeline.git.branch >>]} is true"


def test_r27_workflow_conditions_follow_parameters_and_branch() -> None:
    p = planned(WHEN, branch="dev", parameters={"run-it": "true"})
    assert [(w.name, w.runs) for w in p.workflows] == [
        ("logic-param", True), ("logic-map", True), ("expression", False),
        ("always-true", True)]
    assert p.workflow("expression").reason == \
        'when: pipeline.git.branch == "main" or pipeline.parameters.deploy is false'


def test_r27_a_template_in_an_expression_makes_a_string_that_is_always_true() -> None:
    # R2.7.2 form 3: a non-empty string after rendering, hence true, whatever the values.
    assert planned(WHEN, tag="v1").workflow("always-true").runs is False  # no tag filters
    wf = planned(WHEN, branch="x", parameters={"deploy": "false"}).workflow("always-true")
    assert wf.runs


def test_workflows_keep_config_order_whether_they_run_or_not() -> None:
    p = planned(WHEN, branch="main")
    assert [w.name for w in p.workflows] == ["logic-param", "logic-map", "expression",
                                             "always-true"]


# -- R1.2.2: the implicit workflow ----------------------------------------------------------

def test_r122_a_lone_build_job_gets_an_implicit_workflow() -> None:
    p = planned("version: 2\n" + jobs("build", "other"), branch="any")
    wf = only(p)
    assert (wf.name, running(wf)) == (IMPLICIT_WORKFLOW, ["build"])
    assert wf.job("build").definition is not None


def test_r122_the_implicit_workflow_obeys_job_level_branches() -> None:
    text = """version: 2
jobs:
  build:
    docker: [{image: x}]
    branches: {only: [main]}
    steps: [checkout]
"""
    assert only(planned(text, branch="main")).runs
    wf = only(planned(text, branch="dev"))
    assert reasons(wf) == {"build": "branch 'dev' does not match the job's branches.only ['main']"}


def test_r122_the_implicit_workflow_does_not_run_for_tags() -> None:
    wf = only(planned("version: 2.1\n" + jobs("build"), tag="v1"))
    assert not wf.runs and list(reasons(wf)) == ["build"]


def test_r122_no_build_job_means_no_workflow() -> None:
    assert planned("version: 2.1\n" + jobs("test"), branch="main").workflows == ()


def test_r122_adding_only_a_scheduled_workflow_stops_the_implicit_one() -> None:
    text = "version: 2.1\n" + jobs("build") + """
workflows:
  nightly:
    triggers: [{schedule: {cron: "0 0 * * *", filters: {branches: {only: main}}}}]
    jobs: [build]
"""
    p = planned(text, branch="main")
    assert [w.name for w in p.workflows] == ["nightly"] and not p.workflows[0].runs


# -- order, names, contexts ------------------------------------------------------------------

def test_jobs_are_in_topological_order_with_ties_in_config_order() -> None:
    text = "version: 2.1\n" + jobs("a", "b", "c", "d") + """
workflows:
  w:
    jobs:
      - d: {requires: [c, a]}
      - c: {requires: [b]}
      - b
      - a
"""
    assert running(only(planned(text, branch="x"))) == ["b", "c", "a", "d"]


def test_repeated_jobs_are_numbered_and_say_which_job_they_run() -> None:
    text = "version: 2.1\n" + jobs("build") + """
workflows:
  one:
    jobs: [build]
  two:
    jobs:
      - build
      - build: {name: build-again}
"""
    p = planned(text, branch="x")
    assert [(j.name, j.job) for w in p.workflows for j in w.jobs] == [
        ("build-1", "build"), ("build-2", "build"), ("build-again", "build")]


def test_a_job_group_expands_into_its_jobs_between_no_op_gates() -> None:
    text = "version: 2.1\n" + jobs("build", "test") + """
job-groups:
  checks:
    jobs:
      - build
      - test: {requires: [build]}
workflows:
  w:
    jobs:
      - checks: {filters: {branches: {only: main}}}
      - hold: {type: approval, requires: [checks]}
"""
    wf = only(planned(text, branch="main"))
    assert [(j.name, j.job, j.type) for j in wf.jobs] == [
        ("checks-start", "checks", "no-op"), ("checks-build", "build", "build"),
        ("checks-test", "test", "build"), ("checks-end", "checks", "no-op"),
        ("hold", "hold", "approval")]
    assert running(only(planned(text, branch="dev"))) == []


def test_a_string_alias_job_keeps_the_name_the_workflow_uses() -> None:
    text = "version: 2.1\n" + jobs("build") + """
  alias: build
workflows:
  w:
    jobs: [alias]
"""
    j = only(planned(text, branch="x")).job("alias")
    assert j.job == "alias" and j.definition is not None


def test_workflows_argument_selects_and_rejects_unknown_names() -> None:
    r = load(SCHEDULED)
    p = plan(r, Trigger(branch="main"), workflows=["nightly"])
    assert [w.name for w in p.workflows] == ["nightly"]
    with pytest.raises(PlanError, match="no workflow named 'nope'; this config has: commit, "
                                        "nightly"):
        plan(r, Trigger(branch="main"), workflows=["nope"])


# -- inputs and errors ----------------------------------------------------------------------

def test_a_config_with_load_errors_raises_config_error() -> None:
    r = load("version: 2.1\n" + jobs("a") + "workflows:\n  w:\n    jobs:\n      - a: "
             "{requires: [b]}\n")
    with pytest.raises(ConfigError) as exc:
        plan(r, Trigger(branch="main"))
    assert [d.code for d in exc.value.diagnostics if d.is_error] == ["requires-unknown"]


def test_compile_errors_for_this_trigger_raise_config_error() -> None:
    text = "version: 2.1\nparameters:\n  n: {type: integer, default: 1}\n" + jobs("a")
    with pytest.raises(ConfigError, match="Type error for argument n"):
        plan(load(text), Trigger(branch="main", parameters={"n": "many"}))


def test_a_validated_model_and_plain_data_plan_like_the_load_result() -> None:
    r = load(D29598)
    assert r.config is not None
    t = Trigger(branch="feature-x")
    expected = plan(r, t).to_dict()
    assert plan(r.config, t).to_dict() == expected
    assert plan(r.data, t).to_dict() == expected


def test_compile_warnings_travel_with_the_plan() -> None:
    text = "version: 2.1\norbs:\n  node: circleci/node@5.0.0\nworkflows:\n  w:\n" \
           "    jobs: [node/test]\n"
    p = plan(load(text), Trigger(branch="main"))
    assert [d.code for d in p.diagnostics] == ["orb-unavailable"]
    j = only(p).job("node/test")
    assert (j.job, j.type) == ("node/test", "build")
    assert "diagnostics" not in p.to_dict()


def test_a_2_0_config_plans_through_the_same_path() -> None:
    text = "version: 2\n" + jobs("build", "deploy") + """
workflows:
  version: 2
  w:
    jobs:
      - build
      - deploy: {requires: [build], filters: {branches: {only: main}}, context: org-global}
"""
    wf = only(planned(text, branch="main"))
    assert running(wf) == ["build", "deploy"] and wf.job("deploy").context == ("org-global",)
    assert reasons(only(planned(text, branch="dev"))) == {
        "deploy": "branch 'dev' does not match filters.branches.only ['main']"}


def test_a_parameter_default_using_pipeline_values_is_rendered_for_filters() -> None:
    text = """version: 2.1
parameters:
  target: {type: string, default: "env-<< pipeline.git.branch >>"}
""" + jobs("deploy") + """
workflows:
  w:
    jobs:
      - deploy: {filters: pipeline.parameters.target == "env-main"}
"""
    assert running(only(planned(text, branch="main"))) == ["deploy"]
    assert running(only(planned(text, branch="dev"))) == []
    assert running(only(planned(text, branch="dev",
                                parameters={"target": "env-main"}))) == ["deploy"]
