"""Snippets under diagnostics (issue 10, item 13): a very long source line is cut to a
window around the caret, so a diagnostic in a minified config never prints the whole file."""

from __future__ import annotations

from workflowcore.diagnostics import Diagnostic
from workflowcore.diagnostics.render import SNIPPET_WIDTH, render_snippet


def _diag(column: int, end_column: int = 0) -> Diagnostic:
    return Diagnostic(code="x", message="m", path="c.yml", line=1, column=column,
                      end_line=1, end_column=end_column)


def test_a_short_line_is_shown_whole_with_the_caret_under_the_column() -> None:
    out = render_snippet(_diag(5), ["jobs: {a: 1}"])
    src, caret = out.split("\n")
    assert src.endswith("| jobs: {a: 1}")
    assert caret.index("^") - caret.index("|") - 2 == 4


def test_a_long_line_is_cut_around_the_caret() -> None:
    line = "a" * 30_000 + "XYZ" + "b" * 30_000
    out = render_snippet(_diag(30_001, 30_004), [line])
    src, caret = out.split("\n")
    shown = src.split("| ", 1)[1]
    assert shown.startswith("...") and shown.endswith("...")
    assert len(shown) == SNIPPET_WIDTH + 6 and "XYZ" in shown
    # the caret stands under the X, and marks the three characters
    at = caret.split("| ", 1)[1]
    assert shown[at.index("^"):at.index("^") + 3] == "XYZ"
    assert at.strip() == "^~~"


def test_the_ends_of_a_long_line_are_cut_on_one_side_only() -> None:
    line = "k" * 5_000
    start = render_snippet(_diag(1), [line]).split("\n")[0].split("| ", 1)[1]
    assert not start.startswith("...") and start.endswith("...")
    end = render_snippet(_diag(5_000), [line]).split("\n")
    shown, at = end[0].split("| ", 1)[1], end[1].split("| ", 1)[1]
    assert shown.startswith("...") and not shown.endswith("...")
    assert at.index("^") == len(shown) - 1
