"""Small helpers shared by the check families."""

from __future__ import annotations

import difflib
from typing import Iterable

__all__ = ["did_you_mean", "quote_list"]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean 'x'?" hint for a near miss, or ``None``."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.75)
    return f"did you mean '{matches[0]}'?" if matches else None


def quote_list(items: Iterable[str]) -> str:
    return ", ".join(f"'{i}'" for i in items)
