"""``# cci-ignore`` comments: findings the config's author chose to silence, in the comment
syntax of CircleCI's own YAML language server, so one file works with both tools.

The forms (CircleCI-Public/circleci-yaml-language-server, ``pkg/parser/suppression.go``):

* ``# cci-ignore`` at the end of a line silences the findings that start on that line;
* ``# cci-ignore-next-line`` silences the next line (here: the next line that holds more
  than a comment, so several of them can be stacked above one line);
* ``# cci-ignore-start`` … ``# cci-ignore-end`` silence every line from the one to the other;
* ``# cci-ignore-file`` silences the whole file.

workflowcore extends them in ways the CircleCI server ignores rather than misreads: each may
name codes, fnmatch globs allowed (``# cci-ignore yaml-truthy orb-*``), so the comment does
not also hide the next, unrelated finding on that line; a reason may follow `` -- `` or
``: ``; ranges
may nest (CircleCI refuses a second ``-start``; an ``-end`` here closes the innermost open
range, or the innermost one that names the same codes). A comment that silences nothing is
itself reported (``suppression-unused``), as a stale ``noqa`` is by ruff: otherwise a fixed
problem leaves behind a comment that will hide the next one. A malformed comment is
``suppression-invalid``. Both are warnings, and comments cannot silence them.

A ``#`` inside a block scalar (a ``run: |`` body) or a quoted string is text, not a comment:
positions are checked against the scalar tokens of the YAML scanner, as CircleCI's server
checks them against its tree-sitter tree.

Findings that mean the file could not be read at all (``yaml-syntax`` and friends) cannot be
silenced: a config nobody could check must not come out "valid".
"""

from __future__ import annotations

import bisect
import re
from fnmatch import fnmatchcase
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from .._record import Record
from ..diagnostics import Diagnostic, Severity, sort_diagnostics

__all__ = [
    "UNSUPPRESSIBLE",
    "Directive",
    "Suppressed",
    "SuppressionResult",
    "apply_suppressions",
    "ignore_codes",
    "parse_directives",
    "suppress",
]

#: Codes no comment or ``--ignore`` can hide: the file was not (fully) read, so nothing
#: else in it was checked.
UNSUPPRESSIBLE = frozenset({"yaml-syntax", "yaml-encoding", "yaml-too-large", "yaml-too-deep",
                            "yaml-alias-bomb"})
_OWN_CODES = ("suppression-unused", "suppression-invalid")
_KINDS = ("", "-next-line", "-start", "-end", "-file")
# The patterns are compiled on first use (re caches them): a file without a directive,
# most of them, never needs them, and compiling them is ~0.5 ms of a cold start.
# YAML 1.1 line breaks, as libyaml counts lines (diagnostic line numbers come from it).
_BREAK = r"\r\n|[\r\n\x85\u2028\u2029]"
# `#` that starts a comment (line start or after a blank), then the directive word.
_DIRECTIVE = r"(?:^|(?<=[ \t]))#[ \t]*(cci-ignore[A-Za-z0-9_-]*)(.*)"
_CODE_TOKEN = r"[^\s,]+"
# Where a reason starts: ` -- why` or `: why` (codes hold neither).
_REASON = r"(?:^|\s)--(?:\s|$)|:(?:\s|$)"


class Directive(NamedTuple):
    """One ``cci-ignore`` comment. ``line``/``column`` are 1-based (the ``#``);
    ``patterns`` holds ``(pattern, column)`` pairs, empty for "every code"."""

    kind: str  # "line", "next-line", "start", "end" or "file"
    line: int
    column: int
    end_column: int
    patterns: Tuple[Tuple[str, int], ...]
    reason: Optional[str]


class Suppressed(NamedTuple):
    """A finding that was silenced, and how: ``kind`` is SARIF's ``inSource`` (a comment) or
    ``external`` (``--ignore``, a project file); ``justification`` the comment's reason."""

    diagnostic: Diagnostic
    kind: str
    justification: Optional[str]


class SuppressionResult(Record):
    """``kept``: findings still reported; ``suppressed``: those silenced; ``problems``: the
    ``suppression-unused``/``suppression-invalid`` warnings about the comments themselves."""

    __slots__ = ("kept", "suppressed", "problems")

    def __init__(self, kept: Optional[List[Diagnostic]] = None,
                 suppressed: Optional[List[Suppressed]] = None,
                 problems: Optional[List[Diagnostic]] = None) -> None:
        self.kept: List[Diagnostic] = [] if kept is None else kept
        self.suppressed: List[Suppressed] = [] if suppressed is None else suppressed
        self.problems: List[Diagnostic] = [] if problems is None else problems


