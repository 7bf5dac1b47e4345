"""Human views of a diagnostic: the canonical line plus the source line with a caret.

Kept free of colour libraries so the core import stays light; `rich` output lives in the
optional reporting extra.
"""

from __future__ import annotations

from typing import Sequence

from .diagnostic import Diagnostic

__all__ = ["render_snippet", "render_text"]




def render_snippet(diag: Diagnostic, lines: Sequence[str]) -> str:
    """Return ``  12 | source line`` and a caret line under the diagnostic's span.

    ``lines`` is the source split into lines (without newlines). Tabs in the source line are
    echoed in the caret line's padding so the caret stays aligned in any terminal.
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
    pad = "".join("\t" if ch == "\t" else " " for ch in src[:col0])
    marker = "^" + "~" * (width - 1)
    return f"{gutter}{src}\n{' ' * (len(gutter) - 2)}| {pad}{marker}"


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
