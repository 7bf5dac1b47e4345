"""Where the cursor is while typing, read from indentation: completion's view of a document.

While a key is being typed the document is usually not valid YAML (``    stp`` in a
mapping is "could not find expected ':'"), so the parser cannot say where the cursor is.
Block YAML says it with indentation: the mapping a line belongs to is the nearest line
above that starts further left. This module reads that chain of lines upwards from the
cursor and turns it into a path of keys and sequence indices, as the models and the index
use them. One pass upwards, each line looked at once: linear in the lines above the
cursor.

Flow collections spanning lines and keys written as complex nodes are not followed; a
cursor inside a block scalar (``run: |`` text) has no context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

__all__ = ["Context", "Opener", "context_at", "openers"]

Part = Union[str, int]

# `key:` at the start of what is left of a line: plain, or quoted.
_KEY = re.compile(
    r"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'"""  # quoted
    r"""|[^\s#'"{\[\]},&*!|>%@`-][^#]*?|-[^\s#][^#]*?)"""  # plain
    r"""[ \t]*:(?:[ \t]+|$)""")


@dataclass(frozen=True)
class Opener:
    """Something a line opens at a column: a sequence item (``- ``) or a mapping key;
    ``rest`` is what follows a key's ``:`` on the line (its inline value, comment off)."""

    col: int
    kind: str  # "item" | "key"
    name: str = ""
    rest: str = ""


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
        inner = name[1:-1]
        return inner.replace("''", "'") if name[0] == "'" else inner.replace('\\"', '"')
    return name


def openers(line: str) -> List[Opener]:
    """The items and the key a line opens, left to right (``      - run:`` opens an item
    at 6 and the key ``run`` at 8)."""
    out: List[Opener] = []
    i = len(line) - len(line.lstrip(" "))
    n = len(line)
    while i < n and line[i] == "-" and (i + 1 == n or line[i + 1] in " \t"):
        out.append(Opener(i, "item"))
        i += 1
        while i < n and line[i] in " \t":
            i += 1
    if i < n and line[i] != "#":
        m = _KEY.match(line, i)
        if m is not None:
            rest = line[m.end():]
            hash_at = rest.find(" #")
            rest = (rest if hash_at < 0 else rest[:hash_at]).strip()
            if rest.startswith("#"):
                rest = ""
            out.append(Opener(i, "key", _unquote(m.group(1)), rest))
    return out


def _content(line: str) -> Optional[int]:
    """Column of the first character that is not a blank, or ``None`` for a blank or
    comment-only line."""
    s = line.lstrip(" \t")
    if not s or s.startswith("#"):
        return None
    return len(line) - len(s)


@dataclass
class Context:
    """The cursor's place: ``path`` of the collection it types into; ``mode`` is ``key``
    (a key of the mapping at ``path``), ``item`` (a scalar item of the sequence at
    ``path``), ``value`` (the value of the key ``path[-1]``) or ``flow`` (an item of a
    ``[...]`` list that is the value of ``path[-1]``); ``word`` is the part already typed,
    starting at column ``start``; ``siblings`` the keys already written in that mapping."""

    path: Tuple[Part, ...]
    mode: str
    word: str
    start: int
    siblings: Tuple[str, ...] = ()


def _ancestors(lines: Sequence[str], line0: int, limit: int, counting: bool
               ) -> Optional[List[Part]]:
    """The path to what starts at column ``limit`` on line ``line0``. With ``counting``
    that thing is a sequence item, and the path ends with its index (its siblings above
    are counted)."""
    path: List[Part] = [0] if counting else []
    count_col: Optional[int] = limit if counting else None
    for ln in range(line0 - 1, -1, -1):
        line = lines[ln]
        col = _content(line)
        if col is None:
            continue
        ops = openers(line)
        if col > limit:
            continue
        if col == limit:
            if count_col is not None and ops and ops[0].kind == "item":
                path[0] = int(path[0]) + 1  # an earlier item of the same sequence
            elif count_col is not None and ops and ops[0].kind == "key" and not ops[0].rest:
                # `key:` then `- x` at the same column: the sequence is that key's value
                path.insert(0, ops[0].name)
                count_col = None
            continue
        if not ops:
            return None  # continuation of a multi-line scalar: no structure to follow
        left = [o for o in ops if o.col < limit]
        if left[-1].kind == "key" and left[-1].rest and left[-1].rest[0] not in "&!":
            # below `key: value` (a block scalar's text, or a plain scalar's next line)
            return None
        names: List[Part] = [o.name if o.kind == "key" else 0 for o in left]
        path[0:0] = names
        count_col = col if ops[0].kind == "item" else None
        limit = col
    return path


