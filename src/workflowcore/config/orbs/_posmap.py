"""From a position in packed orb text back to the source file that wrote it.

Checks run on the packed orb (its YAML text read back, with a source map), so what they
report is positioned in text that exists nowhere on disk. Each such diagnostic is moved to
the file the part came from: the position becomes the deepest node of the packed text that
holds it (its loc), the loc becomes a file and a loc in it through the pack's origins, and
that loc a span in the file. Inside a one-line scalar written the same way in both, the
column offset is kept; a value that came from an include points at its include statement.
"""

from __future__ import annotations

import os
import re
from typing import Any, List, Optional, Tuple

from ...diagnostics import Diagnostic
from ..sourcemap import PMap, PNode, PScalar, PSeq, SourceMap
from ._pack import PackResult

__all__ = ["locate", "relocate"]

Loc = Tuple[Any, ...]
#: A place a message names: "first defined at line 3", "(line 8)", "invoked at 26:7".
_LINE_REF = re.compile(r"\bline (\d+)\b|\binvoked at (\d+):(\d+)\b")


def _mark(m: Any) -> Tuple[int, int]:
    return (m.line, m.column)


def _holds(node: PNode, p: Tuple[int, int]) -> bool:
    start, end = _mark(node.start), _mark(node.end)
    return start <= p < end or p == start


def locate(sm: SourceMap, line: int, column: int) -> Tuple[Loc, bool, Optional[PNode]]:
    """``(loc, on_key, node)``: the deepest node of ``sm`` holding 1-based ``line:column``,
    and whether the point is on the mapping key of that loc rather than its value."""
    p = (line - 1, column - 1)
    node: Optional[PNode] = sm.root
    loc: List[Any] = []
    while node is not None:
        if isinstance(node, PMap):
            nxt: Optional[Tuple[Any, PNode]] = None
            for k, (ks, ke, vpos) in node.keys.items():
                if ks is not None and _mark(ks) <= p < _mark(ke):
                    return (*loc, k), True, vpos
                if _holds(vpos, p):
                    nxt = (k, vpos)
                    break
            if nxt is None:
                break
            loc.append(nxt[0])
            node = nxt[1]
        elif isinstance(node, PSeq):
            found = next(((i, it) for i, it in enumerate(node.items) if _holds(it, p)), None)
            if found is None:
                break
            loc.append(found[0])
            node = found[1]
        else:
            break
    return tuple(loc), False, node


def _value_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        in_map = isinstance(data, dict) and part in data
        if in_map or (isinstance(data, list) and isinstance(part, int)
                      and 0 <= part < len(data)):
            data = data[part]
        else:
            return None
    return data


def _base(sm: SourceMap, node: Any, value: str) -> Optional[int]:
    """1-based column where ``value`` starts inside the one-line scalar ``node`` as written
    (plain, or in simple quotes), else ``None``."""
    if node.start.line != node.end.line or node.start.line >= len(sm.lines):
        return None
    raw = sm.lines[node.start.line][node.start.column:node.end.column]
    if raw == value:
        return int(node.start.column) + 1
    if len(raw) == len(value) + 2 and raw[:1] in "'\"" and raw[1:-1] == value:
        return int(node.start.column) + 2
    return None


def _file_node(sm: SourceMap, loc: Loc) -> Optional[PNode]:
    node: Optional[PNode] = sm.root
    for part in loc:
        if isinstance(node, PMap) and part in node.keys:
            node = node.keys[part][2]
        elif isinstance(node, PSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        else:
            return None
    return node


def relocate(d: Diagnostic, packed: SourceMap, data: Any, pack: PackResult) -> Diagnostic:
    """``d`` (positioned in the packed text ``packed`` of ``data``) moved to its source."""
    if d.path != packed.path:
        return d
    loc, on_key, node = locate(packed, d.line, d.column)
    o = pack.origin(loc)
    if o is None:
        return d.replace(path=pack.path, line=1, column=1, end_line=0, end_column=0)
    message = _LINE_REF.sub(lambda m: _source_line(m, packed, pack, o.path), d.message)
    included = pack.included_from(loc)
    if included is not None:
        message += f" (in the text included from {os.path.relpath(included, pack.path)})"
    sm = pack.files.get(o.path)
    if sm is None:  # a section folder
        return d.replace(path=o.path, message=message, line=1, column=1, end_line=0,
                         end_column=0)
    sp = sm.span(o.loc, key=on_key)
    line, col, eline, ecol = sp.start.line, sp.start.column, sp.end.line, sp.end.column
    value = _value_at(data, loc)
    if (not on_key and isinstance(node, PScalar) and isinstance(value, str)
            and d.line == d.end_line and (d.line, d.column) != (node.start.line + 1,
                                                                 node.start.column + 1)):
        src = _file_node(sm, o.loc)
        pbase = _base(packed, node, value)
        sbase = _base(sm, src, value) if isinstance(src, PScalar) else None
        if pbase is not None and sbase is not None and src is not None:
            line = eline = int(src.start.line) + 1
            col = sbase + (d.column - pbase)
            ecol = col + max(1, d.end_column - d.column)
    return d.replace(path=o.path, message=message, line=line, column=col, end_line=eline,
                     end_column=ecol)


def _source_line(m: re.Match[str], packed: SourceMap, pack: PackResult, here: str) -> str:
    """``line N`` (or ``invoked at N:C``) of the packed text, as the place in the source
    file that wrote it."""
    at = m.group(2) is not None
    n = int(m.group(2) if at else m.group(1))
    if not 1 <= n <= len(packed.lines):
        return m.group(0)
    text = packed.lines[n - 1]
    col = int(m.group(3)) if at else len(text) - len(text.lstrip(" -")) + 1
    loc, on_key, _ = locate(packed, n, col)
    o = pack.origin(loc)
    sm = pack.files.get(o.path) if o is not None else None
    if o is None or sm is None:
        return m.group(0)
    start = sm.span(o.loc, key=on_key).start
    other = "" if o.path == here else os.path.relpath(o.path, pack.path)
    if at:
        return f"invoked at {other + ':' if other else ''}{start.line}:{start.column}"
    return f"line {start.line}" + (f" of {other}" if other else "")
