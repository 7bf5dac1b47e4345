"""The RE2 dialect (R3.1.4) and whole-string matching (R3.1.3), under both engines.

Every test here runs twice: with google-re2 (skipped, visibly, when it is not installed)
and with the fallback (the translator and the linear matcher), forced by
``WORKFLOWCORE_REGEX_ENGINE=fallback``.
"""

from __future__ import annotations

import importlib.util
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from workflowcore.errors import WorkflowCoreError
from workflowcore.expr import (
    ExprError,
    Re2Pattern,
    RegexError,
    RegexTooComplexError,
    _linear,
    check_re2,
    compile_re2,
    explain_re2,
    fullmatch,
    fullmatch_python,
    needs_google_re2,
    regex_engine,
)
from workflowcore.expr.regex import ENGINE_VARIABLE

HAVE_RE2 = importlib.util.find_spec("re2") is not None


@pytest.fixture(autouse=True, params=["re2", "fallback"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with google-re2, then with the fallback."""
    if request.param == "re2" and not HAVE_RE2:
        pytest.skip("google-re2 is not installed (pip install workflowcore[re2])")
    monkeypatch.setenv(ENGINE_VARIABLE, request.param)
    assert regex_engine() == request.param
    return str(request.param)

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
    ("(?x)a b", "Perl syntax"),
    ("(?#comment)", "comments"),
    ("(?(1)a|b)", "conditionals"),
    ("a\\Z", "\\z"),
    ("(a{10}){101}", "repetition"),  # nested counted repetitions: product over 1000
    ("(a{10}|b{200}){10}", "repetition"),
    ("((a{2}){2}){251}", "repetition"),
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
    ("(?i)é", ["é", "É"], ["e"]),  # RE2 folds Unicode case
    ("(a{10}){100}", ["a" * 1000], ["a" * 999]),
    ("((a{2}){2}){250}", ["a" * 1000], []),
    ("[[:^alpha:]]+", ["12!é"], ["a", "Z"]),
]


@pytest.mark.parametrize(("pattern", "good", "bad"), ACCEPTED)
def test_accepted_patterns_match_whole_strings(pattern: str, good: list, bad: list) -> None:
    assert explain_re2(pattern) is None, explain_re2(pattern)
    assert check_re2(pattern) is None
    for s in good:
        assert fullmatch(pattern, s), (pattern, s)
    for s in bad:
        assert not fullmatch(pattern, s), (pattern, s)


def test_compile_is_cached(engine: str) -> None:
    assert compile_re2("ab+c") is compile_re2("ab+c")
    assert compile_re2("ab+c").engine == engine


# Valid RE2 that Python's re cannot express: google-re2 matches it; the fallback refuses
# it with a message that says what to install.
RE2_ONLY = [
    ("\\pL+", ["héllo", "Ωmega"], ["a1", ""]),
    ("[\\p{Greek}]+", ["αβ"], ["ab"]),
    ("\\PL", ["1"], ["é"]),
    ("(?U)a+", ["aaa"], ["b"]),
    ("\\C", ["a"], ["ab"]),
]


@pytest.mark.parametrize(("pattern", "good", "bad"), RE2_ONLY)
def test_re2_only_features(engine: str, pattern: str, good: list, bad: list) -> None:
    if engine == "re2":
        assert check_re2(pattern) is None
        assert not needs_google_re2(pattern)
        assert all(fullmatch(pattern, s) for s in good)
        assert not any(fullmatch(pattern, s) for s in bad)
        return
    assert needs_google_re2(pattern)
    message = check_re2(pattern)
    assert message is not None
    assert message.startswith(f"Regular expression {pattern} needs google-re2")
    assert "install workflowcore[re2]" in message
    with pytest.raises(RegexError, match=r"install workflowcore\[re2\]"):
        fullmatch(pattern, good[0])


# The blow-ups: exponential for a backtracking engine, linear here. Run in a
# child process with a generous wall-clock guard, so a regression fails instead of hanging.
BLOWUPS = [
    ("(a+)+$", "a" * 40 + "b", False),
    ("(a+)+$", "a" * 5000, True),
    ("^(a|a)*$", "a" * 40 + "!", False),
    ("(x+x+)+y", "x" * 60, False),
    ("(.*a){12}", "a" * 11 + "b" * 30, False),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), BLOWUPS)
def test_blowup_patterns_finish(engine: str, pattern: str, text: str, expected: bool) -> None:
    code = ("import sys; from workflowcore.expr import fullmatch; "
            "print(fullmatch(sys.argv[1], sys.argv[2]))")
    done = subprocess.run([sys.executable, "-c", code, pattern, text], capture_output=True,
                          text=True, timeout=10, check=True)
    assert done.stdout.strip() == str(expected)


def test_plan_with_blowup_filter_finishes(engine: str, tmp_path: Path) -> None:
    # Through the CLI, as the red team did it: a filter and a `when: matches` condition.
    config = tmp_path / "config.yml"
    config.write_text(
        "version: 2.1\n"
        "jobs:\n"
        "  build: {docker: [{image: x}], steps: [checkout]}\n"
        "workflows:\n"
        "  filtered:\n"
        "    jobs:\n"
        "      - build: {filters: {branches: {only: /(a+)+$/}}}\n"
        "  conditional:\n"
        "    when: {matches: {pattern: '^(a|a)*$', value: << pipeline.git.branch >>}}\n"
        "    jobs: [build]\n")
    for command in (["validate"], ["plan", "--branch", "a" * 40 + "b"]):
        done = subprocess.run([sys.executable, "-m", "workflowcore", *command, str(config)],
                              capture_output=True, text=True, timeout=20)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "does not match filters.branches.only" in done.stdout


def test_fallback_step_bound_is_a_diagnostic(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Far beyond any branch name; the bound is lowered so the test is quick.
    monkeypatch.setattr(_linear, "MAX_STEPS", 2000)
    if engine == "re2":
        assert fullmatch("(a?){500}a{500}", "a" * 600) is True
        return
    with pytest.raises(RegexTooComplexError) as info:
        fullmatch("(a?){500}a{500}", "a" * 600)
    assert "too complex" in str(info.value)
    assert "install workflowcore[re2]" in str(info.value)
    assert isinstance(info.value, RegexError)
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)


def test_python_syntax_patterns_are_matched_in_bounded_time() -> None:
    # Plans honour lookarounds RE2 rejects (docs/planning.md); never with backtracking.
    assert fullmatch_python("^(?!main).*$", "dev")
    assert not fullmatch_python("^(?!main).*$", "main")
    assert fullmatch_python("(?<=a)b|ab", "ab")
    assert not fullmatch_python("^(?!x)(a+)+$", "a" * 40 + "b")
    with pytest.raises(ValueError, match="linear time"):
        fullmatch_python("(a)\\1", "aa")
    with pytest.raises(ValueError, match=r"unterminated|missing"):
        fullmatch_python("(a", "a")


def test_compiled_patterns_pickle(engine: str) -> None:
    compiled = compile_re2("rel(ease)?-\\d+")
    copy = pickle.loads(pickle.dumps(compiled))
    assert copy.fullmatch("release-1") and not copy.fullmatch("release-")
    literal = pickle.loads(pickle.dumps(Re2Pattern("a+")))
    assert literal == Re2Pattern("a+")
    assert literal.fullmatch("aa")


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
