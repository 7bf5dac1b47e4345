"""Evaluation semantics (R10.3), case by case from EXPR's evaluator corpus and README."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from workflowcore.expr import (
    Expression,
    Re2Pattern,
    evaluate,
    evaluate_bool,
    parse_expression,
    pipeline_variables,
)

LITERALS = [
    ("0", 0), ("1", 1), ('"string"', "string"), ("ident", 5), ("true", True),
    ("false", False), ("TRUE", True), ("FALSE", False), ("9223372036854775807", 2**63 - 1),
    ('"say \\"hi\\" \\\\o/"', 'say "hi" \\o/'), ('"a\\nb"', "a\\nb"), ("007", 7),
]


@pytest.mark.parametrize(("text", "expected"), LITERALS)
def test_literals(text: str, expected: Any) -> None:
    value = evaluate(text, {"ident": 5})
    assert value == expected
    assert type(value) is type(expected)


def test_pattern_literal_is_a_value() -> None:
    value = evaluate("/pat+ern/", {})
    assert value == Re2Pattern("pat+ern")
    assert value.fullmatch("pattttern")
    assert evaluate("/a\\/b/", {}) == Re2Pattern("a/b")


def test_question_mark_is_allowed_in_identifiers() -> None:
    assert evaluate("ident?", {"ident?": 5}) == 5
    assert evaluate("a-b_c?.d1", {"a-b_c?.d1": "x"}) == "x"


CORPUS: list = [
    # logical
    ("true and true", {}, True), ("true and false", {}, False),
    ("false and true", {}, False), ("false and false", {}, False),
    ("false and foo", {}, False), ("true AND false", {}, False),
    ("true and foo", {"foo": 14}, 14), ('foo and "hello"', {"foo": True}, "hello"),
    ("true or true", {}, True), ("true or false", {}, True), ("false or true", {}, True),
    ("false or false", {}, False), ("true or foo", {}, True), ("false OR true", {}, True),
    ("false or foo", {"foo": 14}, 14), ("foo or foo", {"foo": False}, False),
    ("!true", {}, False), ("!false", {}, True), ("not true", {}, False),
    ("not false", {}, True), ("not foo", {"foo": True}, False), ("!foo", {"foo": True}, False),
    ("NOT 0", {}, False), ('not ""', {}, False),
    # equality, mixed types never equal
    ("1 == 1", {}, True), ("1 == 2", {}, False), ('"hi" == "hi"', {}, True),
    ('"hi" == "bye"', {}, False), ("true == true", {}, True), ("false == false", {}, True),
    ("foo == foo", {"foo": '"hello"'}, True), ("foo == bar", {"foo": 1, "bar": 1}, True),
    ("foo == bar", {"foo": 5, "bar": 1}, False), ("true == 12", {}, False),
    ('"string" == 4', {}, False), ("5 == false", {}, False),
    ("foo == bar", {"foo": "5", "bar": True}, False), ("1 == true", {}, False),
    ("0 == false", {}, False), ("foo == 1", {"foo": 1.0}, False),
    ("1 != 1", {}, False), ("1 != 2", {}, True), ('"hi" != "hi"', {}, False),
    ("true != 12", {}, True), ('"string" != 4', {}, True), ("5 != false", {}, True),
    ("foo != bar", {"foo": "5", "bar": True}, True),
    # comparisons
    ("1 > 3", {}, False), ("5 > 3", {}, True), ("5 > 5", {}, False),
    ("5 > foo", {"foo": 4}, True), ("foo > 5", {"foo": 7}, True),
    ("1 >= 3", {}, False), ("5 >= 5", {}, True), ("1 < 3", {}, True), ("5 < 5", {}, False),
    ("5 < foo", {"foo": 4}, False), ("5 <= 5", {}, True), ("foo <= 5", {"foo": 1}, True),
    # contains / starts-with / matches (full match)
    ('"hello world" contains "hello"', {}, True), ('"hello world" contains "api"', {}, False),
    ('"hello world" contains foo', {"foo": "lo wo"}, True),
    ('"hello world" CONTAINS "o w"', {}, True),
    ('"hello world" starts-with "hello"', {}, True),
    ('"hello world" starts-with "api"', {}, False),
    ('foo starts-with "hello"', {"foo": "hello world"}, True),
    ('"hello world" matches /hello\\s\\w+/', {}, True),
    ('"hello world" matches /\\w+ world/', {}, True),
    ('"hello world" matches /^hello/', {}, False),
    ('"hello world" matches /world/', {}, False),
    ('"hello world" matches /world$/', {}, False),
    ("bar matches /fo+d/", {"bar": "food"}, True),
    ("bar matches /fo+d/", {"bar": "fooooood"}, True),
    ("bar matches /fo+d/", {"bar": "fd"}, False),
    ("bar MATCHES /(?i)\\..\\*/", {"bar": ".a*"}, True),
    ("bar matches /(?i)\\..\\*/", {"bar": "aa*"}, False),
    ('"a/b" matches /a\\/b/', {}, True),
    ("foo matches bar", {"foo": "x", "bar": Re2Pattern("x")}, True),
    # complex
    ('(5 < 4 or not foo) and "s" != 42', {"foo": False}, True),
    ('(5 < 4 or not foo) and "s" != 42', {"foo": True}, False),
    ('branch == "main" and project == "my-project" or always_run',
     {"branch": "main", "project": "my-project", "always_run": False}, True),
    ('branch == "main" and project == "my-project" or always_run',
     {"branch": "develop", "project": "my-project", "always_run": False}, False),
    ('branch == "main" and not (number == 5 and project == "my-project")',
     {"branch": "main", "number": 5, "project": "another-project"}, True),
    ('branch starts-with "main" and not (number == 5 and project == "my-project")',
     {"branch": "mainly-on-the-plain", "number": 5, "project": "another-project"}, True),
]


@pytest.mark.parametrize(("text", "env", "expected"), CORPUS)
def test_evaluator_corpus(text: str, env: Dict[str, Any], expected: Any) -> None:
    value = evaluate(text, env)
    assert value == expected
    assert type(value) is type(expected)


UNDEFINED = [
    # foo/bar/... known but null: comparisons are undefined, logic treats it as false.
    ("1 == foo", {"foo": None}, None), ("foo == foo", {"foo": None}, None),
    ("foo != foo", {"foo": None}, None), ("foo != true", {"foo": None}, None),
    ("foo == bar", {"foo": 1, "bar": None}, None), ("1 > foo", {"foo": None}, None),
    ("foo >= 3", {"foo": None}, None), ("foo < foo", {"foo": None}, None),
    ("foo <= 3", {"foo": None}, None),
    ('"hello world" starts-with foo', {"foo": None}, None),
    ('foo starts-with "hello"', {"foo": None}, None),
    ("foo matches /x/", {"foo": None}, None),
    # undefined is checked before operand types: no type error here
    ('foo > "string"', {"foo": None}, None), ("foo matches 12", {"foo": None}, None),
    ("true and foo", {"foo": None}, None), ("foo and true", {"foo": None}, None),
    ('"hello world" and foo', {"foo": None}, None), ("false and foo", {"foo": None}, False),
    ("foo and false", {"foo": None}, None), ("foo and foo", {"foo": None}, None),
    ("true or foo", {"foo": None}, True), ("foo or true", {"foo": None}, True),
    ("12 or foo", {"foo": None}, 12), ("foo or 12", {"foo": None}, 12),
    ('foo or "hello world"', {"foo": None}, "hello world"),
    ("false or foo", {"foo": None}, None), ("foo or false", {"foo": None}, False),
    ("!foo", {"foo": None}, True), ("not foo", {"foo": None}, True),
    ("not not foo", {"foo": None}, False),
    ('project == "my-project" and branch or "default value"',
     {"branch": None, "project": "my-project"}, "default value"),
    ('project == "my-project" and branch or "default value"',
     {"branch": "main", "project": None}, "default value"),
    ('always_run or project == "my-project" and branch',
     {"branch": "main", "project": "my-project", "always_run": None}, "main"),
    ('always_run or project == "my-project" and branch',
     {"branch": None, "project": "my-project", "always_run": True}, True),
    ("branch or always_run and project",
     {"branch": "main", "project": None, "always_run": False}, "main"),
    ("(branch or always_run) and project",
     {"branch": "main", "project": "my-project", "always_run": None}, "my-project"),
]


@pytest.mark.parametrize(("text", "env", "expected"), UNDEFINED)
def test_undefined_variable_handling(text: str, env: Dict[str, Any], expected: Any) -> None:
    value = evaluate(text, env)
    assert value == expected
    assert type(value) is type(expected)
    assert evaluate_bool(text, env) is (value is not None and value is not False)


def test_truthiness_only_false_and_undefined_are_falsy() -> None:
    for text, env in [("0", {}), ('""', {}), ("x", {"x": []}), ("x", {"x": {}})]:
        assert evaluate_bool(text, env) is True
    assert evaluate_bool("false", {}) is False
    assert evaluate_bool("x", {"x": None}) is False


PRECEDENCE = [
    # not binds tightest: (not foo) and bar
    ("not foo and bar", {"foo": False, "bar": "B"}, "B"),
    ("not foo and bar", {"foo": True, "bar": "B"}, False),
    # and binds tighter than or
    ("a or b and c", {"a": "A", "b": False, "c": "C"}, "A"),
    ("a or b and c", {"a": False, "b": "B", "c": "C"}, "C"),
    ("a and b or c", {"a": False, "b": "B", "c": "C"}, "C"),
    # comparison binds tighter than equality: true == (2 > 1)
    ("true == 2 > 1", {}, True),
    ("2 > 1 == true", {}, True),
    # equality operators are left-associative
    ("1 == 1 == true", {}, True),
    ("1 == 1 == 1", {}, False),
    ('x starts-with "a" == true', {"x": "abc"}, True),
    ("(false or 14) > 10", {}, True),
    # the documented ternary idiom
    ('pipeline.git.branch == "main" and 10 or 1', {"pipeline.git.branch": "main"}, 10),
    ('pipeline.git.branch == "main" and 10 or 1', {"pipeline.git.branch": "dev"}, 1),
]


@pytest.mark.parametrize(("text", "env", "expected"), PRECEDENCE)
def test_precedence_and_associativity(text: str, env: Dict[str, Any], expected: Any) -> None:
    assert evaluate(text, env) == expected


def test_not_binds_tighter_than_comparison() -> None:
    from workflowcore.expr import ExprError

    with pytest.raises(ExprError, match='numeric operands to ">"'):
        evaluate("not 1 > 2", {})


def test_keywords_are_lower_or_upper_case_only() -> None:
    # "And" is an identifier, so "true And false" is additional input... after a name.
    from workflowcore.expr import ExprError

    with pytest.raises(ExprError) as info:
        evaluate("true And false", {})
    assert info.value.kind == "Parser/UNKNOWN_BUILTIN_FUNCTION"
    assert evaluate("True", {"True": 1}) == 1
    with pytest.raises(ExprError) as info:
        evaluate('"abc" Starts-With "a"', {})
    assert (info.value.kind, info.value.lexeme) == ("Parser/UNKNOWN_BUILTIN_FUNCTION",
                                                    "Starts-With")


def test_filters_from_the_docs() -> None:
    branch = pipeline_variables({"git.branch": "main"}, {})
    tag = pipeline_variables({"git.tag": "release-1"}, {})
    f1 = 'pipeline.git.branch == "main" or pipeline.git.tag starts-with "release"'
    assert evaluate_bool(f1, branch)
    assert evaluate_bool(f1, tag)
    assert not evaluate_bool(f1, pipeline_variables({"git.branch": "dev"}, {}))
    f2 = 'pipeline.git.branch != "develop" and not (pipeline.git.branch matches /feature-.*/)'
    assert evaluate_bool(f2, branch)
    assert not evaluate_bool(f2, pipeline_variables({"git.branch": "feature-x"}, {}))
    assert not evaluate_bool(f2, tag)  # branch undefined on a tag pipeline (R3.5.2)
    every = "pipeline.git.branch or pipeline.git.tag"
    assert evaluate_bool(every, branch)
    assert evaluate_bool(every, tag)


def test_parse_is_cached_and_expression_is_reusable() -> None:
    e1 = parse_expression("a == 1 or b")
    assert e1 is parse_expression("a == 1 or b")
    assert isinstance(e1, Expression)
    assert e1.evaluate({"a": 1}) is True
    assert e1.evaluate_bool({"a": 2, "b": None}) is False
    assert evaluate(e1, {"a": 2, "b": "x"}) == "x"
    assert e1.names == ("a", "b")
    assert [(r.name, r.offset, r.length) for r in e1.references] == [("a", 0, 1), ("b", 10, 1)]


def test_references_keep_duplicates_in_source_order() -> None:
    e = parse_expression("(x or y) and not x and pipeline.git.branch matches /m/")
    assert [r.name for r in e.references] == ["x", "y", "x", "pipeline.git.branch"]
    assert e.names == ("x", "y", "pipeline.git.branch")


def test_variables_accept_any_mapping_and_str_subclasses() -> None:
    class Loc(str):
        pass

    assert evaluate('b == "main"', {"b": Loc("main")}) is True
    assert evaluate('b starts-with "ma"', {"b": Loc("main")}) is True