def apply_suppressions(diagnostics: Sequence[Diagnostic], text: str,
                       path: str) -> Tuple[List[Diagnostic], List[Diagnostic]]:
    """The findings the comments of ``text`` leave, and the warnings about those comments.

    ``text`` is the text the findings' positions refer to (``LoadResult.source_map.text``;
    an editor's buffer). ``diagnostics`` should be *every* finding of the file (before
    ``--ignore`` or a severity filter), or a comment whose finding was filtered out would be
    called unused. Findings of
    other files (``path`` differs) are kept as they are. Merge the two lists to show them
    (``sort_diagnostics(kept + warnings)``).
    """
    result = suppress(diagnostics, text, path)
    return result.kept, result.problems


def suppress(diagnostics: Sequence[Diagnostic], text: str, path: str) -> SuppressionResult:
    """:func:`apply_suppressions`, also saying which findings were silenced and why."""
    if "cci-ignore" not in text:  # most files: no scan at all
        return SuppressionResult(kept=list(diagnostics))
    directives, problems, doc = _parse(text, path)
    scopes = _Scopes(directives, doc, path, problems)
    out = SuppressionResult(problems=problems)
    for d in diagnostics:
        hit = None
        if d.path == path and d.code not in UNSUPPRESSIBLE and d.code not in _OWN_CODES:
            hit = scopes.match(d)
        if hit is None:
            out.kept.append(d)
        else:
            out.suppressed.append(Suppressed(d, "inSource", hit))
    out.problems = sort_diagnostics(problems + scopes.unused())
    return out


def ignore_codes(diagnostics: Iterable[Diagnostic], patterns: Sequence[str],
                 ) -> Tuple[List[Diagnostic], List[Suppressed]]:
    """Split off the findings whose code matches one of ``patterns`` (fnmatch globs, as
    ``--ignore`` and a project file's ``ignore`` give them), except :data:`UNSUPPRESSIBLE`."""
    kept: List[Diagnostic] = []
    gone: List[Suppressed] = []
    pats = [p.lower() for p in patterns]
    for d in diagnostics:
        if pats and d.code not in UNSUPPRESSIBLE and any(fnmatchcase(d.code, p) for p in pats):
            gone.append(Suppressed(d, "external", None))
        else:
            kept.append(d)
    return kept, gone


def parse_directives(text: str, path: str = "<string>",
                     ) -> Tuple[List[Directive], List[Diagnostic]]:
    """Every ``cci-ignore`` comment of ``text`` (comments only: not text inside block
    scalars or quoted strings), with a ``suppression-invalid`` warning for each comment
    that starts with ``cci-ignore`` but is none of the forms."""
    directives, problems, _ = _parse(text, path)
    return directives, problems


def _parse(text: str, path: str) -> Tuple[List[Directive], List[Diagnostic], _Document]:
    doc = _Document(text)
    lines0 = [i for i, line in enumerate(doc.lines) if "cci-ignore" in line]
    directives: List[Directive] = []
    problems: List[Diagnostic] = []
    if not lines0:
        return directives, problems, doc
    doc.scan(lines0[-1])
    for line0 in lines0:
        start = doc.comment_start(line0)
        # the first directive in the line's comment; a `#` before the comment is in a scalar
        m = None if start is None else re.compile(_DIRECTIVE).search(doc.lines[line0], start)
        if m is None:
            continue
        col0 = m.start()
        word, rest = m.group(1), m.group(2)
        suffix = word[len("cci-ignore"):]
        end_col = len(doc.lines[line0].rstrip()) + 1
        if suffix not in _KINDS:
            import difflib  # only for a misspelt directive

            near = difflib.get_close_matches(word, [f"cci-ignore{k}" for k in _KINDS], n=1)
            problems.append(Diagnostic(
                code="suppression-invalid",
                message=f"'{word}' is not a suppression comment, so it silences nothing",
                severity=Severity.WARNING, path=path, line=line0 + 1, column=col0 + 1,
                end_line=line0 + 1, end_column=end_col,
                hint=f"did you mean '{near[0]}'?" if near else
                "the forms are cci-ignore, cci-ignore-next-line, cci-ignore-start/-end and "
                "cci-ignore-file"))
            continue
        cut = re.search(_REASON, rest)
        codes_part = rest if cut is None else rest[:cut.start()]
        reason = None if cut is None else rest[cut.end():].strip() or None
        patterns = tuple((t.group().lower(), m.start(2) + t.start() + 1)
                         for t in re.finditer(_CODE_TOKEN, codes_part))
        directives.append(Directive(
            kind=suffix[1:] or "line", line=line0 + 1, column=col0 + 1, end_column=end_col,
            patterns=patterns, reason=reason))
    return directives, problems, doc


