"""Which documents the server handles, and each one seen as (part of) a config.

Three kinds of document (docs/editors.md):

* a **config**: a YAML file in a ``.circleci`` folder (``config.yml``, continuation
  configs), or any YAML file whose top level reads as a config (``workflows:``, or
  ``version`` with ``jobs``);
* a file of an **orb source tree** (docs/orbs.md): ``@orb.yml`` and the YAML files beside
  it, and the element files of its ``commands/``, ``executors/``, ``jobs/`` and
  ``examples/`` folders;
* a **single-file orb** (``orb.yml``, or a file whose top level reads as an orb: a version
  and commands, executors or jobs, but no workflows).

Every feature works on config-shaped data. An element file holds one element's body, so
its data and positions are *wrapped* (:func:`wrap`) under ``commands: {install: …}``: the
loc of its first step is ``("commands", "install", "steps", 0)`` as in a config, and the
same code answers in both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Tuple

from ..config.sourcemap import PMap, PNode, SourceMap

__all__ = [
    "CONFIG",
    "ELEMENT_SECTIONS",
    "ORB_FILE",
    "ORB_SOURCE",
    "FileView",
    "OrbFile",
    "classify",
    "orb_file_of",
    "orb_tree_files",
    "wrap",
]

CONFIG = "config"
ORB_SOURCE = "orb-source"
ORB_FILE = "orb-file"

#: The folders of an orb source tree that hold one element per file.
ELEMENT_SECTIONS = ("commands", "executors", "jobs")
_SECTIONS = (*ELEMENT_SECTIONS, "examples")
_YAML = (".yml", ".yaml")
_ORB_TOP = frozenset({"version", "description", "display", "orbs", "commands", "executors",
                      "jobs", "examples"})

Loc = Tuple[Any, ...]


@dataclass(frozen=True)
class OrbFile:
    """Where a file sits in an orb source tree: the tree's root (the folder of
    ``@orb.yml``) and the loc of the file's content in the packed orb (``()`` for
    ``@orb.yml``, ``("commands",)`` for ``commands/@common.yml``, ``("commands",
    "install")`` for ``commands/install.yml``)."""

    root: str
    prefix: Loc


def _stem(name: str) -> str:
    """``install.yml`` → ``install``; as the packer names elements (last extension off)."""
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


def orb_file_of(path: str) -> Optional[OrbFile]:
    """The orb source tree ``path`` belongs to, if any."""
    p = Path(path)
    if p.suffix not in _YAML or p.name.startswith("."):
        return None
    parent = p.parent
    if (parent / "@orb.yml").is_file() or p.name == "@orb.yml":
        return OrbFile(str(parent), ())
    if parent.name in _SECTIONS and (parent.parent / "@orb.yml").is_file():
        if p.name.startswith("@"):
            return OrbFile(str(parent.parent), (parent.name,))
        return OrbFile(str(parent.parent), (parent.name, _stem(p.name)))
    return None


def classify(path: str, data: Any) -> Optional[str]:
    """The kind of document at ``path`` (with its data, when it could be read), or
    ``None`` for a YAML file that is none of ours (no diagnostics, no features)."""
    p = Path(path)
    if p.suffix not in _YAML:
        return None
    if orb_file_of(path) is not None:
        return ORB_SOURCE
    parts = p.parts
    if ".circleci" in parts:
        # `.circleci/orbs/` is the project's orb store: its files are orbs, not configs
        below = parts[parts.index(".circleci") + 1:]
        return ORB_FILE if below[:1] == ("orbs",) and len(below) > 1 else CONFIG
    if isinstance(data, dict):
        keys = set(data)
        if "workflows" in keys:
            return CONFIG
        if "version" in keys and keys <= _ORB_TOP and keys & {"commands", "executors", "jobs"} \
                and ("description" in keys or keys & {"commands", "executors"}):
            return ORB_FILE
        if "version" in keys and "jobs" in keys:
            return CONFIG
    if p.name in ("orb.yml", "orb.yaml"):
        return ORB_FILE
    return None


def wrap(root: Optional[PNode], data: Any, prefix: Loc, path: str, text: str
         ) -> Tuple[Any, SourceMap]:
    """Data and source map of a file whose content sits at ``prefix`` of the orb, as if
    written at that place: ``{"commands": {"install": data}}`` with positions that lead
    into the file's own."""
    wrapped_data = data
    node: Optional[PNode] = root
    for part in reversed(prefix):
        wrapped_data = {part: wrapped_data}
        if node is not None:
            holder = PMap(node.start)
            holder.end = node.end
            holder.keys[part] = (None, None, node)
            node = holder
    return wrapped_data, SourceMap(node, path, text)


@dataclass
class FileView:
    """One file as config-shaped data: ``data`` and ``source_map`` wrapped to ``prefix``
    (see :func:`wrap`), the file's own ``text``."""

    path: str
    data: Any
    source_map: SourceMap
    prefix: Loc
    text: str


def orb_tree_files(root: str) -> List[Tuple[str, Loc]]:
    """Every YAML file of the orb source tree at ``root`` the packer reads, with its
    prefix (see :class:`OrbFile`), ``@orb.yml`` first. Sub-folders of sections are not
    packed (docs/orbs.md, rule 6), so they are not listed."""
    out: List[Tuple[str, Loc]] = []
    try:
        top = sorted(os.listdir(root))
    except OSError:
        return out
    first = os.path.join(root, "@orb.yml")
    if os.path.isfile(first):
        out.append((first, ()))
    for name in top:
        full = os.path.join(root, name)
        if name.startswith(".") or full == first:
            continue
        if os.path.splitext(name)[1] in _YAML and os.path.isfile(full):
            out.append((full, ()))
        elif name in ELEMENT_SECTIONS and os.path.isdir(full):
            try:
                files = sorted(os.listdir(full))
            except OSError:
                continue
            for fname in files:
                fpath = os.path.join(full, fname)
                if fname.startswith(".") or os.path.splitext(fname)[1] not in _YAML or \
                        not os.path.isfile(fpath):
                    continue
                out.append((fpath, (name,) if fname.startswith("@") else (name, _stem(fname))))
    return out
