"""Document symbols: the outline of a config (workflows and their jobs, jobs, commands,
executors, pipeline parameters, orbs, job groups) or of an orb source file.

Ranges come from the written-node tree: a symbol spans its key and its whole value, and
is selected at its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Tuple

from .syntax import SNode, SyntaxTree

__all__ = ["Outline", "outline"]

Point = Tuple[int, int]

#: Top-level key → (kind of each entry, kind of the section itself).
_SECTIONS = {
    "workflows": "workflow",
    "jobs": "job",
    "commands": "command",
    "executors": "executor",
    "parameters": "parameter",
    "orbs": "orb",
    "job-groups": "job-group",
}


@dataclass
class Outline:
    """One symbol: ``kind`` as above (or ``section``, ``entry``), ``start``/``end`` its
    whole extent, ``key_start``/``key_end`` its name (0-based points)."""

    name: str
    kind: str
    detail: str
    start: Point
    end: Point
    key_start: Point
    key_end: Point
    children: List[Outline] = field(default_factory=list)


def _entry(key: SNode, value: SNode, kind: str, detail: str = "") -> Outline:
    end = max(value.end, key.end)
    return Outline(key.value, kind, detail, key.start, end, key.start, key.end)


def _detail(value: SNode) -> str:
    if value.kind != "map":
        return value.value if value.kind == "scalar" else ""
    description = value.get("description")
    if description is not None and description.kind == "scalar":
        text = " ".join(description.value.split())
        return text if len(text) <= 60 else text[:57] + "..."
    return ""


def _workflow_jobs(value: SNode) -> List[Outline]:
    jobs = value.get("jobs") if value.kind == "map" else None
    out: List[Outline] = []
    if jobs is None or jobs.kind != "seq":
        return out
    for item in jobs.items:
        if item.kind == "scalar":
            out.append(Outline(item.value, "entry", "", item.start, item.end, item.start,
                               item.end))
        elif item.kind == "map" and item.pairs:
            key, args = item.pairs[0]
            name = args.get("name") if args.kind == "map" else None
            shown = name.value if name is not None and name.kind == "scalar" else key.value
            detail = key.value if shown != key.value else ""
            out.append(Outline(shown, "entry", detail, item.start, max(item.end, key.end),
                               key.start, key.end))
    return out


def _parameters(value: SNode) -> List[Outline]:
    params = value.get("parameters") if value.kind == "map" else None
    if params is None or params.kind != "map":
        return []
    out = []
    for key, decl in params.pairs:
        kind = decl.get("type") if decl.kind == "map" else None
        out.append(_entry(key, decl, "parameter",
                          kind.value if kind is not None and kind.kind == "scalar" else ""))
    return out


def outline(tree: SyntaxTree, prefix: Tuple[Any, ...] = ()) -> List[Outline]:
    """The symbols of a document (``prefix``: where an orb source file's content sits)."""
    root = tree.root
    if root is None or root.kind != "map":
        return []
    if len(prefix) == 2 and prefix[0] in _SECTIONS:  # an element file: one element
        kind = _SECTIONS[str(prefix[0])]
        name = str(prefix[1])
        whole = Outline(name, kind, _detail(root), root.start, root.end, root.start,
                        root.start)
        whole.children = _parameters(root)
        return [whole]
    if len(prefix) == 1 and prefix[0] in _SECTIONS:  # `commands/@common.yml`: elements
        return [_element(key, value, _SECTIONS[str(prefix[0])]) for key, value in root.pairs
                if key.kind == "scalar"]
    out: List[Outline] = []
    for key, value in root.pairs:
        if key.kind != "scalar" or key.value not in _SECTIONS or value.kind != "map":
            continue
        kind = _SECTIONS[key.value]
        section = _entry(key, value, "section")
        for ekey, evalue in value.pairs:
            if ekey.kind != "scalar" or (kind == "workflow" and ekey.value == "version"):
                continue
            section.children.append(_element(ekey, evalue, kind))
        out.append(section)
    return out


def _element(key: SNode, value: SNode, kind: str) -> Outline:
    item = _entry(key, value, kind, _detail(value) if kind != "orb" else
                  (value.value if value.kind == "scalar" else "inline orb"))
    if kind == "workflow":
        item.children = _workflow_jobs(value)
    elif kind in ("job", "command", "executor"):
        item.children = _parameters(value)
    elif kind == "job-group":
        item.children = _workflow_jobs(value)
    return item
