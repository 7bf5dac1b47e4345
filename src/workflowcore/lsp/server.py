"""The language server process: LSP over stdio (or TCP), on pygls.

Diagnostics never block the editor: each document's analysis runs on one worker thread,
off the event loop that answers hovers and completions. Edits are debounced with a leading
edge: an edit after a quiet spell (no edit for ``debounce`` seconds) is analysed at once,
so a one-line change shows its diagnostics as fast as the pipeline runs; an edit during a
burst of typing waits until the typing pauses for ``debounce``. An edit arriving while its
document is being analysed makes that result stale: it is dropped, never published, and
the newest version is analysed next. Every published set carries the version it was made
for.

Requests (hover, definition, references, completion, symbols, code actions) answer from
the document's *current* text: a light snapshot of it is read on the first request of each
version (no checks, no compile), so positions always match what the editor shows.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from .._gc import gc_paused
from ..config._yaml import parse_yaml
from ..diagnostics import Diagnostic, Severity
from .actions import fixes_for
from .analysis import Analysis, Snapshot, analyze
from .complete import complete
from .hover import hover_text
from .index import Place
from .navigate import definition_places, reference_places
from .resolve import Found, found_at
from .symbols import Outline, outline
from .text import UTF8, UTF16, UTF32, LineIndex
from .views import classify

__all__ = ["DEFAULT_DEBOUNCE", "WorkflowcoreServer", "serve"]

log = logging.getLogger(__name__)

#: Seconds of quiet after which an edit is analysed at once (and the delay of an edit
#: made during a burst of typing).
DEFAULT_DEBOUNCE = 0.15
SOURCE = "workflowcore"
STATUS_COMMAND = "workflowcore.status"

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}
_SYMBOL_KINDS = {
    "section": lsp.SymbolKind.Namespace,
    "workflow": lsp.SymbolKind.Module,
    "job": lsp.SymbolKind.Function,
    "command": lsp.SymbolKind.Method,
    "executor": lsp.SymbolKind.Class,
    "parameter": lsp.SymbolKind.Variable,
    "orb": lsp.SymbolKind.Package,
    "job-group": lsp.SymbolKind.Module,
    "entry": lsp.SymbolKind.Event,
}
_ITEM_KINDS = {
    "key": lsp.CompletionItemKind.Property,
    "step": lsp.CompletionItemKind.Keyword,
    "job": lsp.CompletionItemKind.Function,
    "command": lsp.CompletionItemKind.Method,
    "executor": lsp.CompletionItemKind.Class,
    "parameter": lsp.CompletionItemKind.Variable,
    "status": lsp.CompletionItemKind.EnumMember,
    "value": lsp.CompletionItemKind.Value,
    "variable": lsp.CompletionItemKind.Constant,
}


@dataclass
class DocState:
    """What the server knows of one open document."""

    uri: str
    path: str
    version: Optional[int] = None
    text: str = ""
    kind: Optional[str] = None
    last_change: float = -1e9
    timer: Optional[asyncio.TimerHandle] = None
    running: bool = False
    pending: bool = False
    closed: bool = False
    snapshot: Optional[Snapshot] = None
    snapshot_version: Optional[int] = None
    #: the latest snapshot whose text could be read (names for completion while typing)
    readable: Optional[Snapshot] = None
    #: other files (an orb tree's) this document's analyses published diagnostics for
    published_elsewhere: Set[str] = field(default_factory=set)
    runs: int = 0
    dropped: int = 0
    published: int = 0
    published_version: Optional[int] = None
    last_seconds: float = 0.0


class _Protocol(LanguageServerProtocol):
    """pygls 2.1 keeps the future of every notification handled by a generator (its own
    ``didOpen``/``didChange``/``didSave``/``didClose``) in ``_request_futures`` and never
    removes it: a dozen objects per keystroke, forever. Only requests' futures are removed,
    when answered. Here a notification's future is removed once it is done."""

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any,
                         args: Any = None, kwargs: Any = None) -> None:
        if getattr(callback, "__func__", None) is LanguageServerProtocol._check_handler_result:
            check = callback

            def callback(future: Any) -> None:
                self._request_futures.pop(msg_id, None)
                check(future)

        super()._execute_handler(msg_id, handler, callback, args, kwargs)


