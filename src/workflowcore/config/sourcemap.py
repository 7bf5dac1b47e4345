"""Where each piece of loaded data came from in the source text.

The loader builds, beside the plain data, a light *position tree* that mirrors it: for a
mapping, the marks of every key and the position node of every value; for a sequence, the
position node of every item; for a scalar, its start and end marks. Models stay plain data
(no positions inside them); checks and error translators ask the :class:`SourceMap` for the
span of a *loc* tuple such as ``("jobs", "build", "steps", 2, "run")`` — the same tuples
pydantic reports in its validation errors.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple, Union

from ..diagnostics import Diagnostic, Position, Severity, Span

__all__ = ["PMap", "PScalar", "PSeq", "SourceMap"]


class _Mark:
    """A 0-based (line, column) mark; duck-types PyYAML's ``Mark`` for synthetic positions."""

    __slots__ = ("column", "line")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


class PScalar:
    """Position of a scalar (or alias/flow leaf): start and end marks (0-based)."""

    __slots__ = ("end", "start")

    def __init__(self, start: Any, end: Any) -> None:
        self.start = start
        self.end = end


class PMap:
    """Position of a mapping: its own marks and, per key, ``(key_start, key_end, value_pos)``."""

    __slots__ = ("end", "keys", "start")

    def __init__(self, start: Any) -> None:
        self.start = start
        self.end = start
        self.keys: Dict[str, Tuple[Any, Any, PNode]] = {}


class PSeq:
    """Position of a sequence: its own marks and the position of each item."""

    __slots__ = ("end", "items", "start")

    def __init__(self, start: Any) -> None:
        self.start = start
        self.end = start
        self.items: List[PNode] = []


PNode = Union[PScalar, PMap, PSeq]

Loc = Sequence[Union[str, int]]


def _span(start: Any, end: Any) -> Span:
    s = Position(start.line + 1, start.column + 1)
    e = Position(end.line + 1, end.column + 1)
    if e <= s:
        e = Position(s.line, s.column + 1)
    return Span(s, e)


class SourceMap:
    """Answers "where is this loc in the file?" for diagnostics.

    ``span(loc)`` walks the position tree along ``loc``. A part that does not exist at that
    level (a pydantic union tag, a key the user did not write) is skipped, so every loc lands
    on the closest thing the user actually wrote. ``key=True`` gives the span of the last
    mapping *key* on the path instead of its value, which is where a person looks for an
    unknown or misspelt key.
    """

    __slots__ = ("_lines", "path", "root", "text")

    def __init__(self, root: PNode | None, path: str = "<string>", text: str = "") -> None:
        self.root = root
        self.path = path
        self.text = text
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        """The source split into lines (cached), for rendering snippets."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def _walk(self, loc: Loc) -> tuple[PNode | None, tuple[Any, Any] | None]:
        node = self.root
        key_marks: tuple[Any, Any] | None = None
        for part in loc:
            if isinstance(node, PMap):
                entry = node.keys.get(part) if isinstance(part, str) else None
                if entry is None and not isinstance(part, str):
                    entry = node.keys.get(str(part))
                if entry is not None:
                    key_marks = (entry[0], entry[1]) if entry[0] is not None else None
                    node = entry[2]
                continue
            if isinstance(node, PSeq) and isinstance(part, int) and not isinstance(part, bool):
                if 0 <= part < len(node.items):
                    node = node.items[part]
                    key_marks = None
                continue
        return node, key_marks

    def span(self, loc: Loc = (), *, key: bool = False) -> Span:
        """Span of the value at ``loc`` (or of its mapping key with ``key=True``)."""
        node, key_marks = self._walk(loc)
        if key and key_marks is not None:
            return _span(*key_marks)
        if node is None:
            return Span(Position(1, 1), Position(1, 2))
        if isinstance(node, PScalar):
            return _span(node.start, node.end)
        # A container: point at its first line only; a whole block is unreadable as a caret.
        start = node.start
        end = node.end
        if end.line != start.line:
            line_len = len(self.lines[start.line]) if start.line < len(self.lines) else 0
            end = _Mark(start.line, max(line_len, start.column + 1))
        return _span(start, end)

    def written(self, loc: Loc) -> str | None:
        """The text of the scalar at ``loc`` as the file writes it (``off``, ``"off"``,
        ``!!bool off``), an anchor before it left out; ``None`` for a container, a scalar that spans
        lines, or a loc that is not in the file.

        Values keep no trace of their spelling (``off`` and ``false`` are both ``False``);
        a check that must tell them apart (YAML 1.1 booleans probably meant as text) reads
        the spelling here, only for the few values it asks about.
        """
        if not self.has(loc):
            return None
        node, _ = self._walk(loc)
        if not isinstance(node, PScalar) or node.start.line != node.end.line:
            return None
        lines = self.lines
        if node.start.line >= len(lines):
            return None
        text: str = lines[node.start.line][node.start.column : node.end.column]
        if text[:1] == "&":  # `&anchor off`
            _, _, text = text.partition(" ")
            text = text.lstrip()
        return text

    def has(self, loc: Loc) -> bool:
        """True when every part of ``loc`` exists in the source (no part was skipped)."""
        node = self.root
        for part in loc:
            if isinstance(node, PMap) and isinstance(part, str) and part in node.keys:
                node = node.keys[part][2]
            elif isinstance(node, PSeq) and isinstance(part, int) and 0 <= part < len(node.items):
                node = node.items[part]
            else:
                return False
        return True

    def diagnostic(
        self,
        loc: Loc,
        code: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        hint: str | None = None,
        key: bool = False,
    ) -> Diagnostic:
        """A diagnostic positioned at ``loc`` in this file."""
        sp = self.span(loc, key=key)
        return Diagnostic(
            code=code,
            message=message,
            severity=severity,
            path=self.path,
            line=sp.start.line,
            column=sp.start.column,
            end_line=sp.end.line,
            end_column=sp.end.column,
            hint=hint,
        )