def _siblings(lines: Sequence[str], line0: int, col: int) -> Tuple[str, ...]:
    """Keys written at column ``col`` in the same mapping as line ``line0``."""
    out: List[str] = []
    for step in (-1, 1):
        ln = line0 + step
        while 0 <= ln < len(lines):
            c = _content(lines[ln])
            if c is not None:
                if c < col:
                    break
                ops = [o for o in openers(lines[ln]) if o.col == col]
                if ops and ops[0].kind == "item":
                    break
                if ops and ops[0].kind == "key":
                    out.append(ops[0].name)
            ln += step
    return tuple(out)


_TEMPLATE = re.compile(r"<<\s*([A-Za-z0-9_.-]*)$")
_FLOW = re.compile(r"\[([^\[\]]*)$")


def _typed_path(lines: Sequence[str], line0: int, before: str
                ) -> Optional[Tuple[List[Part], List[Opener], int]]:
    """The path to what the text ``before`` the cursor opens, its openers, and the
    column of its first character."""
    col = _content(before)
    if col is None:
        return None
    ops = openers(before)
    items = [o for o in ops if o.kind == "item"]
    path = _ancestors(lines, line0, col, bool(items))
    if path is None:
        return None
    path.extend(0 for _ in items[1:])
    return path, ops, col


def context_at(lines: Sequence[str], line0: int, col0: int) -> Optional[Context]:
    """The completion context at 0-based ``line0``/``col0``, or ``None`` (a comment, a
    block scalar, a place indentation cannot explain)."""
    if not 0 <= line0 < len(lines):
        return None
    line = lines[line0]
    before = line[:col0]
    m = _TEMPLATE.search(before)
    if m is not None:
        typed = _typed_path(lines, line0, before)
        path: List[Part] = []
        if typed is not None:
            path, ops, _ = typed
            key = next((o for o in reversed(ops) if o.kind == "key"), None)
            if key is not None:
                path.append(key.name)
        return Context(tuple(path), "template", m.group(1), m.start(1))
    if re.search(r"(^|\s)#", before):
        return None
    typed = _typed_path(lines, line0, before)
    if typed is None:  # an empty line: a key of the mapping at the cursor's column
        path_ = _ancestors(lines, line0, col0, False)
        if path_ is None:
            return None
        return Context(tuple(path_), "key", "", col0, _siblings(lines, line0, col0))
    path, ops, first_col = typed
    items = [o for o in ops if o.kind == "item"]
    key = next((o for o in reversed(ops) if o.kind == "key"), None)
    if key is not None:
        path.append(key.name)
        flow = _FLOW.search(key.rest) if "[" in key.rest else None
        if flow is not None:
            word = re.split(r"[,\s]", flow.group(1))[-1]
            return Context(tuple(path), "flow", word.strip("'\""), col0 - len(word))
        word = key.rest
        if word.startswith(("{", "[", "|", ">", "&", "*")):
            return None
        if word.startswith(("'", '"')):
            word = word[1:]
        return Context(tuple(path), "value", word, col0 - len(word))
    word = before[items[-1].col + 1:].lstrip() if items else before[first_col:]
    start = col0 - len(word)
    if not re.fullmatch(r"[A-Za-z0-9_./@-]*", word):
        return None
    if items:
        return Context(tuple(path), "item", word, start)
    return Context(tuple(path), "key", word, start, _siblings(lines, line0, start))
