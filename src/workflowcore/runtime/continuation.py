"""The continuation endpoint of one local pipeline (dynamic configuration, issue 12).

A ``setup: true`` config runs its setup workflow, whose job POSTs a generated config and
pipeline parameters to CircleCI's ``/api/v2/pipeline/continue`` with the pipeline's secret
``CIRCLE_CONTINUATION_KEY`` (the ``circleci/continuation`` and ``circleci/path-filtering``
orbs do it with ``curl``). Locally that request must not leave the machine: the job's ``curl``
(:mod:`workflowcore.runtime.jobtools`, ``_curl.py``) sends it to this server instead, a
loopback HTTP server (stdlib ``ThreadingHTTPServer`` on 127.0.0.1, an ephemeral port) that
holds one pipeline's continuation key and accepts one continuation.

It answers in the shapes of CircleCI's API reference (``continuePipeline``): a JSON body
``{"continuation-key": str, "configuration": str, "parameters": {name: str|number|bool}}``
(``parameters`` optional; at most 100 entries, names up to 128 characters, values up to
512), and ``{"message": str}`` back. Sources, and which messages are CircleCI's own words,
are in ``docs/continuation.md``:

* 200 ``Success.``: stored; the caller (the CLI) runs it once the setup phase is over.
* 409 ``Pipeline is not in setup state.``: a second continuation (CircleCI's answer,
  CircleCI-Public/continuation-orb issues 12 and 51); a pipeline is continued once.
* 400 ``Conflicting pipeline parameters.``: a parameter the trigger already gave
  (CircleCI's message; "pipeline parameters submitted at continuation time cannot overlap
  with pipeline parameters submitted at trigger (setup) time").
* 401 for a wrong or missing key, 400 for a malformed body, 413 for a body or a
  configuration over the bounds, 411 without a ``Content-Length``, 404 for anything but a
  POST to the endpoint: local wording, since CircleCI does not document those answers.

The configuration is bounded at 8 MiB (CircleCI's config size limit since November 2023)
and the whole body at 16 MiB (JSON escaping makes it larger than the text it carries);
an over-long body is refused from its ``Content-Length`` without being read.
"""

from __future__ import annotations

import json
import math
import secrets
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterable, Optional, Tuple, Union
from urllib.parse import urlsplit

__all__ = [
    "CONFLICTING_PARAMETERS",
    "CONTINUE_PATH",
    "MAX_BODY_BYTES",
    "MAX_CONFIGURATION_BYTES",
    "NOT_IN_SETUP",
    "Continuation",
    "ContinuationServer",
]

#: the API path the continuation orb POSTs to
CONTINUE_PATH = "/api/v2/pipeline/continue"
#: CircleCI's limit on a config's size (raised from 4 MB to 8 MB in November 2023)
MAX_CONFIGURATION_BYTES = 8 * 1024 * 1024
#: the request body: the configuration as a JSON string (escaped, so larger) plus the rest
MAX_BODY_BYTES = 16 * 1024 * 1024
#: the API reference's bounds on pipeline parameters
MAX_PARAMETERS = 100
MAX_PARAMETER_NAME = 128
MAX_PARAMETER_VALUE = 512

SUCCESS = "Success."
#: CircleCI's answer to a continuation of a pipeline that was already continued
NOT_IN_SETUP = "Pipeline is not in setup state."
#: CircleCI's answer when continuation parameters overlap the trigger's
CONFLICTING_PARAMETERS = "Conflicting pipeline parameters."

#: a request that takes longer than this to arrive is dropped (a stuck client holds no thread)
_READ_TIMEOUT = 30.0

ParameterValue = Union[str, int, float, bool]

_JSON_TYPES = {dict: "an object", list: "an array", float: "a number out of range"}


@dataclass(frozen=True)
class Continuation:
    """What the setup workflow sent: the configuration text and its pipeline parameters."""

    configuration: str
    parameters: Dict[str, ParameterValue] = field(default_factory=dict)


