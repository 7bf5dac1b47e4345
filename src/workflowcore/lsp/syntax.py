"""The document as written: every node with its position, aliases and anchors included.

The loader's :class:`~workflowcore.config.sourcemap.SourceMap` answers "where is this
loc?" for the *data* (merges applied, aliases resolved to their anchor's node). An editor
asks the reverse, "what is under the cursor?", about the *text*: the alias ``*defaults``
itself, the ``<<`` key, the key or the value of a pair. This module reads the YAML event
stream once (the libyaml C parser when present) into a light tree of written nodes, and
answers the reverse question by descending from the root with a binary search among each
node's children: ``O(depth · log width)`` per query, ``O(n)`` to build, so no request on
a large document costs more than reading it once.

A document with a syntax error still yields the nodes read before the error (an editor's
document is broken most of the time while typing); containers left open are closed at the
error's position.
"""

from __future__ import annotations

import bisect
from typing import Any, Dict, List, Optional, Tuple, Union

import yaml
from yaml import events as ev

__all__ = ["Hit", "SNode", "SyntaxTree", "parse_syntax"]

try:  # the libyaml C parser, when PyYAML was built with it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Point = Tuple[int, int]  # 0-based (line, code point column)
Part = Union[str, int]


class SNode:
    """One written node: ``kind`` is ``map``, ``seq``, ``scalar`` or ``alias``.

    ``value`` is a scalar's text (not resolved: ``off`` stays ``"off"``) or an alias's
    anchor name; ``pairs`` the (key, value) nodes of a mapping and ``items`` the nodes of a
    sequence, both in document order; ``plain`` tells an unquoted scalar.
    """

    __slots__ = ("_starts", "anchor", "end", "items", "kind", "pairs", "plain", "start",
                 "value")

    def __init__(self, kind: str, start: Point, end: Point, value: str = "",
                 anchor: Optional[str] = None, plain: bool = False) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.value = value
        self.anchor = anchor
        self.plain = plain
        self.pairs: List[Tuple[SNode, SNode]] = []
        self.items: List[SNode] = []
        self._starts: Optional[List[Point]] = None

    def child_starts(self) -> List[Point]:
        """Start of each key (a mapping) or item (a sequence), computed once, for the
        binary search of :meth:`SyntaxTree.at`."""
        if self._starts is None:
            self._starts = ([k.start for k, _ in self.pairs] if self.kind == "map"
                            else [item.start for item in self.items])
        return self._starts

    def __repr__(self) -> str:
        return f"SNode({self.kind} {self.value!r} {self.start}-{self.end})"

    def contains(self, p: Point) -> bool:
        """``p`` is inside the node; a scalar also holds the point just past its end (the
        cursor at the end of a word is on the word)."""
        if self.kind in ("scalar", "alias"):
            return self.start <= p <= self.end
        return self.start <= p < self.end

    def get(self, key: str) -> Optional[SNode]:
        """The value node of ``key`` in a mapping (the last written, as YAML keeps)."""
        found = None
        for k, v in self.pairs:
            if k.kind == "scalar" and k.value == key:
                found = v
        return found


class Hit:
    """What is at a position: the written ``path`` (keys and indices, ``<<`` included),
    the innermost ``node`` there, whether the point is on a mapping key (``on_key``; the
    key's node is ``key``), and the chain of container nodes from the root (``parents``).
    """

    __slots__ = ("key", "node", "on_key", "parents", "path")

    def __init__(self, path: Tuple[Part, ...], node: Optional[SNode], on_key: bool,
                 key: Optional[SNode], parents: List[SNode]) -> None:
        self.path = path
        self.node = node
        self.on_key = on_key
        self.key = key
        self.parents = parents

    def __repr__(self) -> str:
        return f"Hit({self.path!r}, {self.node!r}, on_key={self.on_key})"

    @property
    def data_loc(self) -> Tuple[Part, ...]:
        """``path`` as a data loc: merge keys (``<<``) and their index dropped, since the
        merged keys belong to the mapping that merges them."""
        out: List[Part] = []
        skip = False
        for part in self.path:
            if part == "<<":
                skip = True
                continue
            if skip and isinstance(part, int):
                skip = False
                continue
            skip = False
            out.append(part)
        return tuple(out)


