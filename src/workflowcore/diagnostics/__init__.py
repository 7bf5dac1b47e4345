"""Layer 0: positions and diagnostics. Standard library only."""

from .diagnostic import Diagnostic, Findings, Severity, sort_diagnostics
from .position import Position, Span
from .render import render_snippet, render_text

__all__ = ["Diagnostic", "Findings", "Position", "Severity", "Span", "render_snippet",
           "render_text", "sort_diagnostics"]