class _Refused(Exception):
    """A request answered with ``status`` and ``{"message": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ContinuationServer:
    """The endpoint for one pipeline: a random key, at most one accepted continuation.

    ``trigger_parameters`` are the names of the pipeline parameters the trigger gave; a
    continuation that gives one of them again is refused, as CircleCI refuses it. Use it as a
    context manager (or :meth:`start` then :meth:`close`); :attr:`url` is the endpoint to
    send the job's ``curl`` to and :attr:`environment` the variables a setup job needs.
    """

    def __init__(self, *, trigger_parameters: Iterable[str] = (),
                 key: Optional[str] = None) -> None:
        #: the pipeline's continuation key (a secret: jobs get it masked)
        self.key = key if key is not None else secrets.token_hex(32)
        self._trigger_parameters = frozenset(trigger_parameters)
        self._lock = threading.Lock()
        self._received: Optional[Continuation] = None
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> ContinuationServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never the key
        state = "continued" if self._received is not None else "setup"
        where = self.url if self._httpd is not None else "not started"
        return f"ContinuationServer({where}, {state})"

    def start(self) -> ContinuationServer:
        """Listen on 127.0.0.1 (an ephemeral port) and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="continuation-server",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening; a continuation already received stays available."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/api/v2/pipeline/continue``."""
        if self._httpd is None:
            raise RuntimeError("the continuation server is not started")
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}{CONTINUE_PATH}"

    @property
    def environment(self) -> Dict[str, str]:
        """What a setup job needs: the key (CircleCI's variable) and where its ``curl``
        sends the continuation (read by the job's curl wrapper)."""
        return {"CIRCLE_CONTINUATION_KEY": self.key, "WORKFLOWCORE_CONTINUE_URL": self.url}

    @property
    def received(self) -> Optional[Continuation]:
        """The accepted continuation, if one arrived."""
        with self._lock:
            return self._received

    # -- the request, decided away from the HTTP plumbing ---------------------------------
    def accept(self, body: bytes) -> Tuple[int, str]:
        """Decide one POST body: (status, message); a valid first continuation is stored."""
        try:
            key, configuration, parameters = _parse(body)
            if not secrets.compare_digest(key.encode("utf-8"), self.key.encode("utf-8")):
                raise _Refused(401, "Invalid continuation key.")
            if len(configuration.encode("utf-8")) > MAX_CONFIGURATION_BYTES:
                raise _Refused(413, f"The configuration is larger than "
                                    f"{MAX_CONFIGURATION_BYTES // 2**20} MiB, CircleCI's "
                                    "limit on a config's size.")
            overlap = sorted(self._trigger_parameters.intersection(parameters))
            with self._lock:
                if self._received is not None:
                    raise _Refused(409, NOT_IN_SETUP)
                if overlap:
                    raise _Refused(400, CONFLICTING_PARAMETERS)
                self._received = Continuation(configuration, parameters)
        except _Refused as refused:
            return refused.status, refused.message
        return 200, SUCCESS


def _parse(body: bytes) -> Tuple[str, str, Dict[str, ParameterValue]]:
    """The body's key, configuration and parameters, or :class:`_Refused` (400) naming what
    is wrong with it."""
    try:
        data = json.loads(body.decode("utf-8"))
        _require_text(data)
    except RecursionError:
        raise _Refused(400, "The request body is nested too deeply.") from None
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "The request body is not valid JSON: send "
                            '{"continuation-key": ..., "configuration": ..., '
                            '"parameters": {...}}.') from None
    if not isinstance(data, dict):
        raise _Refused(400, "The request body must be a JSON object with "
                            '"continuation-key" and "configuration".')
    key = data.get("continuation-key")
    if not isinstance(key, str) or not key:
        raise _Refused(401, 'Missing "continuation-key": send the pipeline\'s '
                            "CIRCLE_CONTINUATION_KEY.")
    configuration = data.get("configuration")
    if not isinstance(configuration, str):
        raise _Refused(400, '"configuration" is required and must be a string (the config '
                            "text).")
    return key, configuration, _parameters(data.get("parameters"))


