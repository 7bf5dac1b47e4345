"""Go to definition and find references.

Definitions are looked up in the document's index (for an orb source file, the index of
its whole tree), then in the local orb store for ``orb/name`` and the parameters of an
orb's elements. A ``requires`` entry names a job *as the workflow calls it*: when an entry
of the same workflow renames a job (``name:``, a matrix ``alias:``), that entry is the
definition; otherwise the job is. Anchors and aliases are matched through the written
tree: an alias refers to the latest definition of its anchor before it (YAML 1.1, as
CircleCI reads it).
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from ..config.checks.base import invocations
from ..diagnostics import Position, Span
from .analysis import Snapshot
from .index import KIND_SECTIONS, Definition, Place, Symbol, value_at
from .resolve import Found
from .syntax import SNode

__all__ = ["definition_places", "find_definitions", "reference_places", "renamed_refs"]


def _node_place(snap: Snapshot, node: SNode, length: int) -> Place:
    line0, col0 = node.start
    return Place(snap.path, Span(Position(line0 + 1, col0 + 1),
                                 Position(line0 + 1, col0 + 1 + length)))


def _anchor_node(snap: Snapshot, found: Found) -> Optional[SNode]:
    """The node defining the anchor ``found`` is on (the anchor itself, or an alias's)."""
    node = found.node
    if node is None:
        return None
    if node.kind == "alias":
        return snap.syntax.anchor_for(node)
    return node


def _renamed(snap: Snapshot, symbol: Symbol) -> List[Place]:
    """For a ``requires`` entry: the entries of its workflow that give the name by
    renaming a job (``name:`` or a matrix ``alias:``)."""
    owner = symbol.owner
    body = value_at(snap.data, owner)
    if not isinstance(body, dict):
        return []
    out: List[Place] = []
    sm = snap.view.source_map
    for inv in invocations(str(owner[1]), body, owner):
        if inv.alias != symbol.name or inv.ref == symbol.name:
            continue
        matrix = inv.matrix
        if matrix is not None and matrix.get("alias") == symbol.name:
            loc: Tuple[Any, ...] = (*inv.loc, inv.ref, "matrix", "alias")
        elif inv.args.get("name") == symbol.name:
            loc = (*inv.loc, inv.ref, "name")
        else:
            loc = inv.ref_loc
        if sm.has(loc):
            out.append(Place(snap.path, sm.span(loc)))
    return out


def renamed_refs(snap: Snapshot, symbol: Symbol) -> List[str]:
    """For a ``requires`` entry: the jobs its workflow calls under that name."""
    body = value_at(snap.data, symbol.owner)
    if not symbol.owner or not isinstance(body, dict):
        return []
    return [inv.ref for inv in invocations(str(symbol.owner[1]), body, symbol.owner)
            if inv.alias == symbol.name and inv.ref != symbol.name]


def find_definitions(snap: Snapshot, symbol: Symbol) -> List[Definition]:
    """Definitions of ``symbol`` in the document's index (``owner`` of a job reference
    from ``requires`` ignored)."""
    if symbol.kind == "job" and symbol.owner:
        symbol = Symbol("job", symbol.name)
    found = snap.index.lookup(symbol)
    if not found and symbol.kind == "job":  # a workflow may call a job group like a job
        found = snap.index.lookup(Symbol("job-group", symbol.name))
    return found


def definition_places(snap: Snapshot, found: Found) -> List[Place]:
    """Where what ``found`` names is defined."""
    if found.anchor is not None:
        node = _anchor_node(snap, found)
        return [] if node is None else [_node_place(snap, node, len(found.anchor) + 1)]
    symbol = found.symbol
    if symbol is None:
        return []
    if symbol.kind == "job" and symbol.owner:
        renamed = _renamed(snap, symbol)
        if renamed:
            return renamed
    places = [d.place for d in find_definitions(snap, symbol)]
    if places:
        return places
    return _orb_places(snap, symbol)


def _orb_places(snap: Snapshot, symbol: Symbol) -> List[Place]:
    """Definitions in the local orb store: ``orb/name`` elements and their parameters."""
    resolver = snap.resolver
    if symbol.kind in KIND_SECTIONS and "/" in symbol.name:
        alias, _, name = symbol.name.partition("/")
        element = resolver.element(alias, KIND_SECTIONS[symbol.kind], name)
        return [element.place] if element is not None and element.place is not None else []
    owner = symbol.owner
    if symbol.kind == "parameter" and len(owner) == 4 and owner[0] == "orbs":
        place = resolver.parameter_place(str(owner[1]), str(owner[2]), str(owner[3]),
                                         symbol.name)
        return [place] if place is not None else []
    return []


def reference_places(snap: Snapshot, found: Found, include_declaration: bool) -> List[Place]:
    """Every place that names what ``found`` names (its definitions too, if asked)."""
    if found.anchor is not None:
        target = _anchor_node(snap, found)
        if target is None:
            return []
        out = [_node_place(snap, target, len(found.anchor) + 1)] if include_declaration else []
        out.extend(_node_place(snap, alias, len(alias.value) + 1)
                   for alias, defined in snap.syntax.aliases if defined is target)
        return out
    symbol = found.symbol
    if symbol is None:
        return []
    if symbol.kind == "job" and symbol.owner:
        symbol = Symbol("job", symbol.name)
    symbols = [symbol]
    if symbol.kind == "job":
        symbols.append(Symbol("job-group", symbol.name))
    elif symbol.kind == "job-group":
        symbols.append(Symbol("job", symbol.name))
    return [r.place for s in symbols for r in snap.index.uses(s)
            if r.use or include_declaration]
