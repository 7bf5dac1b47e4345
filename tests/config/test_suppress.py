"""``# cci-ignore`` comments (config/suppress.py): every form, codes and globs, the warnings
about comments that silence nothing, and ``#`` that is text rather than a comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflowcore.config import load
from workflowcore.config.suppress import (
    apply_suppressions,
    ignore_codes,
    parse_directives,
    suppress,
)
from workflowcore.diagnostics import Diagnostic, Severity

P = "config.yml"


def finding(code: str, line: int, column: int = 1, path: str = P,
            severity: Severity = Severity.WARNING) -> Diagnostic:
    return Diagnostic(code=code, message=f"{code} here", severity=severity, path=path,
                      line=line, column=column)


def kept_lines(text: str, found: list[Diagnostic]) -> list[tuple[str, int]]:
    kept, _ = apply_suppressions(found, text, P)
    return [(d.code, d.line) for d in kept]


def problems(text: str, found: list[Diagnostic]) -> list[str]:
    _, warnings = apply_suppressions(found, text, P)
    return [f"{d.line}:{d.column}-{d.end_column} {d.code}: {d.message}" for d in warnings]


# -- the forms ------------------------------------------------------------------------------

def test_same_line_comment_silences_every_code_of_its_line_only() -> None:
    text = "a: 1  # cci-ignore\nb: 2\n"
    found = [finding("x-one", 1), finding("x-two", 1, 4), finding("x-one", 2)]
    assert kept_lines(text, found) == [("x-one", 2)]
    assert problems(text, found) == []


def test_codes_and_globs_limit_what_a_comment_silences() -> None:
    text = "a: 1  # cci-ignore yaml-truthy, orb-*\n"
    found = [finding("yaml-truthy", 1), finding("orb-unavailable", 1),
             finding("job-unused", 1)]
    assert kept_lines(text, found) == [("job-unused", 1)]
    # codes are matched in lower case, as they are written everywhere else
    assert kept_lines("a: 1  # cci-ignore JOB-UNUSED\n", [finding("job-unused", 1)]) == []


def test_next_line_skips_blank_and_comment_lines_so_comments_stack() -> None:
    text = ("# cci-ignore-next-line yaml-truthy\n"
            "\n"
            "# cci-ignore-next-line job-unused -- kept for the release branch\n"
            "a: on\n"
            "b: on\n")
    found = [finding("yaml-truthy", 4), finding("job-unused", 4), finding("yaml-truthy", 5)]
    assert kept_lines(text, found) == [("yaml-truthy", 5)]
    assert problems(text, found) == []


def test_range_covers_its_lines_inclusive_and_ranges_nest() -> None:
    text = ("a: 1\n"                                   # 1
            "# cci-ignore-start yaml-truthy\n"         # 2
            "b: on\n"                                  # 3
            "  # cci-ignore-start job-unused\n"        # 4
            "c: on\n"                                  # 5
            "  # cci-ignore-end yaml-truthy\n"         # 6: closes the range of line 2
            "d: on\n"                                  # 7
            "# cci-ignore-end\n"                       # 8: closes the range of line 4
            "e: on\n")                                 # 9
    found = [finding("yaml-truthy", n) for n in (1, 3, 5, 7, 9)] + \
        [finding("job-unused", 5), finding("job-unused", 7), finding("job-unused", 9)]
    assert sorted(kept_lines(text, found)) == [
        ("job-unused", 9), ("yaml-truthy", 1), ("yaml-truthy", 7), ("yaml-truthy", 9)]
    assert problems(text, found) == []


def test_file_comment_silences_the_whole_file() -> None:
    text = "# cci-ignore-file\na: on\nb: on\n"
    found = [finding("yaml-truthy", 2), finding("schema-type", 3, severity=Severity.ERROR)]
    result = suppress(found, text, P)
    assert result.kept == [] and len(result.suppressed) == 2 and result.problems == []


def test_circleci_spellings_are_read_as_its_server_reads_them() -> None:
    # no space after '#', and a directive after another comment's text
    text = "a: 1 #cci-ignore\nb: 2 # see below # cci-ignore\n"
    assert kept_lines(text, [finding("x-y", 1), finding("x-y", 2)]) == []


def test_reason_becomes_the_justification_and_is_not_a_code() -> None:
    text = "a: off  # cci-ignore yaml-truthy -- PHP reads the boolean\nb: off # cci-ignore: why\n"
    result = suppress([finding("yaml-truthy", 1), finding("yaml-truthy", 2)], text, P)
    assert [(s.kind, s.justification) for s in result.suppressed] == [
        ("inSource", "PHP reads the boolean"), ("inSource", "why")]
    assert result.problems == []
    directives, _ = parse_directives(text, P)
    assert [d.patterns for d in directives] == [(("yaml-truthy", 22),), ()]


# -- comments that silence nothing ---------------------------------------------------------

def test_unused_comment_is_a_warning_at_the_comment() -> None:
    text = "a: 1\nb: 2  # cci-ignore\n"
    warnings = apply_suppressions([finding("x-y", 1)], text, P)[1]
    assert [(w.code, w.severity, w.line, w.column, w.end_column) for w in warnings] == [
        ("suppression-unused", Severity.WARNING, 2, 7, 19)]
    assert warnings[0].message == "this 'cci-ignore' silences nothing: no finding on line 2"


def test_each_unused_code_is_reported_at_the_code() -> None:
    text = "a: on  # cci-ignore yaml-truthy yaml-truty\n"
    assert problems(text, [finding("yaml-truthy", 1)]) == [
        "1:33-43 suppression-unused: 'yaml-truty' in this 'cci-ignore' matches no finding "
        "on line 1"]


def test_a_lone_same_line_comment_says_which_form_was_meant() -> None:
    text = "# cci-ignore\na: on\n"
    _, warnings = apply_suppressions([finding("yaml-truthy", 2)], text, P)
    assert [w.code for w in warnings] == ["suppression-unused"]
    assert "cci-ignore-next-line" in (warnings[0].hint or "")


def test_unused_range_and_next_line_at_the_end() -> None:
    text = "# cci-ignore-start\na: 1\n# cci-ignore-end\nb: 2\n# cci-ignore-next-line\n"
    assert problems(text, []) == [
        "1:1-19 suppression-unused: this 'cci-ignore-start' silences nothing: no finding "
        "on lines 1-3",
        "5:1-23 suppression-unused: this 'cci-ignore-next-line' has no line below it"]


def test_malformed_comments_are_invalid_and_silence_nothing() -> None:
    text = ("a: on  # cci-ignore-nextline\n"      # misspelt
            "# cci-ignore-end\n"                   # no open range
            "# cci-ignore-start\n"                 # never closed
            "b: on\n")
    found = [finding("yaml-truthy", 1), finding("yaml-truthy", 4)]
    assert kept_lines(text, found) == [("yaml-truthy", 1), ("yaml-truthy", 4)]
    got = problems(text, found)
    assert got[0] == ("1:8-29 suppression-invalid: 'cci-ignore-nextline' is not a "
                      "suppression comment, so it silences nothing")
    assert got[1].startswith("2:1-17 suppression-invalid: 'cci-ignore-end' closes no open")
    assert got[2].startswith("3:1-19 suppression-invalid: 'cci-ignore-start' has no matching")
    _, warnings = apply_suppressions(found, text, P)
    assert warnings[0].hint == "did you mean 'cci-ignore-next-line'?"


def test_comments_cannot_silence_their_own_warnings_or_an_unreadable_file() -> None:
    text = "# cci-ignore-file\n# cci-ignore-bogus\n"
    result = suppress([finding("yaml-syntax", 3, severity=Severity.ERROR)], text, P)
    assert [d.code for d in result.kept] == ["yaml-syntax"]
    assert [(d.code, d.line) for d in result.problems] == [("suppression-unused", 1),
                                                           ("suppression-invalid", 2)]


def test_findings_of_other_files_are_left_alone() -> None:
    text = "# cci-ignore-file\n"
    other = finding("orb-bad", 1, path="orbs/x.yml")
    assert apply_suppressions([other, finding("x-y", 1)], text, P)[0] == [other]


# -- '#' that is text -----------------------------------------------------------------------

def test_hash_in_a_block_scalar_or_quoted_string_is_text() -> None:
    text = ("run: |\n"                            # 1
            "  echo hi  # cci-ignore\n"           # 2: shell text
            "  # cci-ignore-file\n"               # 3: shell text
            "name: 'not # cci-ignore'\n"          # 4: quoted text
            "msg: \"two lines # cci-ignore-start\n"  # 5: quoted, spans two lines
            "  still text\"\n")                   # 6
    found = [finding("x-y", n) for n in range(1, 7)]
    assert len(kept_lines(text, found)) == 6
    assert parse_directives(text, P) == ([], [])


def test_block_scalar_header_comment_and_the_comment_after_the_block_are_comments() -> None:
    text = ("steps:\n"                                  # 1
            "  - run: |  # cci-ignore step-extra\n"     # 2: a real comment
            "      make\n"                              # 3
            "      # cci-ignore-next-line\n"            # 4: text of the script
            "  # cci-ignore-next-line\n"                # 5: less indented: a comment
            "  - run: make\n")                          # 6
    found = [finding("step-extra", 2), finding("x-y", 4), finding("x-y", 6)]
    assert kept_lines(text, found) == [("x-y", 4)]
    # a next-line comment points at a line of the script too: '#' there is content
    text2 = "run: |\n  # cci-ignore-next-line\n  # not a comment\n"
    directives, _ = parse_directives(text2, P)
    assert directives == []


def test_next_line_counts_a_script_line_starting_with_hash_as_a_line() -> None:
    text = ("run: |  # cci-ignore-next-line\n"     # 1: a comment on the block header
            "  # shell comment\n"                   # 2: text: the line it silences
            "  make\n")                             # 3
    found = [finding("x-y", 2), finding("x-y", 3)]
    assert kept_lines(text, found) == [("x-y", 3)]


# -- with the loader: real findings, real positions ----------------------------------------

CONFIG = """version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    environment:
      A: off  # cci-ignore yaml-truthy
      # cci-ignore-next-line
      B: on
      C: on
    steps: [checkout]
