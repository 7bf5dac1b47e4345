"""Orbs from their sources: packing a source tree (``circleci orb pack`` offline),
validating an orb, and the local orb store with version resolution and lock files. See
``docs/orbs.md``.

Names are imported lazily (PEP 562): the compiler imports :mod:`.store`, and validating an
orb imports the compiler, so nothing here may import :mod:`._validate` eagerly.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "EXAMPLE_KEYS",
    "ORB_KEYS",
    "SECTIONS",
    "USAGE_KEYS",
    "NotAnOrbRootError",
    "OrbReport",
    "OrbStore",
    "Origin",
    "PackResult",
    "Resolved",
    "StoredOrb",
    "pack_orb",
    "pack_orb_text",
    "validate_orb",
]

_WHERE = {
    "EXAMPLE_KEYS": "._pack", "ORB_KEYS": "._pack", "SECTIONS": "._pack",
    "USAGE_KEYS": "._pack", "NotAnOrbRootError": "._pack", "Origin": "._pack",
    "PackResult": "._pack", "pack_orb": "._pack", "pack_orb_text": "._pack",
    "OrbReport": "._validate", "validate_orb": "._validate",
    "OrbStore": ".store", "Resolved": ".store", "StoredOrb": ".store",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value
