"""``plan_compiled`` on 2.0-shaped data: the planner alone, including the mistakes that only
plain, never-validated data can carry (cycles, duplicate names, unknown requirements)."""

from __future__ import annotations

from typing import Any

import pytest

from workflowcore.errors import CycleError, PlanError
from workflowcore.planning import Trigger, plan_compiled

MAIN = Trigger(branch="main")


def data(*items: Any, **extra: Any) -> dict[str, Any]:
    return {"version": 2, "jobs": {}, "workflows": {"version": 2, "w": {"jobs": list(items)},
                                                    **extra}}


def test_a_cycle_is_reported_with_its_path() -> None:
    d = data("x", {"a": {"requires": ["x", "c"]}}, {"b": {"requires": ["a"]}},
             {"c": {"requires": ["b"]}})
    with pytest.raises(CycleError) as exc:
        plan_compiled(d, MAIN)
    assert exc.value.cycle == ("a", "c", "b", "a")
    assert str(exc.value) == "jobs of workflow 'w' require each other in a cycle: a → c → b → a"


def test_a_job_requiring_itself_is_a_cycle() -> None:
    with pytest.raises(CycleError) as exc:
        plan_compiled(data({"a": {"requires": ["a"]}}), MAIN)
    assert exc.value.cycle == ("a", "a")


def test_a_requirement_naming_no_job_is_refused() -> None:
    with pytest.raises(PlanError, match="job 'b' of workflow 'w' requires 'nope', which is "
                                        "not a job of this workflow"):
        plan_compiled(data("a", {"b": {"requires": ["a", "nope"]}}), MAIN)


def test_two_jobs_with_one_name_are_refused() -> None:
    with pytest.raises(PlanError, match="two jobs named 'a'"):
        plan_compiled(data("a", {"b": {"name": "a"}}), MAIN)


def test_a_malformed_job_item_is_refused() -> None:
    with pytest.raises(PlanError, match="lists a job as"):
        plan_compiled(data({"a": {}, "b": {}}), MAIN)


def test_skipped_workflows_keep_their_place_in_config_order() -> None:
    d = {"version": 2, "jobs": {}, "workflows": {"b": {"jobs": ["x"]}, "d": {"jobs": ["y"]}}}
    p = plan_compiled(d, MAIN, skipped_workflows={"a": "when: false is false",
                                                  "c": "when: false is false"},
                      workflow_order=["a", "b", "c", "d"])
    assert [(w.name, w.runs, w.reason) for w in p.workflows] == [
        ("a", False, "when: false is false"), ("b", True, None),
        ("c", False, "when: false is false"), ("d", True, None)]


def test_a_workflow_without_jobs_does_not_run() -> None:
    wf = plan_compiled({"version": 2, "workflows": {"w": {"jobs": []}}}, MAIN).workflows[0]
    assert (wf.runs, wf.reason) == (False, "the workflow has no jobs")


def test_job_of_names_the_job_and_finds_its_definition() -> None:
    d = data({"build-1": {"context": "ctx"}})
    d["jobs"] = {"build": {"type": "no-op"}}
    (j,) = plan_compiled(d, MAIN, job_of={"build-1": "build"}).workflows[0].jobs
    assert (j.name, j.job, j.type, j.definition, j.context) == (
        "build-1", "build", "no-op", {"type": "no-op"}, ("ctx",))


def test_a_job_without_a_definition_is_a_build_job_without_definition() -> None:
    (j,) = plan_compiled(data("ghost"), MAIN).workflows[0].jobs
    assert (j.type, j.definition) == ("build", None)


def test_parameters_given_to_the_planner_are_what_expression_filters_see() -> None:
    d = data({"a": {"filters": "pipeline.parameters.go"}})
    assert plan_compiled(d, MAIN).workflows[0].runs is False
    assert plan_compiled(d, MAIN, parameters={"go": True}).workflows[0].runs is True


def test_serial_group_is_carried() -> None:
    (j,) = plan_compiled(data({"a": {"serial-group": "deploys"}}), MAIN).workflows[0].jobs
    assert j.serial_group == "deploys"


def test_terminal_and_lists_of_statuses_are_expanded_once() -> None:
    d = data("a", "b", {"c": {"requires": [{"a": ["failed", "terminal"]}, {"b": "not_run"}]}})
    c = plan_compiled(d, MAIN).workflows[0].job("c")
    assert dict(c.requires) == {
        "a": ("failed", "success", "canceled", "unauthorized", "not_run"),
        "b": ("not_run",)}


def test_order_is_topological_for_a_config_listed_backwards() -> None:
    n = 50
    items = [{f"j{i}": {"requires": [f"j{i - 1}"]}} for i in range(n - 1, 0, -1)] + ["j0"]
    names = [j.name for j in plan_compiled(data(*items), MAIN).workflows[0].jobs]
    assert names == [f"j{i}" for i in range(n)]
