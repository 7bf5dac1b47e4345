"""Scan, parse and evaluation errors: CircleCI's wording, position and caret rendering.

Positions and error types come from EXPR's evaluator corpus (CircleCI-Public/expr
``evaluator-corpus.edn``); message texts from its Scanner/Parser/Interpreter (§9.1).
"""

from __future__ import annotations

import pickle
from typing import Any, Dict

import pytest

from workflowcore.errors import WorkflowCoreError
from workflowcore.expr import ExprError, evaluate, parse_expression

SCAN_ERRORS = [
    # expression, kind, lexeme, position
    ("foo..bar", "Scanner/UNEXPECTED_CHARACTER", ".", 3),
    (".foo", "Scanner/UNEXPECTED_CHARACTER", ".", 0),
    ("-foo", "Scanner/UNEXPECTED_CHARACTER", "-", 0),
    ("_foo", "Scanner/UNEXPECTED_CHARACTER", "_", 0),
    ("=!", "Scanner/INCOMPLETE_EQUALS", "!", 1),
    ('text "an unterminated string', "Scanner/UNTERMINATED_STRING", '"', 5),
    ("text /an unterminated pattern", "Scanner/UNTERMINATED_PATTERN", "/", 5),
    ("/foo(?:bar/", "Scanner/INVALID_PATTERN", "/", 0),
    ("/foo⏰/", "Scanner/INVALID_PATTERN_CHARACTER", "⏰", 4),
    ("/foo\\u23f0/", "Scanner/INVALID_PATTERN_CHARACTER", "\\", 4),
    ("/foo\\x{23f0}/", "Scanner/INVALID_PATTERN_CHARACTER", "\\", 4),
    ("foo matches /(?i)bar \u1c80/", "Scanner/INVALID_PATTERN_CHARACTER", "\u1c80", 21),
    ("/" + "x" * 257 + "/", "Scanner/PATTERN_TOO_LONG", "/", 0),
    ("/" + "é" * 257 + "/", "Scanner/PATTERN_TOO_LONG", "/", 0),
    ("9223372036854775808", "Scanner/INVALID_NUMERIC_LITERAL", "9", 0),
    *[(c, "Scanner/UNEXPECTED_CHARACTER", c, 0) for c in "&*^%$£?#~:;@'"],
]


@pytest.mark.parametrize(("text", "kind", "lexeme", "pos"), SCAN_ERRORS)
def test_scan_errors_match_the_corpus(text: str, kind: str, lexeme: str, pos: int) -> None:
    with pytest.raises(ExprError) as info:
        parse_expression(text)
    assert (info.value.kind, info.value.lexeme, info.value.offset) == (kind, lexeme, pos)
    assert info.value.length == 1


PARSE_ERRORS = [
    ("and", "Parser/EXPECTED_EXPRESSION", "and", 0),
    ("foo and bar baz", "Parser/UNEXPECTED_ADDITIONAL_INPUT", "baz", 12),
    ("", "Parser/EXPECTED_EXPRESSION", "", 0),
    ("foo or", "Parser/EXPECTED_EXPRESSION", "", 6),
    ("and foo", "Parser/EXPECTED_EXPRESSION", "and", 0),
    ("!", "Parser/EXPECTED_EXPRESSION", "", 1),
    ("5 <", "Parser/EXPECTED_EXPRESSION", "", 3),
    (">= 4", "Parser/EXPECTED_EXPRESSION", ">=", 0),
    ("(", "Parser/EXPECTED_EXPRESSION", "", 1),
    ("foo and (", "Parser/EXPECTED_EXPRESSION", "", 9),
    ("(1 > 2 3", "Parser/EXPECTED_RIGHT_PAREN", "3", 7),
    ("1 > 2) < 3", "Parser/UNEXPECTED_ADDITIONAL_INPUT", ")", 5),
    ("((foo and bar)", "Parser/EXPECTED_RIGHT_PAREN", "", 14),
    ("0 <= (1 > (2 < 3) >= 5", "Parser/EXPECTED_RIGHT_PAREN", "", 22),
    ("1 > 2 and hello world", "Parser/UNEXPECTED_ADDITIONAL_INPUT", "world", 16),
    ("hello invalid world", "Parser/UNKNOWN_BUILTIN_FUNCTION", "invalid", 6),
    ("true or hello world bar", "Parser/UNKNOWN_BUILTIN_FUNCTION", "world", 14),
    ("4 invalid 5", "Parser/UNKNOWN_BUILTIN_FUNCTION", "invalid", 2),
]


