"""Colour for the text view of diagnostics: ANSI escapes written by hand, because a colour
library costs more start-up time than a whole ``validate`` of a small config, and four
colours need no library. Whether to colour (a terminal, ``NO_COLOR``, ``--color``) is the
command's decision; this module only paints.

Stripped of its escapes, a painted line is exactly the plain one, so what a person sees in
colour is what a script reads without it.
"""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic, Severity

__all__ = ["ANSI_RE", "diagnostic_line", "hint_line", "paint", "snippet", "summary_line"]

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
RED = "\x1b[31m"
GREEN = "\x1b[32m"
YELLOW = "\x1b[33m"
BLUE = "\x1b[34m"
CYAN = "\x1b[36m"
#: one SGR escape sequence (what this module writes)
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")

_SEVERITY = {Severity.ERROR: BOLD + RED, Severity.WARNING: BOLD + YELLOW,
             Severity.INFO: BOLD + BLUE}


def paint(text: str, style: str) -> str:
    return f"{style}{text}{RESET}" if text else text


def diagnostic_line(d: Diagnostic) -> str:
    """``path:line:col: severity: message [code]`` with the place in bold, the severity in
    its colour and the code dimmed."""
    return (f"{paint(f'{d.path}:{d.line}:{d.column}:', BOLD)} "
            f"{paint(f'{d.severity}:', _SEVERITY[d.severity])} {d.message} "
            f"{paint(f'[{d.code}]', DIM)}")


def snippet(text: str, severity: Severity) -> str:
    """The source line and its caret line (``render_snippet``): gutters dimmed, the caret
    in the severity's colour."""
    out = []
    for i, line in enumerate(text.split("\n")):
        gutter, bar, rest = line.partition("| ")
        if not bar:
            out.append(line)
        elif i == 1:  # the caret line
            pad = rest[: len(rest) - len(rest.lstrip(" \t"))]
            out.append(paint(gutter + bar, DIM) + pad
                       + paint(rest.lstrip(" \t"), _SEVERITY[severity]))
        else:
            out.append(paint(gutter + bar, DIM) + rest)
    return "\n".join(out)


def hint_line(text: str) -> str:
    return paint(text, CYAN)


def summary_line(text: str, errors: int, warnings: int) -> str:
    style = BOLD + (RED if errors else YELLOW if warnings else GREEN)
    return paint(text, style)
