"""YAML text → plain data + positions, read the way CircleCI reads it.

CircleCI's compiler reads YAML 1.1 with SnakeYAML. PyYAML's own constructors differ from it
in ways that matter for config files, so this module builds the data itself from the libyaml
*event stream* (the C parser when available, PyYAML's pure-Python parser otherwise):

* duplicate mapping keys are errors (SnakeYAML rejects them; PyYAML silently keeps the last);
* an anchor may be redefined and later aliases see the newest definition (SnakeYAML accepts
  this; PyYAML's composer raises "found duplicate anchor");
* ``<<`` merge keys are applied with explicit keys winning, earlier merged maps first;
* scalars resolve by SnakeYAML's YAML 1.1 rules (``yes``/``on`` booleans but not ``y``/``n``;
  ``0x``/octal/sexagesimal ints; timestamps stay strings, which is what config fields want);
* alias expansion and nesting depth are bounded, so a "billion laughs" document or a deeply
  nested one becomes a diagnostic instead of a hang or a ``RecursionError``;
* invisible characters copied from web pages (no-break spaces, zero-width spaces) used as
  indentation are named, positioned and replaced by spaces so the rest of the file still
  gets checked; tabs in indentation get a message that says "tab".

Building from events is also much faster than ``yaml.load``: no intermediate node graph and
no per-node constructor dispatch.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Dict, List, NamedTuple

import yaml
from yaml import events as ev

from ..diagnostics import Diagnostic, Severity
from ._files import lone_surrogate
from .sourcemap import PMap, PNode, PScalar, PSeq, SourceMap

__all__ = ["DEFAULT_MAX_CHARS", "YAML11_WORDS", "YamlResult", "parse_yaml"]

try:  # the libyaml C parser, when PyYAML was built with it
    from yaml import CSafeLoader as _Loader

    HAS_LIBYAML = True
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    HAS_LIBYAML = False

#: Inputs larger than this many characters are refused (32 Mi: ~50,000 jobs).
DEFAULT_MAX_CHARS = 32 * 1024 * 1024
#: Deeper nesting than this is refused (real configs nest < 20 levels).
DEFAULT_MAX_DEPTH = 256
#: Alias expansion may add at most this many nodes, or 10x the nodes written, if larger.
DEFAULT_MAX_EXPANDED = 1_000_000

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_KNOWN_SCALAR_TAGS = {
    _STR,
    _INT,
    _FLOAT,
    _BOOL,
    _NULL,
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
    "!",
}
_KNOWN_COLLECTION_TAGS = {
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:omap",
    "!",
}

_TRUE = frozenset(["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"])
_FALSE = frozenset(["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"])
_NULLS = frozenset(["", "~", "null", "Null", "NULL"])
#: The YAML 1.1 booleans that are words, not ``true``/``false``: probably meant as text when
#: written unquoted where a string is wanted (yamllint's ``truthy``; docs/yaml.md).
YAML11_WORDS = (_TRUE | _FALSE) - {"true", "True", "TRUE", "false", "False", "FALSE"}
# SnakeYAML's Resolver (YAML 1.1) patterns. SnakeYAML writes ``[0-1]+[0-1_]*``; here it is
# ``[0-1][0-1_]*``, the same strings without the ambiguity that made a failing match of a
# 40,000-character scalar (``0b111...1z``) quadratic.
_INT_RE = re.compile(
    r"^(?:[-+]?0b_*[0-1][0-1_]*|[-+]?0_*[0-7][0-7_]*|[-+]?(?:0|[1-9][0-9_]*)"
    r"|[-+]?0x_*[0-9a-fA-F][0-9a-fA-F_]*|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"
)
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9_]+(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_NUMERIC_START = frozenset("-+0123456789.")

# Characters that look like spaces (or nothing) but are not YAML whitespace.
_INVISIBLE = {
    "\u00a0": "no-break space (U+00A0)",
    "\u1680": "Ogham space mark (U+1680)",
    "\u2000": "en quad (U+2000)",
    "\u2001": "em quad (U+2001)",
    "\u2002": "en space (U+2002)",
    "\u2003": "em space (U+2003)",
    "\u2004": "three-per-em space (U+2004)",
    "\u2005": "four-per-em space (U+2005)",
    "\u2006": "six-per-em space (U+2006)",
    "\u2007": "figure space (U+2007)",
    "\u2008": "punctuation space (U+2008)",
    "\u2009": "thin space (U+2009)",
    "\u200a": "hair space (U+200A)",
    "\u200b": "zero-width space (U+200B)",
    "\u202f": "narrow no-break space (U+202F)",
    "\u205f": "medium mathematical space (U+205F)",
    "\u3000": "ideographic space (U+3000)",
    "\ufeff": "zero-width no-break space (U+FEFF)",
}
_INVISIBLE_RE = re.compile("[" + "".join(_INVISIBLE) + "]")
# `key:` then a look-alike space, at the start of a plain scalar: a mapping entry the parser
# could not see, because YAML needs an ordinary space (or a line break) after a key's ':'.
_KEY_THEN_INVISIBLE_RE = re.compile(
    r"([^\s:#\[\]{},&*!|>'\"%@`][^:\n]*?):([" + "".join(_INVISIBLE) + "])"
)
_LINE_START_RE = re.compile(r"^[ \t]*(?:-[ \t]+)*$")
#: How many times a file is re-read after look-alike spaces following a key's ':' are
#: replaced (each libyaml error reveals one such place; plain values reveal all at once).
MAX_COLON_REPAIRS = 16


class YamlResult(NamedTuple):
    """Plain data (``None`` when the text could not be read), positions, and diagnostics."""

    data: Any
    source_map: SourceMap
    diagnostics: List[Diagnostic]
    #: Text after invisible indentation characters were replaced by spaces.
    text: str = ""


class _Abort(Exception):
    """Stop building: a bound was hit; the diagnostic is already recorded."""


def _diag(
    path: str,
    code: str,
    message: str,
    line0: int,
    col0: int,
    *,
    severity: Severity = Severity.ERROR,
    hint: str | None = None,
    end_line0: int | None = None,
    end_col0: int | None = None,
) -> Diagnostic:
    return Diagnostic(
        code=code,
        message=message,
        severity=severity,
        path=path,
        line=line0 + 1,
        column=col0 + 1,
        end_line=(end_line0 if end_line0 is not None else line0) + 1,
        end_column=(end_col0 if end_col0 is not None else col0 + 1) + 1,
        hint=hint,
    )


def _fix_invisible_indentation(text: str, path: str) -> tuple[str, list[Diagnostic], bool]:
    """Name and replace look-alike spaces used as indentation.

    Returns the repaired text (same length, so every column stays put), one error per
    affected line, and whether such characters remain elsewhere (inside plain scalars the
    builder then warns about them).
    """
    if _INVISIBLE_RE.search(text, 1 if text.startswith("\ufeff") else 0) is None:
        return text, [], False
    diags: list[Diagnostic] = []
    lines = text.split("\n")
    elsewhere = False
    for i, line in enumerate(lines):
        if _INVISIBLE_RE.search(line) is None:
            continue
        j = 0
        n = len(line)
        first = -1
        while j < n and (line[j] in " \t" or line[j] in _INVISIBLE):
            if (
                first < 0
                and line[j] in _INVISIBLE
                and not (i == 0 and j == 0 and line[j] == "\ufeff")
            ):
                first = j
            j += 1
        if first >= 0:
            ch = line[first]
            count = sum(1 for c in line[:j] if c in _INVISIBLE)
            diags.append(
                _diag(
                    path,
                    "yaml-invisible-indent",
                    f"indentation contains a {_INVISIBLE[ch]}"
                    + (f" ({count} of them on this line)" if count > 1 else "")
                    + "; YAML indentation must use ordinary spaces",
                    i,
                    first,
                    end_col0=j,
                    hint="replace it with a regular space; this usually comes from copying "
                    "YAML from a web page",
                )
            )
            lines[i] = "".join(" " if c in _INVISIBLE else c for c in line[:j]) + line[j:]
        if _INVISIBLE_RE.search(lines[i], j) is not None:
            elsewhere = True
    return "\n".join(lines), diags, elsewhere


def _to_int(value: str) -> int:
    v = value.replace("_", "")
    sign = 1
    if v[0] in "+-":
        if v[0] == "-":
            sign = -1
        v = v[1:]
    if v == "0":
        return 0
    if v.startswith("0b"):
        return sign * int(v[2:], 2)
    if v.startswith("0x"):
        return sign * int(v[2:], 16)
    if v.startswith("0"):
        return sign * int(v, 8)
    if ":" in v:
        total = 0
        for part in v.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(v)


def _to_float(value: str) -> float:
    v = value.replace("_", "").lower()
    sign = -1.0 if v.startswith("-") else 1.0
    if v[0] in "+-":
        v = v[1:]
    if v == ".inf":
        return sign * math.inf
    if v == ".nan":
        return math.nan
    if ":" in v:
        total = 0.0
        for part in v.split(":"):
            total = total * 60 + float(part)
        return sign * total
    return sign * float(v)


def _resolve_plain(value: str) -> Any:
    """YAML 1.1 implicit typing of a plain scalar, as SnakeYAML's resolver does it."""
    if not value:
        return None
    c = value[0]
    if c in "yYnNtTfFoO":
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if value in _NULLS:
            return None
        return value
    if c in _NUMERIC_START:
        if _INT_RE.match(value):
            try:
                return _to_int(value)
            except ValueError:
                return value
        if _FLOAT_RE.match(value):
            try:
                return _to_float(value)
            except ValueError:
                return value
        return value
    if c == "~" and value == "~":
        return None
    return value