@pytest.mark.parametrize(("text", "kind", "lexeme", "pos"), PARSE_ERRORS)
def test_parse_errors_match_the_corpus(text: str, kind: str, lexeme: str, pos: int) -> None:
    with pytest.raises(ExprError) as info:
        parse_expression(text)
    assert (info.value.kind, info.value.lexeme, info.value.offset) == (kind, lexeme, pos)


EVAL_ERRORS = [
    # expression, environment, kind, lexeme, position
    ("5 > true", {}, "Interpreter/EXPECTED_NUMERIC_OPERAND", ">", 2),
    ("false > 3", {}, "Interpreter/EXPECTED_NUMERIC_OPERAND", ">", 6),
    ('"hi" > "hi"', {}, "Interpreter/EXPECTED_NUMERIC_OPERAND", ">", 5),
    ("foo > 10", {"foo": '"string"'}, "Interpreter/EXPECTED_NUMERIC_OPERAND", ">", 4),
    ("5 >= true", {}, "Interpreter/EXPECTED_NUMERIC_OPERAND", ">=", 2),
    ("false < 3", {}, "Interpreter/EXPECTED_NUMERIC_OPERAND", "<", 6),
    ("foo <= 10", {"foo": "x"}, "Interpreter/EXPECTED_NUMERIC_OPERAND", "<=", 4),
    ("1.5 > 1", {}, "Scanner/UNEXPECTED_CHARACTER", ".", 1),
    ('"string" contains 5', {}, "Interpreter/EXPECTED_STRING_OPERAND", "contains", 9),
    ('false contains "string"', {}, "Interpreter/EXPECTED_STRING_OPERAND", "contains", 6),
    ("55 contains 5", {}, "Interpreter/EXPECTED_STRING_OPERAND", "contains", 3),
    ('foo contains "f"', {"foo": 55}, "Interpreter/EXPECTED_STRING_OPERAND", "contains", 4),
    ('"string" starts-with 5', {}, "Interpreter/EXPECTED_STRING_OPERAND", "starts-with", 9),
    ("55 starts-with 5", {}, "Interpreter/EXPECTED_STRING_OPERAND", "starts-with", 3),
    ("5 matches /pattern/", {}, "Interpreter/EXPECTED_STRING_OPERAND", "matches", 2),
    ("foo matches /pattern/", {"foo": 55}, "Interpreter/EXPECTED_STRING_OPERAND", "matches", 4),
    ('"string" matches true', {}, "Interpreter/EXPECTED_PATTERN_OPERAND", "matches", 9),
    ("foo matches 12", {"foo": "string"}, "Interpreter/EXPECTED_PATTERN_OPERAND", "matches", 4),
    ('"a" matches "a"', {}, "Interpreter/EXPECTED_PATTERN_OPERAND", "matches", 4),
    ("foo > 5", {}, "Interpreter/UNKNOWN_VARIABLE", "foo", 0),
]


@pytest.mark.parametrize(("text", "env", "kind", "lexeme", "pos"), EVAL_ERRORS)
def test_evaluation_errors_match_the_corpus(text: str, env: Dict[str, Any], kind: str,
                                            lexeme: str, pos: int) -> None:
    with pytest.raises(ExprError) as info:
        evaluate(text, env)
    assert (info.value.kind, info.value.lexeme, info.value.offset) == (kind, lexeme, pos)


