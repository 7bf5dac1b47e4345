"""Namespaces of reusable elements: the config itself, inline orbs, local orb files, and
orbs that are not available offline (R10.6).

Published orbs live on CircleCI's servers; offline we read them from a local directory::

    <orb_dir>/<namespace>/<name>@<version>.yml     (or .yaml)

``<version>`` is a full ``X.Y.Z``; a reference ``ns/name@X`` or ``@X.Y`` resolves to the
highest ``X.Y.Z`` file with that prefix, ``@volatile`` to the highest of all, and
``@dev:label`` to the file ``<name>@dev:label.yml``. An orb that cannot be found is a
warning, and its elements become *opaque*: jobs are kept as placeholders, steps calling
its commands are kept as written, executors are not merged.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from ...diagnostics import Diagnostic, Severity
from .._files import read_bounded
from .._yaml import DEFAULT_MAX_CHARS, YamlResult, parse_yaml
from ._diag import Loc, Reporter, Source

__all__ = [
    "KINDS",
    "Element",
    "Namespace",
    "Opaque",
    "OrbLoader",
    "find_orb_file",
    "lookup",
    "parse_orb_reference",
]

#: Element kinds and the top-level key each lives under.
KINDS = {"command": "commands", "executor": "executors", "job": "jobs"}

_REF_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)/([A-Za-z0-9][A-Za-z0-9_.-]*)@(\S+)$")
_FULL = re.compile(r"^\d+\.\d+\.\d+$")
_PREFIX = re.compile(r"^\d+(?:\.\d+)?$")


def parse_orb_reference(ref: str) -> Optional[Tuple[str, str, str]]:
    """``"circleci/node@5.1"`` → ``("circleci", "node", "5.1")``; ``None`` if malformed."""
    m = _REF_RE.match(ref.strip())
    return (m.group(1), m.group(2), m.group(3)) if m else None


@dataclass
class Namespace:
    """One scope of element names. ``base`` is where its ``commands``/``executors``/
    ``jobs`` keys are inside ``source`` (``("orbs", "x")`` for an inline orb)."""

    alias: str
    kind: str  # "config" | "inline" | "file" | "opaque"
    source: Source
    base: Loc = ()
    ref: str = ""
    data: Dict[str, Any] = field(default_factory=dict)
    orbs: Dict[str, Namespace] = field(default_factory=dict)
    parent: Optional[Namespace] = None

    @property
    def in_orb(self) -> bool:
        return self.kind != "config"

    @property
    def opaque(self) -> bool:
        return self.kind == "opaque"

    def section(self, kind: str) -> Dict[str, Any]:
        sec = self.data.get(KINDS[kind])
        return sec if isinstance(sec, dict) else {}

    def describe(self) -> str:
        return "the config" if self.kind == "config" else f"orb '{self.alias}'"


@dataclass(frozen=True)
class Element:
    """A resolved command/executor/job definition."""

    kind: str
    ref: str
    name: str
    ns: Namespace
    body: Any
    loc: Loc


@dataclass(frozen=True)
class Opaque:
    """A reference into an orb that is not available offline."""

    kind: str
    ref: str
    ns: Namespace


def lookup(ns: Namespace, kind: str, ref: str) -> Union[Element, Opaque, None]:
    """Resolve ``ref`` (``name`` or ``orb/name``) in ``ns``.

    An inline orb may also use the orbs the config imports [INFER: lenient, so configs
    that rely on it keep compiling].
    """
    if "/" in ref:
        alias, _, name = ref.partition("/")
        orb = ns.orbs.get(alias)
        if orb is None and ns.kind == "inline" and ns.parent is not None:
            orb = ns.parent.orbs.get(alias)
        if orb is None:
            return None
        if orb.opaque:
            return Opaque(kind, ref, orb)
        body = orb.section(kind).get(name)
        if name not in orb.section(kind):
            return None
        return Element(kind, ref, name, orb, body, (*orb.base, KINDS[kind], name))
    sec = ns.section(kind)
    if ref not in sec:
        return None
    return Element(kind, ref, ref, ns, sec[ref], (*ns.base, KINDS[kind], ref))


# -- loading -------------------------------------------------------------------------

_FILE_CACHE: Dict[str, Tuple[int, int, YamlResult]] = {}
_FILE_CACHE_MAX = 128


def _read_orb_file(path: Path) -> YamlResult:
    """Parse an orb file, cached by path, mtime and size (editors recompile constantly)."""
    st = path.stat()
    key = str(path)
    hit = _FILE_CACHE.get(key)
    if hit is not None and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
        return hit[2]
    # Bounded and never blocking, like every file a user names (a FIFO planted as an orb).
    text = read_bounded(path, 4 * DEFAULT_MAX_CHARS).decode("utf-8-sig")
    result = parse_yaml(text, key)
    if len(_FILE_CACHE) >= _FILE_CACHE_MAX:
        _FILE_CACHE.pop(next(iter(_FILE_CACHE)))
    _FILE_CACHE[key] = (st.st_mtime_ns, st.st_size, result)
    return result


def _version_key(v: str) -> Optional[Tuple[int, ...]]:
    return tuple(int(p) for p in v.split(".")) if _FULL.match(v) else None


def find_orb_file(orb_dir: Path, namespace: str, name: str, version: str) -> Optional[Path]:
    """The local file for ``namespace/name@version`` (layout in the module docstring)."""
    d = orb_dir / namespace
    if not d.is_dir():
        return None
    if _FULL.match(version) or version.startswith("dev:"):
        for ext in (".yml", ".yaml"):
            p = d / f"{name}@{version}{ext}"
            if p.is_file():
                return p
        return None
    if version != "volatile" and not _PREFIX.match(version):
        return None
    prefix = None if version == "volatile" else tuple(int(p) for p in version.split("."))
    best: Optional[Tuple[Tuple[int, ...], Path]] = None
    try:
        entries = os.listdir(d)
    except OSError:
        return None
    for entry in entries:
        stem, ext = os.path.splitext(entry)
        if ext not in (".yml", ".yaml") or not stem.startswith(name + "@"):
            continue
        key = _version_key(stem[len(name) + 1 :])
        if key is None or (prefix is not None and key[: len(prefix)] != prefix):
            continue
        if best is None or key > best[0]:
            best = (key, d / entry)
    return best[1] if best else None


class OrbLoader:
    """Builds namespaces for a config's ``orbs:`` (and orbs those orbs import)."""

    def __init__(
        self,
        orb_dir: Path,
        reporter: Reporter,
        config_source: Source,
        render_ref: Any,
        max_depth: int,
    ) -> None:
        self.orb_dir = orb_dir
        self.reporter = reporter
        self.config_source = config_source
        self.render_ref = render_ref
        self.max_depth = max_depth
        self.extra_diagnostics: List[Diagnostic] = []
        self._stack: List[str] = []

    def build(
        self, owner: Namespace, raw: Any, loc: Loc, anchor: Optional[Loc], depth: int
    ) -> None:
        """Fill ``owner.orbs`` from its ``orbs:`` mapping ``raw`` found at ``loc``.

        ``anchor`` is the config loc standing for file orbs (the top-level alias entry);
        ``None`` while building the config's own orbs.
        """
        if not isinstance(raw, dict):
            return
        for alias, spec in raw.items():
            aloc = (*loc, alias)
            here = aloc if anchor is None else anchor
            if isinstance(spec, dict):
                ns = Namespace(alias, "inline", owner.source, aloc, "", spec, parent=_root(owner))
                self.build(ns, spec.get("orbs"), (*aloc, "orbs"), anchor, depth + 1)
                owner.orbs[alias] = ns
            elif isinstance(spec, str):
                owner.orbs[alias] = self._load(owner, alias, spec, aloc, here, depth)

    def _opaque(self, owner: Namespace, alias: str, ref: str) -> Namespace:
        return Namespace(alias, "opaque", owner.source, (), ref, {}, parent=_root(owner))

    def _load(
        self, owner: Namespace, alias: str, spec: str, loc: Loc, anchor: Loc, depth: int
    ) -> Namespace:
        src = owner.source
        ref = spec
        written = ""  # how a templated reference renders, for messages
        if "<<" in spec and owner.kind == "config":
            rendered = self.render_ref(spec, loc)
            ref = rendered if isinstance(rendered, str) else ""
            written = f" (renders to '{ref}')"
        parsed = parse_orb_reference(ref)
        if parsed is None:
            if ref.startswith(("https://", "http://")):
                self.reporter.report(
                    src,
                    loc,
                    "orb-unavailable",
                    f"Orb '{alias}' ({ref}) is a URL orb, which is not "
                    "available offline; its jobs, commands and executors "
                    "are opaque",
                    severity=Severity.WARNING,
                    context=False,
                )
            elif "<<" not in ref:
                self.reporter.report(
                    src,
                    loc,
                    "orb-invalid-reference",
                    f"Invalid orb reference '{spec}'{written}: expected namespace/name@version",
                    context=False,
                    hint="e.g. circleci/node@5.1.0",
                )
            return self._opaque(owner, alias, ref or spec)
        namespace, name, version = parsed
        path = find_orb_file(self.orb_dir, namespace, name, version)
        if path is None:
            self.reporter.report(
                src,
                loc,
                "orb-unavailable",
                f"Orb '{ref}' is not available offline; its jobs, commands and executors "
                "are opaque",
                severity=Severity.WARNING,
                context=False,
                hint=f"put its source at {self.orb_dir / namespace / (name + '@<version>.yml')}"
                " (e.g. from 'circleci orb source') to compile it fully",
            )
            return self._opaque(owner, alias, ref)
        key = str(path.resolve())
        if key in self._stack or depth >= self.max_depth:
            self.reporter.report(
                src,
                loc,
                "orb-cycle",
                f"Orb '{ref}' imports itself (through "
                + " -> ".join(Path(p).name for p in self._stack)
                + ")"
                if key in self._stack
                else f"Orbs are nested more than {self.max_depth} levels deep",
                context=False,
            )
            return self._opaque(owner, alias, ref)
        try:
            result = _read_orb_file(path)
        except (OSError, UnicodeDecodeError) as exc:
            self.reporter.report(
                src,
                loc,
                "orb-unavailable",
                f"Orb '{ref}' could not be read from {path}: {exc}",
                severity=Severity.WARNING,
                context=False,
            )
            return self._opaque(owner, alias, ref)
        self.extra_diagnostics.extend(result.diagnostics)
        if not isinstance(result.data, dict):
            self.reporter.report(
                src,
                loc,
                "orb-invalid",
                f"Orb '{ref}' in {path} is not a mapping of orb elements",
                context=False,
            )
            return self._opaque(owner, alias, ref)
        resolved = f"{namespace}/{name}@{path.stem.split('@', 1)[1]}"
        fsrc = Source(result.source_map, str(path), False, anchor)
        ns = Namespace(alias, "file", fsrc, (), resolved, result.data, parent=_root(owner))
        self._stack.append(key)
        try:
            self.build(ns, result.data.get("orbs"), ("orbs",), anchor, depth + 1)
        finally:
            self._stack.pop()
        return ns


def _root(ns: Namespace) -> Namespace:
    while ns.parent is not None:
        ns = ns.parent
    return ns
