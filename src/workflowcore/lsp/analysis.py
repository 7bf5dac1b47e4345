"""One version of a document: its diagnostics (the ``validate`` pipeline) and, on demand,
its written-node tree, index and orb resolver for the other features.

Diagnostics come from exactly what ``workflowcore validate`` and ``workflowcore orb
validate`` run: :func:`~workflowcore.config.load` for a config,
:func:`~workflowcore.config.orbs.validate_orb` for an orb (a source tree, or a single
file), then the ``# cci-ignore`` comments of :mod:`workflowcore.config.suppress`. So codes,
ranges, severities and messages are the command line's; the project's settings file
(``ignore``, ``severity-threshold``) filters them as it filters ``validate``'s.

An orb source file is checked as part of its tree, which the packer reads from disk. When
the editor holds unsaved text for files of the tree, the tree is mirrored into a private
temporary folder (only files whose size or modification time changed are copied again),
the unsaved texts are written there, and the findings' paths are mapped back.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from .._gc import gc_paused
from ..config import load
from ..config._yaml import parse_yaml
from ..config.orbs import pack_orb_text, validate_orb
from ..config.project import SettingsError, find_settings, read_settings
from ..config.suppress import apply_suppressions, ignore_codes
from ..diagnostics import Diagnostic, sort_diagnostics
from .index import Index
from .orbs import OrbResolver
from .syntax import SyntaxTree, parse_syntax
from .text import LineIndex
from .views import (
    CONFIG,
    ORB_FILE,
    ORB_SOURCE,
    FileView,
    OrbFile,
    orb_file_of,
    orb_tree_files,
    wrap,
)

__all__ = ["Analysis", "Snapshot", "analyze"]

#: An orb source tree with more files than this is checked as saved on disk (no mirror).
MAX_MIRROR_FILES = 2000


@dataclass
class Analysis:
    """The diagnostics of one document version, by file (an orb tree's findings may be in
    other files of the tree), with each file's text for position conversion."""

    path: str
    version: Optional[int]
    kind: Optional[str]
    by_file: Dict[str, List[Diagnostic]] = field(default_factory=dict)
    texts: Dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    #: a problem with the project's settings file, to tell the user (not a finding)
    notice: Optional[str] = None


_RANK = {"error": 0, "warning": 1, "info": 2}
#: settings file → (its modification stamp, what it says, or the problem reading it)
_settings_cache: Dict[str, Tuple[Tuple[int, int], Any]] = {}


def _project(path: str, diags: List[Diagnostic]) -> Tuple[List[Diagnostic], Optional[str]]:
    """What the project's settings (``.workflowcore.toml`` or ``[tool.workflowcore]``, as
    ``validate`` finds them from the config's folder) leave of ``diags``: the codes in
    ``ignore`` go, and so does what is below ``severity-threshold`` (and below ``fail-on``,
    which ``validate`` always shows). Also a problem with the file, to tell the user."""
    found = find_settings(os.path.dirname(os.path.abspath(path)))
    if found is None:
        return diags, None
    try:
        st = os.stat(found)
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        return diags, None
    cached = _settings_cache.get(found)
    if cached is None or cached[0] != stamp:
        try:
            settings: Any = read_settings(found)
        except SettingsError as exc:
            settings = str(exc)
        cached = _settings_cache[found] = (stamp, settings)
    settings = cached[1]
    if isinstance(settings, str):
        return diags, f"{settings} (its settings are not applied)"
    kept, _ = ignore_codes(diags, settings.ignore)
    down_to = max(_RANK[settings.severity_threshold or "info"], _RANK[settings.fail_on or "error"])
    kept = [d for d in kept if _RANK[d.severity.value] <= down_to]
    return kept, "; ".join(settings.warnings) or None


def _suppressed(diags: List[Diagnostic], texts: Mapping[str, str]) -> List[Diagnostic]:
    """Apply each file's ``# cci-ignore`` comments to its findings."""
    out: List[Diagnostic] = []
    by_path: Dict[str, List[Diagnostic]] = {}
    for d in diags:
        by_path.setdefault(d.path, []).append(d)
    for path, found in by_path.items():
        text = texts.get(path)
        if text is None:
            out.extend(found)
            continue
        kept, problems = apply_suppressions(found, text, path)
        out.extend(kept)
        out.extend(problems)
    for path, text in texts.items():  # comments of a file with no finding are unused
        if path not in by_path and "cci-ignore" in text:
            kept, problems = apply_suppressions([], text, path)
            out.extend(problems)
    return sort_diagnostics(out)


