"""The local continuation endpoint and the job's curl wrapper (issue 12): the key is checked,
a pipeline is continued once, bodies are bounded, anything else is a 404; the wrapper sends
the continue API's URL to the endpoint and everything else to the real curl, unchanged."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Dict, Iterator, List, Optional, Tuple

import pytest

from workflowcore.runtime.continuation import (
    CONFLICTING_PARAMETERS,
    CONTINUE_PATH,
    MAX_BODY_BYTES,
    MAX_CONFIGURATION_BYTES,
    NOT_IN_SETUP,
    ContinuationServer,
)
from workflowcore.runtime.jobtools import install_tools

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="needs curl on this machine")

CONFIG = "version: 2.1\nworkflows:\n  w:\n    jobs: [a]\n"


@pytest.fixture
def server() -> Iterator[ContinuationServer]:
    with ContinuationServer(trigger_parameters=["deploy"]) as s:
        yield s


def _post(server: ContinuationServer, body: object, path: str = CONTINUE_PATH,
          method: str = "POST") -> Tuple[int, Dict[str, Any]]:
    port = int(server.url.split(":")[2].split("/")[0])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn.request(method, path, body=data if method == "POST" else None,
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _body(server: ContinuationServer, **extra: Any) -> Dict[str, Any]:
    return {"continuation-key": server.key, "configuration": CONFIG, **extra}


def test_a_continuation_with_the_key_is_stored(server: ContinuationServer) -> None:
    assert server.received is None
    status, reply = _post(server, _body(server, parameters={"target": "world", "n": 3}))
    assert (status, reply) == (200, {"message": "Success."})
    got = server.received
    assert got is not None and got.configuration == CONFIG
    assert got.parameters == {"target": "world", "n": 3}


@pytest.mark.parametrize("key", ["wrong", "", None])
def test_a_wrong_or_missing_key_is_refused(server: ContinuationServer,
                                           key: Optional[str]) -> None:
    body: Dict[str, Any] = {"configuration": CONFIG}
    if key is not None:
        body["continuation-key"] = key
    status, reply = _post(server, body)
    assert status == 401 and "continuation" in reply["message"].lower()
    assert server.received is None
    # the refused attempt did not use the pipeline's one continuation
    assert _post(server, _body(server))[0] == 200


def test_a_pipeline_is_continued_once(server: ContinuationServer) -> None:
    assert _post(server, _body(server))[0] == 200
    other = "version: 2.1\nworkflows:\n  other:\n    jobs: [b]\n"
    status, reply = _post(server, {"continuation-key": server.key, "configuration": other})
    assert (status, reply["message"]) == (409, NOT_IN_SETUP)
    assert server.received is not None and server.received.configuration == CONFIG


def test_parameters_the_trigger_gave_conflict(server: ContinuationServer) -> None:
    status, reply = _post(server, _body(server, parameters={"deploy": True}))
    assert (status, reply["message"]) == (400, CONFLICTING_PARAMETERS)
    assert server.received is None


@pytest.mark.parametrize(("parameters", "words"), [
    ({f"p{i}": i for i in range(101)}, "Too many pipeline parameters: 101"),
    ({"x" * 129: 1}, "1 to 128 characters"),
    ({"a": "v" * 513}, "longer than 512 characters"),
    ({"a": {"nested": 1}}, 'parameter "a" must be a string, a number or a boolean; '
                           "got an object"),
    ({"a": None}, "got null"),
    ([1, 2], '"parameters" must be an object'),
])
def test_parameters_outside_the_apis_bounds_are_refused(
        server: ContinuationServer, parameters: Any, words: str) -> None:
    status, reply = _post(server, _body(server, parameters=parameters))
    assert status == 400 and words in reply["message"], reply
    assert server.received is None


@pytest.mark.parametrize(("body", "words"), [
    (b"{not json", "not valid JSON"),
    (b"[1]", "must be a JSON object"),
    (b'{"continuation-key": "k"}', '"configuration" is required'),
    (b'{"continuation-key": "k", "configuration": "version: \\ud800"}',
     "not valid Unicode text"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_a_malformed_body_is_refused(server: ContinuationServer, body: bytes,
                                     words: str) -> None:
    if b'"k"' in body:
        body = body.replace(b'"k"', json.dumps(server.key).encode())
    status, reply = _post(server, body)
    assert status == 400 and words in reply["message"], reply


def test_an_oversize_body_is_refused_from_its_length_unread(
        server: ContinuationServer) -> None:
    port = int(server.url.split(":")[2].split("/")[0])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", CONTINUE_PATH)
        conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        conn.endheaders()  # not a byte of the body follows: the answer must not wait for it
        response = conn.getresponse()
        assert response.status == 413
        assert "larger than 16 MiB" in json.loads(response.read())["message"]
    finally:
        conn.close()
    assert server.received is None


def test_a_configuration_over_circlecis_size_limit_is_refused(
        server: ContinuationServer) -> None:
    big = "#" * (MAX_CONFIGURATION_BYTES + 1)
    status, reply = _post(server, {"continuation-key": server.key, "configuration": big})
    assert status == 413 and "larger than 8 MiB" in reply["message"]
    assert server.received is None


@pytest.mark.parametrize(("method", "path"), [
    ("GET", CONTINUE_PATH), ("POST", "/api/v2/pipeline"), ("POST", "/"),
    ("DELETE", CONTINUE_PATH),
])
def test_anything_else_is_a_json_404(server: ContinuationServer, method: str,
                                     path: str) -> None:
    status, reply = _post(server, _body(server), path=path, method=method)
    assert status == 404 and CONTINUE_PATH in reply["message"]
    assert server.received is None


def test_the_key_is_random_and_the_server_stops(tmp_path: Path) -> None:
    a, b = ContinuationServer(), ContinuationServer()
    assert a.key != b.key and len(a.key) >= 32
    with a:
        url = a.url
        assert a.environment == {"CIRCLE_CONTINUATION_KEY": a.key,
                                 "WORKFLOWCORE_CONTINUE_URL": url}
        assert a.key not in repr(a)
    port = int(url.split(":")[2].split("/")[0])
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=5).connect()


# -- the curl wrapper, with the real curl -----------------------------------------------------

@pytest.fixture
def job_bin(tmp_path: Path) -> Path:
    """A job's ``bin`` directory as the subprocess executor installs it."""
    bin_dir = tmp_path / "job" / "bin"
    assert "curl" in install_tools(bin_dir)
    return bin_dir


