"""The RE2 dialect (R3.1.4) and whole-string matching (R3.1.3)."""

from __future__ import annotations

import pytest

from workflowcore.errors import WorkflowCoreError
from workflowcore.expr import (
    ExprError,
    Re2Pattern,
    RegexError,
    check_re2,
    compile_re2,
    explain_re2,
    fullmatch,
)

REJECTED = [
    # pattern, words of the reason
    ("^(?!main).*$", "lookahead"),
    ("^v(?!0\\.).*$", "lookahead"),
    ("foo(?=bar)", "lookahead"),
    ("(?<=a)b", "lookbehind"),
    ("(?<!a)b", "lookbehind"),
    ("(.+)\\1", "backreference"),
    ("(a)\\9", "backreference"),
    ("(?P<x>a)(?P=x)", "backreference"),
    ("(?<x>a)\\k<x>", "backreference"),
    ("a*+", "possessive"),
    ("a++", "possessive"),
    ("a{2}+", "possessive"),
    ("(?>abc)", "atomic"),
    ("a**", "repetition"),
    ("a{2}{3}", "repetition"),
    ("a{1001}", "repetition"),
    ("a{3,2}", "repetition"),
    ("*a", "repetition"),
    ("(?U)a+", "ungreedy"),
    ("(?x)a b", "Perl syntax"),
    ("(?#comment)", "comments"),
    ("(?(1)a|b)", "conditionals"),
    ("a\\Z", "\\z"),
    ("\\pL+", "Unicode classes"),
    ("[\\p{Greek}]", "Unicode classes"),
    ("[[:^alpha:]]", "negated POSIX"),
    ("[[:foo:]]", "class range"),
    ("\\e", "escape"),
    ("\\N{DASH}", "escape"),
    ("\\u0041", "escape"),
    ("\\é", "escape"),
    ("[", "missing closing ]"),
    ("(a", "missing closing )"),
    ("a)", "unexpected )"),
    ("a\\", "trailing backslash"),
    ("[z-a]", "range"),
]


@pytest.mark.parametrize(("pattern", "why"), REJECTED)
def test_rejected_patterns(pattern: str, why: str) -> None:
    reason = explain_re2(pattern)
    assert reason is not None
    assert why.lower() in reason.lower()
    assert check_re2(pattern) == f"Invalid regular expression: {pattern}: Invalid pattern."
    with pytest.raises(RegexError) as info:
        fullmatch(pattern, "x")
    assert info.value.pattern == pattern
    assert str(info.value) == check_re2(pattern)
    assert isinstance(info.value, ExprError)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, WorkflowCoreError)
    assert (info.value.offset, info.value.length) == (0, len(pattern))


ACCEPTED = [
    # pattern, matching strings, non-matching strings
    ("^release/.+$", ["release/1"], ["release/", "xrelease/1"]),
    ("release\\/.*", ["release/x"], ["releasex"]),
    ("^v\\d+", ["v12"], ["v12a", "v"]),
    ("main", ["main"], ["main2", "amain", "main\n"]),
    ("feature-.*", ["feature-x"], ["my-feature-x"]),
    ("a$", ["a"], ["a\n"]),  # RE2's $ is the end of the text, not before a final newline
    ("(?m)a$\\n", ["a\n"], []),
    ("a\\z", ["a"], ["a\n"]),
    ("x{,3}", ["x{,3}"], ["xxx", "x"]),  # "{,n}" is a literal in RE2
    ("a{,", ["a{,"], []),
    ("a{2,3}?", ["aa", "aaa"], ["a"]),
    ("\\Qa.b*\\E+", ["a.b*", "a.b**"], ["axb"]),
    ("[[:alpha:]]+-[[:digit:]]", ["abc-1"], ["ab1-1"]),
    ("[[:upper:][:digit:]_]+", ["A_1"], ["a"]),
    ("\\x41\\x{42}\\101\\0", ["ABA\0"], []),
    ("[\\x41-\\x43]+", ["ABC"], ["D"]),
    ("(?i)MAIN", ["main", "Main"], ["mainx"]),
    ("a(?i)b|c", ["aB", "ab", "C", "c"], ["AB"]),
    ("(a(?i)b|c)d", ["aBd", "Cd"], ["aBD"]),
    ("(?i:a)b", ["Ab"], ["AB"]),
    ("(?s).+", ["a\nb"], []),
    (".+", ["ab"], ["a\nb"]),
    ("(?<year>\\d{4})-(?P<m>\\d\\d)", ["2024-01"], []),
    ("\\w+", ["abc_1"], ["héllo"]),  # ASCII classes, as in RE2
    ("\\s", [" ", "\t"], ["\v", "\u00a0"]),
    ("\\S+", ["ab"], ["a b"]),
    ("[]a]+", ["]a]"], ["b"]),
    ("[^]a]", ["b"], ["]"]),
    ("[a[b]+", ["a[b"], []),
    ("[a&&b]+", ["a&b"], []),
    ("[+--]", ["+", ",", "-"], ["."]),
    ("\\.\\*\\ ", [".* "], []),
    ("a|", ["a", ""], ["b"]),
    ("", [""], ["a"]),
    ("é+", ["éé"], ["e"]),
    ("(?i)é", ["é"], ["e"]),
]


@pytest.mark.parametrize(("pattern", "good", "bad"), ACCEPTED)
def test_accepted_patterns_match_whole_strings(pattern: str, good: list, bad: list) -> None:
    assert explain_re2(pattern) is None, explain_re2(pattern)
    assert check_re2(pattern) is None
    for s in good:
        assert fullmatch(pattern, s), (pattern, s)
    for s in bad:
        assert not fullmatch(pattern, s), (pattern, s)


def test_compile_is_cached() -> None:
    assert compile_re2("ab+c") is compile_re2("ab+c")


def test_re2_pattern_value() -> None:
    p = Re2Pattern("a+")
    assert p.fullmatch("aaa")
    assert not p.fullmatch("aab")
    assert p == Re2Pattern("a+")
    assert p != Re2Pattern("a*")
    assert p != "a+"
    assert hash(p) == hash(Re2Pattern("a+"))
    assert str(p) == "a+"
    assert repr(p) == "Re2Pattern('a+')"


def test_regex_error_pickles() -> None:
    import pickle

    with pytest.raises(RegexError) as info:
        compile_re2("(?!x)")
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.pattern, copy.reason, str(copy)) == (
        "(?!x)", info.value.reason, "Invalid regular expression: (?!x): Invalid pattern.")


@pytest.mark.parametrize("pattern", ["pre-prod(?:-.+)?$", "(?:a|b)+", "(?i:x)y"])
def test_non_capturing_groups_are_re2(pattern: str) -> None:
    # The seed's own branch filter uses one; RE2 has supported (?:...) forever.
    assert check_re2(pattern) is None
