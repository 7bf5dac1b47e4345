"""``<< >>`` templates (R10.2): escapes, sections, typed whole-value tags, errors."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from workflowcore.expr import (
    ExprError,
    TemplateError,
    evaluate_tag,
    find_template_errors,
    has_template,
    render_template,
    render_with_variables,
    template_reference_spans,
    template_references,
    template_string,
)

VARS: Dict[str, Any] = {
    "parameters.p": 3,
    "parameters.s": "hi",
    "parameters.flag": True,
    "parameters.off": False,
    "parameters.f": 0.1,
    "parameters.none": None,
    "parameters.empty": "",
    "parameters.steps": [{"run": "make"}],
    "pipeline.git.branch": "main",
    "pipeline.git.tag": None,
    "pipeline.number": 42,
    "pipeline.parameters.deploy": True,
    "matrix.os": "linux",
    "parameters.url:with/slash": "U",
}

RENDERED = [
    ("no template here", "no template here"),
    ("echo << parameters.s >>!", "echo hi!"),
    ("n=<< parameters.p >> b=<< parameters.flag >>/<< parameters.off >>", "n=3 b=true/false"),
    ("t=<< pipeline.git.tag >>.", "t=."),
    ("f=<< parameters.f >>", "f=0.1"),
    ("build-<< matrix.os >>-<< pipeline.number >>", "build-linux-42"),
    ('Running on << pipeline.git.tag or "unknown" >>', "Running on unknown"),
    ("<< pipeline.git.branch == \"main\" and 10 or 1 >> jobs", "10 jobs"),
    # escapes: \<< is a literal <<, \\<< a backslash then a tag
    ("cat \\<<EOF\nx\nEOF", "cat <<EOF\nx\nEOF"),
    ("a \\\\<< parameters.s >>", "a \\hi"),
    ("\\<< parameters.s >>", "<< parameters.s >>"),
    ("a >> b", "a >> b"),
    ("x >> << parameters.s >> >>", "x >> hi >>"),
    # sections and inverted sections
    ("ls <<# parameters.flag >>-a<</ parameters.flag >>", "ls -a"),
    ("ls <<# parameters.off >>-a<</ parameters.off >>", "ls "),
    ("<<^ pipeline.git.tag >>no tag<</ pipeline.git.tag >>", "no tag"),
    ("<<^ parameters.empty >>empty<</ parameters.empty >>", "empty"),
    ("<<# parameters.s >>[<< parameters.s >>]<</ parameters.s >>", "[hi]"),
    ("<<# parameters.flag >>a<<# parameters.off >>b<</ parameters.off >>c<</ parameters.flag >>",
     "ac"),
    # a body an expression would reject, taken whole as a name (R10.1.5)
    ("url=<< parameters.url:with/slash >>", "url=U"),
]


@pytest.mark.parametrize(("text", "expected"), RENDERED)
def test_render(text: str, expected: str) -> None:
    assert render_with_variables(text, VARS) == expected
    assert find_template_errors(text) == []


TYPED = [
    ("<< parameters.p >>", 3),
    ("<<parameters.p>>", 3),
    ("  << parameters.flag >>  ", True),
    ("<< parameters.off >>", False),
    ("<< parameters.none >>", None),
    ("<< parameters.f >>", 0.1),
    ("<< parameters.steps >>", [{"run": "make"}]),
    ("<< pipeline.git.tag and 1 or 0 >>", 0),
    ("<< pipeline.parameters.deploy >>", True),
]


@pytest.mark.parametrize(("text", "expected"), TYPED)
def test_whole_value_tag_keeps_its_type(text: str, expected: Any) -> None:
    value = render_with_variables(text, VARS)
    assert value == expected
    assert type(value) is type(expected)


def test_two_tags_make_a_string() -> None:
    assert render_with_variables("<< parameters.p >><< parameters.p >>", VARS) == "33"
    assert render_with_variables("<< parameters.off >> ", VARS) is False
    assert render_with_variables("x<< parameters.off >>", VARS) == "xfalse"


def test_resolve_receives_raw_bodies_and_section_names() -> None:
    seen: List[str] = []

    def resolve(body: str) -> Any:
        seen.append(body)
        return body.strip().upper()

    assert render_template("a<<  x.y  >>b<<# s >>c<</ s >>", resolve) == "aX.Ybc"
    assert seen == ["  x.y  ", "s"]


ERRORS = [
    # text, message, offset, length
    ("cat <<EOF", "Unclosed '<<' tag ('<<' must be escaped as '\\<<')", 4, 2),
    ("run: << parameters.x", "Unclosed '<<' tag ('<<' must be escaped as '\\<<')", 5, 2),
    ("<< a << b >>", "Unclosed '<<' tag ('<<' must be escaped as '\\<<')", 0, 2),
    ("<<>>", "Expected expression after '<<'", 0, 2),
    ("end <<", "Expected expression after '<<'", 4, 2),
    ("<< >>", 'Expected expression, found ""', 2, 1),
    ("<< and >>", 'Expected expression, found "and"', 3, 3),
    ("<< a or >>", 'Expected expression, found ""', 2, 6),
    ("<< a & b >>", "Unexpected character '&'", 5, 1),
    ('x << "abc >>', "Unterminated string starting here", 5, 1),
    ("<< foo bar baz >>", "Unknown infix function", 7, 3),
    ("<< foo bar >>", 'Unexpected additional input, found "bar", expected EOF', 7, 3),
    ("<< a/b >>", "Unterminated pattern starting here", 4, 1),
    ("<< " + "a" * 2047 + " >>", "Expressions must be less than 2048 characters, this one is 2049",
     2, 2049),
    ("<<# x >>body", "Unclosed section, expected '<</'", 0, 3),
    ("<<# x >>a<</ y >>", "Expected section end tag to match start tag", 9, 3),
    ("text <</ x >>", "Expected section end tag to match start tag", 5, 3),
    ("<<# x y >>a<</ x y >>", "Expected valid identifier", 3, 5),
    ("<<#>>", "Expected identifier", 3, 2),
    ("<<# x ", "Unclosed '<<' tag", 6, 0),
    ("<<# x >>a<</ x", "Unclosed '<<' tag", 14, 0),
]


@pytest.mark.parametrize(("text", "message", "offset", "length"), ERRORS)
def test_template_errors(text: str, message: str, offset: int, length: int) -> None:
    assert find_template_errors(text) == [TemplateError(message, offset, length)]
    assert has_template(text)
    with pytest.raises(ExprError) as info:
        render_with_variables(text, {})
    assert (info.value.message, info.value.offset, info.value.length) == (message, offset, length)
    assert info.value.text == text


def test_only_the_first_problem_is_reported() -> None:
    assert len(find_template_errors("<<>> and << & >> and cat <<EOF")) == 1


def test_a_2048_character_body_is_fine() -> None:
    # The language server's check is "> 2048", whatever the message suggests.
    assert find_template_errors("<< " + "a" * 2046 + " >>") == []


def test_render_error_is_rendered_like_circleci() -> None:
    with pytest.raises(ExprError) as info:
        render_with_variables("run: cat <<EOF", {})
    assert info.value.render() == (
        "Unclosed '<<' tag ('<<' must be escaped as '\\<<'):\nrun: cat <<EOF\n         ^^")


def test_unknown_variable_inside_a_tag() -> None:
    text = "echo << pipeline.parameters.bug >>"
    with pytest.raises(ExprError) as info:
        render_with_variables(text, VARS)
    err = info.value
    assert err.message == 'Referred to a variable "pipeline.parameters.bug" that does not exist'
    assert err.tag_offset == 7  # the body starts after "echo <<"
    assert text[err.tag_offset + err.offset:][:err.length] == "pipeline.parameters.bug"
    assert err.render() == ('Referred to a variable "pipeline.parameters.bug" that does not '
                            "exist:\n pipeline.parameters.bug \n " + "^" * 23)


def test_unknown_whole_name_and_section_name() -> None:
    with pytest.raises(ExprError) as info:
        render_with_variables("<< parameters.a:b >>", VARS)
    assert info.value.message == 'Referred to a variable "parameters.a:b" that does not exist'
    assert (info.value.offset, info.value.length) == (1, 14)
    with pytest.raises(ExprError) as info:
        render_with_variables("x <<# parameters.nope >>y<</ parameters.nope >>", VARS)
    assert info.value.tag_offset == 6


def test_whole_tag_error_offset_accounts_for_leading_space() -> None:
    with pytest.raises(ExprError) as info:
        render_with_variables("  << nope >>", {})
    assert info.value.tag_offset == 4


def test_evaluate_tag() -> None:
    assert evaluate_tag(" pipeline.number > 40 ", VARS) is True
    assert evaluate_tag("parameters.url:with/slash", VARS) == "U"
    assert evaluate_tag("pipeline.git.tag", VARS) is None
    with pytest.raises(ExprError, match="Unexpected character"):
        evaluate_tag("a & b", VARS)  # not name-shaped: the scan error stands


def test_has_template() -> None:
    assert has_template("<< x >>")
    assert has_template("a <<# x >>b<</ x >>")
    assert has_template("cat <<EOF")  # malformed, but a template all the same
    assert not has_template("cat \\<<EOF")
    assert not has_template("plain >> text")
    assert not has_template("")


def test_references() -> None:
    text = ("<< parameters.a and pipeline.git.branch >> "
            "<<# parameters.b >><< parameters.a >><</ parameters.b >> << matrix.os >>")
    assert template_references(text) == [
        "parameters.a", "pipeline.git.branch", "parameters.b", "matrix.os"]
    spans = template_reference_spans(text)
    assert [(r.name, text[r.offset:r.offset + r.length]) for r in spans] == [
        ("parameters.a", "parameters.a"),
        ("pipeline.git.branch", "pipeline.git.branch"),
        ("parameters.b", "parameters.b"),
        ("parameters.a", "parameters.a"),
        ("parameters.b", "parameters.b"),
        ("matrix.os", "matrix.os"),
    ]
    assert template_references("<< parameters.url:x >>") == ["parameters.url:x"]
    assert template_references("no tags") == []
    # names up to the first problem only
    assert template_references("<< parameters.x >> << & >> << parameters.y >>") == [
        "parameters.x"]


STRINGS = [
    (None, ""), (True, "true"), (False, "false"), (0, "0"), (-7, "-7"), (0.1, "0.1"),
    (15.0, "15.0"), (1e20, "1.0e+20"), (1.5e-07, "1.5e-07"), (float("inf"), ".inf"),
    (float("-inf"), "-.inf"), (float("nan"), ".nan"), ("s", "s"),
    ([1, "a", True], '[1, "a", true]'), ({"k": None}, '{"k": null}'),
]


@pytest.mark.parametrize(("value", "text"), STRINGS)
def test_template_string(value: Any, text: str) -> None:
    assert template_string(value) == text


def test_whitespace_only_body_is_an_expression_error_not_a_crash() -> None:
    assert find_template_errors("<<\n>>") == [TemplateError('Expected expression, found ""', 2, 1)]
