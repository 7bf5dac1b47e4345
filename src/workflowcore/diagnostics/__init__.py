"""Layer 0: positions and diagnostics. Standard library only."""

from .diagnostic import Diagnostic, Severity, sort_diagnostics
from .position import Position, Span
from .render import render_snippet, render_text

__all__ = ["Diagnostic", "Position", "Severity", "Span", "render_snippet", "render_text",
           "sort_diagnostics"]
