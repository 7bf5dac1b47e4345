"""Pipeline values: the known list, and the variable mapping expressions see."""

from __future__ import annotations

import pytest

from workflowcore.expr import (
    PIPELINE_VALUE_NAMES,
    PIPELINE_VALUES,
    ExprError,
    evaluate,
    evaluate_bool,
    is_pipeline_value,
    lookup_pipeline_value,
    pipeline_variables,
)

DOCUMENTED = [
    "pipeline.id", "pipeline.number", "pipeline.project.git_url", "pipeline.project.type",
    "pipeline.git.tag", "pipeline.git.branch", "pipeline.git.branch.is_default",
    "pipeline.git.revision", "pipeline.git.base_revision", "pipeline.trigger_source",
    "pipeline.schedule.name", "pipeline.schedule.id", "pipeline.event.name",
    "pipeline.event.action", "pipeline.trigger.type", "pipeline.trigger.name",
    "pipeline.trigger.id", "pipeline.trigger_parameters.webhook.body",
    "pipeline.trigger_parameters.gitlab.branch", "pipeline.event.context.github.pr_url",
    "pipeline.event.github.pull_request.number", "pipeline.git.commit.subject",
    "pipeline.definition.id", "pipeline.project.slug", "pipeline.name",
    "pipeline.integration_source",
]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_documented_values_are_known(name: str) -> None:
    assert name in PIPELINE_VALUE_NAMES
    assert is_pipeline_value(name)
    value = lookup_pipeline_value(name)
    assert value is not None
    assert value.name == name


def test_names_are_unique_valid_identifiers() -> None:
    names = [v.name for v in PIPELINE_VALUES]
    assert len(names) == len(set(names))
    for name in names:
        assert evaluate(name, {name: "v"}) == "v"  # every name scans as one identifier


def test_types_and_deprecations() -> None:
    number = lookup_pipeline_value("pipeline.number")
    assert number is not None
    assert number.type == "uint"
    default = lookup_pipeline_value("pipeline.git.branch.is_default")
    assert default is not None
    assert default.type == "boolean"
    old = lookup_pipeline_value("pipeline.trigger_parameters.circleci.event_type")
    assert old is not None
    assert old.deprecated
    assert old.replaced_by == "pipeline.event.name"
    assert lookup_pipeline_value("pipeline.git.brnch") is None
    assert not is_pipeline_value("pipeline.parameters.x")


def test_pipeline_variables() -> None:
    v = pipeline_variables({"pipeline.git.branch": "main", "number": 7, "custom.thing": 1},
                           {"deploy": True, "env": "prod"})
    assert v["pipeline.git.branch"] == "main"
    assert v["pipeline.number"] == 7
    assert v["pipeline.custom.thing"] == 1
    assert v["pipeline.parameters.deploy"] is True
    assert v["pipeline.parameters.env"] == "prod"
    # every known value is present, undefined unless given
    assert set(PIPELINE_VALUE_NAMES) <= set(v)
    assert v["pipeline.git.tag"] is None


def test_undefined_values_versus_unknown_names() -> None:
    v = pipeline_variables({"git.branch": "main"}, {"deploy": False})
    assert evaluate("pipeline.git.tag", v) is None
    assert not evaluate_bool('pipeline.git.tag starts-with "v"', v)
    assert evaluate_bool("not pipeline.parameters.deploy", v)
    with pytest.raises(ExprError) as info:
        evaluate("pipeline.git.brnch", v)
    assert info.value.message == 'Referred to a variable "pipeline.git.brnch" that does not exist'
    with pytest.raises(ExprError, match=r'"pipeline\.parameters\.bug"'):
        evaluate("pipeline.parameters.bug", v)
