"""Human views of a diagnostic: the canonical line plus the source line with a caret.

Kept free of colour libraries so the core import stays light; `rich` output lives in the
optional reporting extra.
"""

from __future__ import annotations

from typing import Sequence

from .diagnostic import Diagnostic

__all__ = ["SNIPPET_WIDTH", "render_snippet", "render_text"]

#: At most this many characters of a source line are shown under a diagnostic; a longer
#: line (a minified config can be one 50 KB line) is cut to a window around the caret.
SNIPPET_WIDTH = 120
_CUT = "..."


def _window(length: int, col0: int) -> tuple[int, int]:
    """``[lo, hi)`` of at most :data:`SNIPPET_WIDTH` characters that holds ``col0``, with a
    third of the width before it for context (less at the end of the line)."""
    if length <= SNIPPET_WIDTH:
        return 0, length
    lo = max(0, col0 - SNIPPET_WIDTH // 3)
    hi = min(length, lo + SNIPPET_WIDTH)
    return max(0, hi - SNIPPET_WIDTH), hi


def render_snippet(diag: Diagnostic, lines: Sequence[str]) -> str:
    """Return ``  12 | source line`` and a caret line under the diagnostic's span.

    ``lines`` is the source split into lines (without newlines). Tabs in the source line are
    echoed in the caret line's padding so the caret stays aligned in any terminal. A line
    longer than :data:`SNIPPET_WIDTH` is shown as a window around the caret, with ``...``
    where it was cut, so one diagnostic never prints a whole minified file.
    """
    if not 1 <= diag.line <= len(lines):
        return ""
    src = lines[diag.line - 1].rstrip("\r")
    gutter = f"{diag.line:>4} | "
    col0 = min(max(diag.column - 1, 0), len(src))
    if diag.end_line == diag.line:
        width = max(diag.end_column - diag.column, 1)
    else:
        width = max(len(src) - col0, 1)
    width = max(min(width, max(len(src) - col0, 1)), 1)
    lo, hi = _window(len(src), col0)
    width = max(min(width, hi - col0), 1)
    head = _CUT if lo > 0 else ""
    shown = head + src[lo:hi] + (_CUT if hi < len(src) else "")
    pad = " " * len(head) + "".join("\t" if ch == "\t" else " " for ch in src[lo:col0])
    marker = "^" + "~" * (width - 1)
    return f"{gutter}{shown}\n{' ' * (len(gutter) - 2)}| {pad}{marker}"


def render_text(diags: Sequence[Diagnostic], sources: dict[str, Sequence[str]] | None = None,
                snippets: bool = True) -> str:
    """Render diagnostics as canonical lines, each followed by its snippet when available."""
    out: list[str] = []
    for d in diags:
        out.append(str(d))
        if d.hint:
            out.append(f"    hint: {d.hint}")
        if snippets and sources is not None and d.path in sources:
            snip = render_snippet(d, sources[d.path])
            if snip:
                out.append(snip)
    return "\n".join(out) + ("\n" if out else "")
