"""Arbitrary input never crashes the expression layer: it answers or reports an error.

Editors call these on every keystroke with half-typed text, so anything but ExprError (or
a returned list of problems) would surface as a traceback.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from hypothesis import given, settings
from hypothesis import strategies as st

from workflowcore.expr import (
    ExprError,
    LogicError,
    RegexError,
    TemplateError,
    check_logic,
    check_re2,
    evaluate,
    evaluate_logic,
    explain_re2,
    find_template_errors,
    parse_expression,
    render_with_variables,
    template_references,
)

# Text made mostly of the language's own pieces finds far more paths than random text.
PIECES = st.sampled_from([
    " ", "\t", "\n", "(", ")", "!", "=", "==", "!=", ">", ">=", "<", "<=", "and", "or",
    "not", "AND", "true", "false", "starts-with", "contains", "matches", "MATCHES", '"',
    '\\"', "\\", "/", "\\/", "a", "b.c", "x?", "0", "12", "99999999999999999999", "&", ".",
    "-", "_", "é", "⏰", "[", "(?!", "*", "+", "{2}", "|", "<<", ">>", "\\<<", "<<#", "<<^",
    "<</", "#", "^", "$",
])
TEXT = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=25).map("".join))
ENV: Dict[str, Any] = {"a": 1, "b.c": "str", "x?": None, "p": True}


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_parse_and_evaluate_raise_only_expr_error(text: str) -> None:
    error: Optional[ExprError] = None
    try:
        expression = parse_expression(text)
    except ExprError as exc:
        error = exc
    if error is not None:
        assert 0 <= error.offset <= len(text)
        assert error.length >= 0
        assert error.render().startswith(error.message)
        return
    try:
        evaluate(expression, ENV)
    except ExprError as exc:
        error = exc
    if error is not None:
        assert error.kind.startswith("Interpreter/") or error.kind == "TOO_DEEPLY_NESTED"
        assert error.render().startswith(error.message)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_template_checks_return_problems(text: str) -> None:
    errors = find_template_errors(text)
    assert isinstance(errors, list)
    assert len(errors) <= 1
    for error in errors:
        assert isinstance(error, TemplateError)
        assert error.offset >= 0
        assert error.offset + error.length <= len(text)
    assert isinstance(template_references(text), list)
    try:
        render_with_variables(text, {"a": 1, "b.c": "s"})
    except ExprError:
        pass
    else:
        assert errors == []


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.lists(PIECES, max_size=15).map("".join)))
def test_regex_checks_never_raise(pattern: str) -> None:
    reason = explain_re2(pattern)
    message = check_re2(pattern)
    assert (reason is None) == (message is None)


STATEMENTS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["and", "or", "not", "equal", "matches", "pattern",
                                         "value", "x"]), inner, max_size=2),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(STATEMENTS)
def test_logic_checks_never_raise(stmt: Any) -> None:
    problems = check_logic(stmt)
    error: Optional[LogicError] = None
    result: Optional[bool] = None
    try:
        result = evaluate_logic(stmt)
    except LogicError as exc:
        error = exc
    except RegexError:  # pragma: no cover - check_logic reports these first
        raise AssertionError("an invalid pattern slipped past check_logic") from None
    if error is not None:
        assert list(error.problems) == problems
        assert problems
    else:
        assert problems == []
        assert isinstance(result, bool)
