"""Orbs a config imports, as the local orb store has them: elements, their definitions'
places, and their names for completion.

The store is the one ``validate`` and the compiler use (:func:`~workflowcore.config.orbs.
store.store_for`: ``.circleci/orbs`` beside the config, then ``--orb-dir`` or the per-user
store); reading is cached by the store until a file changes, so asking on every hover costs
a few ``stat`` calls. An orb written as a source tree is located in the file of each element
(``commands/install.yml``), a packed orb in the packed file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..config.compile._orbs import parse_orb_reference
from ..config.orbs.store import OrbStore, Resolved, store_for
from ..diagnostics import Position, Span
from .index import Place

__all__ = ["OrbElement", "OrbResolver"]


@dataclass(frozen=True)
class OrbElement:
    """An element of an orb: its data, where it is defined, and a label for hovers
    (``circleci/node@5.1.0``, or ``inline orb``)."""

    body: Any
    place: Optional[Place]
    origin: str


class OrbResolver:
    """Resolves the orb aliases of one config's data (``orbs:``)."""

    def __init__(self, data: Any, config_path: str,
                 orb_dir: Optional[str] = None) -> None:
        orbs = data.get("orbs") if isinstance(data, dict) else None
        self.orbs: Mapping[str, Any] = orbs if isinstance(orbs, dict) else {}
        self.config_path = config_path
        self.orb_dir = orb_dir
        self._store: Optional[OrbStore] = None
        self._resolved: Dict[str, Optional[Resolved]] = {}

    @property
    def store(self) -> OrbStore:
        if self._store is None:
            self._store = store_for(self.config_path, self.orb_dir)
        return self._store

    def resolve(self, alias: str) -> Optional[Resolved]:
        """The store's copy of the orb ``alias`` imports (``None``: inline, unknown, not
        in the store, or unreadable)."""
        if alias in self._resolved:
            return self._resolved[alias]
        found: Optional[Resolved] = None
        ref = self.orbs.get(alias)
        parsed = parse_orb_reference(ref) if isinstance(ref, str) else None
        if parsed is not None:
            orb = self.store.find(*parsed)
            if orb is not None:
                try:
                    found = self.store.read(orb, ref)  # type: ignore[arg-type]
                except OSError:
                    found = None
        self._resolved[alias] = found
        return found

    def describe(self, alias: str) -> str:
        """What the alias stands for, in words, for a hover."""
        ref = self.orbs.get(alias)
        if isinstance(ref, dict):
            return f"inline orb `{alias}`"
        if not isinstance(ref, str):
            return f"orb `{alias}`"
        resolved = self.resolve(alias)
        if resolved is None:
            return (f"orb `{ref}`: not in the local orb store ({self.store.describe()}); "
                    "its elements are not checked")
        return f"orb `{ref}` → `{resolved.orb.ref}` from `{resolved.orb.path}`"

    def section(self, alias: str, section: str) -> Mapping[str, Any]:
        """The elements of one kind (``commands``...) the orb ``alias`` defines."""
        ref = self.orbs.get(alias)
        data: Any = ref if isinstance(ref, dict) else None
        if data is None:
            resolved = self.resolve(alias)
            data = resolved.data if resolved is not None else None
        sec = data.get(section) if isinstance(data, dict) else None
        return sec if isinstance(sec, dict) else {}

    def element(self, alias: str, section: str, name: str) -> Optional[OrbElement]:
        """An element of a store orb (inline orbs are in the config's own index)."""
        resolved = self.resolve(alias)
        if resolved is None or not isinstance(resolved.data, dict):
            return None
        sec = resolved.data.get(section)
        if not isinstance(sec, dict) or name not in sec:
            return None
        return OrbElement(sec[name], _place(resolved, (section, name)), resolved.orb.ref)

    def parameter_place(self, alias: str, section: str, element: str, name: str
                        ) -> Optional[Place]:
        resolved = self.resolve(alias)
        if resolved is None:
            return None
        return _place(resolved, (section, element, "parameters", name))

    def names(self, section: str) -> List[Tuple[str, str]]:
        """``(alias/name, origin)`` of every element of that kind of every imported orb
        the store has (and of inline orbs)."""
        out: List[Tuple[str, str]] = []
        for alias, ref in self.orbs.items():
            origin = "inline orb" if isinstance(ref, dict) else str(ref)
            for name in self.section(alias, section):
                out.append((f"{alias}/{name}", origin))
        return out


def _place(resolved: Resolved, loc: Tuple[Any, ...]) -> Optional[Place]:
    mapped = resolved.remap(loc)
    if mapped is not None:
        path, sm, floc, _ = mapped
        if not floc:
            return Place(path, Span(Position(1, 1), Position(1, 2)))
        return Place(path, sm.span(floc, key=True))
    if not resolved.source_map.has(loc):
        return None
    return Place(os.fspath(resolved.orb.path), resolved.source_map.span(loc, key=True))
