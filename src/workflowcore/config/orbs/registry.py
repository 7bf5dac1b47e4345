"""Getting published orbs into the local orb store: adding one from its source, finding
which orbs a config needs that the store lacks, and fetching those from CircleCI's public
orb registry (docs/orbs.md, "Getting orbs in").

The registry is the GraphQL API ``circleci orb source`` uses (circleci-cli: ``api/api.go``
``OrbSource`` and ``orbVersionRef``; ``api/graphql/client.go`` for the request and the
answer; the default host and endpoint from ``cmd/root.go``). One request per orb::

    POST https://circleci.com/graphql-unstable
    Content-Type: application/json; charset=utf-8
    {"query": "query($orbVersionRef: String!) { orbVersion(orbVersionRef: $orbVersionRef)
               { id version orb { id } source } }",
     "variables": {"orbVersionRef": "circleci/node@5"}}

    200 {"data": {"orbVersion": {"id": "...", "version": "5.1.0", "orb": {"id": "..."},
                                 "source": "version: 2.1\\n..."}}}
    200 {"data": {"orbVersion": null}}            (or {}: no such orb or version)
    200 {"errors": [{"message": "..."}], ...}     (the query was refused)

The registry resolves the version (``5``, ``5.1``, ``volatile``: the highest matching
release); no token is needed for public orbs. What it answers is verified before anything
is stored: the answer has that shape, the version is the one asked for (or, for a partial
version, a release matching it), and the source reads as YAML and validates as an orb
without errors. Only the standard library is used: ``urllib`` with a timeout, a bound on
the answer's size, and redirects followed only to the same scheme, host and port.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import IO, Any, Deque, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ...diagnostics import Diagnostic
from .._yaml import DEFAULT_MAX_CHARS, parse_yaml
from .store import OrbStore, StoredOrb, orb_digest, parse_version, version_matches

__all__ = [
    "DEFAULT_REGISTRY_URL",
    "DEFAULT_TIMEOUT",
    "ENV_REGISTRY",
    "MAX_RESPONSE_BYTES",
    "ORB_SOURCE_QUERY",
    "FetchOutcome",
    "FetchedOrb",
    "ImportWalk",
    "RegistryClient",
    "RegistryError",
    "RegistryUnreachable",
    "StoreConflictError",
    "fetch_missing",
    "full_version_hint",
    "imports_of",
    "registry_url",
    "split_reference",
    "store_orb",
    "verify_orb_text",
    "walk_imports",
]

#: CircleCI's public GraphQL endpoint (circleci-cli ``cmd/root.go``: ``defaultHost`` +
#: ``defaultEndpoint``).
DEFAULT_REGISTRY_URL = "https://circleci.com/graphql-unstable"
#: Environment variable overriding the registry URL (``--registry`` wins over it).
ENV_REGISTRY = "WORKFLOWCORE_ORB_REGISTRY"
#: The query of ``circleci orb source`` (circleci-cli ``api/api.go`` ``OrbSource``).
ORB_SOURCE_QUERY = ("query($orbVersionRef: String!) {\n"
                    "  orbVersion(orbVersionRef: $orbVersionRef) {\n"
                    "    id\n    version\n    orb { id }\n    source\n  }\n}")
#: Seconds to wait for the registry to connect and to answer.
DEFAULT_TIMEOUT = 30.0
#: The largest answer read (the largest real orbs are under 100 KiB packed).
MAX_RESPONSE_BYTES = 8 * 1024 * 1024

_REF = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)/([A-Za-z0-9][A-Za-z0-9_.-]*)@(\S+)$")
_DEV = re.compile(r"^dev:[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PARTIAL = re.compile(r"^\d+(?:\.\d+)?$")
#: At most this many orb references are looked at in one walk (a config imports a handful).
_MAX_REFS = 1000
#: At most this many rounds of fetching (each round fetches what the last one revealed).
_MAX_ROUNDS = 20


class RegistryError(Exception):
    """The registry answered, but not with a usable orb (the message names the orb and what
    was wrong); ``diagnostics`` holds the validation errors of a source that is not a valid
    orb."""

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics: Tuple[Diagnostic, ...] = tuple(diagnostics)


class RegistryUnreachable(Exception):
    """The registry could not be reached at all (no network, DNS failure, connection
    refused, no answer in time)."""


class StoreConflictError(Exception):
    """The store already holds a different orb at that version."""

    def __init__(self, existing: StoredOrb, existing_digest: str, digest: str) -> None:
        super().__init__(f"the store already holds a different {existing.ref} "
                         f"({existing.path}, {existing_digest}); this one is {digest}")
        self.existing = existing
        self.existing_digest = existing_digest
        self.digest = digest


def split_reference(ref: str) -> Optional[Tuple[str, str, str]]:
    """``"circleci/node@5"`` → ``("circleci", "node", "5")``; ``None`` for anything that is
    not ``namespace/name@version`` (URL orbs, templated references)."""
    m = _REF.match(ref.strip())
    if m is None or "<<" in ref:
        return None
    return m.group(1), m.group(2), m.group(3)


def _storable(version: str) -> bool:
    """A version that can name a store file: a release or a ``dev:`` label (no ``/``)."""
    return parse_version(version) is not None or bool(_DEV.match(version))


def _fetchable(version: str) -> bool:
    return _storable(version) or version == "volatile" or bool(_PARTIAL.match(version))


def full_version_hint(ref: str) -> str:
    """``ns/x@5`` → ``ns/x@5.Y.Z``: the shape of the full version ``orb add`` needs."""
    parsed = split_reference(ref)
    if parsed is None:
        return ref
    ns, name, version = parsed
    if _storable(version):
        return ref
    parts = [] if version == "volatile" else version.split(".")
    filled = parts + ["X", "Y", "Z"][len(parts):]
    return f"{ns}/{name}@{'.'.join(filled)}"


def registry_url(explicit: Optional[str] = None) -> str:
    """``explicit`` (``--registry``), else ``$WORKFLOWCORE_ORB_REGISTRY``, else CircleCI's.
    Raises ``ValueError`` for a URL that is not ``http(s)://host...``."""
    url = explicit or os.environ.get(ENV_REGISTRY) or DEFAULT_REGISTRY_URL
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"orb registry URL {url!r}: expected http(s)://host/path")
    return url


