"""The one diagnostic record that every check produces and every view renders.

A diagnostic is plain, immutable data: it holds no reference to the YAML, the models or the
source text, so it can be sent across processes (the language server, a CI annotation) and
compared in tests. The canonical one-line form is ``path:line:col: severity: message [code]``.
"""

from __future__ import annotations

import enum
from typing import Any, Iterable, List, NamedTuple, Sequence

from .position import Position, Span

__all__ = ["Diagnostic", "Findings", "Severity", "sort_diagnostics"]


class Severity(str, enum.Enum):
    """How bad a finding is. Only errors make a config invalid (and `validate` exit 1)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class _Fields(NamedTuple):
    code: str
    message: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    hint: str | None
    related: tuple[str, ...]


class Diagnostic(_Fields):
    """One finding about a config, positioned in its source.

    ``code`` is a stable kebab-case identifier (``requires-unknown``); tools key on it, so it
    never changes meaning. ``hint`` says how to fix the problem when that is not obvious from
    the message. ``line``/``column`` are 1-based; ``end_line``/``end_column`` point just past
    the span (exclusive), so a one-character span has ``end_column == column + 1``.

    An immutable named tuple (not a dataclass: creating dataclasses costs a cold
    ``workflowcore validate`` ~18 ms, docs/dev/cold-start.md); :meth:`replace` makes a
    changed copy, as ``dataclasses.replace`` did.
    """

    __slots__ = ()

    def __new__(cls, code: str, message: str, severity: Severity = Severity.ERROR,
                path: str = "<string>", line: int = 1, column: int = 1, end_line: int = 0,
                end_column: int = 0, hint: str | None = None,
                related: tuple[str, ...] = ()) -> Diagnostic:
        # An absent end means "just this character": keeps every diagnostic renderable.
        if end_line < line or (end_line == line and end_column <= column):
            end_line, end_column = line, column + 1
        return super().__new__(cls, code, message, severity, path, line, column, end_line,
                               end_column, hint, related)

    def replace(self, **changes: Any) -> Diagnostic:
        """A copy with ``changes``; the end is normalised again, as on creation."""
        return Diagnostic(**{**self._asdict(), **changes})

    _replace = replace

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def start(self) -> Position:
        return Position(self.line, self.column)

    @property
    def span(self) -> Span:
        return Span(Position(self.line, self.column), Position(self.end_line, self.end_column))

    def __str__(self) -> str:
        return (f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message} "
                f"[{self.code}]")

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape (documented in docs/diagnostics.md)."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        return (self.path, self.line, self.column, _SEVERITY_RANK[self.severity], self.code,
                self.message)


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by place, then severity, and drop exact duplicates (aliases repeat findings)."""
    seen: set[Diagnostic] = set()
    out: list[Diagnostic] = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


class Findings:
    """``errors`` and ``warnings`` of a result that holds ``diagnostics`` (a load, a compile,
    a packed or validated orb): one definition for every such result."""

    __slots__ = ()
    diagnostics: Sequence[Diagnostic]

    @property
    def errors(self) -> List[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> List[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]
