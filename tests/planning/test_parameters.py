"""Pipeline parameters given as strings (a command line) are typed by their declaration;
``parameter_problems`` says what a command line should refuse as a usage mistake."""

from __future__ import annotations

from typing import Any

import pytest

from workflowcore.planning import parameter_problems, typed_parameters

DATA: dict[str, Any] = {"version": 2.1, "parameters": {
    "flag": {"type": "boolean", "default": False},
    "count": {"type": "integer", "default": 1},
    "env": {"type": "enum", "enum": ["dev", "prod"], "default": "dev"},
    "name": {"type": "string", "default": "x"},
}}


@pytest.mark.parametrize(("given", "typed"), [
    ({"flag": "true"}, {"flag": True}),
    ({"flag": "False"}, {"flag": False}),
    ({"flag": "yes"}, {"flag": True}),
    ({"flag": "OFF"}, {"flag": False}),
    ({"flag": "maybe"}, {"flag": "maybe"}),
    ({"flag": True}, {"flag": True}),
    ({"count": "12"}, {"count": 12}),
    ({"count": "-3"}, {"count": -3}),
    ({"count": "1.5"}, {"count": "1.5"}),
    ({"name": "true", "env": "prod"}, {"name": "true", "env": "prod"}),  # strings stay
    ({"undeclared": "1"}, {"undeclared": "1"}),
])
def test_strings_are_read_by_the_declared_type(given: dict[str, Any],
                                               typed: dict[str, Any]) -> None:
    assert typed_parameters(DATA, given) == typed


def test_a_2_0_config_has_no_pipeline_parameters_to_type_by() -> None:
    assert typed_parameters({"version": 2, "parameters": DATA["parameters"]},
                            {"flag": "true"}) == {"flag": "true"}


@pytest.mark.parametrize(("given", "problems"), [
    ({"flag": "true", "count": "2", "env": "prod", "name": "n"}, []),
    ({"nope": "1"}, ["unknown pipeline parameter 'nope' (declared: flag, count, env, name)"]),
    ({"flag": "maybe"}, ["pipeline parameter 'flag' is a boolean; got 'maybe'"]),
    ({"count": "many"}, ["pipeline parameter 'count' is an integer; got 'many'"]),
    ({"env": "qa"}, ["pipeline parameter 'env' must be one of dev, prod; got 'qa'"]),
])
def test_parameter_problems(given: dict[str, Any], problems: list[str]) -> None:
    assert parameter_problems(DATA, given) == problems


def test_a_config_without_declarations_refuses_every_parameter() -> None:
    assert parameter_problems({"version": 2.1}, {"x": "1"}) == [
        "unknown pipeline parameter 'x' (declared: none)"]