# -- verifying and storing ----------------------------------------------------------------

def verify_orb_text(text: str, label: str) -> List[Diagnostic]:
    """Every problem of the orb ``text`` (YAML, then :func:`validate_orb`), positioned in
    ``label``. The orb is usable when none is an error."""
    from ._pack import Origin, PackResult  # lazily: validation imports the compiler
    from ._validate import validate_orb

    y = parse_yaml(text, label, max_chars=max(DEFAULT_MAX_CHARS, len(text)))
    diags = list(y.diagnostics)
    data = y.data
    if data is None and not any(d.is_error for d in diags):
        diags.append(Diagnostic(code="orb-empty", message="the orb is empty", path=label))
    elif data is not None and not isinstance(data, dict):
        diags.append(y.source_map.diagnostic(
            (), "orb-not-mapping", f"an orb must be a mapping of keys (version, description, "
                                   f"commands, ...), not {type(data).__name__}"))
        data = None
    pack = PackResult(label, data, text, diags, single_file=True,
                      origins={(): Origin(label, ())}, files={label: y.source_map})
    return list(validate_orb(pack).diagnostics)


def store_orb(root: Path, namespace: str, name: str, version: str, text: str, *,
              force: bool = False) -> Tuple[StoredOrb, str]:
    """Store the packed orb ``text`` as ``<root>/<namespace>/<name>@<version>.yml``,
    atomically (a temporary file renamed into place). Returns the stored orb and what
    happened: ``"stored"``, ``"unchanged"`` (the same orb was there) or ``"replaced"``.

    A different orb already at that version (any layout) raises
    :class:`StoreConflictError` unless ``force``. Raises ``ValueError`` for names or a
    version that cannot name a store file, ``OSError`` when writing fails."""
    if split_reference(f"{namespace}/{name}@{version}") is None or not _storable(version):
        raise ValueError(f"'{namespace}/{name}@{version}' cannot be stored: expected "
                         "namespace/name@X.Y.Z")
    digest = orb_digest(text)
    here = OrbStore([root])
    existing = here.versions(namespace, name).get(version)
    target = root / namespace / f"{name}@{version}.yml"
    status = "stored"
    if existing is not None:
        try:
            old = here.read(existing).digest
        except (OSError, UnicodeDecodeError):
            old = "(unreadable)"
        if old == digest:
            return existing, "unchanged"
        if not force:
            raise StoreConflictError(existing, old, digest)
        status = "replaced"
        if existing.layout == "file":
            target = existing.path  # keep its name (.yaml), so it is not shadowed
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return StoredOrb(namespace, name, version, target, "file"), status


