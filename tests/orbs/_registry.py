"""A local stand-in for CircleCI's orb registry (the registry itself cannot be reached from
the test machines): an HTTP server on 127.0.0.1 that answers the query of
``circleci orb source`` in the registry's shapes.

The shapes, from circleci-cli (github.com/CircleCI-Public/circleci-cli):

* the request — ``api/graphql/client.go`` (``Request``: ``{"query": ..., "variables":
  {...}}``, POSTed as ``application/json; charset=utf-8``) with the query and variable of
  ``api/api.go`` ``OrbSource`` (``orbVersion(orbVersionRef: $orbVersionRef) { id version
  orb { id } source }``; ``orbVersionRef`` is ``namespace/name@version``, the version as
  written: ``5``, ``5.1``, ``5.1.0``, ``volatile``, ``dev:label``), at the endpoint
  ``graphql-unstable`` of ``https://circleci.com`` (``cmd/root.go``);
* the answer — ``{"data": {"orbVersion": {"id", "version", "orb": {"id"}, "source"}}}``
  (``cmd/orb_test.go``, "orb source" / "orb info": ``"version": "dev:foo"``, ``"source":
  "some orb"``); an orb or version that does not exist is ``{"data": {"orbVersion": {}}}``
  in the CLI's tests (``"no Orb 'my/orb@dev:foo' was found"``) and ``null`` from the live
  API, so both are served; a refused query is ``{"errors": [{"message": ...}]}``
  (``api/graphql/client.go`` ``ResponseError``).

The registry resolves a partial version (``5``, ``5.1``) and ``volatile`` to the highest
matching release and answers with that ``version``; :meth:`FakeRegistry.resolve` does the
same over the orbs it was given.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Mapping, Optional, Tuple

ENDPOINT = "/graphql-unstable"
QUERY_MARK = "orbVersion(orbVersionRef: $orbVersionRef)"


def orb_version_answer(version: str, source: str, name: str = "ns/orb") -> Dict[str, Any]:
    """The registry's answer for a version that exists (``api/api.go`` ``OrbSource``)."""
    return {"data": {"orbVersion": {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}@{version}")),
        "version": version,
        "orb": {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, name))},
        "source": source,
    }}}


#: No such orb or version: the live API's ``null`` and the CLI tests' ``{}``.
NOT_FOUND: Dict[str, Any] = {"data": {"orbVersion": None}}
NOT_FOUND_EMPTY: Dict[str, Any] = {"data": {"orbVersion": {}}}


def errors_answer(*messages: str) -> Dict[str, Any]:
    """A refused query (``api/graphql/client.go`` ``ResponseErrorsCollection``)."""
    return {"errors": [{"message": m, "locations": [{"line": 2, "column": 3}]}
                       for m in messages], "data": None}


@dataclass
class Canned:
    """A fixed answer for one ``orbVersionRef``: status, body, extra headers, and a delay
    before answering."""

    body: bytes = b""
    status: int = 200
    headers: Dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: send the headers as given, without a Content-Length of the body
    raw_length: bool = False


def _key(version: str) -> Optional[Tuple[int, ...]]:
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


class FakeRegistry:
    """``with FakeRegistry({"ns/name": {"1.2.0": source}}) as reg: reg.url``.

    ``canned[ref]`` answers ``ref`` instead; ``requests`` records every request body
    (decoded JSON) and ``headers`` its headers."""

    def __init__(self, orbs: Optional[Mapping[str, Mapping[str, str]]] = None,
                 host: str = "127.0.0.1") -> None:
        self.orbs: Dict[str, Dict[str, str]] = {k: dict(v) for k, v in (orbs or {}).items()}
        self.canned: Dict[str, Canned] = {}
        self.requests: List[Any] = []
        self.headers: List[Dict[str, str]] = []
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{ENDPOINT}"

    @property
    def asked(self) -> List[str]:
        """The ``orbVersionRef`` of every request, in order."""
        return [r.get("variables", {}).get("orbVersionRef") for r in self.requests
                if isinstance(r, dict)]

    def __enter__(self) -> FakeRegistry:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def resolve(self, ref: str) -> Optional[Tuple[str, str]]:
        """``(version, source)`` as the registry resolves ``ref``, or ``None``."""
        name, _, requested = ref.partition("@")
        versions = self.orbs.get(name, {})
        if requested in versions:
            return requested, versions[requested]
        prefix = None if requested == "volatile" else requested.split(".")
        if prefix is not None and not all(p.isdigit() for p in prefix):
            return None
        best: Optional[Tuple[Tuple[int, ...], str]] = None
        for v in versions:
            k = _key(v)
            if k is None or (prefix is not None and
                             k[: len(prefix)] != tuple(int(p) for p in prefix)):
                continue
            if best is None or k > best[0]:
                best = (k, v)
        return (best[1], versions[best[1]]) if best else None

    def answer(self, ref: str) -> Canned:
        if ref in self.canned:
            return self.canned[ref]
        got = self.resolve(ref)
        body = (orb_version_answer(got[0], got[1], ref.partition("@")[0])
                if got else NOT_FOUND)
        return Canned(json.dumps(body).encode())

    def _handler(self) -> type:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = None
                registry.requests.append(body)
                registry.headers.append(dict(self.headers.items()))
                if not self.path.startswith(ENDPOINT) or not isinstance(body, dict) \
                        or QUERY_MARK not in str(body.get("query")):
                    self._send(Canned(json.dumps(errors_answer("bad request")).encode(), 400))
                    return
                ref = str((body.get("variables") or {}).get("orbVersionRef"))
                self._send(registry.answer(ref))

            def _send(self, c: Canned) -> None:
                if c.delay and registry._stop.wait(c.delay):
                    return
                try:
                    self.send_response(c.status)
                    self.send_header("Content-Type", "application/json")
                    for k, v in c.headers.items():
                        self.send_header(k, v)
                    if not c.raw_length:
                        self.send_header("Content-Length", str(len(c.body)))
                    self.end_headers()
                    self.wfile.write(c.body)
                except OSError:  # the client gave up
                    pass

        return Handler


def closed_port_url() -> str:
    """A registry URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{ENDPOINT}"


def orb_source(description: str, imports: Optional[Mapping[str, str]] = None,
               command: str = "hello") -> str:
    """A small valid packed orb with one command (using its imports' nothing)."""
    lines = ["version: 2.1", f"description: {description}"]
    if imports:
        lines.append("orbs:")
        lines += [f"  {alias}: {ref}" for alias, ref in imports.items()]
    lines += ["commands:", f"  {command}:", "    steps:", f"      - run: echo {command}"]
    return "\n".join(lines) + "\n"
