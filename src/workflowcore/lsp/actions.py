"""Quick fixes for what the diagnostics already say how to fix.

Each fix is computed against the *current* text, from the diagnostic as the editor holds
it (its range, code, message and hint), and only offered when the text at the range is
still what the diagnostic was about:

* "did you mean 'x'?" (misspelt keys, job, command and executor names...): replace the
  word with the suggestion;
* look-alike spaces (``yaml-invisible-indent``, ``yaml-invisible-after-colon``,
  ``yaml-invisible-char``): replace them with ordinary spaces (zero-width ones deleted);
* ``yaml-truthy``: quote the YAML 1.1 boolean word, so it stays text;
* ``filter-tag-upstream``: add the downstream job's tag filter to the required job's
  workflow entry, so both run for the same tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import yaml

from ..config._yaml import YAML11_WORDS
from .syntax import SNode, SyntaxTree
from .text import LineIndex

__all__ = ["Edit", "Fix", "fixes_for"]

_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?")
_QUOTED = re.compile(r"'([^']+)'")
_INVISIBLE = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
             "\u200a\u200b\u202f\u205f\u3000\ufeff"
_ZERO_WIDTH = "\u200b\ufeff"
_WORD = re.compile(r"[A-Za-z0-9_./@:-]+")
_INVISIBLE_CODES = ("yaml-invisible-indent", "yaml-invisible-after-colon",
                    "yaml-invisible-char")


@dataclass(frozen=True)
class Edit:
    """Replace ``[start, end)`` (0-based line, code point column) with ``text``."""

    start: Tuple[int, int]
    end: Tuple[int, int]
    text: str


@dataclass
class Fix:
    title: str
    edits: List[Edit]
    preferred: bool = False


def fixes_for(code: str, message: str, hint: Optional[str], start: Tuple[int, int],
              end: Tuple[int, int], lines: LineIndex, tree: Optional[SyntaxTree]) -> List[Fix]:
    """The fixes for one diagnostic (0-based code point positions)."""
    out: List[Fix] = []
    if hint:
        fix = _did_you_mean(message, hint, start, end, lines)
        if fix is not None:
            out.append(fix)
    if code in _INVISIBLE_CODES:
        fix = _invisible(start, end, lines, whole_indent=code == "yaml-invisible-indent")
        if fix is not None:
            out.append(fix)
    elif code == "yaml-truthy":
        fix = _quote(start, end, lines)
        if fix is not None:
            out.append(fix)
    elif code == "filter-tag-upstream" and tree is not None:
        fix = _tag_filter(message, start, lines, tree)
        if fix is not None:
            out.append(fix)
    return out


def _did_you_mean(message: str, hint: str, start: Tuple[int, int], end: Tuple[int, int],
                  lines: LineIndex) -> Optional[Fix]:
    m = _DID_YOU_MEAN.search(hint)
    if m is None or start[0] != end[0]:
        return None
    new = m.group(1)
    line = lines.line(start[0])
    text = line[start[1]:end[1]]
    col = start[1]
    inner = text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text
    if inner != text:
        col += 1
    if _WORD.fullmatch(inner) is None:
        # the range is wider than the word (a whole step): find the word the message names
        typo = next((q for q in _QUOTED.findall(message) if q != new and q in text), None)
        if typo is None:
            return None
        col = start[1] + text.index(typo)
        inner = typo
    if inner == new:
        return None
    return Fix(f"Replace '{inner}' with '{new}'",
               [Edit((start[0], col), (start[0], col + len(inner)), new)], preferred=True)


def _invisible(start: Tuple[int, int], end: Tuple[int, int], lines: LineIndex,
               whole_indent: bool) -> Optional[Fix]:
    edits: List[Edit] = []
    for line0 in range(start[0], end[0] + 1):
        line = lines.line(line0)
        lo = start[1] if line0 == start[0] else 0
        hi = end[1] if line0 == end[0] else len(line)
        if whole_indent:  # the diagnostic names the first; fix the whole indentation
            lo = 0
            hi = len(line) - len(line.lstrip(" \t" + _INVISIBLE))
        for col in range(lo, min(hi, len(line))):
            ch = line[col]
            if ch in _INVISIBLE:
                edits.append(Edit((line0, col), (line0, col + 1),
                                  "" if ch in _ZERO_WIDTH and not whole_indent else " "))
    if not edits:
        return None
    return Fix("Replace look-alike spaces with ordinary spaces", edits, preferred=True)


def _quote(start: Tuple[int, int], end: Tuple[int, int], lines: LineIndex) -> Optional[Fix]:
    if start[0] != end[0]:
        return None
    word = lines.line(start[0])[start[1]:end[1]]
    if word not in YAML11_WORDS:
        return None
    return Fix(f"Quote '{word}' so it stays text", [Edit(start, end, f'"{word}"')],
               preferred=True)


# -- filter-tag-upstream ------------------------------------------------------------------

_UPSTREAM = re.compile(r"^Job '([^']+)' has tag filters but requires '([^']+)'")


def _entry_name(entry: SNode) -> Optional[str]:
    """The job an entry of a workflow's ``jobs`` calls, as ``requires`` names it."""
    if entry.kind == "scalar":
        return entry.value
    if entry.kind == "map" and entry.pairs:
        key, args = entry.pairs[0]
        name = args.get("name") if args.kind == "map" else None
        if name is not None and name.kind == "scalar":
            return name.value
        return key.value
    return None


