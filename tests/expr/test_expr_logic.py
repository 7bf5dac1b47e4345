"""Logic statements (R10.4): evaluation, truthiness, and the problems check_logic finds."""

from __future__ import annotations

from typing import Any

import pytest

from workflowcore.errors import WorkflowCoreError
from workflowcore.expr import (
    ExprError,
    LogicError,
    LogicProblem,
    check_logic,
    evaluate_logic,
    logic_truthy,
)

LITERALS = [
    (True, True), (False, False), (None, False), (0, False), (0.0, False),
    (float("nan"), False), ("", False), ([], False), ({}, False), (1, True), (-1, True),
    (0.5, True), ("false", True), ("always", True), ([0], True),
]


@pytest.mark.parametrize(("stmt", "expected"), LITERALS)
def test_literals(stmt: Any, expected: bool) -> None:
    assert evaluate_logic(stmt) is expected
    assert logic_truthy(stmt) is expected


STATEMENTS = [
    ({"and": [True, 1, "x"]}, True),
    ({"and": [True, 0]}, False),
    ({"or": [False, None, "", 0]}, False),
    ({"or": [False, "yes"]}, True),
    ({"not": True}, False),
    ({"not": ""}, True),
    ({"not": {"not": 5}}, True),
    ({"equal": ["main", "main"]}, True),
    ({"equal": ["main", "main", "dev"]}, False),
    ({"equal": [1]}, True),
    ({"equal": [1, "1"]}, False),  # after YAML typing, "1" is not 1
    ({"equal": [True, 1]}, False),
    ({"equal": [1, 1.0]}, False),
    ({"equal": [None, None]}, True),
    ({"equal": [[1, "a"], [1, "a"]]}, True),
    ({"equal": [{"a": [1]}, {"a": [1]}]}, True),
    ({"equal": [{"a": [1]}, {"a": [True]}]}, False),
    ({"matches": {"pattern": "^release/.+$", "value": "release/1.2"}}, True),
    ({"matches": {"pattern": "release", "value": "release/1.2"}}, False),  # full match
    ({"matches": {"pattern": "[0-9]+", "value": 42}}, True),
    ({"matches": {"pattern": ".*", "value": None}}, False),
    ({"and": [{"or": [False, {"not": False}]}, {"equal": [2, 2]}]}, True),
]


@pytest.mark.parametrize(("stmt", "expected"), STATEMENTS)
def test_statements(stmt: Any, expected: bool) -> None:
    assert check_logic(stmt) == []
    assert evaluate_logic(stmt) is expected


def test_templates_are_rendered_with_variables() -> None:
    variables = {
        "pipeline.git.branch": "main",
        "pipeline.parameters.run_it": False,
        "pipeline.parameters.n": 3,
        "pipeline.git.tag": None,
    }
    assert evaluate_logic({"equal": ["main", "<< pipeline.git.branch >>"]}, variables)
    assert not evaluate_logic("<< pipeline.parameters.run_it >>", variables)
    assert evaluate_logic({"equal": [3, "<< pipeline.parameters.n >>"]}, variables)
    assert not evaluate_logic({"equal": ["3", "<< pipeline.parameters.n >>"]}, variables)
    assert evaluate_logic(
        {"matches": {"pattern": "^<< pipeline.git.branch >>$", "value": "main"}}, variables)
    assert not evaluate_logic(
        {"matches": {"pattern": "v.*", "value": "<< pipeline.git.tag >>"}}, variables)
    # a template inside a larger string makes a non-empty string: always true (R2.7.2)
    assert evaluate_logic("<< pipeline.parameters.run_it >> == true", variables)
    # without variables, strings are taken literally
    assert not evaluate_logic({"equal": ["main", "<< pipeline.git.branch >>"]})


def test_template_errors_surface_as_expr_errors() -> None:
    with pytest.raises(ExprError, match="does not exist"):
        evaluate_logic({"equal": ["<< pipeline.parameters.nope >>", 1]}, {})