class WorkflowcoreServer(LanguageServer):
    """The server and its per-document state."""

    def __init__(self, orb_dir: Optional[str] = None,
                 debounce: float = DEFAULT_DEBOUNCE) -> None:
        super().__init__("workflowcore", __version__,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
                         protocol_cls=_Protocol)
        self.orb_dir = orb_dir
        self.debounce = debounce
        self.docs: Dict[str, DocState] = {}
        #: problems with settings files already shown to the user
        self.notices: Set[str] = set()
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wfc-lsp-analysis")

    # -- helpers -----------------------------------------------------------------------
    @property
    def encoding(self) -> str:
        enc = str(self.workspace.position_encoding or "utf-16")
        return {"utf-8": UTF8, "utf-32": UTF32}.get(enc, UTF16)

    def state(self, uri: str) -> Optional[DocState]:
        return self.docs.get(uri)

    def snapshot(self, st: DocState) -> Optional[Snapshot]:
        """A snapshot of the document's current version (built once per version)."""
        doc = self.workspace.get_text_document(st.uri)
        if st.snapshot is None or st.snapshot_version != doc.version or \
                st.snapshot.text != doc.source:
            kind = document_kind(st.path, doc.source)
            if kind is None:
                return None
            st.snapshot = Snapshot(st.path, doc.source, kind, self.orb_dir, self.open_text)
            st.snapshot_version = doc.version
        return st.snapshot

    def open_text(self, path: str) -> Optional[str]:
        """The editor's text of ``path`` when it is open, else the file's."""
        for st in list(self.docs.values()):
            if st.path == path and not st.closed:
                return st.text
        try:
            with open(path, encoding="utf-8") as f:
                return f.read()
        except (OSError, UnicodeDecodeError):
            return None

    def lines(self, text: str) -> LineIndex:
        return LineIndex(text, self.encoding)

    def markup(self, value: str, formats: Optional[List[lsp.MarkupKind]]) -> lsp.MarkupContent:
        """Markdown when the client says it renders it (``formats``: what it accepts for
        that feature), else the same text as plain text."""
        if formats and lsp.MarkupKind.Markdown in formats:
            return lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=value)
        return lsp.MarkupContent(kind=lsp.MarkupKind.PlainText, value=value)

    def formats(self, feature: str) -> Optional[List[lsp.MarkupKind]]:
        """The documentation formats the client accepts for ``hover`` or ``completion``."""
        td = self.client_capabilities.text_document
        if td is None:
            return None
        if feature == "hover":
            return list(td.hover.content_format or []) if td.hover else None
        item = td.completion.completion_item if td.completion else None
        return list(item.documentation_format or []) if item else None

    # -- diagnostics scheduling --------------------------------------------------------
    def changed(self, uri: str, immediate: bool = False) -> None:
        """A document was opened, edited or saved: analyse it (now, or debounced)."""
        st = self.docs.get(uri)
        if st is None:
            return
        doc = self.workspace.get_text_document(uri)
        st.version = doc.version
        st.text = doc.source
        loop = asyncio.get_event_loop()
        now = loop.time()
        quiet = now - st.last_change >= self.debounce
        st.last_change = now
        if st.timer is not None:
            st.timer.cancel()
            st.timer = None
        if immediate or (quiet and not st.running):
            self.run(st)
        else:
            st.timer = loop.call_later(self.debounce, self._timer_fired, st)

    def _timer_fired(self, st: DocState) -> None:
        st.timer = None
        self.run(st)

    def run(self, st: DocState) -> None:
        """Analyse the document's latest version on the worker (one at a time)."""
        if st.closed:
            return
        if st.running:
            st.pending = True
            return
        st.running = True
        st.pending = False
        version, text = st.version, st.text
        unsaved = {s.path: s.text for s in self.docs.values()
                   if s is not st and not s.closed}
        loop = asyncio.get_event_loop()
        future = loop.run_in_executor(self.worker, self._analyze, st, text, version, unsaved)
        future.add_done_callback(lambda f: self._analysed(st, version, f))

    def _analyze(self, st: DocState, text: str, version: Optional[int],
                 unsaved: Dict[str, str]) -> Analysis:
        kind = document_kind(st.path, text)
        return analyze(st.path, text, version, kind, self.orb_dir, unsaved)

    def _analysed(self, st: DocState, version: Optional[int],
                  future: asyncio.Future[Analysis]) -> None:
        st.running = False
        st.runs += 1
        try:
            result: Optional[Analysis] = future.result()
        except Exception as exc:  # a bug in a check must not take the server down
            log.exception("checking %s failed", st.path)
            result = None
            if not st.closed and st.version == version:
                self.window_show_message(lsp.ShowMessageParams(
                    type=lsp.MessageType.Error,
                    message=f"workflowcore: checking {os.path.basename(st.path)} failed "
                            f"({type(exc).__name__}: {exc}); this is a bug, please report it "
                            "with the file"))
        if st.closed:
            return
        if st.version != version:
            if result is not None:
                st.dropped += 1  # a newer version arrived: this one is stale
            if st.timer is None:
                self.run(st)
            return
        if result is None:
            return  # failed on this version: tried again on the next edit
        st.last_seconds = result.seconds
        st.kind = result.kind
        if result.notice and result.notice not in self.notices:
            self.notices.add(result.notice)  # once per distinct problem, not per keystroke
            self.window_show_message(lsp.ShowMessageParams(
                type=lsp.MessageType.Warning, message=f"workflowcore: {result.notice}"))
        self.publish(st, result)
        if st.pending and st.timer is None:
            self.run(st)

    def publish(self, st: DocState, result: Analysis) -> None:
        mine = os.path.abspath(st.path)
        elsewhere: Set[str] = set()
        for path, diags in result.by_file.items():
            if os.path.abspath(path) == mine:
                continue
            elsewhere.add(path)
            self.send(from_fs_path(path) or path, None, diags, result.texts.get(path, ""))
        for path in st.published_elsewhere - elsewhere:  # fixed since: clear them
            self.send(from_fs_path(path) or path, None, [], "")
        st.published_elsewhere = elsewhere
        own = next((d for p, d in result.by_file.items() if os.path.abspath(p) == mine), [])
        self.send(st.uri, result.version, own, result.texts.get(st.path, st.text))
        st.published += 1
        st.published_version = result.version

    def send(self, uri: str, version: Optional[int], diags: List[Diagnostic], text: str) -> None:
        lines = self.lines(text)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=[to_lsp(d, lines, uri) for d in diags]))

    def closed(self, uri: str) -> None:
        st = self.docs.pop(uri, None)
        if st is None:
            return
        st.closed = True
        if st.timer is not None:
            st.timer.cancel()
        for path in st.published_elsewhere:
            if not any(s.path == path for s in self.docs.values()):
                self.send(from_fs_path(path) or path, None, [], "")
        self.send(uri, None, [], "")