# -- the registry -----------------------------------------------------------------------

@dataclass(frozen=True)
class FetchedOrb:
    """A verified orb from the registry: what was asked (``requested``), the version the
    registry gave, the source text and its digest, and the validation warnings."""

    requested: str
    namespace: str
    name: str
    version: str
    text: str
    digest: str
    diagnostics: Tuple[Diagnostic, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}@{self.version}"


def _origin(url: str) -> Tuple[str, str, Optional[int]]:
    p = urllib.parse.urlsplit(url)
    port = p.port or {"http": 80, "https": 443}.get(p.scheme)
    return p.scheme, (p.hostname or "").lower(), port


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same scheme, host and port, and re-sends the query
    there (a GraphQL POST turned into a GET would be useless)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: Any, newurl: str
                         ) -> Optional[urllib.request.Request]:
        if _origin(newurl) != _origin(req.full_url):
            fp.close()
            raise RegistryError(f"the orb registry {req.full_url} redirected to another host "
                                f"({newurl}); not followed")
        return urllib.request.Request(newurl, data=req.data, headers=dict(req.header_items()),
                                      method=req.get_method())


class RegistryClient:
    """Asks the registry at ``url`` for orb sources (see the module docstring)."""

    def __init__(self, url: Optional[str] = None, *, timeout: float = DEFAULT_TIMEOUT,
                 max_bytes: int = MAX_RESPONSE_BYTES, user_agent: str = "workflowcore") -> None:
        self.url = registry_url(url)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self._opener = urllib.request.build_opener(_SameOriginRedirects())

    def _post(self, ref: str) -> bytes:
        body = json.dumps({"query": ORB_SOURCE_QUERY,
                           "variables": {"orbVersionRef": ref}}).encode("utf-8")
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json; charset=utf-8",
            "User-Agent": self.user_agent,
        })
        where = f"the orb registry {self.url}"
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                length = resp.headers.get("Content-Length")
                if length and length.strip().isdigit() and int(length) > self.max_bytes:
                    raise RegistryError(f"{where} answered {int(length)} bytes for {ref}, "
                                        f"more than the {self.max_bytes} accepted")
                raw = self._read(resp, ref)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise RegistryError(f"{where} answered HTTP {exc.code} {exc.reason} for "
                                f"{ref}") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLError):
                raise RegistryError(f"{where}: secure connection failed: {reason}") from None
            raise RegistryUnreachable(f"cannot reach {where}: {_why(reason)}") from None
        except (socket.timeout, TimeoutError, ConnectionError) as exc:  # while reading
            raise RegistryUnreachable(f"cannot reach {where}: {_why(exc)}") from None
        except HTTPException as exc:
            raise RegistryError(f"{where} sent a broken HTTP answer for {ref}: "
                                f"{type(exc).__name__} {exc}") from None
        return raw

    def _read(self, resp: IO[bytes], ref: str) -> bytes:
        """The body, at most ``max_bytes``, within ``timeout`` seconds in all (a server
        trickling bytes does not hold the command)."""
        deadline = time.monotonic() + self.timeout
        chunks: List[bytes] = []
        size = 0
        while True:
            chunk = resp.read(min(65536, self.max_bytes + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                raise RegistryError(f"the orb registry {self.url} answered more than "
                                    f"{self.max_bytes} bytes for {ref}; refused")
            if time.monotonic() > deadline:
                raise RegistryUnreachable(f"cannot reach the orb registry {self.url}: its "
                                          f"answer for {ref} took more than "
                                          f"{self.timeout:g} s")

    def source(self, ref: str) -> Tuple[str, str]:
        """The registry's ``(version, source)`` for ``ref``, checked for shape only.
        Raises :class:`RegistryError` or :class:`RegistryUnreachable`."""
        raw = self._post(ref)
        what = f"the orb registry's answer for {ref}"
        try:
            answer: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise RegistryError(f"{what} is not JSON: {exc}") from None
        if not isinstance(answer, dict):
            raise RegistryError(f"{what} is not a GraphQL answer (a JSON object with `data`)")
        errors = answer.get("errors")
        if errors:
            messages = [str(e.get("message")) if isinstance(e, dict) else str(e)
                        for e in (errors if isinstance(errors, list) else [errors])]
            raise RegistryError(f"the orb registry refused {ref}: " + "; ".join(messages))
        data = answer.get("data")
        if not isinstance(data, dict) or "orbVersion" not in data:
            raise RegistryError(f"{what} has no `data.orbVersion`")
        ov = data["orbVersion"]
        if ov is None or ov == {} or (isinstance(ov, dict) and not ov.get("id")):
            raise RegistryError(f"no orb {ref} in the orb registry; check the namespace, "
                                "name and version")
        if not isinstance(ov, dict):
            raise RegistryError(f"{what}: `orbVersion` is not an object")
        version, source = ov.get("version"), ov.get("source")
        if not isinstance(version, str) or not isinstance(source, str):
            raise RegistryError(f"{what}: `orbVersion` needs `version` and `source` as text")
        return version, source

    def fetch(self, ref: str) -> FetchedOrb:
        """The verified orb for ``ref`` (``namespace/name@version``; a partial version or
        ``volatile`` is resolved by the registry). Raises :class:`RegistryError` (a bad
        answer, a version other than asked, an invalid orb) or
        :class:`RegistryUnreachable`."""
        parsed = split_reference(ref)
        if parsed is None or not _fetchable(parsed[2]):
            raise RegistryError(f"'{ref}' cannot be fetched: expected namespace/name@version "
                                "(X, X.Y, X.Y.Z, volatile or dev:label)")
        namespace, name, requested = parsed
        version, source = self.source(ref)
        if _storable(requested):
            wrong = version != requested
        else:  # partial or volatile: a release matching it
            wrong = parse_version(version) is None or not version_matches(requested, version)
        if wrong:
            raise RegistryError(f"asked the orb registry for {ref}, it answered version "
                                f"{version!r}; not stored")
        label = f"{namespace}/{name}@{version} (from the orb registry)"
        diags = verify_orb_text(source, label)
        errors = [d for d in diags if d.is_error]
        if errors:
            raise RegistryError(f"the orb registry's {namespace}/{name}@{version} is not a "
                                f"valid orb ({len(errors)} error"
                                f"{'s' if len(errors) != 1 else ''}); not stored", errors)
        return FetchedOrb(ref, namespace, name, version, source, orb_digest(source),
                          tuple(diags))


def _why(reason: object) -> str:
    """Why a connection failed, in a few words ("connection refused")."""
    if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason):
        return "no answer in time"
    text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
    return text[:1].lower() + text[1:]


# -- what a config needs ------------------------------------------------------------------

def imports_of(data: Any) -> List[str]:
    """The references an orb (or a config) imports under ``orbs:``, inline orbs' included."""
    out: List[str] = []
    todo: List[Any] = [data]
    while todo:
        node = todo.pop()
        orbs = node.get("orbs") if isinstance(node, dict) else None
        if not isinstance(orbs, dict):
            continue
        for spec in orbs.values():
            if isinstance(spec, str):
                out.append(spec)
            elif isinstance(spec, dict):
                todo.append(spec)
    return out


@dataclass
class ImportWalk:
    """Every orb reference reached from some starting references, through the imports of
    the orbs the store has.

    ``found``: reference → the stored orb it resolves to; ``missing``: reference → the
    reference to fetch (the locked version when the reference is pinned), in the order
    they were reached; ``skipped``: references that are not ``namespace/name@version``
    (URL orbs, templates), which no store resolves; ``unreadable``: reference → why a
    stored orb could not be read."""

    found: Dict[str, StoredOrb] = field(default_factory=dict)
    missing: Dict[str, str] = field(default_factory=dict)
    skipped: List[str] = field(default_factory=list)
    unreadable: Dict[str, str] = field(default_factory=dict)


def walk_imports(store: OrbStore, refs: Iterable[str],
                 pins: Optional[Mapping[str, str]] = None) -> ImportWalk:
    """Resolve ``refs`` in ``store`` as the compiler does (a pin wins when the store has
    it and it matches), then the imports of every orb found, transitively. A pinned
    reference whose locked version the store lacks is *missing* (to fetch that version),
    even when another version would match."""
    pins = pins or {}
    walk = ImportWalk()
    queue: Deque[str] = deque(refs)
    seen: Set[str] = set()
    while queue and len(seen) < _MAX_REFS:
        ref = queue.popleft().strip()
        if ref in seen:
            continue
        seen.add(ref)
        parsed = split_reference(ref)
        if parsed is None or not _fetchable(parsed[2]):
            walk.skipped.append(ref)
            continue
        namespace, name, version = parsed
        pin = pins.get(ref)
        if pin is not None and not version_matches(version, pin):
            pin = None  # the store ignores such a pin too
        found = store.find(namespace, name, version, pin)
        if found is None or (pin is not None and found.version != pin):
            walk.missing[ref] = f"{namespace}/{name}@{pin or version}"
            continue
        walk.found[ref] = found
        try:
            data = store.read(found, ref).data
        except (OSError, UnicodeDecodeError) as exc:
            walk.unreadable[ref] = f"{found.path}: {exc}"
            continue
        queue.extend(imports_of(data))
    return walk


@dataclass
class FetchOutcome:
    """What :func:`fetch_missing` did: ``fetched`` (reference as written, the verified orb,
    where it is stored, ``stored``/``unchanged``), ``failed`` (reference → the registry's
    error), and, when the registry could not be reached (``unreachable``: why), every
    reference still missing (``missing``: reference → reference to fetch)."""

    fetched: List[Tuple[str, FetchedOrb, StoredOrb, str]] = field(default_factory=list)
    failed: Dict[str, RegistryError] = field(default_factory=dict)
    missing: Dict[str, str] = field(default_factory=dict)
    unreachable: Optional[str] = None
    walk: ImportWalk = field(default_factory=ImportWalk)


def fetch_missing(store: OrbStore, target: Path, refs: Iterable[str],
                  client: RegistryClient, pins: Optional[Mapping[str, str]] = None
                  ) -> FetchOutcome:
    """Fetch every orb reached from ``refs`` (see :func:`walk_imports`) that ``store``
    lacks, verify it, and store it in the store root ``target`` (which should be one of
    ``store``'s roots, so what is fetched is found next). The imports of fetched orbs are
    fetched too. Stops at the first :class:`RegistryUnreachable`; an orb the registry
    answers badly for is recorded in ``failed`` and the others are still fetched.

    Raises ``OSError`` when a verified orb cannot be written to ``target``."""
    start = list(refs)
    out = FetchOutcome()
    asked: Set[str] = set()
    for _ in range(_MAX_ROUNDS):
        walk = walk_imports(store, start, pins)
        out.walk = walk
        todo = {ref: want for ref, want in walk.missing.items() if ref not in out.failed}
        for ref in [r for r in todo if r in asked]:  # fetched, yet the store lacks it
            out.failed[ref] = RegistryError(f"{todo.pop(ref)} was fetched and stored in "
                                            f"{target}, but the orb store does not find it "
                                            "there; is that one of the store's roots?")
        if not todo:
            break
        asked.update(todo)
        for ref, want in todo.items():
            try:
                got = client.fetch(want)
            except RegistryUnreachable as exc:
                out.unreachable = str(exc)
                out.missing = dict(todo)
                for done, _f, _s, _st in out.fetched:
                    out.missing.pop(done, None)
                return out
            except RegistryError as exc:
                out.failed[ref] = exc
                continue
            try:
                stored, status = store_orb(target, got.namespace, got.name, got.version,
                                           got.text)
            except StoreConflictError as exc:
                out.failed[ref] = RegistryError(f"{got.ref} from the orb registry differs "
                                                f"from the stored one: {exc}; not stored")
                continue
            out.fetched.append((ref, got, stored, status))
    return out
