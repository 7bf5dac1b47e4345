"""Every name a config defines and every place that uses one, positioned.

Definitions: jobs, commands, executors (also those of inline orbs, as ``orb/name``),
their parameters, pipeline parameters, workflows, job groups and orb imports. References:
workflow job entries and ``requires``, job groups, job aliases (``test: orb/test``), steps
invoking commands, ``executor:``, arguments passed to a job, command or executor (each a
reference to that parameter), and ``<< parameters.x >>`` / ``<< pipeline.parameters.x >>``
templates.

The index is built from the loaded data and its source map in one traversal, plus one
regular-expression pass over the text for templates; each template is placed in its
element through the written-node tree (:mod:`.syntax`), so a template in a comment is not
one. Data reached through an alias is positioned where the anchor is written, and the
same place is recorded once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ..config._vocabulary import BUILTIN_STEPS, INVOCATION_KEYS
from ..config.checks.base import invocations, iter_steps
from ..diagnostics import Span
from .syntax import SyntaxTree
from .text import LineIndex
from .views import FileView

__all__ = [
    "KIND_SECTIONS",
    "TEMPLATE_RE",
    "Definition",
    "Index",
    "Place",
    "Reference",
    "Symbol",
    "element_owner",
    "qualify",
    "value_at",
]

Loc = Tuple[Any, ...]

#: Element kind → the top-level key (or inline orb key) it lives under.
KIND_SECTIONS = {"job": "jobs", "command": "commands", "executor": "executors"}
_SECTION_KINDS = {v: k for k, v in KIND_SECTIONS.items()}
#: Step lists: their items are steps (commands, built-in steps).
STEP_KEYS = ("steps", "pre-steps", "post-steps")
#: ``<< parameters.x >>``, ``<< pipeline.parameters.x >>`` (also inside a longer
#: expression or a ``<<#`` section): group 1 says pipeline, group 2 is the name.
TEMPLATE_RE = re.compile(r"<<[#^/]?[^<>]*?\b(pipeline\.)?parameters\.([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Symbol:
    """A named thing: ``kind`` is ``job``, ``command``, ``executor``, ``parameter``,
    ``pipeline-parameter``, ``workflow``, ``job-group`` or ``orb``. A parameter's
    ``owner`` is the loc of its element (``("jobs", "build")``, or ``("orbs", "node",
    "commands", "install")`` for an orb's); a ``requires`` entry's is its workflow's loc
    (names there are the workflow's job names)."""

    kind: str
    name: str
    owner: Loc = ()


@dataclass(frozen=True)
class Place:
    """A span (1-based, end exclusive, as the library counts) in a file."""

    path: str
    span: Span


@dataclass
class Definition:
    symbol: Symbol
    place: Place
    #: the defined data (a job's mapping, a parameter's declaration...)
    body: Any
    #: the config-shaped loc of the definition
    loc: Loc


@dataclass
class Reference:
    symbol: Symbol
    place: Place
    #: True for a use (a step, an argument); False for the definition's own name
    use: bool = True


def qualify(name: str, loc: Loc) -> str:
    """A name used at ``loc``: inside an inline orb (``("orbs", "o", ...)``) a plain name
    is the orb's own element, ``o/name``."""
    if len(loc) >= 3 and loc[0] == "orbs" and "/" not in name:
        return f"{loc[1]}/{name}"
    return name


def element_owner(loc: Loc) -> Optional[Loc]:
    """The element a config loc is inside: ``("jobs", "build")`` or ``("orbs", "o",
    "commands", "c")``; ``None`` outside of elements."""
    if len(loc) >= 2 and loc[0] in _SECTION_KINDS:
        return tuple(loc[:2])
    if len(loc) >= 4 and loc[0] == "orbs" and loc[2] in _SECTION_KINDS:
        return tuple(loc[:4])
    return None


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


@dataclass
class Index:
    """Definitions and references of one or more files (an orb source tree indexes every
    file of the tree)."""

    definitions: List[Definition] = field(default_factory=list)
    references: List[Reference] = field(default_factory=list)
    _by_symbol: Dict[Symbol, List[Definition]] = field(default_factory=dict)

    def add_file(self, view: FileView, tree: Optional[SyntaxTree]) -> None:
        """Index ``view``; ``tree`` (the file's written nodes) places templates."""
        _Collector(self, view).run(tree)

    def define(self, d: Definition) -> None:
        self.definitions.append(d)
        self._by_symbol.setdefault(d.symbol, []).append(d)

    def lookup(self, symbol: Symbol) -> List[Definition]:
        return list(self._by_symbol.get(symbol, ()))

    def named(self, kind: str) -> List[Definition]:
        return [d for d in self.definitions if d.symbol.kind == kind]

    def uses(self, symbol: Symbol) -> List[Reference]:
        return [r for r in self.references if r.symbol == symbol]


class _Collector:
    def __init__(self, index: Index, view: FileView) -> None:
        self.index = index
        self.view = view
        self.sm = view.source_map
        self.data: Mapping[str, Any] = view.data if isinstance(view.data, dict) else {}
        self.commands: Set[str] = set(_section(self.data, "commands"))
        self.seen: Set[Tuple[Symbol, Tuple[int, int]]] = set()

    # -- places ----------------------------------------------------------------------
    def place(self, loc: Loc, key: bool = False) -> Place:
        return Place(self.view.path, self.sm.span(loc, key=key))

    def written(self, loc: Loc) -> bool:
        """Whether the whole loc is in this file (a wrapped element file holds only the
        part below its prefix, every part of which is written)."""
        return self.sm.has(loc)

    def ref(self, symbol: Symbol, loc: Loc, key: bool = False) -> None:
        if not self.written(loc):
            return
        place = self.place(loc, key)
        mark = (symbol, (place.span.start.line, place.span.start.column))
        if mark in self.seen:  # reached again through an alias: one place
            return
        self.seen.add(mark)
        self.index.references.append(Reference(symbol, place))

    def define(self, symbol: Symbol, loc: Loc, body: Any) -> None:
        if not self.written(loc):
            return
        place = self.place(loc, key=True)
        self.index.define(Definition(symbol, place, body, loc))
        self.index.references.append(Reference(symbol, place, use=False))

    # -- traversal -------------------------------------------------------------------
    def run(self, tree: Optional[SyntaxTree]) -> None:
        data = self.data
        for name, decl in _section(data, "parameters").items():
            self.define(Symbol("pipeline-parameter", name), ("parameters", name), decl)
        for name, ref in _section(data, "orbs").items():
            self.define(Symbol("orb", name), ("orbs", name), ref)
            if isinstance(ref, dict):
                self.elements(ref, ("orbs", name), f"{name}/")
        for name, wf in _section(data, "workflows").items():
            if name == "version" or not isinstance(wf, dict):
                continue
            self.define(Symbol("workflow", name), ("workflows", name), wf)
            self.invocations(name, wf, ("workflows", name))
        for name, group in _section(data, "job-groups").items():
            self.define(Symbol("job-group", name), ("job-groups", name), group)
            if isinstance(group, dict):
                self.invocations(name, group, ("job-groups", name))
        self.elements(data, (), "")
        if tree is not None:
            self.templates(tree)

    def elements(self, owner: Mapping[str, Any], base: Loc, qualifier: str) -> None:
        """Jobs, commands and executors of the config (or of an inline orb, whose names
        are used as ``orb/name``)."""
        for section, kind in _SECTION_KINDS.items():
            for name, body in _section(owner, section).items():
                loc = (*base, section, name)
                self.define(Symbol(kind, qualifier + name), loc, body)
                if isinstance(body, str):  # `test: orb/test`, an alias of another element
                    self.ref(Symbol(kind, qualify(body, base)), loc)
                    continue
                if not isinstance(body, dict):
                    continue
                for pname, decl in _section(body, "parameters").items():
                    self.define(Symbol("parameter", pname, loc), (*loc, "parameters", pname),
                                decl)
                self.executor(body.get("executor"), (*loc, "executor"), base)
                for step in iter_steps(body.get("steps"), (*loc, "steps")):
                    self.step(step.name, step.body, step.loc, base)

    def element_loc(self, kind: str, name: str, base: Loc) -> Loc:
        """The owner loc of the element ``name`` (``orb/x`` names an orb's)."""
        if "/" in name:
            alias, _, rest = name.partition("/")
            return ("orbs", alias, KIND_SECTIONS[kind], rest)
        return (*base, KIND_SECTIONS[kind], name)

    def step(self, name: str, body: Any, loc: Loc, base: Loc) -> None:
        if name in ("when", "unless", "steps") or (name in BUILTIN_STEPS and
                                                   name not in self.commands):
            return
        symbol = Symbol("command", qualify(name, base))
        if body is None and self.written(loc) and not self.written((*loc, name)):
            self.ref(symbol, loc)  # `- my-command`
        else:
            self.ref(symbol, (*loc, name), key=True)
        if isinstance(body, dict):
            owner = self.element_loc("command", qualify(name, base), ())
            for arg in body:
                self.ref(Symbol("parameter", arg, owner), (*loc, name, arg), key=True)

    def executor(self, value: Any, loc: Loc, base: Loc) -> None:
        if isinstance(value, str):
            self.ref(Symbol("executor", qualify(value, base)), loc)
        elif isinstance(value, dict) and isinstance(value.get("name"), str):
            name = qualify(value["name"], base)
            self.ref(Symbol("executor", name), (*loc, "name"))
            owner = self.element_loc("executor", name, ())
            for arg in value:
                if arg != "name":
                    self.ref(Symbol("parameter", arg, owner), (*loc, arg), key=True)

    def invocations(self, wname: str, body: Mapping[str, Any], wloc: Loc) -> None:
        for inv in invocations(wname, body, wloc):
            self.ref(Symbol("job", inv.ref), inv.ref_loc, key=inv.has_map)
            owner = self.element_loc("job", inv.ref, ())
            for arg in inv.args:
                if arg not in INVOCATION_KEYS:
                    self.ref(Symbol("parameter", arg, owner), (*inv.loc, inv.ref, arg),
                             key=True)
            for req, rloc in inv.requires():
                item = self.sm.has(rloc) and isinstance(value_at(self.data, rloc), dict)
                self.ref(Symbol("job", req), (*rloc, req) if item else rloc, key=item)
            for sec in ("pre-steps", "post-steps"):
                for step in iter_steps(inv.args.get(sec), (*inv.loc, inv.ref, sec)):
                    self.step(step.name, step.body, step.loc, ())

    def templates(self, tree: SyntaxTree) -> None:
        """``<< parameters.x >>`` of an element and ``<< pipeline.parameters.x >>``."""
        text = self.view.text
        if "parameters." not in text:
            return
        lines = LineIndex(text)
        for m in TEMPLATE_RE.finditer(text):
            line0, col0 = lines.position(m.start(2))
            hit = tree.at(line0, col0)
            node = hit.node
            if node is None or node.kind != "scalar" or not node.contains((line0, col0)):
                continue  # a comment, or text the parser did not reach
            span = Span.point(line0 + 1, col0 + 1)
            span = Span(span.start, span.start._replace(column=col0 + 1 + len(m.group(2))))
            place = Place(self.view.path, span)
            if m.group(1):
                self.index.references.append(Reference(Symbol("pipeline-parameter",
                                                              m.group(2)), place))
                continue
            owner = element_owner((*self.view.prefix, *hit.data_loc))
            if owner is not None:
                self.index.references.append(Reference(Symbol("parameter", m.group(2), owner),
                                                       place))


def value_at(data: Any, loc: Iterable[Any]) -> Any:
    """The data at ``loc`` (``None`` when a part is missing)."""
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_list or (isinstance(data, dict) and part in data):
            data = data[part]
        else:
            return None
    return data
