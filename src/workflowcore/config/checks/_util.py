"""Small helpers shared by the check families."""

from __future__ import annotations

from typing import Iterable

from .._suggest import close_match, did_you_mean

__all__ = ["close_match", "did_you_mean", "quote_list"]


def quote_list(items: Iterable[str]) -> str:
    return ", ".join(f"'{i}'" for i in items)