def analyze(path: str, text: str, version: Optional[int], kind: Optional[str],
            orb_dir: Optional[str] = None, unsaved: Optional[Mapping[str, str]] = None
            ) -> Analysis:
    """The diagnostics of ``text`` (the editor's content of ``path``). ``unsaved``: other
    open documents' texts by path (files of the same orb tree are checked with them)."""
    with gc_paused():  # as `load` does: a collector scanning what is built costs more
        return _analyze(path, text, version, kind, orb_dir, unsaved)


def _analyze(path: str, text: str, version: Optional[int], kind: Optional[str],
             orb_dir: Optional[str], unsaved: Optional[Mapping[str, str]]) -> Analysis:
    start = time.perf_counter()
    result = Analysis(path, version, kind)
    texts: Dict[str, str] = {path: text}
    if kind == CONFIG:
        loaded = load(text, path, orb_dir=orb_dir)
        diags = list(loaded.diagnostics)
    elif kind == ORB_FILE:
        diags = list(validate_orb(pack_orb_text(path, text), orb_dir=orb_dir).diagnostics)
    elif kind == ORB_SOURCE:
        orb = orb_file_of(path)
        assert orb is not None
        overlay = {p: t for p, t in (unsaved or {}).items() if p.startswith(orb.root + os.sep)}
        overlay[path] = text
        diags, files = _validate_tree(orb.root, overlay, orb_dir)
        texts.update(files)
        texts.update(overlay)
    else:
        diags = []
    shown, result.notice = _project(path, _suppressed(diags, texts))
    for d in shown:
        result.by_file.setdefault(d.path, []).append(d)
    result.texts = {p: texts[p] for p in result.by_file if p in texts}
    result.texts.setdefault(path, text)
    result.seconds = time.perf_counter() - start
    return result


# -- orb source trees -------------------------------------------------------------------

_mirror_lock = threading.Lock()
#: orb root → (mirror folder, {relative path: (mtime_ns, size) copied})
_mirrors: Dict[str, Tuple[str, Dict[str, Tuple[int, int]]]] = {}


def _remove_mirrors() -> None:
    for folder, _ in _mirrors.values():
        shutil.rmtree(os.path.dirname(folder), ignore_errors=True)


atexit.register(_remove_mirrors)


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def _validate_tree(root: str, overlay: Mapping[str, str], orb_dir: Optional[str]
                   ) -> Tuple[List[Diagnostic], Dict[str, str]]:
    """Findings of the orb tree at ``root`` with ``overlay`` (path → unsaved text), and the
    text of every YAML file they may be in."""
    changed = {p: t for p, t in overlay.items() if _read(p) != t}
    files = {p: t for p, t in ((p, _read(p)) for p, _ in orb_tree_files(root))
             if t is not None}
    files.update(overlay)
    if not changed:
        return list(validate_orb(root, orb_dir=orb_dir).diagnostics), files
    with _mirror_lock:
        mirror = _sync_mirror(root)
        if mirror is None:  # too large to mirror: the saved files are checked
            return list(validate_orb(root, orb_dir=orb_dir).diagnostics), files
        folder, stamps = mirror
        for p, t in changed.items():
            rel = os.path.relpath(p, root)
            target = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as f:
                f.write(t)
            stamps.pop(rel, None)  # copied from disk again once saved
        report = validate_orb(folder, orb_dir=orb_dir)
    back = _path_mapper(folder, root)
    return [_moved(d, back) for d in report.diagnostics], files