def _tags_of(entry: SNode, lines: LineIndex) -> Optional[Any]:
    """The ``filters: tags:`` value of a workflow entry, as data."""
    if entry.kind != "map" or not entry.pairs:
        return None
    args = entry.pairs[0][1]
    filters = args.get("filters") if args.kind == "map" else None
    tags = filters.get("tags") if filters is not None and filters.kind == "map" else None
    if tags is None:
        return None
    text = lines.text[lines.offset(*tags.start):lines.offset(*tags.end)]
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _block(data: Any, indent: int) -> List[str]:
    dumped = yaml.safe_dump(data, default_flow_style=False, sort_keys=False).rstrip("\n")
    return [" " * indent + line for line in dumped.split("\n")]


def _tag_filter(message: str, start: Tuple[int, int], lines: LineIndex,
                tree: SyntaxTree) -> Optional[Fix]:
    m = _UPSTREAM.match(message)
    if m is None:
        return None
    downstream, upstream = m.group(1), m.group(2)
    hit = tree.at(*start)
    path = hit.path
    if len(path) < 4 or path[0] != "workflows" or path[2] != "jobs":
        return None
    jobs = tree.node_at(path[:3])
    if jobs is None or jobs.kind != "seq":
        return None
    tags: Any = None
    targets: List[SNode] = []
    for entry in jobs.items:
        name = _entry_name(entry)
        if name == downstream and tags is None:
            tags = _tags_of(entry, lines)
        elif name == upstream and _tags_of(entry, lines) is None:
            targets.append(entry)
    if tags is None or not targets:
        return None
    edits = [e for e in (_add_tags(t, tags, lines) for t in targets) if e is not None]
    if not edits:
        return None
    return Fix(f"Add the tag filter of '{downstream}' to '{upstream}'", edits)


def _add_tags(entry: SNode, tags: Any, lines: LineIndex) -> Optional[Edit]:
    """The edit adding ``filters: tags: ...`` to one workflow entry (block style only)."""
    eol = "\n"
    if entry.kind == "scalar":
        if entry.start[0] != entry.end[0] or not entry.plain:
            return None
        col = entry.start[1]
        body = [f"{entry.value}:", " " * (col + 2) + "filters:",
                " " * (col + 4) + "tags:", *_block(tags, col + 6)]
        return Edit(entry.start, entry.end, eol.join(body))
    if entry.kind != "map" or not entry.pairs:
        return None
    key, args = entry.pairs[0]
    if args.kind == "scalar" and args.value == "":  # `- build:` and nothing under it
        col = key.start[1]
        text = eol + eol.join([" " * (col + 2) + "filters:", " " * (col + 4) + "tags:",
                               *_block(tags, col + 6)])
        end = (key.end[0], len(lines.line(key.end[0])))
        return Edit(end, end, text)
    if args.kind != "map" or not args.pairs or args.start[0] == key.start[0]:
        return None  # a flow mapping on the entry's line: left as written
    filters = args.get("filters")
    if filters is not None:
        if filters.kind != "map" or not filters.pairs or filters.start[0] == key.start[0]:
            return None
        col = filters.pairs[0][0].start[1]
        at = (filters.pairs[0][0].start[0], 0)
        new = [" " * col + "tags:", *_block(tags, col + 2)]
    else:
        col = args.pairs[0][0].start[1]
        at = (args.pairs[0][0].start[0], 0)
        new = [" " * col + "filters:", " " * (col + 2) + "tags:", *_block(tags, col + 4)]
    return Edit(at, at, eol.join(new) + eol)
