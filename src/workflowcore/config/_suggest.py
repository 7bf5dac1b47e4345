"""Near-miss suggestions ("did you mean 'requires'?"), one implementation for every layer.

The checks, the schema translator and the compiler all suggest the closest known name for a
misspelt one; they share this module so that the same typo gets the same suggestion
wherever it is reported.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

__all__ = ["close_match", "did_you_mean"]

#: How similar a word must be (difflib ratio) to count as a typo of a known name. 0.75 accepts
#: one or two swapped or dropped letters in words of six or more letters (``requries``,
#: ``comand``, ``imgae``) and rejects unrelated short words.
CUTOFF = 0.75


def _may_match(word: str, letters: Counter[str], name: str, cutoff: float) -> bool:
    """difflib's own upper bound of the similarity of ``word`` and ``name`` (its
    ``quick_ratio``: the letters they share, in any order) reaches ``cutoff``."""
    total = len(word) + len(name)
    return total > 0 and 2.0 * sum((letters & Counter(name)).values()) / total >= cutoff


def close_match(word: str, candidates: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The known name ``word`` is most probably a typo of, or ``None``.

    Candidates that cannot reach ``cutoff`` are dropped first, by the bound difflib itself
    applies before its exact ratio; if none is left, difflib (~1 ms to import on a cold
    start, where most unknown names, such as a ``defaults:`` key holding anchors, are no
    typo of anything) is not needed."""
    letters = Counter(word)
    names = sorted({c for c in candidates if c != word and _may_match(word, letters, c, cutoff)})
    if not names:
        return None
    import difflib

    matches = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """A "did you mean 'x'?" hint for a near miss, or ``None``."""
    near = close_match(word, candidates, cutoff)
    return f"did you mean '{near}'?" if near is not None else None
