"""``Trigger``: what a pipeline is started by, and the pipeline values it defines."""

from __future__ import annotations

from typing import Any

import pytest

from workflowcore.errors import PlanError
from workflowcore.planning import Trigger


def test_a_branch_push_defines_the_branch_and_no_tag() -> None:
    t = Trigger(branch="main")
    v = t.pipeline_values()
    assert (t.kind, t.ref, t.describe()) == ("branch", "main", "branch 'main'")
    assert v["pipeline.git.branch"] == "main" and v["pipeline.git.tag"] is None
    assert v["pipeline.event.name"] == "push" and v["pipeline.trigger_source"] == "webhook"


def test_a_tag_push_has_no_branch() -> None:
    # R3.3.4: a tag push is its own pipeline, in which pipeline.git.branch is empty.
    t = Trigger(tag="v1.0")
    assert (t.kind, t.ref) == ("tag", "v1.0")
    assert t.pipeline_values()["pipeline.git.branch"] is None
    assert t.pipeline_values()["pipeline.git.tag"] == "v1.0"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"branch": "main", "tag": "v1"}, "not both"),
    ({}, "needs a branch or a tag"),
    ({"branch": ""}, "non-empty"),
    ({"branch": "  "}, "non-empty"),
    ({"branch": "main", "event": "pull_request"}, "unknown trigger event"),
    ({"branch": "main", "values": {"pipeline.git.branch": "x"}}, "branch or tag"),
    ({"branch": "main", "values": {"git.tag": "x"}}, "branch or tag"),
    ({"branch": "main", "parameters": {"": 1}}, "non-empty strings"),
])
def test_contradictory_or_incomplete_triggers_are_refused(kwargs: dict[str, Any],
                                                          message: str) -> None:
    with pytest.raises(PlanError, match=message):
        Trigger(**kwargs)


def test_events_set_the_values_that_say_how_the_pipeline_started() -> None:
    s = Trigger(branch="main", event="schedule").pipeline_values()
    a = Trigger(branch="main", event="api").pipeline_values()
    assert (s["pipeline.event.name"], s["pipeline.trigger_source"]) == \
        ("schedule", "scheduled_pipeline")
    assert (a["pipeline.event.name"], a["pipeline.trigger_source"]) == ("api", "api")


def test_values_add_or_override_pipeline_values_with_or_without_the_prefix() -> None:
    t = Trigger(branch="main", values={"git.revision": "abc", "pipeline.number": 42})
    v = t.pipeline_values()
    assert v["pipeline.git.revision"] == "abc" and v["pipeline.number"] == 42


def test_variables_include_every_known_value_and_the_parameters() -> None:
    v = Trigger(branch="main", parameters={"deploy": True}).variables()
    assert v["pipeline.parameters.deploy"] is True
    assert v["pipeline.git.branch"] == "main"
    assert "pipeline.git.base_revision" in v and v["pipeline.git.base_revision"] is None


def test_a_trigger_is_immune_to_later_changes_of_the_dicts_it_was_given() -> None:
    params = {"x": 1}
    t = Trigger(branch="main", parameters=params)
    params["x"] = 2
    assert t.parameters == {"x": 1}


def test_triggers_compare_and_hash() -> None:
    a = Trigger(branch="main", parameters={"x": 1})
    assert a == Trigger(branch="main", parameters={"x": 1})
    assert a != Trigger(branch="main", parameters={"x": 2})
    assert hash(a) == hash(Trigger(branch="main"))  # parameters do not take part in hashing


def test_to_dict_is_the_json_contract_shape() -> None:
    assert Trigger(tag="v1", parameters={"a": "b"}).to_dict() == {
        "branch": None, "tag": "v1", "event": "push", "parameters": {"a": "b"}}