class _Document:
    """The lines of a text, split where libyaml splits them (its line numbers are the
    diagnostics'), and where its scalars are."""

    def __init__(self, text: str) -> None:
        if text.startswith("\ufeff"):  # libyaml's columns do not count the byte-order mark
            text = text[1:]
        self.text = text
        self.lines = re.split(_BREAK, text)
        self.spans: Optional[_ScalarSpans] = None

    def scan(self, last_line0: int) -> None:
        self.spans = _ScalarSpans(self.text, last_line0)

    def comment_start(self, line0: int) -> Optional[int]:
        """The 0-based column where the comment of line ``line0`` starts, if it has one: the
        first ``#`` at the line start or after a blank that is not inside a scalar."""
        line = self.lines[line0]
        col = line.find("#")
        while col >= 0:
            if (col == 0 or line[col - 1] in " \t") and not (
                    self.spans is not None and self.spans.inside(line0, col)):
                return col
            col = line.find("#", col + 1)
        return None

    def content_lines(self) -> List[int]:
        """1-based numbers of the lines that hold more than blanks and a comment (what a
        ``next-line`` comment points at)."""
        out: List[int] = []
        for i, line in enumerate(self.lines):
            s = line.lstrip(" \t")
            if s and not (s[0] == "#" and self.comment_start(i) == len(line) - len(s)):
                out.append(i + 1)
        return out


class _ScalarSpans:
    """Where the quoted and block scalars of a text are, as (line, column) ranges from the
    YAML scanner (libyaml's when PyYAML has it): a ``#`` inside one is text. Plain scalars
    end where a comment starts, so they need no span. Scanning stops after ``last_line0``;
    after a syntax error what follows counts as outside any scalar (the loader reports the
    error; a comment there is read as a comment)."""

    def __init__(self, text: str, last_line0: int) -> None:
        import yaml

        loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self.starts: List[Tuple[int, int]] = []
        self.ends: List[Tuple[int, int]] = []
        try:
            scanner = loader(text)
        except UnicodeError:  # a lone surrogate (an editor's buffer): no scalars known
            return
        try:
            while scanner.check_token():
                tok = scanner.get_token()
                if not isinstance(tok, yaml.ScalarToken):
                    continue
                s, e = tok.start_mark, tok.end_mark
                if tok.style in ("|", ">"):
                    # the header line (`run: | # note`) may end in a real comment
                    self.starts.append((s.line + 1, 0))
                    self.ends.append((e.line, e.column))
                elif tok.style in ("'", '"'):
                    self.starts.append((s.line, s.column))
                    self.ends.append((e.line, e.column))
                if s.line > last_line0:
                    break
        except (yaml.YAMLError, UnicodeError):  # e.g. a lone surrogate from an editor buffer
            pass
        finally:
            dispose = getattr(scanner, "dispose", None)
            if dispose is not None:
                dispose()

    def inside(self, line0: int, col0: int) -> bool:
        at = (line0, col0)
        i = bisect.bisect_right(self.starts, at) - 1
        return i >= 0 and at < self.ends[i]