def _construct_tagged(value: str, tag: str) -> Any:
    """A scalar with an explicit standard tag (``!!str 3``, ``!!int "3"``)."""
    if tag == _INT:
        return _to_int(value)
    if tag == _FLOAT:
        return _to_float(value)
    if tag == _BOOL:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError(value)
    if tag == _NULL:
        return None
    return value


class _Frame:
    """One open mapping or sequence while building."""

    __slots__ = (
        "anchor",
        "data",
        "depth",
        "explicit",
        "is_map",
        "key",
        "key_end",
        "key_start",
        "merges",
        "pos",
        "weight",
    )

    def __init__(self, is_map: bool, data: Any, pos: PNode, anchor: str | None, depth: int) -> None:
        self.is_map = is_map
        self.data = data
        self.pos = pos
        self.anchor = anchor
        self.depth = depth
        self.weight = 1
        self.key: Any = _NO_KEY
        self.key_start: Any = None
        self.key_end: Any = None
        self.merges: list[tuple[Any, PNode]] | None = None
        self.explicit: bool = False


_NO_KEY = object()
_MERGE_KEY = object()


def parse_yaml(
    text: str,
    path: str = "<string>",
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_expanded: int = DEFAULT_MAX_EXPANDED,
    loader: Callable[[str], Any] | None = None,
) -> YamlResult:
    """Read one YAML document into plain data, positions and diagnostics. Never raises for
    bad input: every problem becomes a diagnostic, and ``data`` is ``None`` when nothing
    usable could be read.

    ``loader`` picks the PyYAML loader class (default: the libyaml C loader when present).
    """
    if len(text) > max_chars:
        return YamlResult(
            None,
            SourceMap(None, path, ""),
            [
                Diagnostic(
                    code="yaml-too-large",
                    message=f"the file has {len(text):,} characters, more than the limit of "
                    f"{max_chars:,}",
                    path=path,
                    hint="a CircleCI config this large is almost certainly generated by mistake; "
                    "raise the limit (--max-bytes, or max_chars=) if it is intended",
                )
            ],
            "",
        )
    surrogate = lone_surrogate(text, path)
    if surrogate is not None:  # libyaml would raise UnicodeEncodeError on it
        return YamlResult(None, SourceMap(None, path, ""), [surrogate], "")
    text, fixed, invisible_elsewhere = _fix_invisible_indentation(text, path)
    repairs = 0
    while True:
        diags = list(fixed)
        builder = _Builder(path, text, diags, max_depth, max_expanded, invisible_elsewhere)
        data, pos = builder.run(loader or _Loader)
        if not builder.colon_spots or repairs >= MAX_COLON_REPAIRS:
            break
        # `command:\u00a0make`: say so where it is written, put an ordinary space there
        # (same column) and read the file again, so that the real structure gets checked
        # instead of a "could not find expected ':'" on some later line.
        repairs += 1
        lines = text.split("\n")
        for line0, col0, key in builder.colon_spots:
            ch = lines[line0][col0]
            fixed.append(
                _diag(
                    path,
                    "yaml-invisible-after-colon",
                    f"a {_INVISIBLE[ch]} follows '{key}:'; YAML needs an ordinary space "
                    f"after a key's ':', so '{key}' would not be read as a key",
                    line0,
                    col0,
                    hint=f"replace it with a regular space: '{key}: ...' (it usually comes "
                    "from copying YAML from a web page)",
                )
            )
            lines[line0] = lines[line0][:col0] + " " + lines[line0][col0 + 1 :]
        text = "\n".join(lines)
        invisible_elsewhere = _INVISIBLE_RE.search(text) is not None
    return YamlResult(data, SourceMap(pos, path, text), diags, text)