def _curl(job_bin: Path, *args: str, env: Optional[Dict[str, str]] = None,
          path: Optional[str] = None) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": path if path is not None else
                   f"{job_bin}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}
    return subprocess.run(["curl", *args], capture_output=True, text=True, timeout=60,
                          env=environment, executable=str(job_bin / "curl"))


def _orb_call(url: str, payload: Path) -> List[str]:
    """The continuation orb's own curl call (scripts/continue.sh), URL last."""
    return ["--retry", "5", "--retry-delay", "0", "--retry-connrefused", "-o", "/dev/stderr",
            "-w", "%{http_code}", "-XPOST", "-H", "Content-Type: application/json",
            "-H", "Accept: application/json", "--data", f"@{payload}", url]


@needs_curl
@pytest.mark.parametrize(("domain", "url"), [
    (None, "https://circleci.com/api/v2/pipeline/continue"),
    ("circleci.example.com", "https://circleci.example.com/api/v2/pipeline/continue"),
])
def test_the_wrapper_sends_the_continue_call_to_the_local_endpoint(
        tmp_path: Path, job_bin: Path, server: ContinuationServer, domain: Optional[str],
        url: str) -> None:
    payload = tmp_path / "continue_post.json"
    payload.write_text(json.dumps(_body(server, parameters={"target": "world"})))
    env = {"WORKFLOWCORE_CONTINUE_URL": server.url}
    if domain:
        env["CIRCLECI_DOMAIN"] = domain
    proc = _curl(job_bin, *_orb_call(url, payload), env=env)
    assert proc.stdout == "200", proc.stderr
    assert '{"message": "Success."}' in proc.stderr
    assert server.received is not None and server.received.parameters == {"target": "world"}


@needs_curl
def test_without_the_variable_the_url_goes_where_it_says(
        tmp_path: Path, job_bin: Path, server: ContinuationServer) -> None:
    """The "CircleCI" here is a second endpoint on another port (CIRCLECI_DOMAIN names it):
    with WORKFLOWCORE_CONTINUE_URL the call goes to the run's endpoint, without it to the
    domain, unchanged."""
    with ContinuationServer() as remote:
        domain = remote.url.split("/")[2]  # 127.0.0.1:PORT
        url = f"http://{domain}{CONTINUE_PATH}"
        payload = tmp_path / "p.json"
        payload.write_text(json.dumps({"continuation-key": remote.key,
                                       "configuration": CONFIG}))
        proc = _curl(job_bin, *_orb_call(url, payload), env={"CIRCLECI_DOMAIN": domain})
        assert proc.stdout == "200", proc.stderr
        assert remote.received is not None and server.received is None
        # the same call with the variable set reaches the run's endpoint instead (whose
        # key it does not have: refused there, and the remote is not asked again)
        proc = _curl(job_bin, *_orb_call(url, payload),
                     env={"CIRCLECI_DOMAIN": domain, "WORKFLOWCORE_CONTINUE_URL": server.url})
        assert proc.stdout == "401" and "Invalid continuation key." in proc.stderr


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[List[Tuple[str, str, bytes]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append((self.path, self.headers.get("X-Probe") or "", body))
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@needs_curl
def test_other_calls_pass_to_the_real_curl_unchanged(
        tmp_path: Path, job_bin: Path, server: ContinuationServer) -> None:
    local = tmp_path / "hello.txt"
    local.write_text("hello from a file\n")
    env = {"WORKFLOWCORE_CONTINUE_URL": server.url}
    proc = _curl(job_bin, "-s", f"file://{local}", env=env)
    assert (proc.returncode, proc.stdout) == (0, "hello from a file\n")

    _Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        other = f"http://127.0.0.1:{httpd.server_address[1]}/api/v2/pipeline/continue?x=1"
        proc = _curl(job_bin, "-s", "-w", " %{http_code}", "-H", "X-Probe: kept",
                     "--data", "a=b", other, env=env)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
    assert proc.stdout == "ok 201", proc.stderr
    assert _Recorder.seen == [("/api/v2/pipeline/continue?x=1", "kept", b"a=b")]
    assert server.received is None


def test_without_a_real_curl_the_wrapper_says_so(job_bin: Path) -> None:
    proc = _curl(job_bin, "--version", path=str(job_bin))
    assert proc.returncode == 127
    assert "no curl on PATH besides workflowcore's wrapper" in proc.stderr


@needs_curl
def test_another_copy_of_the_wrapper_on_path_is_skipped(tmp_path: Path,
                                                        job_bin: Path) -> None:
    """A step that puts another job's bin on PATH must not make the wrapper call itself."""
    other_bin = tmp_path / "other" / "bin"
    install_tools(other_bin)
    assert CURL is not None
    path = os.pathsep.join([str(job_bin), str(other_bin), str(Path(CURL).parent)])
    proc = _curl(job_bin, "--version", path=path)
    assert proc.returncode == 0 and proc.stdout.startswith("curl "), proc.stderr