def test_short_circuit() -> None:
    calls = []

    class Spy:
        def __eq__(self, other: object) -> bool:
            calls.append(other)
            return True

        __hash__ = object.__hash__

    assert evaluate_logic({"or": [True, {"equal": [Spy(), Spy()]}]}) is True
    assert evaluate_logic({"and": [0, {"equal": [Spy(), Spy()]}]}) is False
    assert calls == []
    assert evaluate_logic({"and": [1, {"equal": [Spy(), Spy()]}]}) is True
    assert len(calls) == 1


PROBLEMS = [
    ({"and": [True], "or": [False]},
     [((), "A logic statement takes exactly one operator, found 2: and, or")]),
    ({"andd": [True]},
     [(("andd",), "Unknown logic operator 'andd', expected one of: and, or, not, equal, "
                  "matches")]),
    ({"and": []}, [(("and",), "'and' needs at least one argument, an empty list is an error")]),
    ({"or": []}, [(("or",), "'or' needs at least one argument, an empty list is an error")]),
    ({"equal": []},
     [(("equal",), "'equal' needs at least one argument, an empty list is an error")]),
    ({"and": True}, [(("and",), "'and' takes a list")]),
    ({"matches": {"value": "x"}}, [(("matches",), "'matches' is missing 'pattern'")]),
    ({"matches": {"pattern": "x"}}, [(("matches",), "'matches' is missing 'value'")]),
    ({"matches": "x"}, [(("matches",), "'matches' takes a mapping with 'pattern' and 'value'")]),
    ({"matches": {"pattern": 5, "value": "x"}},
     [(("matches", "pattern"), "'pattern' must be a string")]),
    ({"matches": {"pattern": "a", "value": "b", "flags": "i"}},
     [(("matches", "flags"), "Unknown key 'flags' in 'matches', expected 'pattern' and "
                             "'value'")]),
    ({"matches": {"pattern": "^(?!main).*$", "value": "x"}},
     [(("matches", "pattern"), "Invalid regular expression: ^(?!main).*$: Invalid pattern.")]),
    ({"and": [False, {"matches": {"pattern": "(.+)\\1", "value": "x"}}]},
     [(("and", 1, "matches", "pattern"),
       "Invalid regular expression: (.+)\\1: Invalid pattern.")]),
    ({"not": {"or": [True, {"and": []}]}},
     [(("not", "or", 1, "and"), "'and' needs at least one argument, an empty list is an error")]),
]


@pytest.mark.parametrize(("stmt", "expected"), PROBLEMS)
def test_problems(stmt: Any, expected: list) -> None:
    assert check_logic(stmt) == [LogicProblem(loc, msg) for loc, msg in expected]
    with pytest.raises(LogicError) as info:
        evaluate_logic(stmt)
    assert info.value.problems == tuple(LogicProblem(loc, msg) for loc, msg in expected)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, WorkflowCoreError)


def test_templated_patterns_are_not_checked_until_rendered() -> None:
    stmt = {"matches": {"pattern": "<< pipeline.parameters.re >>", "value": "x"}}
    assert check_logic(stmt) == []
    with pytest.raises(LogicError) as info:
        evaluate_logic(stmt, {"pipeline.parameters.re": "(?=x)"})
    assert info.value.problems[0].message == (
        "Invalid regular expression: (?=x): Invalid pattern.")


def _nested(depth: int) -> Any:
    stmt: Any = True
    for _ in range(depth):
        stmt = {"not": stmt}
    return stmt


def test_nesting_limit() -> None:
    assert check_logic(_nested(100)) == []
    assert evaluate_logic(_nested(100)) is True
    problems = check_logic(_nested(101))
    assert len(problems) == 1
    assert problems[0].loc == ("not",) * 100
    assert problems[0].message == "Logic statements can be nested at most 100 levels deep"
    assert len(check_logic(_nested(5000))) == 1  # deep input does not crash


def test_error_message_names_the_first_problem() -> None:
    with pytest.raises(LogicError) as info:
        evaluate_logic({"and": [True, {"or": []}]})
    assert str(info.value) == (
        "'or' needs at least one argument, an empty list is an error (at and/1/or)")
