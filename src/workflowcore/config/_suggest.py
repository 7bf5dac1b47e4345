"""Near-miss suggestions ("did you mean 'requires'?"), one implementation for every layer.

The checks, the schema translator and the compiler all suggest the closest known name for a
misspelt one; they share this module so that the same typo gets the same suggestion
wherever it is reported.
"""

from __future__ import annotations

import difflib
from typing import Iterable

__all__ = ["close_match", "did_you_mean"]

#: How similar a word must be (difflib ratio) to count as a typo of a known name. 0.75 accepts
#: one or two swapped or dropped letters in words of six or more letters (``requries``,
#: ``comand``, ``imgae``) and rejects unrelated short words.
CUTOFF = 0.75


def close_match(word: str, candidates: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The known name ``word`` is most probably a typo of, or ``None``."""
    names = sorted({c for c in candidates if c != word})
    matches = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """A "did you mean 'x'?" hint for a near miss, or ``None``."""
    near = close_match(word, candidates, cutoff)
    return f"did you mean '{near}'?" if near is not None else None