class SyntaxTree:
    """The written nodes of one document, its anchors and aliases, and where reading
    stopped on a syntax error (``error``)."""

    __slots__ = ("aliases", "anchors", "error", "root")

    def __init__(self) -> None:
        self.root: Optional[SNode] = None
        #: anchor name → every node defining it, in document order (YAML 1.1 lets a later
        #: definition replace an earlier one for the aliases after it)
        self.anchors: Dict[str, List[SNode]] = {}
        #: every alias node with the definition it refers to (``None``: undefined)
        self.aliases: List[Tuple[SNode, Optional[SNode]]] = []
        self.error: Optional[Point] = None

    def at(self, line0: int, col0: int) -> Hit:
        """What is at 0-based ``line0``/``col0`` (see :class:`Hit`)."""
        p = (line0, col0)
        node = self.root
        path: List[Part] = []
        parents: List[SNode] = []
        if node is None or not (node.contains(p) or p >= node.start):
            return Hit((), None, False, None, [])
        while node is not None:
            if node.kind == "map":
                parents.append(node)
                i = bisect.bisect_right(node.child_starts(), p) - 1
                if i < 0:
                    return Hit(tuple(path), node, False, None, parents)
                key, value = node.pairs[i]
                name: Part = key.value if key.kind == "scalar" else "<complex>"
                if p <= key.end and key.kind in ("scalar", "alias"):
                    return Hit((*path, name), value, True, key, parents)
                if value.contains(p):
                    path.append(name)
                    if value.kind in ("scalar", "alias"):
                        return Hit(tuple(path), value, False, key, parents)
                    node = value
                    continue
                if p < value.start or (value.kind == "scalar" and p[0] == key.end[0]):
                    # between `key:` and its value (or after an empty value on that line)
                    return Hit((*path, name), value, False, key, parents)
                return Hit(tuple(path), node, False, None, parents)
            if node.kind == "seq":
                parents.append(node)
                i = bisect.bisect_right(node.child_starts(), p) - 1
                if i < 0 or not node.items[i].contains(p):
                    return Hit(tuple(path), node, False, None, parents)
                path.append(i)
                item = node.items[i]
                if item.kind in ("scalar", "alias"):
                    return Hit(tuple(path), item, False, None, parents)
                node = item
                continue
            break
        return Hit(tuple(path), node, False, None, parents)

    def node_at(self, path: Tuple[Part, ...]) -> Optional[SNode]:
        """The written node at ``path`` (keys and indices as in :attr:`Hit.path`)."""
        node = self.root
        for part in path:
            if node is None:
                return None
            if node.kind == "map" and isinstance(part, str):
                node = node.get(part)
            elif node.kind == "seq" and isinstance(part, int) and 0 <= part < len(node.items):
                node = node.items[part]
            else:
                return None
        return node

    def anchor_for(self, alias: SNode) -> Optional[SNode]:
        """The definition an alias node refers to."""
        for a, target in self.aliases:
            if a is alias:
                return target
        return None


class _Frame:
    __slots__ = ("key", "node")

    def __init__(self, node: SNode) -> None:
        self.node = node
        self.key: Optional[SNode] = None


def _pt(mark: Any) -> Point:
    return (mark.line, mark.column)


def parse_syntax(text: str) -> SyntaxTree:
    """Read ``text`` into a :class:`SyntaxTree` (never raises for bad YAML)."""
    tree = SyntaxTree()
    stack: List[_Frame] = []
    loader = _Loader(text)

    def attach(node: SNode) -> None:
        if not stack:
            if tree.root is None:
                tree.root = node
            return
        frame = stack[-1]
        parent = frame.node
        if parent.kind == "seq":
            parent.items.append(node)
        elif frame.key is None:
            frame.key = node
        else:
            parent.pairs.append((frame.key, node))
            frame.key = None

    def define(node: SNode) -> None:
        if node.anchor is not None:
            tree.anchors.setdefault(node.anchor, []).append(node)

    documents = 0
    try:
        while True:
            e: Any = loader.get_event()
            if e is None:
                break
            cls = e.__class__
            if cls is ev.ScalarEvent:
                node = SNode("scalar", _pt(e.start_mark), _pt(e.end_mark), e.value, e.anchor,
                             plain=not e.style)
                define(node)
                attach(node)
            elif cls is ev.MappingStartEvent or cls is ev.SequenceStartEvent:
                kind = "map" if cls is ev.MappingStartEvent else "seq"
                node = SNode(kind, _pt(e.start_mark), _pt(e.start_mark), anchor=e.anchor)
                define(node)
                attach(node)
                stack.append(_Frame(node))
            elif cls is ev.MappingEndEvent or cls is ev.SequenceEndEvent:
                frame = stack.pop()
                frame.node.end = _pt(e.end_mark)
            elif cls is ev.AliasEvent:
                node = SNode("alias", _pt(e.start_mark), _pt(e.end_mark), e.anchor or "")
                defs = tree.anchors.get(e.anchor or "")
                tree.aliases.append((node, defs[-1] if defs else None))
                attach(node)
            elif cls is ev.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    break
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        tree.error = _pt(mark) if mark is not None else (0, 0)
        # close what was open at the error, so the part read so far can be queried
        end = tree.error
        for frame in stack:
            frame.node.end = max(end, frame.node.start)
            if frame.key is not None and frame.node.kind == "map":
                frame.node.pairs.append((frame.key, SNode("scalar", frame.key.end,
                                                          frame.key.end)))
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    return tree