def document_kind(path: str, text: str) -> Optional[str]:
    """The kind of a document (:func:`.views.classify`), reading its text only when the
    path does not tell."""
    kind = classify(path, None)
    if kind is not None:
        return kind
    return classify(path, parse_yaml(text, path).data)


# -- conversions ---------------------------------------------------------------------------


def _range(lines: LineIndex, start: tuple[int, int], end: tuple[int, int]) -> lsp.Range:
    sl, sc = lines.to_client(*start)
    el, ec = lines.to_client(*end)
    return lsp.Range(start=lsp.Position(line=sl, character=sc),
                     end=lsp.Position(line=el, character=ec))


def _locations(server: WorkflowcoreServer, places: List[Place]) -> List[lsp.Location]:
    """Places as LSP locations; each file's lines are indexed once (a job named in
    thousands of places costs one read of the file, not one per place)."""
    indexes: Dict[str, LineIndex] = {}
    out = []
    with gc_paused():
        for place in places:
            lines = indexes.get(place.path)
            if lines is None:
                lines = indexes[place.path] = server.lines(server.open_text(place.path) or "")
            sp = place.span
            rng = _range(lines, (sp.start.line - 1, sp.start.column - 1),
                         (sp.end.line - 1, sp.end.column - 1))
            out.append(lsp.Location(uri=from_fs_path(place.path) or place.path, range=rng))
    return out


# "first defined at line 3", "(first at line 12)", "invoked at 26:7", "invoked at x.yml:3:5"
_RELATED = re.compile(
    r"(first (?:defined )?at line (\d+))|(invoked at (?:([^\s:,()]+):)?(\d+):(\d+))")