workflows:
  main:
    jobs: [build]
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_real_findings_of_the_loader(newline: str) -> None:
    text = CONFIG.replace("\n", newline)
    result = load(text.encode(), P)
    assert [(d.code, d.line) for d in result.diagnostics] == [
        ("yaml-truthy", 6), ("yaml-truthy", 8), ("yaml-truthy", 9)]
    kept, warnings = apply_suppressions(result.diagnostics, result.source_map.text, P)
    assert [(d.code, d.line) for d in kept] == [("yaml-truthy", 9)]
    assert warnings == []


def test_columns_count_characters_as_libyaml_does() -> None:
    # characters, not bytes; the byte-order mark is not a column (libyaml skips it)
    text = "\ufeffa: 1 # cci-ignore q-q\nx: 'é😀'  # cci-ignore zz-q\n"
    directives, _ = parse_directives(text, P)
    assert [(d.line, d.column, d.patterns) for d in directives] == [
        (1, 6, (("q-q", 19),)), (2, 10, (("zz-q", 23),))]


def test_whole_corpus_config_under_a_file_comment(shared: Path) -> None:
    path = shared / "corpus" / "real" / "transcom__mymove__b38adb0.yml"
    text = path.read_text(encoding="utf-8") + "\n# cci-ignore-file\n"
    result = load(text, P)
    readable = [d for d in result.diagnostics if d.code != "yaml-syntax"]
    kept, warnings = apply_suppressions(result.diagnostics, result.source_map.text, P)
    assert [d for d in kept if d.code != "yaml-syntax"] == []
    # the comment is used exactly when the file has a finding to silence
    assert [w.code for w in warnings] == ([] if readable else ["suppression-unused"])


# -- --ignore ---------------------------------------------------------------------------------

def test_ignore_codes_with_globs_but_never_an_unreadable_file() -> None:
    found = [finding("orb-unavailable", 1), finding("yaml-truthy", 2),
             finding("yaml-syntax", 3, severity=Severity.ERROR)]
    kept, gone = ignore_codes(found, ["orb-*", "YAML-*"])
    assert [d.code for d in kept] == ["yaml-syntax"]
    assert [(s.diagnostic.code, s.kind) for s in gone] == [
        ("orb-unavailable", "external"), ("yaml-truthy", "external")]
    assert ignore_codes(found, [])[0] == found


def test_text_libyaml_cannot_read_still_gets_its_comments_read() -> None:
    """An editor buffer may hold a lone surrogate; the language server still asks."""
    _, warnings = apply_suppressions([], 'a: "\udcff"  # cci-ignore\n', P)
    assert [(w.code, w.line, w.column) for w in warnings] == [("suppression-unused", 1, 9)]
