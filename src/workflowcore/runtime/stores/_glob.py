"""Go ``filepath.Match`` / ``filepath.Glob`` semantics, which ``persist_to_workspace`` uses.

CircleCI's agent is written in Go, so workspace ``paths`` are Go globs (R7.2): ``*`` matches
any run of characters except ``/``, ``?`` one character except ``/``, ``[...]`` a class (``^``
negates, ``a-z`` ranges, ``\\`` escapes) and there is **no** ``**``. Unlike a shell, ``*`` also
matches names that start with a dot. Python's ``fnmatch`` differs on all of these points
(``*`` crosses ``/``, ``!`` negates), hence this translation.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Tuple, cast

__all__ = ["BadPatternError", "glob", "has_magic", "match_segment"]


class BadPatternError(ValueError):
    """The pattern is malformed (Go's ``filepath.ErrBadPattern``)."""


def has_magic(pattern: str) -> bool:
    return any(c in pattern for c in "*?[\\")


# A segment pattern as tokens: ``_STAR``, ``_ANY`` (``?``), a literal character, or a class
# ``(negate, ((lo, hi), ...))``.
_STAR = object()
_ANY = object()
_Token = object
_Class = Tuple[bool, Tuple[Tuple[str, str], ...]]


def _parse(segment: str) -> tuple[_Token, ...]:
    out: list[_Token] = []
    i, n = 0, len(segment)
    while i < n:
        c = segment[i]
        i += 1
        if c == "*":
            if not out or out[-1] is not _STAR:  # ``**`` matches what ``*`` matches
                out.append(_STAR)
        elif c == "?":
            out.append(_ANY)
        elif c == "\\":
            if i >= n:
                raise BadPatternError(f"pattern {segment!r} ends with a lone backslash")
            out.append(segment[i])
            i += 1
        elif c == "[":
            negate = i < n and segment[i] == "^"
            if negate:
                i += 1
            ranges: list[tuple[str, str]] = []
            first = True
            while True:
                if i >= n:
                    raise BadPatternError(f"pattern {segment!r} has an unclosed '['")
                if segment[i] == "]" and not first:
                    i += 1
                    break
                lo, i = _class_char(segment, i)
                hi = lo
                if i < n and segment[i] == "-":
                    hi, i = _class_char(segment, i + 1)
                    if hi < lo:
                        raise BadPatternError(f"pattern {segment!r} has an inverted range")
                ranges.append((lo, hi))
                first = False
            out.append((negate, tuple(ranges)))
        else:
            out.append(c)
    return tuple(out)


def _class_char(segment: str, i: int) -> tuple[str, int]:
    n = len(segment)
    if i >= n or segment[i] in "-]":
        raise BadPatternError(f"pattern {segment!r} has an empty or malformed '[...]' class")
    if segment[i] == "\\":
        i += 1
        if i >= n:
            raise BadPatternError(f"pattern {segment!r} ends with a lone backslash")
    return segment[i], i + 1


@lru_cache(maxsize=256)
def _compiled(segment: str) -> tuple[_Token, ...]:
    return _parse(segment)


def _one(token: _Token, c: str) -> bool:
    if token is _ANY:
        return c != "/"
    if isinstance(token, str):
        return token == c
    negate, ranges = cast(_Class, token)
    hit = any(lo <= c <= hi for lo, hi in ranges)
    return (not hit and c != "/") if negate else hit


def match_segment(pattern: str, name: str) -> bool:
    """Go ``filepath.Match`` for one path segment (no ``/`` on either side).

    Matched without backtracking beyond the last ``*`` (the classic wildcard algorithm), so
    the time is at most ``len(pattern) * len(name)`` steps whatever the pattern: a
    backtracking regular expression made ``*a*a*a*a*a*b`` against a 200-character name run
    for minutes, and a job's timeout cannot stop a loop inside the runtime.
    """
    tokens = _compiled(pattern)
    p = i = 0
    star, mark = -1, 0
    nt, nn = len(tokens), len(name)
    while i < nn:
        if p < nt and tokens[p] is _STAR:
            star, mark = p, i
            p += 1
        elif p < nt and _one(tokens[p], name[i]):
            p += 1
            i += 1
        elif star >= 0 and name[mark] != "/":  # let the last ``*`` take one more character
            p = star + 1
            mark += 1
            i = mark
        else:
            return False
    while p < nt and tokens[p] is _STAR:
        p += 1
    return p == nt


def glob(root: Path, pattern: str) -> list[str]:
    """Relative paths (``/``-separated) under ``root`` matching ``pattern``, sorted.

    Segments without magic are joined literally; the others are matched against directory
    listings. Like Go, a malformed pattern raises and unreadable directories are skipped.
    """
    segments = [s for s in pattern.split("/") if s not in ("", ".")]
    for seg in segments:
        if has_magic(seg):
            _compiled(seg)  # raise BadPatternError early, even when nothing is listed
    found: list[str] = [""]
    for seg in segments:
        nxt: list[str] = []
        for base in found:
            base_path = root / base if base else root
            if not has_magic(seg):
                candidate = f"{base}/{seg}" if base else seg
                if os.path.lexists(root / candidate):
                    nxt.append(candidate)
                continue
            if not base_path.is_dir():
                continue
            try:
                names = sorted(os.listdir(base_path))
            except OSError:
                continue
            for name in names:
                if match_segment(seg, name):
                    nxt.append(f"{base}/{name}" if base else name)
        found = nxt
        if not found:
            break
    return sorted(p for p in found if p) if segments else []
