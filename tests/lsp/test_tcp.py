"""``workflowcore lsp --tcp HOST:PORT``: the same server over a socket (for debugging), with
pygls's own client; ``exit`` ends the process quietly."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the 'lsp' extra (pygls): "
                    "pip install -e '.[dev]'")

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from ._client import uri

TEXT = """\
version: 2.1
jobs:
  build: {docker: [{image: cimg/base:stable}], steps: [checkout]}
workflows:
  main:
    jobs: [biuld]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.asyncio
async def test_tcp_session(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "workflowcore", "lsp", "--tcp",
                             f"127.0.0.1:{port}"], stderr=subprocess.PIPE)
    try:
        client = LanguageClient("tcp-test", "1")
        published: asyncio.Future[lsp.PublishDiagnosticsParams] = \
            asyncio.get_running_loop().create_future()

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _publish(ls: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
            if not published.done():
                published.set_result(params)

        for _ in range(200):  # the server is up once it listens
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                await asyncio.sleep(0.05)
        await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
        client.initialized(lsp.InitializedParams())
        path = tmp_path / ".circleci" / "config.yml"
        path.parent.mkdir()
        path.write_text(TEXT)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri(path), language_id="yaml", version=1,
                                               text=TEXT)))
        params = await asyncio.wait_for(published, 30)
        assert [d.code for d in params.diagnostics] == ["job-undefined"]
        await client.shutdown_async(None)
        client.exit(None)
        assert await asyncio.to_thread(proc.wait, 30) == 0
        assert proc.stderr is not None and proc.stderr.read() == b""  # no traceback on exit
        await client.stop()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