class _Scopes:
    """The lines each directive covers, and which of its patterns have silenced something."""

    def __init__(self, directives: Sequence[Directive], doc: _Document, path: str,
                 problems: List[Diagnostic]) -> None:
        self.path = path
        #: (directive, first line, last line), 1-based and inclusive
        self.scopes: List[Tuple[Directive, int, int]] = []
        #: the patterns ("" for a directive without codes) that silenced something
        self.used: Dict[Directive, Set[str]] = {}
        #: next-line directives with no line below them
        self.dangling: List[Directive] = []
        self.content = doc.content_lines()
        stack: List[Directive] = []
        for d in directives:
            if d.kind == "line":
                self.scopes.append((d, d.line, d.line))
            elif d.kind == "next-line":
                i = bisect.bisect_right(self.content, d.line)
                if i < len(self.content):
                    self.scopes.append((d, self.content[i], self.content[i]))
                else:
                    self.dangling.append(d)
            elif d.kind == "file":
                self.scopes.append((d, 1, len(doc.lines) + 1))  # + the end-of-file position
            elif d.kind == "start":
                stack.append(d)
            else:  # end
                opened = self._close(stack, d)
                if opened is None:
                    problems.append(self._problem(
                        d, "'cci-ignore-end' closes no open 'cci-ignore-start'"
                        + (" naming the same codes" if d.patterns else ""),
                        "remove it, or add '# cci-ignore-start' above the lines to silence"))
                else:
                    self.scopes.append((opened, opened.line, d.line))
        for d in stack:
            problems.append(self._problem(
                d, "'cci-ignore-start' has no matching 'cci-ignore-end', so it silences "
                   "nothing", "add '# cci-ignore-end' after the last line to silence"))
        for d, _, _ in self.scopes:
            self.used[d] = set()

    @staticmethod
    def _close(stack: List[Directive], end: Directive) -> Optional[Directive]:
        """The innermost open range (naming the same codes, when ``end`` names some)."""
        want = {p for p, _ in end.patterns}
        for i in range(len(stack) - 1, -1, -1):
            if not want or {p for p, _ in stack[i].patterns} == want:
                return stack.pop(i)
        return None

    def _problem(self, d: Directive, message: str, hint: str) -> Diagnostic:
        return Diagnostic(code="suppression-invalid", message=message,
                          severity=Severity.WARNING, path=self.path, line=d.line,
                          column=d.column, end_line=d.line, end_column=d.end_column, hint=hint)

    def match(self, diag: Diagnostic) -> Optional[str]:
        """Mark every directive that covers ``diag`` as used; return the justification (a
        comment's reason, or "") when one does, ``None`` when none does."""
        found: Optional[str] = None
        for d, first, last in self.scopes:
            if not first <= diag.line <= last:
                continue
            if d.patterns:
                hits = [p for p, _ in d.patterns if fnmatchcase(diag.code, p)]
                if not hits:
                    continue
                self.used[d].update(hits)
            else:
                self.used[d].add("")
            if not found:
                found = d.reason or ""
        return found

    def unused(self) -> List[Diagnostic]:
        """A ``suppression-unused`` warning for each directive (or each of its codes) that
        silenced nothing."""
        out: List[Diagnostic] = []
        for d, first, last in self.scopes:
            used = self.used[d]
            where = _where(d, first, last)
            if not d.patterns:
                if used:
                    continue
                hint = "delete the comment"
                if d.kind == "line" and d.line not in self.content:
                    hint = ("'# cci-ignore' silences its own line; to silence the line below, "
                            "write '# cci-ignore-next-line'")
                out.append(self._unused(d, d.column, d.end_column,
                                        f"this '{_word(d)}' silences nothing: no finding "
                                        f"{where}", hint))
                continue
            for pattern, col in d.patterns:
                if pattern not in used:
                    out.append(self._unused(
                        d, col, col + len(pattern),
                        f"'{pattern}' in this '{_word(d)}' matches no finding {where}",
                        "delete it, or check the code (docs/diagnostics.md lists them); a "
                        "reason goes after ' -- '"))
        for d in self.dangling:
            out.append(self._unused(d, d.column, d.end_column,
                                    "this 'cci-ignore-next-line' has no line below it",
                                    "delete the comment"))
        return out

    def _unused(self, d: Directive, col: int, end_col: int, message: str,
                hint: str) -> Diagnostic:
        return Diagnostic(code="suppression-unused", message=message,
                          severity=Severity.WARNING, path=self.path, line=d.line, column=col,
                          end_line=d.line, end_column=end_col, hint=hint)


def _word(d: Directive) -> str:
    return "cci-ignore" if d.kind == "line" else f"cci-ignore-{d.kind}"


def _where(d: Directive, first: int, last: int) -> str:
    if d.kind == "file":
        return "in this file"
    if first == last:
        return f"on line {first}"
    return f"on lines {first}-{last}"
