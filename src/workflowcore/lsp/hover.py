"""Hover text (Markdown): what a name refers to, or what a key means.

For a job, command or executor (the config's, an inline orb's or one from the local orb
store) the hover is its definition in short: description, executor, steps, and every
parameter with its type, default and description. For a parameter (also from
``<< parameters.x >>``) it is the declaration. For a key it is the field's description from
the models (:mod:`.schemadoc`) and the kinds of value it takes.
"""

from __future__ import annotations

import json
from typing import Any, List, Mapping, Optional, Tuple

from .analysis import Snapshot
from .index import KIND_SECTIONS, Symbol, value_at
from .navigate import find_definitions, renamed_refs
from .resolve import Found
from .schemadoc import key_doc, model_summary

__all__ = ["hover_text"]

#: CircleCI's reference for every key of a config.
REFERENCE_URL = "https://circleci.com/docs/configuration-reference/"
_MAX_PARAMETERS = 40


def _show(value: Any) -> str:
    """A YAML-ish inline rendering of a default value."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _line(text: Any) -> str:
    return " ".join(str(text).split())


def parameter_text(name: str, decl: Any) -> str:
    """``name`` (type, default x): description — one parameter declaration in words."""
    if not isinstance(decl, dict):
        return f"- `{name}`"
    bits = [str(decl.get("type", "?"))]
    if "default" in decl:
        bits.append(f"default `{_show(decl['default'])}`")
    else:
        bits.append("required")
    out = f"- `{name}` ({', '.join(bits)})"
    enum = decl.get("enum")
    if isinstance(enum, list) and enum:
        out += ": one of " + ", ".join(f"`{v}`" for v in enum)
    if decl.get("description"):
        out += f" — {_line(decl['description'])}"
    return out


def _parameters(body: Mapping[str, Any]) -> List[str]:
    params = body.get("parameters")
    if not isinstance(params, dict) or not params:
        return []
    out = ["", "**Parameters**", ""]
    for i, (name, decl) in enumerate(params.items()):
        if i == _MAX_PARAMETERS:
            out.append(f"- … and {len(params) - i} more")
            break
        out.append(parameter_text(str(name), decl))
    return out


def _executor_words(body: Mapping[str, Any]) -> Optional[str]:
    executor = body.get("executor")
    if isinstance(executor, str):
        return f"executor `{executor}`"
    if isinstance(executor, dict) and "name" in executor:
        return f"executor `{executor['name']}`"
    docker = body.get("docker")
    if isinstance(docker, list) and docker and isinstance(docker[0], dict):
        images = ", ".join(f"`{d.get('image')}`" for d in docker if isinstance(d, dict))
        return f"docker {images}"
    machine = body.get("machine")
    if machine is not None:
        image = machine.get("image") if isinstance(machine, dict) else None
        return f"machine `{image}`" if image else "machine"
    macos = body.get("macos")
    if isinstance(macos, dict):
        return f"macOS, Xcode `{macos.get('xcode')}`"
    return None


def element_text(kind: str, name: str, body: Any, origin: str = "") -> str:
    """The summary of a job, command or executor definition."""
    head = f"**{kind}** `{name}`" + (f" — {origin}" if origin else "")
    if isinstance(body, str):
        return f"{head}\n\nthe same as `{body}`"
    if not isinstance(body, dict):
        return head
    out = [head]
    if body.get("description"):
        out += ["", _line(body["description"])]
    facts = []
    if kind == "job" and isinstance(body.get("type"), str) and body["type"] != "build":
        facts.append(f"type `{body['type']}`")
    words = _executor_words(body)
    if words:
        facts.append(words)
    steps = body.get("steps")
    if isinstance(steps, list):
        facts.append(f"{len(steps)} step{'s' if len(steps) != 1 else ''}")
    if kind == "job" and isinstance(body.get("parallelism"), int):
        facts.append(f"parallelism {body['parallelism']}")
    if facts:
        out += ["", "; ".join(facts)]
    out += _parameters(body)
    return "\n".join(out)


def _symbol_text(snap: Snapshot, symbol: Symbol) -> Optional[str]:
    kind, name = symbol.kind, symbol.name
    defs = find_definitions(snap, symbol)
    if kind == "job" and symbol.owner and not defs:
        refs = renamed_refs(snap, symbol)
        if refs:
            text = _symbol_text(snap, Symbol("job", refs[0]))
            head = f"`{name}`: the name workflow `{symbol.owner[1]}` gives to job `{refs[0]}`"
            return head + ("\n\n" + text if text else "")
    if kind in KIND_SECTIONS or kind == "job-group":
        if defs:
            d = defs[0]
            origin = ""
            if d.loc[:1] == ("orbs",):
                origin = f"inline orb `{d.loc[1]}`"
            if d.symbol.kind == "job-group":
                jobs = d.body.get("jobs") if isinstance(d.body, dict) else None
                count = len(jobs) if isinstance(jobs, list) else 0
                return f"**job group** `{name}`\n\n{count} job{'s' if count != 1 else ''}"
            return element_text(d.symbol.kind, name, d.body, origin)
        if "/" in name and kind in KIND_SECTIONS:
            alias, _, rest = name.partition("/")
            element = snap.resolver.element(alias, KIND_SECTIONS[kind], rest)
            if element is not None:
                return element_text(kind, name, element.body, f"orb `{element.origin}`")
            return f"**{kind}** `{name}`\n\n{snap.resolver.describe(alias)}"
        return None
    if kind == "parameter":
        decl = _parameter_decl(snap, symbol)
        if decl is None:
            return None
        owner = symbol.owner
        whose = f"{owner[-2][:-1]} `{owner[-1]}`" if len(owner) >= 2 else ""
        if len(owner) == 4:
            whose = f"{owner[2][:-1]} `{owner[1]}/{owner[3]}`"
        return f"**parameter** of {whose}\n\n{parameter_text(name, decl)[2:]}"
    if kind == "pipeline-parameter":
        decl = value_at(snap.data, ("parameters", name))
        if decl is None:
            return None
        return f"**pipeline parameter**\n\n{parameter_text(name, decl)[2:]}"
    if kind == "workflow" and defs:
        body = defs[0].body
        jobs = body.get("jobs") if isinstance(body, dict) else None
        count = len(jobs) if isinstance(jobs, list) else 0
        out = f"**workflow** `{name}`\n\n{count} job{'s' if count != 1 else ''}"
        if isinstance(body, dict) and ("when" in body or "unless" in body):
            out += "; runs only when its `when`/`unless` condition allows"
        if isinstance(body, dict) and body.get("triggers"):
            out += "; scheduled (`triggers`)"
        return out
    if kind == "orb":
        text = f"**orb** `{name}`\n\n{snap.resolver.describe(name)}"
        counts = []
        for section in ("commands", "executors", "jobs"):
            n = len(snap.resolver.section(name, section))
            if n:
                counts.append(f"{n} {section if n != 1 else section[:-1]}")
        return text + ("\n\n" + ", ".join(counts) if counts else "")
    return None


def _parameter_decl(snap: Snapshot, symbol: Symbol) -> Any:
    owner = symbol.owner
    decl = value_at(snap.data, (*owner, "parameters", symbol.name))
    if decl is not None:
        return decl
    for d in snap.index.lookup(symbol):
        return d.body
    if len(owner) == 4 and owner[0] == "orbs":
        element = snap.resolver.element(str(owner[1]), str(owner[2]), str(owner[3]))
        if element is not None and isinstance(element.body, dict):
            params = element.body.get("parameters")
            if isinstance(params, dict):
                return params.get(symbol.name)
    return None


def _anchor_text(snap: Snapshot, found: Found) -> Optional[str]:
    node = found.node
    if node is not None and node.kind == "alias":
        node = snap.syntax.anchor_for(node)
        if node is None:
            return f"alias `*{found.anchor}`: no anchor `&{found.anchor}` before it"
    if node is None:
        return None
    end = node.end[0] - (1 if node.end[1] == 0 and node.end[0] > node.start[0] else 0)
    first, last = node.start[0], min(end, node.start[0] + 12)
    lines = snap.lines.lines_between(first, last)
    body = "\n".join(lines).rstrip()
    uses = sum(1 for _, target in snap.syntax.aliases if target is node)
    return (f"**anchor** `&{found.anchor}` (line {first + 1}, used {uses} "
            f"time{'s' if uses != 1 else ''})\n\n```yaml\n{body}\n```")


def _key_text(loc: Tuple[Any, ...], value: str, on_key: bool) -> Optional[str]:
    doc = key_doc(loc) if on_key else None
    if doc is None and not on_key and value:
        doc = key_doc((*loc, value))  # `- checkout`: the built-in step's own key
        if doc is None or not isinstance(loc[-1], int):
            return None
    if doc is None:
        return None
    text = f"**`{doc.key}`** ({doc.types})"
    if doc.description:
        text += f"\n\n{doc.description}"
    summary = model_summary(doc.model)
    if summary:
        text += f"\n\n*In* {summary[0].lower() + summary[1:]}"
    return text + f"\n\n[CircleCI configuration reference]({REFERENCE_URL})"


def hover_text(snap: Snapshot, found: Found) -> Optional[str]:
    """The Markdown hover for what ``found`` is on, or ``None``."""
    if found.anchor is not None:
        return _anchor_text(snap, found)
    if found.symbol is not None:
        text = _symbol_text(snap, found.symbol)
        if text is not None:
            return text
    value = found.node.value if found.node is not None and found.node.kind == "scalar" else ""
    return _key_text(found.loc, value, found.on_key)
