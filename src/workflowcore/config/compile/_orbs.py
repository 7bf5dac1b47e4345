"""Namespaces of reusable elements: the config itself, inline orbs, orbs from the local
orb store, and orbs that are not available offline (R10.6).

Published orbs live on CircleCI's servers; offline they come from the orb store
(:mod:`workflowcore.config.orbs.store`: packed files and source trees, version resolution,
pins from a lock file). An orb that cannot be found is a warning, and its elements become
*opaque*: jobs are kept as placeholders, steps calling its commands are kept as written,
executors are not merged (``CompileResult.unavailable_orbs`` says which, and
``process``/``run`` refuse to pretend they were compiled).
"""

from __future__ import annotations

import os
import re
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Tuple,
    Union,
)

from ..._record import Record
from ...diagnostics import Diagnostic, Severity
from ._diag import Loc, Reporter, Source

if TYPE_CHECKING:  # the store is imported when a config imports an orb
    from pathlib import Path

    from ..orbs.store import OrbStore, Resolved

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


def parse_orb_reference(ref: str) -> Optional[Tuple[str, str, str]]:
    """``"circleci/node@5.1"`` → ``("circleci", "node", "5.1")``; ``None`` if malformed."""
    m = _REF_RE.match(ref.strip())
    return (m.group(1), m.group(2), m.group(3)) if m else None


class Namespace(Record):
    """One scope of element names. ``base`` is where its ``commands``/``executors``/
    ``jobs`` keys are inside ``source`` (``("orbs", "x")`` for an inline orb); ``kind`` is
    ``config``, ``inline``, ``file`` or ``opaque``."""

    __slots__ = ("alias", "kind", "source", "base", "ref", "data", "orbs", "parent")

    def __init__(self, alias: str, kind: str, source: Source, base: Loc = (), ref: str = "",
                 data: Optional[Dict[str, Any]] = None,
                 orbs: Optional[Dict[str, Namespace]] = None,
                 parent: Optional[Namespace] = None) -> None:
        self.alias = alias
        self.kind = kind
        self.source = source
        self.base = base
        self.ref = ref
        self.data: Dict[str, Any] = {} if data is None else data
        self.orbs: Dict[str, Namespace] = {} if orbs is None else orbs
        self.parent = parent

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


class Element(NamedTuple):
    """A resolved command/executor/job definition."""

    kind: str
    ref: str
    name: str
    ns: Namespace
    body: Any
    loc: Loc


class Opaque(NamedTuple):
    """A reference into an orb that is not available offline."""

    kind: str
    ref: str
    ns: Namespace


def lookup(ns: Namespace, kind: str, ref: str) -> Union[Element, Opaque, None]:
    """Resolve ``ref`` (``name`` or ``orb/name``) in ``ns``.

    An inline orb may also use the orbs the config imports [INFER: lenient, so configs
    that rely on it keep compiling]. A job the config itself defines under a name with a
    ``/`` (``upload latest/stable``, as a processed config names jobs) is that job, not an
    orb reference (docs/conformance.md, decision 3).
    """
    if "/" in ref and not (kind == "job" and ns.kind == "config" and ref in ns.section(kind)):
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

def find_orb_file(orb_dir: Union[str, os.PathLike[str]], namespace: str, name: str,
                  version: str) -> Optional[Path]:
    """The file (or source tree) of ``namespace/name@version`` in the store ``orb_dir``
    (resolution and layouts: :mod:`workflowcore.config.orbs.store`), or ``None``."""
    from ..orbs.store import OrbStore

    found = OrbStore([orb_dir]).find(namespace, name, version)
    return found.path if found is not None else None


class OrbLoader:
    """Builds namespaces for a config's ``orbs:`` (and orbs those orbs import). ``store``
    makes the orb store on first use: a config that imports no published orb never needs
    one (nor its module, on the cold start of ``validate``)."""

    def __init__(
        self,
        store: Callable[[], OrbStore],
        reporter: Reporter,
        config_source: Source,
        render_ref: Any,
        max_depth: int,
        pins: Optional[Mapping[str, str]] = None,
    ) -> None:
        self._make_store = store
        self._store: Optional[OrbStore] = None
        self.pins = dict(pins or {})
        #: orb references as written → what the store resolved them to
        self.resolved: Dict[str, Resolved] = {}
        self.reporter = reporter
        self.config_source = config_source
        self.render_ref = render_ref
        self.max_depth = max_depth
        self.extra_diagnostics: List[Diagnostic] = []
        #: Every orb that could not be had, by the alias it was imported under (the
        #: config's own import of an alias wins, then the first nested one).
        self.unavailable: Dict[str, str] = {}
        self._stack: List[str] = []

    @property
    def store(self) -> OrbStore:
        if self._store is None:
            self._store = self._make_store()
        return self._store

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
        if owner.kind == "config":
            self.unavailable[alias] = ref  # the config's own import of the alias wins
        else:
            self.unavailable.setdefault(alias, ref)
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
            elif "<<" in ref:
                # Lint mode, a reference naming a built-in pipeline value: which orb it is
                # is known only when a pipeline runs. Opaque, and said (it was silent, and
                # the processed config named an orb no `orbs:` declares: a fuzz finding).
                self.reporter.report(
                    src,
                    loc,
                    "orb-unavailable",
                    f"Orb '{alias}' is imported as '{spec}', which names a pipeline value "
                    "known only when a pipeline runs; its jobs, commands and executors are "
                    "opaque here",
                    severity=Severity.WARNING,
                    context=False,
                    hint="plan or process it for a trigger (--branch/--tag) to resolve the "
                         "orb",
                )
            else:
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
        found = self.store.find(namespace, name, version, self.pins.get(ref))
        if found is None:
            self.reporter.report(
                src,
                loc,
                "orb-unavailable",
                f"Orb '{ref}' is not available offline; its jobs, commands and executors "
                "are opaque",
                severity=Severity.WARNING,
                context=False,
                hint=f"no version matching '{version}' in the orb store "
                f"({self.store.describe()}); add its source there (docs/orbs.md) or pass "
                "--orb-dir",
            )
            return self._opaque(owner, alias, ref)
        key = str(found.path.resolve())
        if key in self._stack or depth >= self.max_depth:
            self.reporter.report(
                src,
                loc,
                "orb-cycle",
                f"Orb '{ref}' imports itself (through "
                + " -> ".join(os.path.basename(p) for p in self._stack)
                + ")"
                if key in self._stack
                else f"Orbs are nested more than {self.max_depth} levels deep",
                context=False,
            )
            return self._opaque(owner, alias, ref)
        try:
            result = self.store.read(found, ref)
        except (OSError, UnicodeDecodeError) as exc:
            self.reporter.report(
                src,
                loc,
                "orb-unavailable",
                f"Orb '{ref}' could not be read from {found.path}: {exc}",
                severity=Severity.WARNING,
                context=False,
            )
            return self._opaque(owner, alias, ref)
        self.extra_diagnostics.extend(result.diagnostics)
        path = found.path
        if not isinstance(result.data, dict):
            self.reporter.report(
                src,
                loc,
                "orb-invalid",
                f"Orb '{ref}' in {path} is not a mapping of orb elements",
                context=False,
            )
            return self._opaque(owner, alias, ref)
        self.resolved.setdefault(ref, result)
        resolved = found.ref
        fsrc = Source(result.source_map, str(path), False, anchor,
                      result.remap if result.pack is not None else None)
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
