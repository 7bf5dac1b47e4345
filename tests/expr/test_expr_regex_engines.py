"""google-re2 and the fallback (translator + linear matcher) agree.

Patterns are generated in the common subset of the dialect (everything RE2 has that the
translation can express: classes, POSIX classes, escapes, groups, scoped and inline flags,
anchors, counted repetitions) and matched against generated strings under both engines;
they must agree on whether a pattern compiles and on every match.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workflowcore.expr import check_re2, compile_re2
from workflowcore.expr.regex import ENGINE_VARIABLE

pytestmark = pytest.mark.skipif(importlib.util.find_spec("re2") is None,
                                reason="google-re2 is not installed: nothing to compare")

ATOMS = ["a", "b", "A", "é", "É", "-", "\\.", ".", "\\d", "\\w", "\\s", "\\W", "[ab]",
         "[^a]", "[a-c]", "[[:alpha:]]", "[[:^digit:]]", "\\x41", "\\101", "\\Q.*\\E", "_",
         "\\n", "[\\d-]"]
ASSERTIONS = ["^", "$", "\\b", "\\B", "\\A", "\\z"]
QUANTIFIERS = ["*", "+", "?", "*?", "+?", "{2}", "{1,3}", "{0,}", "{2,}?"]
FLAGS = ["(?i)", "(?s)", "(?m)", "(?i:", "(?s:", "(?m:", "(?-i:", "(?:", "(", "(?P<n>"]


@st.composite
def patterns(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["atom", "atom", "atom", "assert", "group", "flag"]))
        if kind == "atom":
            item = draw(st.sampled_from(ATOMS))
        elif kind == "assert":
            parts.append(draw(st.sampled_from(ASSERTIONS)))
            continue
        elif kind == "flag" or depth >= 2:
            flag = draw(st.sampled_from(FLAGS[:3]))
            parts.append(flag)
            continue
        else:
            opener = draw(st.sampled_from(FLAGS[3:]))
            inner = draw(st.lists(patterns(depth + 1), min_size=1, max_size=3))
            item = opener + "|".join(inner) + ")"
        if draw(st.booleans()):
            item += draw(st.sampled_from(QUANTIFIERS))
        parts.append(item)
    return "".join(parts)


TEXTS = st.text(alphabet="abAé É-._\n1x", max_size=12)


class _Engine:
    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        self.saved = os.environ.get(ENGINE_VARIABLE)
        os.environ[ENGINE_VARIABLE] = self.name

    def __exit__(self, *exc: object) -> None:
        if self.saved is None:
            del os.environ[ENGINE_VARIABLE]
        else:
            os.environ[ENGINE_VARIABLE] = self.saved


def _results(pattern: str, texts: list[str], engine: str) -> Iterator[object]:
    with _Engine(engine):
        problem = check_re2(pattern)
        yield problem is None
        if problem is None:
            compiled = compile_re2(pattern)
            assert compiled.engine == engine
            yield from (compiled.fullmatch(t) for t in texts)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns(), st.lists(TEXTS, min_size=1, max_size=6))
@example("(?i)é", ["É", "é", "e"])
@example("(?m)^a$\\n^b$", ["a\nb", "a\n\nb"])
@example("a$", ["a\n", "a"])
@example("(a{10}){100}", ["a" * 1000])
@example("[[:^alpha:]]+", ["1-é", "a"])
@example("\\bA\\b", ["A", "é"])
def test_engines_agree(pattern: str, texts: list[str]) -> None:
    re2_results = list(_results(pattern, texts, "re2"))
    fallback_results = list(_results(pattern, texts, "fallback"))
    assert re2_results == fallback_results, (pattern, texts)


@given(st.text(max_size=8), TEXTS)
@settings(max_examples=300, deadline=None)
def test_engines_agree_on_arbitrary_text_as_pattern(pattern: str, text: str) -> None:
    # Outside the generated subset, both engines may refuse; where both accept, they agree.
    with _Engine("re2"):
        ok_re2 = check_re2(pattern) is None
        got_re2 = compile_re2(pattern).fullmatch(text) if ok_re2 else None
    with _Engine("fallback"):
        ok_fb = check_re2(pattern) is None
        got_fb = compile_re2(pattern).fullmatch(text) if ok_fb else None
    if ok_re2 and ok_fb:
        assert got_re2 == got_fb, (pattern, text)
    if ok_fb:  # the fallback never accepts what RE2 rejects
        assert ok_re2, pattern
