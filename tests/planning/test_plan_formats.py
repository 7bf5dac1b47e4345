"""The views of a plan (reporting/plans.py): text for people, JSON (the contract), Mermaid
and DOT. Text assertions pin the layout a reader relies on: stages, gates, exclusions."""

from __future__ import annotations

import json

from workflowcore.planning import (
    TERMINAL_STATUSES,
    ExcludedJob,
    Plan,
    PlannedJob,
    PlannedWorkflow,
    Trigger,
)
from workflowcore.reporting.plans import plan_dot, plan_json, plan_mermaid, plan_text

from ._helpers import jobs, planned

APPROVAL = "version: 2.1\n" + jobs("build", "test1", "test2", "deploy", "docs", "nightly") + """
workflows:
  build-test-and-approval-deploy:
    jobs:
      - build
      - test1: {requires: [build]}
      - test2: {requires: [build]}
      - hold: {type: approval, requires: [test1, test2]}
      - deploy: {requires: [hold], context: org-global}
      - docs: {filters: {branches: {only: gh-pages}}}
  nightly:
    triggers: [{schedule: {cron: "0 0 * * *", filters: {branches: {only: main}}}}]
    jobs: [nightly]
"""


def test_text_shows_stages_gates_contexts_and_exclusions() -> None:
    out = plan_text(planned(APPROVAL, branch="main"))
    assert out.splitlines() == [
        "plan for branch 'main'",
        "",
        "workflow build-test-and-approval-deploy: 5 of 6 jobs run, 1 approval gate (hold)",
        "  stage    job              requires",
        "      1    build",
        "      2    test1            ← build",
        "      2    test2            ← build",
        "      3  ⏸ hold (approval)  ← test1, test2",
        "      4    deploy           ← hold  [context: org-global]",
        "  not run (1):",
        "    ✗ docs — branch 'main' does not match filters.branches.only ['gh-pages']",
        "",
        "workflow nightly: does not run — it runs only on its schedule (triggers: schedule), "
        "not on a push of branch 'main'",
    ]
    assert out.endswith("'main'\n")


def test_text_groups_jobs_excluded_for_the_same_reason() -> None:
    out = plan_text(planned(APPROVAL, tag="v1", parameters={}))
    assert "    ✗ 6 jobs — tag 'v1': the job has no filters.tags (a tag push runs only jobs " \
           "whose filters.tags allow it):\n        build, test1, test2, hold, " \
           "deploy, docs\n" in out
    assert "workflow build-test-and-approval-deploy: does not run — every job was excluded " \
           "for tag 'v1'" in out


def test_text_names_the_event_and_parameters_and_statuses() -> None:
    text = """version: 2.1
parameters:
  go: {type: boolean, default: true}
""" + jobs("a", "b") + """
workflows:
  w:
    jobs:
      - a
      - b: {requires: [{a: terminal}]}
"""
    out = plan_text(planned(text, branch="main", event="api", parameters={"go": "false"}))
    assert out.splitlines()[0] == "plan for branch 'main' (api event); parameters: go=false"
    assert "      2    b    ← a (terminal)" in out.splitlines()


def test_text_for_a_config_without_workflows() -> None:
    out = plan_text(planned("version: 2.1\n" + jobs("test"), branch="main"))
    assert out.endswith("no workflow: the config defines none, and has no 'build' job to run "
                        "as the implicit workflow\n")


def test_json_is_the_versioned_contract() -> None:
    p = planned(APPROVAL, branch="main")
    d = json.loads(plan_json(p))
    assert d["version"] == 1
    assert d["trigger"] == {"branch": "main", "tag": None, "event": "push", "parameters": {}}
    wf = d["workflows"][0]
    assert list(wf) == ["name", "runs", "reason", "jobs", "excluded"]
    assert wf["jobs"][3] == {"name": "hold", "job": "hold", "type": "approval",
                             "requires": {"test1": ["success"], "test2": ["success"]},
                             "context": []}
    assert wf["excluded"] == [{"name": "docs", "job": "docs", "reason": "branch 'main' does "
                               "not match filters.branches.only ['gh-pages']"}]
    assert d["workflows"][1] == {"name": "nightly", "runs": False, "reason": (
        "it runs only on its schedule (triggers: schedule), not on a push of branch 'main'"),
        "jobs": [], "excluded": []}


def awkward_plan() -> Plan:
    """Names that would break naive ids: quotes, slashes, spaces, keywords."""
    jobs_ = (
        PlannedJob('say "hi"', "a"),
        PlannedJob("end", "b", requires={'say "hi"': ("success",)}),
        PlannedJob("a/b c", "c", "approval", requires={"end": TERMINAL_STATUSES}),
    )
    wf = PlannedWorkflow("w/1", True, None, jobs_, (ExcludedJob("x<y>", "x", 'no "way"'),))
    wf2 = PlannedWorkflow("w", True, None, (PlannedJob("1/b", "b"),))
    return Plan(Trigger(branch="main").to_dict(), (wf, wf2))


def test_mermaid_uses_positional_ids_and_escapes_labels() -> None:
    out = plan_mermaid(awkward_plan())
    assert out.splitlines() == [
        "flowchart LR",
        '  subgraph w0["w/1"]',
        '    w0j0["say #quot;hi#quot;"]',
        '    w0j1["end"]',
        '    w0j2{{"a/b c"}}',
        '    w0x0["x#lt;y#gt;"]:::excluded',
        "    w0j0 --> w0j1",
        '    w0j1 -->|"terminal"| w0j2',
        "  end",
        '  subgraph w1["w"]',
        '    w1j0["1/b"]',
        "  end",
        "  classDef excluded stroke-dasharray: 5 5,color:#999",
    ]


def test_dot_uses_positional_ids_and_escapes_labels() -> None:
    out = plan_dot(awkward_plan())
    assert 'w0j0 [label="say \\"hi\\""];' in out
    assert 'w0j2 [label="a/b c" shape=hexagon];' in out
    assert 'w0x0 [label="x<y>" style=dashed fontcolor=gray color=gray tooltip="no \\"way\\""];' \
        in out
    assert 'w0j1 -> w0j2 [label="terminal"];' in out
    assert "w1j0" in out and out.startswith("digraph plan {") and out.endswith("}\n")


def test_a_workflow_that_does_not_run_is_titled_so_in_drawings() -> None:
    p = planned(APPROVAL, branch="main")
    assert 'subgraph w1["nightly (does not run)"]' in plan_mermaid(p)
    assert 'label="nightly (does not run)";' in plan_dot(p)
