"""SARIF rule descriptions, taken from docs/diagnostics.md (and docs/orbs.md, where the
orb packing and orb-file codes have their sections).

Each code's section there opens with a paragraph saying what the problem is and why it
matters; that paragraph is the rule's description and help in SARIF output (code scanning
shows it beside each finding). It is read from the documentation shipped in the package
(:mod:`workflowcore._docs`) rather than copied into the code, so the page stays the one
place to edit, and ``tests/reporting/test_sarif_rules.py`` checks every code has one. The
project has no public site, so rules carry the text itself instead of a ``helpUri``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, NamedTuple, Optional

from .._docs import docs_dir

__all__ = ["RuleText", "rule_text"]

_SECTION = re.compile(r"^### `([a-z0-9-]+)`[ \t]*$", re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")


class RuleText(NamedTuple):
    """A code's description: its first sentence and the whole opening paragraph(s)."""

    short: str
    full: str


def _prose(section: str) -> str:
    """The section's text before its first example (a code fence) or sub-heading."""
    out = []
    for line in section.splitlines():
        if line.startswith(("```", "#")):
            break
        out.append(line)
    paragraphs = [" ".join(p.split()) for p in "\n".join(out).split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


#: the pages with a ``### `code` `` section per diagnostic code, the first one winning
_PAGES = ("diagnostics.md", "orbs.md")


@lru_cache(maxsize=1)
def _all_rules() -> Dict[str, RuleText]:
    folder = docs_dir()
    rules: Dict[str, RuleText] = {}
    for page in _PAGES:
        try:
            if folder is None:
                break
            text = (folder / page).read_text(encoding="utf-8")
        except OSError:
            continue
        marks = list(_SECTION.finditer(text))
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            full = _prose(text[m.end():end])
            if full and m.group(1) not in rules:
                first = _SENTENCE_END.split(full.split("\n\n")[0], maxsplit=1)[0]
                rules[m.group(1)] = RuleText(first, full)
    return rules


def rule_text(code: str) -> Optional[RuleText]:
    """The documented description of ``code`` (``None``: not documented, or no docs)."""
    return _all_rules().get(code)