def _related(d: Diagnostic, lines: LineIndex, uri: str
             ) -> Optional[List[lsp.DiagnosticRelatedInformation]]:
    """Places a message names ("first defined at line 3", "invoked at 26:7") as related
    locations, so an editor can jump there."""
    out: List[lsp.DiagnosticRelatedInformation] = []
    for m in _RELATED.finditer(d.message):
        if m.group(1):
            line0 = int(m.group(2)) - 1
            text = lines.line(line0)
            col0 = len(text) - len(text.lstrip(" -"))
            rng = _range(lines, (line0, col0), (line0, len(text)))
            out.append(lsp.DiagnosticRelatedInformation(
                location=lsp.Location(uri=uri, range=rng), message="first defined here"))
        else:
            other = m.group(4)
            line0, col0 = int(m.group(5)) - 1, int(m.group(6)) - 1
            if other:
                target = os.path.join(os.path.dirname(d.path), other)
                if not os.path.isfile(target):
                    continue
                target_uri = from_fs_path(target) or target
                rng = lsp.Range(start=lsp.Position(line=line0, character=col0),
                                end=lsp.Position(line=line0, character=col0))
            else:
                target_uri = uri
                rng = _range(lines, (line0, col0), (line0, col0))
            out.append(lsp.DiagnosticRelatedInformation(
                location=lsp.Location(uri=target_uri, range=rng), message=m.group(3)))
    return out or None


def to_lsp(d: Diagnostic, lines: LineIndex, uri: str) -> lsp.Diagnostic:
    """A library diagnostic as an LSP one: same code, severity and span; the hint on a
    second line of the message and in ``data`` (code actions read it back)."""
    rng = _range(lines, (d.line - 1, d.column - 1), (d.end_line - 1, d.end_column - 1))
    message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    return lsp.Diagnostic(range=rng, message=message, severity=_SEVERITY[d.severity],
                          code=d.code, source=SOURCE, related_information=_related(d, lines, uri),
                          data={"hint": d.hint, "message": d.message})


def _current(server: WorkflowcoreServer, uri: str) -> Optional[Tuple[DocState, Snapshot]]:
    """The open document ``uri`` and its current snapshot, or ``None`` (not open, or not a
    document this server reads)."""
    st = server.state(uri)
    snap = server.snapshot(st) if st is not None else None
    return (st, snap) if st is not None and snap is not None else None


def _found(server: WorkflowcoreServer, uri: str, position: lsp.Position
           ) -> Optional[Tuple[Snapshot, LineIndex, Found]]:
    """The snapshot, its line index and what is at ``position``, or ``None``."""
    current = _current(server, uri)
    if current is None:
        return None
    snap = current[1]
    lines = server.lines(snap.text)
    found = found_at(snap, *lines.from_client(position.line, position.character))
    return None if found is None else (snap, lines, found)


def _outline_symbol(lines: LineIndex, item: Outline) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(
        name=item.name or "(empty)", kind=_SYMBOL_KINDS.get(item.kind, lsp.SymbolKind.Field),
        detail=item.detail or None, range=_range(lines, item.start, item.end),
        selection_range=_range(lines, item.key_start, item.key_end),
        children=[_outline_symbol(lines, c) for c in item.children] or None)


# -- the server ------------------------------------------------------------------------------


