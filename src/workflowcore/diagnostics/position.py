"""Source positions.

Lines and columns are 1-based, as editors, compilers and SARIF count them. Columns count
characters (code points), not bytes, so a diagnostic on a line with non-ASCII text still
points under the right character.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Position", "Span"]


class Position(NamedTuple):
    """A 1-based (line, column) point in a text."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class Span(NamedTuple):
    """A half-open range ``[start, end)`` of a text; ``end`` is just past the last character."""

    start: Position
    end: Position

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        """A one-character span, for problems that sit at a single character."""
        return cls(Position(line, column), Position(line, column + 1))