def _require_text(value: Any) -> None:
    """JSON may carry lone surrogates (``"\\ud800"``), which are no text: such a
    configuration could not be saved or compiled, nor such a parameter stored."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refused(400, "The request body holds a string that is not valid Unicode "
                                "text (a lone surrogate escape).") from None
    elif isinstance(value, dict):
        for k, v in value.items():
            _require_text(k)
            _require_text(v)
    elif isinstance(value, list):
        for v in value:
            _require_text(v)


def _parameters(value: Any) -> Dict[str, ParameterValue]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Refused(400, '"parameters" must be an object of pipeline parameter names to '
                            "values.")
    if len(value) > MAX_PARAMETERS:
        raise _Refused(400, f"Too many pipeline parameters: {len(value)} (at most "
                            f"{MAX_PARAMETERS}).")
    out: Dict[str, ParameterValue] = {}
    for name, v in value.items():
        if not name or len(name) > MAX_PARAMETER_NAME:
            raise _Refused(400, f"Pipeline parameter names must have 1 to "
                                f"{MAX_PARAMETER_NAME} characters; got {_shown(name)}.")
        if isinstance(v, (bool, int)) or (isinstance(v, float) and math.isfinite(v)):
            out[name] = v
        elif isinstance(v, str):
            if len(v) > MAX_PARAMETER_VALUE:
                raise _Refused(400, f"The value of pipeline parameter {_shown(name)} is "
                                    f"longer than {MAX_PARAMETER_VALUE} characters.")
            out[name] = v
        else:
            got = "null" if v is None else _JSON_TYPES.get(type(v), type(v).__name__)
            raise _Refused(400, f"Pipeline parameter {_shown(name)} must be a string, a "
                                f"number or a boolean; got {got}.")
    return out


def _shown(name: str) -> str:
    return json.dumps(name if len(name) <= 40 else name[:37] + "...")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a killed job's curl) is no error worth a traceback in
        the run's output; anything else is reported as usual."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def _handler_for(server: ContinuationServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        owner = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with one request per connection; every answer is ``{"message": ...}``."""

    owner: ContinuationServer
    protocol_version = "HTTP/1.1"
    timeout = _READ_TIMEOUT
    server_version = "workflowcore-continuation"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the job's own output shows what its curl got."""

    def _reply(self, status: int, message: str) -> None:
        payload = json.dumps({"message": message}).encode("utf-8")
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _length(self) -> Optional[int]:
        """The declared body length; answers (and returns ``None``) when it is missing, bad
        or too large, before a byte of the body is read."""
        if self.headers.get("Transfer-Encoding"):
            self._reply(411, "Send the body with a Content-Length.")
            return None
        raw = self.headers.get("Content-Length")
        try:
            length = int(raw) if raw is not None else -1
        except ValueError:
            length = -1
        if length < 0:
            self._reply(411, "Send the body with a Content-Length.")
            return None
        if length > MAX_BODY_BYTES:
            self._reply(413, f"The request body is larger than {MAX_BODY_BYTES // 2**20} MiB.")
            return None
        return length

    def handle_expect_100(self) -> bool:
        """Refuse a body that would be too big before the client sends it (curl asks with
        ``Expect: 100-continue`` for large bodies)."""
        if self.command == "POST" and urlsplit(self.path).path == CONTINUE_PATH \
                and self._length() is None:
            return False
        return super().handle_expect_100()

    def do_POST(self) -> None:
        if urlsplit(self.path).path != CONTINUE_PATH:
            self._not_found()
            return
        length = self._length()
        if length is None:
            return
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True  # the client went away mid-body: nothing to answer
            return
        status, message = self.owner.accept(body)
        self._reply(status, message)

    def _not_found(self) -> None:
        self._reply(404, f"Not found: this local server answers only POST {CONTINUE_PATH}.")

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_found