def build_server(orb_dir: Optional[str] = None,
                 debounce: float = DEFAULT_DEBOUNCE) -> WorkflowcoreServer:
    """A server with every feature registered."""
    server = WorkflowcoreServer(orb_dir, debounce)

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: WorkflowcoreServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict):
            if isinstance(options.get("orbDir"), str):
                ls.orb_dir = options["orbDir"]
            if isinstance(options.get("debounceMs"), (int, float)):
                ls.debounce = max(0.0, float(options["debounceMs"]) / 1000)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: WorkflowcoreServer, params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = to_fs_path(uri) or uri
        if uri in ls.docs:  # opened again without a close: the old state is done
            ls.docs[uri].closed = True
        ls.docs[uri] = DocState(uri, path)
        ls.changed(uri, immediate=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: WorkflowcoreServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.changed(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: WorkflowcoreServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.changed(params.text_document.uri, immediate=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: WorkflowcoreServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.closed(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: WorkflowcoreServer, params: lsp.HoverParams) -> Optional[lsp.Hover]:
        at = _found(ls, params.text_document.uri, params.position)
        if at is None:
            return None
        snap, lines, found = at
        text = hover_text(snap, found)
        if not text:
            return None
        return lsp.Hover(contents=ls.markup(text, ls.formats("hover")),
                         range=_range(lines, found.start, found.end))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: WorkflowcoreServer, params: lsp.DefinitionParams
                   ) -> Optional[List[lsp.Location]]:
        at = _found(ls, params.text_document.uri, params.position)
        if at is None:
            return None
        snap, _, found = at
        return _locations(ls, definition_places(snap, found)) or None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: WorkflowcoreServer, params: lsp.ReferenceParams
                   ) -> Optional[List[lsp.Location]]:
        at = _found(ls, params.text_document.uri, params.position)
        if at is None:
            return None
        snap, _, found = at
        places = reference_places(snap, found, params.context.include_declaration)
        places.sort(key=lambda p: (p.path, p.span.start))
        return _locations(ls, places) or None

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[".", " ", "["]))
    def completion(ls: WorkflowcoreServer, params: lsp.CompletionParams
                   ) -> Optional[lsp.CompletionList]:
        current = _current(ls, params.text_document.uri)
        if current is None:
            return None
        st, snap = current
        if isinstance(snap.data, dict):
            st.readable = snap
        names = st.readable or snap
        lines = ls.lines(snap.text)
        line0, col0 = lines.from_client(params.position.line, params.position.character)
        text_lines = [lines.line(i) for i in range(lines.line_count)]
        items = []
        formats = ls.formats("completion")
        for i in complete(names, text_lines, line0, col0):
            rng = _range(lines, (line0, i.start), (line0, col0))
            items.append(lsp.CompletionItem(
                label=i.label, kind=_ITEM_KINDS.get(i.kind), detail=i.detail or None,
                documentation=ls.markup(i.documentation, formats) if i.documentation else None,
                sort_text=f"{i.sort}{i.label}",
                text_edit=lsp.TextEdit(range=rng, new_text=i.insert or i.label)))
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: WorkflowcoreServer, params: lsp.DocumentSymbolParams
                        ) -> Optional[List[lsp.DocumentSymbol]]:
        current = _current(ls, params.text_document.uri)
        if current is None:
            return None
        snap = current[1]
        lines = ls.lines(snap.text)
        with gc_paused():
            return [_outline_symbol(lines, o) for o in outline(snap.syntax, snap.prefix)]

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_action(ls: WorkflowcoreServer, params: lsp.CodeActionParams
                    ) -> Optional[List[lsp.CodeAction]]:
        current = _current(ls, params.text_document.uri)
        if current is None:
            return None
        st, snap = current
        lines = ls.lines(snap.text)
        out: List[lsp.CodeAction] = []
        for diag in params.context.diagnostics:
            if diag.source != SOURCE:
                continue
            data = diag.data if isinstance(diag.data, dict) else {}
            start = lines.from_client(diag.range.start.line, diag.range.start.character)
            end = lines.from_client(diag.range.end.line, diag.range.end.character)
            message = str(data.get("message") or diag.message.split("\nhint: ")[0])
            hint = data.get("hint")
            for fix in fixes_for(str(diag.code), message, hint if isinstance(hint, str) else None,
                                 start, end, lines, snap.syntax):
                edits = [lsp.TextEdit(range=_range(lines, e.start, e.end), new_text=e.text)
                         for e in fix.edits]
                out.append(lsp.CodeAction(
                    title=fix.title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diag],
                    is_preferred=fix.preferred or None,
                    edit=lsp.WorkspaceEdit(changes={st.uri: edits})))
        return out or None

    @server.command(STATUS_COMMAND)
    def status(ls: WorkflowcoreServer, *args: Any) -> Dict[str, Any]:
        """Per document: analyses run, dropped as stale, published, and the last one's
        duration; and ``"objects"``, the number of objects the garbage collector tracks
        (for tests and ``benchmarks/bench_lsp.py``: a leak shows as a count that grows
        with the number of edits)."""
        out: Dict[str, Any] = {
            uri: {"version": st.version, "runs": st.runs, "dropped": st.dropped,
                  "published": st.published, "published_version": st.published_version,
                  "kind": st.kind, "last_seconds": st.last_seconds}
            for uri, st in ls.docs.items()}
        gc.collect()
        out["objects"] = len(gc.get_objects())
        return out

    return server


class _QuietExit(logging.Filter):
    """pygls ends the process with ``sys.exit`` when the client says ``exit``; over TCP
    that happens inside asyncio's connection callback, which would log it as an
    unhandled exception with a traceback. It is the normal end of a session."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], SystemExit))


def serve(tcp: Optional[tuple[str, int]] = None, orb_dir: Optional[str] = None,
          debounce: float = DEFAULT_DEBOUNCE) -> None:
    """Run the server until the client says ``exit`` (stdio: also when stdin closes)."""
    server = build_server(orb_dir, debounce)
    # Everything imported so far lives as long as the process: moved out of the
    # collector's sight, so its full collections only scan what documents allocate.
    gc.freeze()
    try:
        if tcp is not None:
            logging.getLogger("asyncio").addFilter(_QuietExit())
            server.start_tcp(*tcp)
        else:
            server.start_io()
    finally:
        server.worker.shutdown(wait=False, cancel_futures=True)