class _Builder:
    """Turns the event stream into data and a position tree in one pass."""

    def __init__(
        self,
        path: str,
        text: str,
        diags: list[Diagnostic],
        max_depth: int,
        max_expanded: int,
        invisible_elsewhere: bool,
    ) -> None:
        self.path = path
        self.text = text
        self.diags = diags
        self.max_depth = max_depth
        self.max_expanded = max_expanded
        self.invisible_elsewhere = invisible_elsewhere
        self.anchors: Dict[str, tuple[Any, PNode, int]] = {}
        #: ``(line0, col0, key)`` of each look-alike space right after a key's ':'
        self.colon_spots: list[tuple[int, int, str]] = []
        self.expanded = 0
        self.written = 0

    # -- diagnostics ---------------------------------------------------------------------
    def error(
        self,
        code: str,
        message: str,
        mark: Any,
        *,
        end: Any = None,
        severity: Severity = Severity.ERROR,
        hint: str | None = None,
    ) -> None:
        self.diags.append(
            _diag(
                self.path,
                code,
                message,
                mark.line,
                mark.column,
                severity=severity,
                hint=hint,
                end_line0=end.line if end is not None else None,
                end_col0=end.column if end is not None else None,
            )
        )

    def _syntax_error(self, exc: yaml.YAMLError) -> None:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        context_mark = getattr(exc, "context_mark", None)
        if mark is None:
            self.diags.append(Diagnostic(code="yaml-syntax", message=str(problem), path=self.path))
            return
        lines = self.text.split("\n")
        if context_mark is not None and "simple key" in str(context) and self.invisible_elsewhere:
            start = lines[context_mark.line] if context_mark.line < len(lines) else ""
            if self._colon_spot(start, context_mark.line, context_mark.column):
                return  # reported, repaired and read again by parse_yaml
        line = lines[mark.line] if mark.line < len(lines) else ""
        # Point at the tab itself when the problem is a tab, wherever libyaml noticed it.
        tab_col = -1
        if "\t" in line and (
            "tab" in problem
            or "cannot start any token" in problem
            or line[: len(line) - len(line.lstrip(" \t"))].count("\t")
        ):
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            if "\t" in indent:
                tab_col = indent.index("\t")
            elif mark.column < len(line) and line[mark.column] == "\t":
                tab_col = mark.column
        if tab_col >= 0:
            self.diags.append(
                _diag(
                    self.path,
                    "yaml-tab",
                    f"tab character in the indentation of line {mark.line + 1}; YAML does not "
                    "allow tabs for indentation",
                    mark.line,
                    tab_col,
                    hint="indent with spaces only (a tab is invisible in most editors; "
                    "CircleCI rejects it as 'found character '\\t' that cannot start "
                    "any token')",
                )
            )
            return
        message = str(problem)
        if context and context_mark is not None:
            message = (
                f"{message} ({context} at line {context_mark.line + 1}, column "
                f"{context_mark.column + 1})"
            )
        hint = None
        if (
            "could not find expected ':'" in problem
            or "expected <block end>" in problem
            or "did not find expected key" in problem
        ):
            hint = "check the indentation of this line against the lines above it"
        elif "mapping values are not allowed" in problem:
            hint = (
                "a ':' inside a plain value needs quotes, or the line above is missing "
                "its indentation"
            )
        self.diags.append(
            _diag(self.path, "yaml-syntax", message, mark.line, mark.column, hint=hint)
        )

    def _colon_spot(self, line: str, line0: int, col0: int) -> bool:
        """Record ``key:`` + a look-alike space starting at ``col0`` of ``line`` (which must
        start its line, or follow only ``- `` markers: a plain value after ``key: `` on the
        same line is text, where ``a:\u00a0b`` is legitimate content)."""
        if not _LINE_START_RE.match(line[:col0]):
            return False
        m = _KEY_THEN_INVISIBLE_RE.match(line, col0)
        if m is None:
            return False
        self.colon_spots.append((line0, m.start(2), m.group(1).strip()))
        return True

    # -- the event loop ------------------------------------------------------------------
    def run(self, loader_cls: Any) -> tuple[Any, PNode | None]:
        loader = loader_cls(self.text)
        stack: list[_Frame] = []
        root: list[Any] = []
        documents = 0
        try:
            while True:
                e = loader.get_event()
                if e is None:
                    break
                cls = e.__class__
                if cls is ev.ScalarEvent:
                    self._scalar(e, stack, root)
                elif cls is ev.MappingStartEvent or cls is ev.SequenceStartEvent:
                    is_map = cls is ev.MappingStartEvent
                    depth = len(stack) + 1
                    if depth > self.max_depth:
                        self.error(
                            "yaml-too-deep",
                            f"nesting is deeper than {self.max_depth} levels",
                            e.start_mark,
                            hint="flatten the structure; no CircleCI config nests this deep",
                        )
                        raise _Abort
                    tag = e.tag
                    if tag is not None and tag not in _KNOWN_COLLECTION_TAGS:
                        self.error(
                            "yaml-unknown-tag",
                            f"unknown tag {tag!r}: CircleCI cannot construct it",
                            e.start_mark,
                            hint="remove the tag",
                        )
                    if is_map:
                        stack.append(_Frame(True, {}, PMap(e.start_mark), e.anchor, depth))
                    else:
                        stack.append(_Frame(False, [], PSeq(e.start_mark), e.anchor, depth))
                elif cls is ev.MappingEndEvent or cls is ev.SequenceEndEvent:
                    frame = stack.pop()
                    frame.pos.end = e.end_mark
                    if frame.is_map and frame.merges:
                        self._apply_merges(frame)
                    self.written += 1
                    if frame.anchor is not None:
                        self.anchors[frame.anchor] = (frame.data, frame.pos, frame.weight)
                    self._attach(frame.data, frame.pos, frame.weight, stack, root, e)
                elif cls is ev.AliasEvent:
                    self._alias(e, stack, root)
                elif cls is ev.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        self.error(
                            "yaml-multiple-documents",
                            "expected a single document in the stream, but found another document",
                            e.start_mark,
                            hint="a CircleCI config is one YAML document; remove "
                            "the second '---' and what follows, or merge them",
                        )
                        raise _Abort
        except _Abort:
            return None, None
        except yaml.YAMLError as exc:
            self._syntax_error(exc)
            return None, None
        except RecursionError:  # pragma: no cover - guarded by max_depth
            self.diags.append(
                Diagnostic(code="yaml-too-deep", message="nesting too deep", path=self.path)
            )
            return None, None
        finally:
            dispose = getattr(loader, "dispose", None)
            if dispose is not None:
                dispose()
        if not root:
            return None, None
        return root[0], root[1]

    def _scalar(self, e: Any, stack: list[_Frame], root: list[Any]) -> None:
        value = e.value
        style = e.style
        tag = e.tag
        plain = not style  # '' from libyaml, None from the pure-Python parser
        if tag is None or tag == "!":
            data = _resolve_plain(value) if plain and tag is None else value
        elif tag in _KNOWN_SCALAR_TAGS:
            try:
                data = _construct_tagged(value, tag)
            except (ValueError, IndexError):
                self.error(
                    "yaml-bad-value",
                    f"{value!r} is not a valid {tag.rsplit(':', 1)[-1]}",
                    e.start_mark,
                    end=e.end_mark,
                )
                data = value
        else:
            self.error(
                "yaml-unknown-tag",
                f"unknown tag {tag!r}: CircleCI cannot construct it",
                e.start_mark,
                hint="remove the tag, or quote the value",
            )
            data = value
        if (
            plain
            and self.invisible_elsewhere
            and self._colon_spot(
                self.text[e.start_mark.index - e.start_mark.column : e.start_mark.index]
                + value,
                e.start_mark.line,
                e.start_mark.column,
            )
        ):
            pass  # a key the parser could not see; parse_yaml repairs and reads again
        elif plain and self.invisible_elsewhere:
            m = _INVISIBLE_RE.search(value)
            if m is not None and e.start_mark.line == e.end_mark.line:
                col = e.start_mark.column + m.start()
                self.diags.append(
                    _diag(
                        self.path,
                        "yaml-invisible-char",
                        f"{value.strip()!r} contains a {_INVISIBLE[m.group()]}, which looks like "
                        "a space but is part of the value",
                        e.start_mark.line,
                        col,
                        severity=Severity.WARNING,
                        hint="replace it with a regular space, or delete it",
                    )
                )
        pos = PScalar(e.start_mark, e.end_mark)
        self.written += 1
        if e.anchor is not None:
            self.anchors[e.anchor] = (data, pos, 1)
        # A plain '<<' in key position is the merge key.
        if (
            plain
            and value == "<<"
            and tag is None
            and stack
            and stack[-1].is_map
            and stack[-1].key is _NO_KEY
        ):
            frame = stack[-1]
            frame.key = _MERGE_KEY
            frame.key_start, frame.key_end = e.start_mark, e.end_mark
            return
        self._attach(data, pos, 1, stack, root, e, key_text=value)

    def _alias(self, e: Any, stack: list[_Frame], root: list[Any]) -> None:
        entry = self.anchors.get(e.anchor)
        if entry is None:
            self.error(
                "yaml-undefined-alias",
                f"found undefined alias '*{e.anchor}'",
                e.start_mark,
                end=e.end_mark,
                hint=f"define the anchor '&{e.anchor}' before this alias uses it",
            )
            raise _Abort
        data, pos, weight = entry
        self.expanded += weight
        limit = max(self.max_expanded, 10 * self.written)
        if self.expanded > limit:
            self.error(
                "yaml-alias-bomb",
                f"aliases expand to more than {limit:,} nodes",
                e.start_mark,
                end=e.end_mark,
                hint="this looks like a 'billion laughs' document; a real config "
                "reuses anchors far less",
            )
            raise _Abort
        key_text = data if isinstance(data, str) else None
        self._attach(data, pos, weight, stack, root, e, key_text=key_text)

    def _attach(
        self,
        data: Any,
        pos: PNode,
        weight: int,
        stack: list[_Frame],
        root: list[Any],
        e: Any,
        key_text: str | None = None,
    ) -> None:
        if not stack:
            root[:] = [data, pos]
            return
        frame = stack[-1]
        frame.weight += weight
        if not frame.is_map:
            frame.data.append(data)
            frame.pos.items.append(pos)  # type: ignore[union-attr]
            return
        key = frame.key
        if key is _NO_KEY:
            if key_text is None:
                self.error(
                    "yaml-complex-key",
                    "mapping keys must be plain text, not a list or a mapping",
                    e.start_mark,
                    hint="CircleCI config keys are names; quote this key or restructure it",
                )
                key_text = f"<complex key at {e.start_mark.line + 1}:{e.start_mark.column + 1}>"
            frame.key = key_text
            frame.key_start = e.start_mark
            frame.key_end = getattr(e, "end_mark", e.start_mark)
            return
        frame.key = _NO_KEY
        if key is _MERGE_KEY:
            if frame.merges is None:
                frame.merges = []
            frame.merges.append((data, pos))
            return
        pmap: PMap = frame.pos  # type: ignore[assignment]
        if key in frame.data and key in pmap.keys and pmap.keys[key][0] is not None:
            first = pmap.keys[key][0]
            self.error(
                "yaml-duplicate-key",
                f"found duplicate key {key!r} (first defined at line {first.line + 1})",
                frame.key_start,
                end=frame.key_end,
                hint="CircleCI rejects duplicate keys (PyYAML would silently keep the "
                "last one); remove or rename one of them",
            )
            return
        frame.data[key] = data
        pmap.keys[key] = (frame.key_start, frame.key_end, pos)

    def _apply_merges(self, frame: _Frame) -> None:
        """Apply ``<<`` merges: explicit keys win; among merged maps the earlier wins."""
        sources: list[tuple[dict[str, Any], PMap]] = []
        for data, pos in frame.merges or ():
            if isinstance(data, dict) and isinstance(pos, PMap):
                sources.append((data, pos))
            elif (
                isinstance(data, list)
                and isinstance(pos, PSeq)
                and all(isinstance(d, dict) for d in data)
            ):
                sources.extend((d, p) for d, p in zip(data, pos.items) if isinstance(p, PMap))
            else:
                mark = pos.start
                self.error(
                    "yaml-merge",
                    "the merge key '<<' needs a mapping or a list of mappings",
                    mark,
                    hint="merge an alias of a mapping: '<<: *defaults'",
                )
        merged: dict[str, Any] = {}
        mkeys: dict[str, Any] = {}
        for data, pos in sources:
            for k, v in data.items():
                if k not in merged and k not in frame.data:
                    merged[k] = v
                    mkeys[k] = pos.keys.get(k)
        if not merged:
            return
        explicit = frame.data
        pmap: PMap = frame.pos  # type: ignore[assignment]
        explicit_pos = pmap.keys
        merged.update(explicit)
        frame.data.clear()
        frame.data.update(merged)
        newpos: dict[str, Any] = {}
        for k in merged:
            if k in explicit_pos:
                newpos[k] = explicit_pos[k]
            else:
                entry = mkeys[k]
                # A merged key is not "written here": mark its key start None so a later
                # explicit duplicate is not mistaken for a duplicate key.
                newpos[k] = (
                    (None, None, entry[2])
                    if entry is not None
                    else (None, None, PScalar(pmap.start, pmap.start))
                )
        pmap.keys = newpos