MESSAGES = [
    # CircleCI's rendered messages (EXPR doc comments and §9.1), verbatim.
    ("2 > 5 && false", {},
     "Unexpected character '&':\n2 > 5 && false\n      ^"),
    ("a =! b", {},
     'Incomplete token, expected "==", found \'!\':\na =! b\n   ^'),
    ('branch == "main', {},
     'Unterminated string starting here:\nbranch == "main\n          ^'),
    ("x matches /abc", {},
     "Unterminated pattern starting here:\nx matches /abc\n          ^"),
    ("and", {},
     'Expected expression, found "and":\nand\n^^^'),
    ("foo and ) bar", {},
     'Expected expression, found ")":\nfoo and ) bar\n        ^'),
    ("foo == bar baz", {},
     'Unexpected additional input, found "baz", expected EOF:\nfoo == bar baz\n           ^^^'),
    ("(a or b", {},
     "Expected ')' after expression:\n(a or b\n       ^"),
    ("a sw b", {},
     "Unknown infix function:\na sw b\n  ^^"),
    ("foo >= bar", {"foo": 1},
     'Referred to a variable "bar" that does not exist:\nfoo >= bar\n       ^^^'),
    ("pipeline.parameters.bug and true", {},
     'Referred to a variable "pipeline.parameters.bug" that does not exist:\n'
     "pipeline.parameters.bug and true\n" + "^" * 23),
    ('"x" > 1', {},
     'Expected numeric operands to ">" operator:\n"x" > 1\n    ^'),
    ("1 STARTS-WITH 2", {},
     'Expected string operands to "STARTS-WITH" operator:\n1 STARTS-WITH 2\n  ' + "^" * 11),
    ('"a" matches "a"', {},
     'Expected the right operand to "matches" operator to be a pattern:\n"a" matches "a"\n'
     "    ^^^^^^^"),
    ("/a(?=b)/", {},
     "Syntax error in pattern:\n/a(?=b)/\n^"),
    ("/é\u0100/", {},
     "Invalid pattern character, only ASCII and Latin-1 are allowed in patterns:\n"
     "/é\u0100/\n  ^"),
    ("/" + "a" * 300 + "/", {},
     "Pattern length exceeded, limit is 256 characters:\n/" + "a" * 300 + "/\n^"),
    ("99999999999999999999", {},
     "Invalid numeric literal, numbers can range from 0 to 2^63 - 1:\n"
     "99999999999999999999\n^"),
    # The marker is under the right line of a multi-line (block scalar) expression...
    ("pipeline.git.branch == \"main\"\n  && true", {},
     "Unexpected character '&':\n  && true\n  ^"),
    # ...and an error at the end of the input has an empty marker.
    ("foo or", {},
     'Expected expression, found "":\nfoo or\n      '),
]


@pytest.mark.parametrize(("text", "env", "rendered"), MESSAGES)
def test_rendered_messages(text: str, env: Dict[str, Any], rendered: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate(text, env)
    assert info.value.render() == rendered
    assert info.value.render(text) == rendered
    assert str(info.value) == rendered.split("\n")[0].rstrip(":")


def test_characters_are_quoted_like_go_q() -> None:
    cases = {
        "a = b": "found ' '",
        "a =": "found '\\x00'",
        "a =\tb": "found '\\t'",
        "a ='": "found '\\''",
        "a =\\": "found '\\\\'",
        "a =\u00a0": "found '\\u00a0'",
    }
    for text, found in cases.items():
        with pytest.raises(ExprError) as info:
            parse_expression(text)
        assert info.value.message == f'Incomplete token, expected "==", found {found[6:]}'
    with pytest.raises(ExprError) as info:
        parse_expression("a \u200b b")
    assert info.value.message == "Unexpected character '\\u200b'"
    with pytest.raises(ExprError) as info:
        parse_expression("a \f b")  # form feed is not whitespace to EXPR
    assert info.value.message == "Unexpected character '\\f'"


def test_error_is_a_value_error_and_a_workflowcore_error() -> None:
    with pytest.raises(ExprError) as info:
        parse_expression("a & b")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, WorkflowCoreError)


def test_error_survives_pickling() -> None:
    with pytest.raises(ExprError) as info:
        parse_expression("a & b")
    info.value.tag_offset = 7
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.message, copy.offset, copy.length, copy.text, copy.kind, copy.lexeme,
            copy.tag_offset) == ("Unexpected character '&'", 2, 1, "a & b",
                                 "Scanner/UNEXPECTED_CHARACTER", "&", 7)


def test_cached_parse_errors_are_raised_fresh_each_time() -> None:
    errors = []
    for _ in range(2):
        with pytest.raises(ExprError) as info:
            parse_expression("a && b")
        errors.append(info.value)
    assert errors[0] is not errors[1]
    assert errors[0].render() == errors[1].render()


def test_unknown_variable_short_circuited_away_is_no_error() -> None:
    assert evaluate("false and nope", {}) is False
    assert evaluate("true or nope", {}) is True
    with pytest.raises(ExprError, match='"nope"'):
        evaluate("true and nope", {})


def test_both_operands_are_evaluated_before_undefined_short_cuts() -> None:
    # An undefined left operand does not hide an unknown variable on the right.
    with pytest.raises(ExprError, match='"nope"'):
        evaluate("foo == nope", {"foo": None})


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    text = "(" * 5000 + "1" + ")" * 5000
    with pytest.raises(ExprError) as info:
        parse_expression(text)
    assert info.value.message == "Expression is too deeply nested"
    assert info.value.render() == "Expression is too deeply nested"


def test_moderate_nesting_and_long_chains_work() -> None:
    assert evaluate("(" * 150 + "x" + ")" * 150, {"x": 3}) == 3
    chain = " or ".join(["false"] * 3000 + ["7"])
    assert evaluate(chain, {}) == 7
    assert evaluate("!" * 3001 + "true", {}) is False
