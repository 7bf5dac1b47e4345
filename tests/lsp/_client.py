"""A pytest-lsp client that records every ``publishDiagnostics`` (with its version), and
helpers to drive the real ``workflowcore lsp`` process with it."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any, List, Optional

from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER = [sys.executable, "-m", "workflowcore", "lsp"]


class RecordingClient(LanguageClient):
    """Keeps every diagnostics notification, in arrival order."""

    published: List[lsp.PublishDiagnosticsParams]


def _record(client: RecordingClient, params: lsp.PublishDiagnosticsParams) -> None:
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def make_client() -> RecordingClient:
    client = RecordingClient(converter_factory=default_converter)
    client.published = []
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record
    register_lsp_features(client, features)
    return client


async def start(client: LanguageClient, root: Path, options: Optional[dict[str, Any]] = None,
                editor: str = "visual-studio-code") -> lsp.InitializeResult:
    """Initialize with the capabilities a real editor sends (pytest-lsp keeps them), so
    pytest-lsp checks every answer against what that editor accepts."""
    return await client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities(editor),
        root_uri=from_fs_path(str(root)), initialization_options=options or {}))


def uri(path: Path) -> str:
    result = from_fs_path(str(path))
    assert result is not None
    return result


def open_doc(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    u = uri(path)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=u, language_id="yaml", version=version,
                                           text=text)))
    return u


def change(client: LanguageClient, u: str, version: int, text: str) -> None:
    """Replace the whole text (a full-document change)."""
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=u, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


def edit_line(client: LanguageClient, u: str, version: int, line: int, old: str,
              new: str) -> None:
    """An incremental edit: line ``line`` (0-based), whose text is ``old``, becomes ``new``."""
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=u, version=version),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=lsp.Position(line=line, character=0),
                            end=lsp.Position(line=line, character=len(old))),
            text=new)]))


async def diagnostics(client: RecordingClient, u: str, version: Optional[int],
                      timeout: float = 30.0) -> List[lsp.Diagnostic]:
    """The diagnostics published for ``u`` at ``version`` (waiting for them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in client.published:
            if p.uri == u and p.version == version:
                return list(p.diagnostics)
        await asyncio.sleep(0.005)
    raise AssertionError(f"no diagnostics for {u} version {version} within {timeout}s; got "
                         f"{[(p.uri, p.version) for p in client.published]}")


def position(text: str, needle: str, offset: int = 0, occurrence: int = 1) -> lsp.Position:
    """The position of the ``occurrence``-th ``needle`` in ``text`` (plus ``offset``)."""
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    col = at - (text.rfind("\n", 0, at) + 1)
    return lsp.Position(line=line, character=col)


def doc_id(u: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=u)
