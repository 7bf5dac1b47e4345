"""What the cursor is on: a name that refers to a definition, a definition's own name, an
anchor or alias, a ``<< parameters.x >>`` template, or just a key with documentation.

The cursor becomes a written path (:mod:`.syntax`), the path a config-shaped loc (an
element file's prefix in front, ``<<`` merge keys dropped), and the loc's shape says what
the name there means: ``("workflows", w, "jobs", i)`` is a job, ``(..., "steps", i, name)``
a command, ``(..., "executor")`` an executor, an invocation's other keys the parameters of
what it invokes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Tuple

from ..config._vocabulary import BUILTIN_STEPS, INVOCATION_KEYS
from .analysis import Snapshot
from .index import STEP_KEYS, TEMPLATE_RE, Symbol, element_owner, qualify, value_at
from .syntax import SNode

__all__ = ["Found", "classify", "found_at"]

Loc = Tuple[Any, ...]
_SECTIONS = {"jobs": "job", "commands": "command", "executors": "executor"}
_INVOKERS = ("workflows", "job-groups")


@dataclass
class Found:
    """The result of looking at a position. ``symbol`` (a name with a definition) or
    ``anchor`` (an anchor's name, for ``&x`` and ``*x``) may be set; ``loc`` and
    ``on_key`` say where in the config the position is; ``start``/``end`` (0-based line,
    column) delimit the word."""

    loc: Loc
    on_key: bool
    node: Optional[SNode]
    start: Tuple[int, int]
    end: Tuple[int, int]
    symbol: Optional[Symbol] = None
    anchor: Optional[str] = None
    template: bool = False


def found_at(snap: Snapshot, line0: int, col0: int) -> Optional[Found]:
    """What is at 0-based ``line0``/``col0`` of the snapshot's text."""
    tree = snap.syntax
    hit = tree.at(line0, col0)
    loc = (*snap.prefix, *hit.data_loc)
    line = snap.lines.line(line0)
    # a template under the cursor
    if "parameters." in line:
        for m in TEMPLATE_RE.finditer(line):
            if m.start() <= col0 <= m.end(2):
                start, end = (line0, m.start(2)), (line0, m.end(2))
                if m.group(1):
                    return Found(loc, False, hit.node, start, end,
                                 Symbol("pipeline-parameter", m.group(2)), template=True)
                owner = element_owner(loc)
                symbol = Symbol("parameter", m.group(2), owner) if owner else None
                return Found(loc, False, hit.node, start, end, symbol, template=True)
    node = hit.key if hit.on_key and hit.key is not None else hit.node
    if node is not None and node.kind == "alias" and node.start <= (line0, col0) <= node.end:
        return Found(loc, hit.on_key, node, node.start, node.end, anchor=node.value)
    for candidate in (hit.node, *reversed(hit.parents)):
        if candidate is not None and candidate.anchor is not None:
            text = "&" + candidate.anchor
            s = candidate.start
            if s[0] == line0 and line[s[1]:s[1] + len(text)] == text and \
                    s[1] <= col0 <= s[1] + len(text):
                return Found(loc, False, candidate, s, (s[0], s[1] + len(text)),
                             anchor=candidate.anchor)
    if node is None or node.kind != "scalar" or not node.contains((line0, col0)):
        return None
    start, end = node.start, node.end
    if node.start[0] != node.end[0]:  # a block scalar: no name in it
        return Found(loc, hit.on_key, node, start, end)
    if node.anchor is not None:  # `&a value`: the value starts after the anchor
        start = (start[0], start[1] + len(node.anchor) + 2)
    return Found(loc, hit.on_key, node, start, end,
                 classify(snap.data, loc, hit.on_key, node.value))


def classify(data: Any, loc: Loc, on_key: bool, value: str) -> Optional[Symbol]:
    """The symbol a name at ``loc`` stands for (``value``: the scalar there)."""
    n = len(loc)
    if n == 0:
        return None
    head = loc[0]
    # definitions
    if on_key:
        if n == 2 and head in _SECTIONS:
            return Symbol(_SECTIONS[head], str(loc[1]))
        if n == 4 and head == "orbs" and loc[2] in _SECTIONS:
            return Symbol(_SECTIONS[str(loc[2])], f"{loc[1]}/{loc[3]}")
        owner = element_owner(loc)
        if owner is not None and n == len(owner) + 2 and loc[len(owner)] == "parameters":
            return Symbol("parameter", str(loc[-1]), owner)
        if n == 2 and head == "parameters":
            return Symbol("pipeline-parameter", str(loc[1]))
        if n == 2 and head == "workflows" and loc[1] != "version":
            return Symbol("workflow", str(loc[1]))
        if n == 2 and head == "job-groups":
            return Symbol("job-group", str(loc[1]))
        if n == 2 and head == "orbs":
            return Symbol("orb", str(loc[1]))
    elif n == 2 and head == "orbs":
        return Symbol("orb", str(loc[1]))
    elif n == 2 and head in _SECTIONS and isinstance(value_at(data, loc), str):
        return Symbol(_SECTIONS[head], value)  # `test: orb/test`
    elif n == 4 and head == "orbs" and loc[2] in _SECTIONS and \
            isinstance(value_at(data, loc), str):
        return Symbol(_SECTIONS[str(loc[2])], qualify(value, loc))
    # workflow (and job group) entries
    if head in _INVOKERS and n >= 4 and loc[2] == "jobs" and isinstance(loc[3], int):
        invoker = tuple(loc[:2])
        if n == 4 and not on_key:
            return Symbol("job", value)
        if n >= 5:
            job = str(loc[4])
            if n == 5 and on_key:
                return Symbol("job", job)
            if n == 6 and on_key and loc[5] not in INVOCATION_KEYS:
                return Symbol("parameter", str(loc[5]), _owner("job", job))
            if n >= 6 and loc[5] == "requires":
                if n == 6 and not on_key:
                    return Symbol("job", value, invoker)  # `requires: build`
                if n == 7 and not on_key:
                    return Symbol("job", value, invoker)
                if n == 8 and on_key:
                    return Symbol("job", str(loc[7]), invoker)
            if n >= 6 and loc[5] in STEP_KEYS:
                return _step(data, loc, 5, on_key, value)
    # steps
    for i in range(n - 2, -1, -1):
        if loc[i] in STEP_KEYS and isinstance(loc[i + 1], int):
            return _step(data, loc, i, on_key, value)
    # executors
    if loc[-1] == "executor" and not on_key and element_owner(loc) is not None:
        return Symbol("executor", qualify(value, loc))
    if n >= 2 and loc[-2] == "executor" and element_owner(loc) is not None:
        if loc[-1] == "name" and not on_key:
            return Symbol("executor", qualify(value, loc))
        if on_key and loc[-1] != "name":
            name = value_at(data, (*loc[:-1], "name"))
            if isinstance(name, str):
                return Symbol("parameter", str(loc[-1]), _owner("executor", name, loc))
    return None


def _owner(kind: str, name: str, loc: Loc = ()) -> Loc:
    """The element loc a name refers to from ``loc`` (``orb/x``: the orb's element; a name
    used inside an inline orb: that orb's own element)."""
    section = {"job": "jobs", "command": "commands", "executor": "executors"}[kind]
    name = qualify(name, loc)
    if "/" in name:
        alias, _, rest = name.partition("/")
        return ("orbs", alias, section, rest)
    return (section, name)


def _step(data: Any, loc: Loc, i: int, on_key: bool, value: str) -> Optional[Symbol]:
    """A name inside the step at ``loc[:i + 2]``: the command it invokes, or one of its
    arguments."""
    n = len(loc)
    commands = data.get("commands") if isinstance(data, dict) else None
    ours = isinstance(commands, dict)

    def command(name: str) -> Optional[Symbol]:
        if name in ("when", "unless", "steps"):
            return None
        if name in BUILTIN_STEPS and not (ours and name in commands):  # type: ignore[operator]
            return None
        return Symbol("command", qualify(name, loc))

    if n == i + 2 and not on_key:
        return command(value)  # `- my-command`
    if n == i + 3 and on_key:
        return command(str(loc[i + 2]))
    if n == i + 4 and on_key:
        name = str(loc[i + 2])
        if command(name) is not None:
            return Symbol("parameter", str(loc[i + 3]), _owner("command", name, loc))
    return None