def _sync_mirror(root: str) -> Optional[Tuple[str, Dict[str, Tuple[int, int]]]]:
    entry = _mirrors.get(root)
    if entry is None:
        base = tempfile.mkdtemp(prefix="wfc-lsp-orb-")
        entry = (os.path.join(base, os.path.basename(root.rstrip(os.sep)) or "orb"), {})
        os.makedirs(entry[0])
        _mirrors[root] = entry
    folder, stamps = entry
    present: Dict[str, Tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            src = os.path.join(dirpath, name)
            rel = os.path.relpath(src, root)
            try:
                st = os.lstat(src)
            except OSError:
                continue
            present[rel] = (st.st_mtime_ns, st.st_size)
            if len(present) > MAX_MIRROR_FILES:
                return None
            if stamps.get(rel) == present[rel]:
                continue
            dst = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.lexists(dst):
                os.remove(dst)
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            else:
                try:
                    shutil.copyfile(src, dst)
                except OSError:
                    continue  # unreadable: the packer reports it where it reads the original
            stamps[rel] = present[rel]
    for rel in [r for r in stamps if r not in present]:
        stamps.pop(rel)
        with contextlib.suppress(OSError):
            os.remove(os.path.join(folder, rel))
    return folder, stamps


def _path_mapper(folder: str, root: str) -> Callable[[str], str]:
    def back(text: str) -> str:
        return text.replace(folder, root)

    return back


def _moved(d: Diagnostic, back: Callable[[str], str]) -> Diagnostic:
    return d.replace(path=back(d.path), message=back(d.message),
                     hint=back(d.hint) if d.hint is not None else None)


# -- the other features' view -------------------------------------------------------------


class Snapshot:
    """One document version as config-shaped data, with the written-node tree, the index
    and the orb resolver built on first use (most edits only need diagnostics). Each is
    built with the cyclic garbage collector paused, as ``load`` builds: its scans of the
    many small objects being made would otherwise grow faster than the document.

    ``others`` reads the text of another file of the same orb tree (an open document's
    unsaved text, else the file on disk).
    """

    def __init__(self, path: str, text: str, kind: str, orb_dir: Optional[str] = None,
                 others: Optional[Callable[[str], Optional[str]]] = None) -> None:
        self.path = path
        self.text = text
        self.kind = kind
        self.orb_dir = orb_dir
        self.others = others or _read
        self.orb: Optional[OrbFile] = orb_file_of(path) if kind == ORB_SOURCE else None
        self._lock = threading.RLock()
        self._lines: Optional[LineIndex] = None
        self._syntax: Optional[SyntaxTree] = None
        self._view: Optional[FileView] = None
        self._index: Optional[Index] = None
        self._resolver: Optional[OrbResolver] = None

    @property
    def prefix(self) -> Tuple[Any, ...]:
        return self.orb.prefix if self.orb is not None else ()

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines

    @property
    def syntax(self) -> SyntaxTree:
        with self._lock, gc_paused():
            if self._syntax is None:
                self._syntax = parse_syntax(self.text)
            return self._syntax

    @property
    def view(self) -> FileView:
        with self._lock, gc_paused():
            if self._view is None:
                self._view = _view(self.path, self.text, self.prefix)
            return self._view

    @property
    def data(self) -> Any:
        """The config-shaped data (an element file's wrapped under its section)."""
        return self.view.data

    @property
    def index(self) -> Index:
        with self._lock, gc_paused():
            if self._index is None:
                index = Index()
                index.add_file(self.view, self.syntax)
                if self.orb is not None:
                    for other, prefix in orb_tree_files(self.orb.root):
                        if os.path.abspath(other) == os.path.abspath(self.path):
                            continue
                        text = self.others(other)
                        if text is not None:
                            index.add_file(_view(other, text, prefix), parse_syntax(text))
                self._index = index
            return self._index

    @property
    def resolver(self) -> OrbResolver:
        with self._lock:
            if self._resolver is None:
                data = self.data
                if self.orb is not None:
                    # an element file imports nothing itself: the tree's @orb.yml does
                    top = os.path.join(self.orb.root, "@orb.yml")
                    text = self.others(top) if top != self.path else self.text
                    data = parse_yaml(text).data if text is not None else None
                self._resolver = OrbResolver(data, self.path, self.orb_dir)
            return self._resolver


def _view(path: str, text: str, prefix: Tuple[Any, ...]) -> FileView:
    y = parse_yaml(text, path)
    data, sm = wrap(y.source_map.root, y.data, prefix, path, y.source_map.text)
    return FileView(path, data, sm, prefix, text)
