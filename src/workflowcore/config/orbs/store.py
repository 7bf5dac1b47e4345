"""The local orb store: where published orbs are found offline, and which version a
reference resolves to (docs/orbs.md, "Store and resolution").

A store is an ordered list of directories (*roots*); each may hold, for an orb
``namespace/name`` at version ``V``, any of::

    <root>/<namespace>/<name>@<V>.yml           a packed orb (also .yaml), e.g. from
                                                `circleci orb source` or `orb pack -o`
    <root>/<namespace>/<name>/<V>/@orb.yml       an orb source tree (development layout),
                                                packed when it is read
    <root>/<namespace>/<name>/<V>/orb.yml        a single-file orb in a version folder

so a directory laid out like ``shared/orbs/`` (``<namespace>/<name>/<version>/``) is a
store as it is. The first root that holds a version wins for that version.

Resolution (CircleCI's, R10.6): ``X.Y.Z`` is that release; ``X`` and ``X.Y`` the highest
release with that prefix; ``volatile`` the highest of all; ``dev:label`` only the file
``<name>@dev:label.yml``. Only releases present in the store count: the resolution is what
this store can give, and it is reported (``Resolved``) so a caller can say which version
it used, and pinned in a lock file (:mod:`.lock`).

Reading is bounded like every user file (``config._files``); packed trees are cached by
path and the modification times of their files, so an editor recompiling on each
keystroke does not pack the same tree again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from ..._paths import cache_dir
from ...diagnostics import Diagnostic
from .._files import read_bounded
from .._yaml import DEFAULT_MAX_CHARS, parse_yaml
from ..sourcemap import SourceMap

__all__ = [
    "ENV_USER_STORE",
    "OrbStore",
    "Resolved",
    "StoredOrb",
    "default_user_store",
    "orb_digest",
    "parse_version",
    "version_matches",
]

#: Environment variable naming the per-user store (default: the user cache directory).
ENV_USER_STORE = "WORKFLOWCORE_ORB_STORE"

_FULL = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_PREFIX = re.compile(r"^\d+(?:\.\d+)?$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CACHE_MAX = 256


def default_user_store() -> Path:
    """``$WORKFLOWCORE_ORB_STORE``, else ``$XDG_CACHE_HOME/workflowcore/orbs``, else
    ``~/.cache/workflowcore/orbs``."""
    env = os.environ.get(ENV_USER_STORE)
    if env:
        return Path(env)
    return cache_dir() / "orbs"


def parse_version(version: str) -> Optional[Tuple[int, int, int]]:
    """``"5.0.3"`` → ``(5, 0, 3)``; ``None`` for anything that is not a full release."""
    m = _FULL.match(version)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def version_matches(requested: str, version: str) -> bool:
    """Whether release ``version`` satisfies ``requested`` (``5``, ``5.1``, ``5.1.2``,
    ``volatile``); ``dev:`` versions match only themselves."""
    if requested == version:
        return True
    full = parse_version(version)
    if full is None:
        return False
    if requested == "volatile":
        return True
    if not _PREFIX.match(requested):
        return False
    prefix = tuple(int(p) for p in requested.split("."))
    return full[: len(prefix)] == prefix


class StoredOrb(NamedTuple):
    """One orb version present in a store: where it is and in which layout (``file``: a
    packed orb; ``tree``: a source tree; ``single``: an ``orb.yml`` in a version folder)."""

    namespace: str
    name: str
    version: str
    path: Path
    layout: str

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}@{self.version}"


class Resolved(NamedTuple):
    """What a reference resolved to: the text of the packed orb, its data and source map
    (positions in the packed text), the diagnostics of reading (or packing) it, and
    :attr:`digest`, the SHA-256 of the packed text (what a lock file records)."""

    requested: str
    orb: StoredOrb
    text: str
    data: object
    source_map: SourceMap
    diagnostics: Tuple[Diagnostic, ...] = ()
    digest: str = ""
    #: for a source tree: each element's source file, by ``(section, name)``
    element_files: Mapping[Tuple[str, str], str] = {}
    #: for a source tree: the :class:`~._pack.PackResult` (where each part was written)
    pack: Optional[Any] = None

    def remap(self, loc: Tuple[Any, ...]) -> Optional[Tuple[str, SourceMap, Tuple[Any, ...],
                                                             bool]]:
        """For a source tree: the file a loc of the packed orb was written in, that file's
        source map, the loc in it, and whether the value was included (not the file's own
        text); ``None`` for a packed file or an unknown loc."""
        pack = self.pack
        if pack is None:
            return None
        origin = pack.origin(loc)
        if origin is None or origin.path not in pack.files:
            return None
        return (origin.path, pack.files[origin.path], tuple(origin.loc),
                pack.included_from(loc) is not None)


def orb_digest(text: str) -> str:
    """``sha256:<hex>`` of the packed orb text (UTF-8), as lock files record it."""
    import hashlib  # here: OpenSSL's ~2.5 ms stay off a cold validate without orbs

    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_READ_CACHE: Dict[str, Tuple[Tuple[Tuple[str, int, int], ...], Resolved]] = {}


def _stamp(orb: StoredOrb) -> Tuple[Tuple[str, int, int], ...]:
    """Modification stamps of the files an orb is read from (a tree: every file)."""
    out: List[Tuple[str, int, int]] = []
    if orb.layout != "tree":
        st = os.stat(orb.path)
        return ((str(orb.path), st.st_mtime_ns, st.st_size),)
    for dirpath, dirnames, filenames in os.walk(orb.path):
        dirnames.sort()
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out.append((p, st.st_mtime_ns, st.st_size))
        if len(out) > 5000:  # the packer refuses such a tree anyway
            break
    return tuple(out)


class OrbStore:
    """An ordered list of store roots (see the module docstring)."""

    def __init__(self, roots: Iterable[Union[str, os.PathLike[str]]]) -> None:
        seen: List[Path] = []
        for r in roots:
            p = Path(r)
            if p not in seen:
                seen.append(p)
        self.roots: Tuple[Path, ...] = tuple(seen)

    def __repr__(self) -> str:
        return f"OrbStore({[str(r) for r in self.roots]!r})"

    def describe(self) -> str:
        """The roots, for messages."""
        return ", ".join(str(r) for r in self.roots) or "(no store)"

    # -- what is there ----------------------------------------------------------------
    def versions(self, namespace: str, name: str) -> Dict[str, StoredOrb]:
        """Every version of ``namespace/name`` in the store (the first root wins)."""
        out: Dict[str, StoredOrb] = {}
        if not (_NAME.match(namespace) and _NAME.match(name)):
            return out
        for root in self.roots:
            base = root / namespace
            try:
                entries = sorted(os.listdir(base))
            except OSError:
                continue
            for entry in entries:
                stem, ext = os.path.splitext(entry)
                if ext in (".yml", ".yaml") and stem.startswith(name + "@"):
                    version = stem[len(name) + 1:]
                    path = base / entry
                    if version and version not in out and path.is_file():
                        out[version] = StoredOrb(namespace, name, version, path, "file")
            folder = base / name
            try:
                versions = sorted(os.listdir(folder))
            except OSError:
                continue
            for version in versions:
                if version in out or not (parse_version(version) or
                                          version.startswith("dev:")):
                    continue
                vdir = folder / version
                if (vdir / "@orb.yml").is_file():
                    out[version] = StoredOrb(namespace, name, version, vdir, "tree")
                elif (vdir / "orb.yml").is_file():
                    out[version] = StoredOrb(namespace, name, version, vdir / "orb.yml",
                                             "single")
        return out

    def orbs(self) -> List[StoredOrb]:
        """Every orb version in the store, sorted by reference."""
        found: Dict[str, StoredOrb] = {}
        for root in self.roots:
            try:
                namespaces = sorted(os.listdir(root))
            except OSError:
                continue
            for ns in namespaces:
                try:
                    entries = os.listdir(root / ns)
                except OSError:
                    continue
                names = {e.split("@", 1)[0] for e in entries if "@" in e} | \
                    {e for e in entries if (root / ns / e).is_dir()}
                for name in names:
                    for orb in self.versions(ns, name).values():
                        found.setdefault(orb.ref, orb)
        return [found[k] for k in sorted(found)]

    def find(self, namespace: str, name: str, requested: str,
             pinned: Optional[str] = None) -> Optional[StoredOrb]:
        """The version ``requested`` resolves to here (``None``: nothing matches).
        ``pinned`` (from a lock file) wins when the store has it and it matches."""
        versions = self.versions(namespace, name)
        if pinned is not None and pinned in versions and version_matches(requested, pinned):
            return versions[pinned]
        if requested in versions:
            return versions[requested]
        best: Optional[Tuple[Tuple[int, int, int], StoredOrb]] = None
        for version, orb in versions.items():
            key = parse_version(version)
            if key is None or not version_matches(requested, version):
                continue
            if best is None or key > best[0]:
                best = (key, orb)
        return best[1] if best else None

    # -- reading ---------------------------------------------------------------------
    def read(self, orb: StoredOrb, requested: str = "") -> Resolved:
        """The orb's packed text, data and diagnostics (cached until a file changes).
        Raises ``OSError`` when the orb cannot be read at all."""
        stamp = _stamp(orb)
        key = f"{orb.layout}:{orb.path}"
        hit = _READ_CACHE.get(key)
        if hit is not None and hit[0] == stamp:
            r = hit[1]
            return r if r.requested == requested else r._replace(requested=requested)
        packed: Optional[Any] = None
        if orb.layout == "tree":
            from ._pack import pack_orb  # the packer is only needed for source trees

            packed = pack_orb(orb.path)
            text = packed.text
            diags: List[Diagnostic] = list(packed.diagnostics)
            files: Dict[Tuple[str, str], str] = {}
            for loc, origin in packed.origins.items():
                if len(loc) == 2 and isinstance(loc[0], str) and isinstance(loc[1], str):
                    files[(loc[0], loc[1])] = origin.path
        else:
            text = read_bounded(orb.path, 4 * DEFAULT_MAX_CHARS).decode("utf-8-sig")
            diags, files = [], {}
        parsed = parse_yaml(text, str(orb.path))
        diags.extend(parsed.diagnostics)
        result = Resolved(requested, orb, text, parsed.data, parsed.source_map, tuple(diags),
                          orb_digest(text), files, packed)
        if len(_READ_CACHE) >= _CACHE_MAX:
            _READ_CACHE.pop(next(iter(_READ_CACHE)))
        _READ_CACHE[key] = (stamp, result)
        return result


def store_for(config_path: Optional[str], orb_dir: Optional[Union[str, os.PathLike[str]]],
              ) -> OrbStore:
    """The store a command uses: ``.circleci/orbs/`` beside the config (project orbs), then
    ``orb_dir`` when given (``--orb-dir``), else the per-user store."""
    roots: List[Path] = []
    if config_path and config_path not in ("", "<string>"):
        p = Path(config_path)
        if p.is_file():
            roots.append(p.parent / "orbs")
    roots.append(Path(orb_dir) if orb_dir is not None else default_user_store())
    return OrbStore(roots)


def as_store(value: Union[str, os.PathLike[str], OrbStore, Sequence[str], None],
             config_path: Optional[str]) -> OrbStore:
    """An :class:`OrbStore` from what an API caller passed as ``orb_dir``."""
    if isinstance(value, OrbStore):
        return value
    if isinstance(value, (list, tuple)):
        return OrbStore(value)
    return store_for(config_path, value)  # type: ignore[arg-type]
