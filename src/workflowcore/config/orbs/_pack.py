"""``circleci orb pack`` offline: an orb source folder → one orb (data and YAML text).

The rules, from circleci-cli (``cmd/orb.go`` ``packOrb``, ``filetree/filetree.go``,
``process/process.go``; see ``docs/orbs.md`` for the sources and every decision):

* the folder must hold ``@orb.yml``; it, and any other YAML file directly in the folder, is
  merged key by key into the top level (files in name order, a later key replacing an
  earlier one);
* the folders ``commands``, ``executors``, ``jobs`` and ``examples`` are sections: each YAML
  file in one is an element named by its file name without the extension; an ``@``-prefixed
  file is merged into the section instead (its keys are element names); other folders
  (``scripts``…), dot-files, non-YAML files and sub-folders of a section are not packed;
* a section's elements replace same-named elements that ``@orb.yml`` wrote under that key;
* every string under ``commands``, ``executors`` and ``jobs`` that is ``<<include(path)>>``
  becomes the text of that file (see :mod:`._include`);
* the CLI reads the files with Go's yaml.v3 (YAML 1.2) and prints with it: unquoted
  ``yes``/``no``/``on``/``off`` are text there, so they stay text here (printed quoted),
  where a config read by CircleCI would take them as booleans;
* the result keeps only the orb keys (``version``, ``description``, ``display``, ``orbs``,
  ``commands``, ``executors``, ``jobs``, ``examples``; an example keeps ``description``,
  ``usage``, ``result``, and a usage ``version``, ``setup``, ``orbs``, ``jobs``,
  ``workflows``), in that order at the top; each key left out is a warning.

A single file (``orb.yml``, already packed) is taken as it is. Every file is read with the
bounded reader and parsed with the positioned YAML reader, so a huge file, a FIFO or an
alias bomb inside an orb is refused the way it is in a config.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple, Union

from ...diagnostics import Diagnostic, Findings, Severity, sort_diagnostics
from .._files import FileTooLargeError, decode_utf8, read_bounded
from .._yaml import DEFAULT_MAX_CHARS, YAML11_WORDS, parse_yaml
from ..sourcemap import SourceMap
from ._emit import dump_orb
from ._include import (
    INCLUDE_RE,
    NEAR_INCLUDE_RE,
    IncludeProblem,
    escape_included,
    inside,
    link_text,
    resolve,
)

__all__ = [
    "EXAMPLE_KEYS",
    "INCLUDE_SECTIONS",
    "MAX_FILES",
    "MAX_NODES",
    "ORB_KEYS",
    "SECTIONS",
    "USAGE_KEYS",
    "NotAnOrbRootError",
    "Origin",
    "PackResult",
    "pack_orb",
    "pack_orb_text",
]

Loc = Tuple[Any, ...]
PathLike = Union[str, "os.PathLike[str]"]

#: The top-level keys of an orb, in the order ``circleci orb pack`` prints them.
ORB_KEYS = ("version", "description", "display", "orbs", "commands", "executors", "jobs",
            "examples")
#: Folders of a source tree that are packed, one element per YAML file.
SECTIONS = ("commands", "executors", "jobs", "examples")
#: Sections whose strings may be ``<<include(path)>>`` (the CLI inlines only these).
INCLUDE_SECTIONS = ("commands", "executors", "jobs")
EXAMPLE_KEYS = ("description", "usage", "result")
USAGE_KEYS = ("version", "setup", "orbs", "jobs", "workflows")
#: At most this many folder entries are looked at (a source tree holds dozens).
MAX_FILES = 10_000
#: At most this many nodes in a packed orb (the largest real orb has about 20,000).
MAX_NODES = 2_000_000

_YAML_NAME = re.compile(r".+\.(yml|yaml)\Z")
_WHAT = {"commands": "command", "executors": "executor", "jobs": "job", "examples": "example"}


class NotAnOrbRootError(FileNotFoundError):
    """The folder has no ``@orb.yml``: it is not the root of an orb source tree."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.ENOENT, "no @orb.yml in this folder: not an orb source root",
                         path)


@dataclass(frozen=True)
class Origin:
    """Where part of a packed orb was written: a file and the loc inside that file's data."""

    path: str
    loc: Loc = ()


@dataclass
class PackResult(Findings):
    """A packed orb.

    ``data`` is the orb as plain data (``None`` when nothing usable was read); ``text`` the
    packed YAML (for a single file: the file's text as it is). Both are produced best-effort
    even when there are errors (an include that failed stays as written); check :attr:`ok`.

    ``origins`` maps locs of ``data`` to where they were written (look up the longest
    prefix, :meth:`origin`); ``includes`` maps the loc of every included value to the file
    it came from, ``failed_includes`` holds the locs of values whose include failed (left
    as written); ``files`` holds the source map of every YAML file read, by path.
    """

    path: str
    data: Optional[Dict[str, Any]]
    text: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    single_file: bool = False
    origins: Dict[Loc, Origin] = field(default_factory=dict)
    includes: Dict[Loc, str] = field(default_factory=dict)
    files: Dict[str, SourceMap] = field(default_factory=dict)
    failed_includes: Set[Loc] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """True when there is an orb and no error (warnings allowed)."""
        return self.data is not None and not self.errors

    def origin(self, loc: Loc) -> Optional[Origin]:
        """Where ``loc`` of :attr:`data` was written (file and loc in that file's data)."""
        loc = tuple(loc)
        for end in range(len(loc), -1, -1):
            o = self.origins.get(loc[:end])
            if o is not None:
                return Origin(o.path, o.loc + loc[end:])
        return None

    def included_from(self, loc: Loc) -> Optional[str]:
        """The file whose text is the value at ``loc`` (or holds it), if it was included."""
        loc = tuple(loc)
        for end in range(len(loc), 0, -1):
            p = self.includes.get(loc[:end])
            if p is not None:
                return p
        return None


def pack_orb(
    path: PathLike,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_bytes: Optional[int] = None,
    max_files: int = MAX_FILES,
    max_nodes: int = MAX_NODES,
) -> PackResult:
    """Pack the orb source folder ``path`` (or take the single orb file ``path`` as it is).

    Never raises for bad content: problems are diagnostics (an include that is missing or
    leads out of the folder, a file that is not YAML, one that is too large…). Raises
    ``OSError`` when ``path`` itself cannot be used: ``FileNotFoundError`` (also
    :class:`NotAnOrbRootError` for a folder without ``@orb.yml``), ``PermissionError``,
    :class:`~workflowcore.config._files.NotRegularFileError` for a FIFO or a device.

    ``max_chars`` bounds each file and the packed orb (all files plus every included
    text); ``max_bytes`` each file's bytes (default ``4 * max_chars``); ``max_files`` the
    folder entries looked at; ``max_nodes`` the nodes of the packed orb.
    """
    shown = os.fspath(path)
    st = os.stat(shown)
    limits = _Limits(max_chars, 4 * max_chars if max_bytes is None else max_bytes, max_files,
                     max_nodes)
    if stat.S_ISDIR(st.st_mode):
        if not os.path.isfile(os.path.join(shown, "@orb.yml")):
            raise NotAnOrbRootError(shown)
        return _Packer(shown, limits).run()
    return _single_file(shown, limits)


@dataclass(frozen=True)
class _Limits:
    chars: int
    bytes: int
    files: int
    nodes: int


class _Budget(Exception):
    """A bound was hit; the diagnostic is recorded."""


def _too_large(path: str, what: str) -> Diagnostic:
    return Diagnostic(code="yaml-too-large", message=f"the file {what}", path=path,
                      hint="an orb file this large is almost certainly generated by mistake")


def _read_text(path: str, limits: _Limits) -> Tuple[Optional[str], Optional[Diagnostic]]:
    """The decoded text of ``path`` (bounded), or a diagnostic. ``OSError`` propagates."""
    try:
        raw = read_bounded(path, limits.bytes)
    except FileTooLargeError as exc:
        return None, _too_large(path, str(exc.strerror))
    return decode_utf8(raw, path)


def _single_file(path: str, limits: _Limits) -> PackResult:
    text, problem = _read_text(path, limits)
    if text is None:
        assert problem is not None
        return PackResult(path, None, "", [problem], True, files={path: SourceMap(None, path)})
    return pack_orb_text(path, text, max_chars=limits.chars)


def pack_orb_text(path: str, text: str, *, max_chars: Optional[int] = None) -> PackResult:
    """A single-file orb from its text (a file already read, or an editor's buffer)."""
    y = parse_yaml(text, path) if max_chars is None else \
        parse_yaml(text, path, max_chars=max_chars)
    diags = list(y.diagnostics)
    data = y.data
    if data is None and not any(d.is_error for d in diags):
        diags.append(Diagnostic(code="orb-empty", message="the orb file is empty", path=path,
                                hint="an orb needs at least 'version: 2.1' and a description"))
    elif data is not None and not isinstance(data, dict):
        diags.append(y.source_map.diagnostic(
            (), "orb-not-mapping",
            f"an orb must be a mapping of keys (version, description, commands, ...), "
            f"not {type(data).__name__}"))
        data = None
    return PackResult(path, data, text, sort_diagnostics(diags), True, {(): Origin(path, ())},
                      {}, {path: y.source_map})


def _is_dot(name: str) -> bool:
    return name.startswith(".") and len(name) > 1


def _stem(name: str) -> str:
    """``install.yml`` → ``install`` (Go's ``strings.TrimSuffix(n, filepath.Ext(n))``)."""
    dot = name.rfind(".")
    return name[:dot] if dot >= 0 else name


class _Packer:
    def __init__(self, root: str, limits: _Limits) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.limits = limits
        self.diags: List[Diagnostic] = []
        self.files: Dict[str, SourceMap] = {}
        self.origins: Dict[Loc, Origin] = {}
        self.includes: Dict[Loc, str] = {}
        self.failed: Set[Loc] = set()
        self.entries = 0
        self.chars = 0
        self.nodes = 0
        self._included: Dict[str, Tuple[Optional[str], Optional[IncludeProblem]]] = {}
        self.yaml_errors = False

    # -- reading ---------------------------------------------------------------------
    def _rel(self, path: str) -> str:
        return os.path.relpath(path, self.root)

    def _list(self, folder: str) -> List[os.DirEntry[str]]:
        """The entries of ``folder`` in name order (as Go's ``filepath.Walk``), dot-files
        left out, counted against the entry bound."""
        try:
            with os.scandir(folder) as it:
                entries = sorted((e for e in it if not _is_dot(e.name)), key=lambda e: e.name)
        except OSError as exc:
            self.diags.append(Diagnostic(
                code="orb-file-unreadable",
                message=f"cannot read the folder: {exc.strerror or exc}", path=folder))
            return []
        self.entries += len(entries)
        if self.entries > self.limits.files:
            self.diags.append(Diagnostic(
                code="orb-too-large",
                message=f"the orb source holds more than {self.limits.files:,} files and "
                        "folders", path=folder,
                hint="give the orb's source root (the folder that holds @orb.yml)"))
            raise _Budget
        return entries

    def _charge(self, n: int, path: str, line: int = 1, col: int = 1) -> None:
        self.chars += n
        if self.chars > self.limits.chars:
            self.diags.append(Diagnostic(
                code="orb-too-large",
                message=f"the packed orb would hold more than {self.limits.chars:,} "
                        "characters", path=path, line=line, column=col,
                hint="an orb this large is almost certainly a mistake (a large file "
                     "included many times?)"))
            raise _Budget

    def _read_yaml(self, path: str) -> Tuple[Any, Optional[SourceMap], bool]:
        """``(data, source map, usable)`` of a YAML file of the tree."""
        real = os.path.realpath(path)
        if not inside(real, self.real_root):
            self.diags.append(Diagnostic(
                code="orb-file-escape",
                message=f"'{self._rel(path)}' is a symbolic link to {link_text(path, real)}, "
                        "outside the orb source folder; it is not packed",
                path=path, hint="copy the file into the orb source folder"))
            return None, None, False
        try:
            text, problem = _read_text(path, self.limits)
        except OSError as exc:
            self.diags.append(Diagnostic(
                code="orb-file-unreadable",
                message=f"cannot read '{self._rel(path)}': {exc.strerror or exc}", path=path))
            return None, None, False
        if text is None:
            assert problem is not None
            self.diags.append(problem)
            self.yaml_errors = True
            return None, None, False
        self._charge(len(text), path)
        y = parse_yaml(text, path, max_chars=self.limits.chars)
        self.files[path] = y.source_map
        self.diags.extend(y.diagnostics)
        if any(d.is_error for d in y.diagnostics):
            self.yaml_errors = True
            return None, y.source_map, False
        return y.data, y.source_map, True

    def _mapping(self, path: str, data: Any, sm: SourceMap, what: str) -> Optional[Dict[str, Any]]:
        if data is None:
            return {}
        if isinstance(data, dict):
            return data
        self.diags.append(sm.diagnostic(
            (), "orb-element-not-mapping",
            f"{what} must be a mapping, not {type(data).__name__} (`circleci orb pack`: "
            f"\"expected a map\")"))
        return None

    # -- the tree --------------------------------------------------------------------
    def run(self) -> PackResult:
        tree: Dict[str, Any] = {}
        at_orb = os.path.join(self.root, "@orb.yml")
        self.origins[()] = Origin(at_orb, ())
        data: Optional[Dict[str, Any]] = None
        text = ""
        try:
            for entry in self._list(self.root):
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in SECTIONS:
                        self._section(tree, entry.name, entry.path)
                    continue
                if entry.is_symlink() and os.path.isdir(entry.path):
                    if entry.name in SECTIONS:
                        self._skipped(entry.path, f"'{entry.name}' is a symbolic link to a "
                                      "folder; `circleci orb pack` does not follow it, so "
                                      "its files are not packed")
                    continue
                if not _YAML_NAME.match(entry.name):
                    continue
                self._root_file(tree, entry.path)
            self._inline_includes(tree)
            data = self._shape(tree)
            text = dump_orb(data)
        except _Budget:
            data, text = None, ""
        return PackResult(self.root, data, text, sort_diagnostics(self.diags), False,
                          self.origins, self.includes, self.files, self.failed)

    def _skipped(self, path: str, message: str) -> None:
        self.diags.append(Diagnostic(code="orb-pack-skipped", message=message, path=path,
                                     severity=Severity.WARNING))

    def _root_file(self, tree: Dict[str, Any], path: str) -> None:
        raw, sm, usable = self._read_yaml(path)
        if not usable or sm is None:
            return
        data = self._mapping(path, raw, sm, f"'{self._rel(path)}'")
        if data is None:
            return
        for k, v in data.items():
            tree[k] = v  # the whole key: what an earlier file or folder wrote there goes
            for stale in [loc for loc in self.origins if len(loc) > 1 and loc[0] == k]:
                del self.origins[stale]
            self.origins[(k,)] = Origin(path, (k,))

    def _section(self, tree: Dict[str, Any], name: str, folder: str) -> None:
        what = _WHAT[name]
        section: Dict[str, Any] = {}
        written: Dict[str, str] = {}  # element → the file that wrote it last
        for entry in self._list(folder):
            if entry.is_dir():
                self._skipped(entry.path, f"'{self._rel(entry.path)}' is a sub-folder of "
                              f"{name}/; `circleci orb pack` packs only the files directly "
                              f"in {name}/, so its files are not packed")
                continue
            if not _YAML_NAME.match(entry.name):
                continue
            raw, sm, usable = self._read_yaml(entry.path)
            if not usable or sm is None:
                continue
            rel = self._rel(entry.path)
            if entry.name.startswith("@"):
                data = self._mapping(entry.path, raw, sm, f"'{rel}' (merged into {name})")
                if data is None:
                    continue
                for k, v in data.items():
                    if k in section:
                        self._duplicate(sm, (k,), what, k, written[k], rel, merged=False)
                    section[k] = v
                    written[k] = rel
                    self.origins[(name, k)] = Origin(entry.path, (k,))
                continue
            data = self._mapping(entry.path, raw, sm, f"{what} '{_stem(entry.name)}' ({rel})")
            if data is None:
                continue
            el = _stem(entry.name)
            before = section.get(el)
            if el in section and isinstance(before, dict):
                self._duplicate(sm, (), what, el, written[el], rel, merged=True)
                prev = self.origins.pop((name, el), None)
                if prev is not None:
                    for k in before:
                        self.origins[(name, el, k)] = Origin(prev.path, (*prev.loc, k))
                for k in data:
                    self.origins[(name, el, k)] = Origin(entry.path, (k,))
                section[el] = {**before, **data}
            else:
                if el in section:
                    self._duplicate(sm, (), what, el, written[el], rel, merged=False)
                section[el] = data
                self.origins[(name, el)] = Origin(entry.path, ())
            written[el] = rel
        existing = tree.get(name)
        if isinstance(existing, dict):
            base = self.origins.get((name,))
            for k in section:
                if k in existing and base is not None:
                    sm = self.files.get(base.path)
                    if sm is not None:
                        self._duplicate(sm, (*base.loc, k), what, k, self._rel(base.path),
                                        written[k], merged=False, key=True)
            for k in existing:
                if k not in section and base is not None:
                    self.origins[(name, k)] = Origin(base.path, (*base.loc, k))
            tree[name] = {**existing, **section}
        else:
            tree[name] = section
            self.origins[(name,)] = Origin(folder, ())

    def _duplicate(self, sm: SourceMap, loc: Loc, what: str, name: str, first: str,
                   second: str, *, merged: bool, key: bool = False) -> None:
        how = (f"merges their keys, those of {second} winning" if merged
               else f"keeps the one in {second}")
        self.diags.append(sm.diagnostic(
            loc, "orb-pack-duplicate",
            f"{what} '{name}' is defined in both {first} and {second}; `circleci orb pack` "
            f"{how}", severity=Severity.WARNING, key=key,
            hint="define each element once"))

    # -- includes --------------------------------------------------------------------
    def _inline_includes(self, tree: Dict[str, Any]) -> None:
        for key in list(tree):
            tree[key] = self._walk(tree[key], (key,), key in INCLUDE_SECTIONS)

    def _walk(self, value: Any, loc: Loc, include: bool) -> Any:
        """A copy of ``value`` with includes replaced (copies, so aliased subtrees shared by
        several places of the parsed files are never changed in place), nodes counted."""
        self.nodes += 1
        if self.nodes > self.limits.nodes:
            o = self.origins.get(loc[:2])
            self.diags.append(Diagnostic(
                code="orb-too-large",
                message=f"the packed orb would hold more than {self.limits.nodes:,} nodes",
                path=o.path if o is not None else self.root,
                hint="YAML aliases expanded many times? an orb this large is almost "
                     "certainly a mistake"))
            raise _Budget
        if isinstance(value, dict):
            return {k: self._walk(v, (*loc, k), include) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, (*loc, i), include) for i, v in enumerate(value)]
        if include and isinstance(value, str) and "<<" in value and "include" in value:
            return self._include(value, loc)
        if value is True or value is False:
            return self._bool(value, loc)
        return value

    def _bool(self, value: bool, loc: Loc) -> Any:
        """``yes``/``no``/``on``/``off`` (unquoted) stay text: circleci-cli reads the files
        with Go's yaml.v3, a YAML 1.2 reader for which only ``true``/``false`` are booleans,
        and prints those words quoted — so CircleCI gets the text ``"off"``, where it would
        read ``off`` in a config as ``false``."""
        o = self.origin(loc)
        sm = self.files.get(o.path) if o is not None else None
        if o is None or sm is None:
            return value
        written = sm.written(o.loc)
        return written if written in YAML11_WORDS else value

    def _position(self, loc: Loc, needle: str) -> Tuple[str, int, int, int, int]:
        """``(path, line, col, end_line, end_col)`` of ``needle`` inside the scalar at
        ``loc`` as written in its file (the scalar's start when it cannot be found)."""
        o = self.origin(loc)
        if o is None:
            return self.root, 1, 1, 0, 0
        sm = self.files.get(o.path)
        if sm is None:
            return o.path, 1, 1, 0, 0
        sp = sm.span(o.loc)
        lines = sm.lines
        first = "\n".join(lines[sp.start.line - 1: sp.end.line])
        at = first.find(needle, sp.start.column - 1) if needle and "\n" not in needle else -1
        if at < 0:
            return o.path, sp.start.line, sp.start.column, sp.end.line, sp.end.column
        line = sp.start.line + first.count("\n", 0, at)
        col = at - (first.rfind("\n", 0, at) + 1) + 1
        return o.path, line, col, line, col + len(needle)

    def origin(self, loc: Loc) -> Optional[Origin]:
        for end in range(len(loc), -1, -1):
            o = self.origins.get(loc[:end])
            if o is not None:
                return Origin(o.path, o.loc + loc[end:])
        return None

    def _include_error(self, loc: Loc, needle: str, code: str, message: str,
                       hint: Optional[str] = None) -> None:
        self.failed.add(loc)
        path, line, col, eline, ecol = self._position(loc, needle)
        self.diags.append(Diagnostic(code=code, message=message, path=path, line=line,
                                     column=col, end_line=eline, end_column=ecol, hint=hint))

    def _include(self, value: str, loc: Loc) -> str:
        matches = list(INCLUDE_RE.finditer(value))
        if not matches:
            near = NEAR_INCLUDE_RE.search(value)
            if near is not None:
                self._include_error(
                    loc, near.group(0), "orb-include-invalid",
                    "this looks like an include, but `circleci orb pack` does not read it as "
                    "one: the path may use only letters, digits, '_', '-', '/' and '.'",
                    "write <<include(scripts/name.sh)>>, the file path relative to the orb "
                    "source root")
            return value
        if len(matches) > 1:
            self._include_error(
                loc, matches[1].group(0), "orb-include-multiple",
                "a value may hold only one include statement (`circleci orb pack`: "
                "\"multiple include statements\")",
                "include one file per value; put shared code in the included script")
            return value
        m = matches[0]
        if m.group(0) != value:
            self._include_error(
                loc, m.group(0), "orb-include-not-whole",
                "the include statement must be the whole value (`circleci orb pack`: "
                "\"entire string must be include statement\")",
                "write the value as just <<include(path)>> (in a block scalar '|' the value "
                "ends with a line break: use a plain value)")
            return value
        target = m.group(1)
        path, problem = resolve(self.root, self.real_root, target)
        if problem is not None:
            self._include_error(loc, m.group(0), problem.code, problem.message, problem.hint)
            return value
        assert path is not None
        cached = self._included.get(path)
        if cached is None:
            cached = self._read_include(path, target)
            self._included[path] = cached
        text, problem = cached
        if problem is not None:
            self._include_error(loc, m.group(0), problem.code, problem.message)
            return value
        if text is None:  # not UTF-8: reported once, in the included file
            self.failed.add(loc)
            return value
        _, line, col, _, _ = self._position(loc, m.group(0))
        o = self.origin(loc)
        self._charge(len(text), o.path if o is not None else self.root, line, col)
        self.includes[loc] = path
        return escape_included(text)

    def _read_include(self, path: str, target: str
                      ) -> Tuple[Optional[str], Optional[IncludeProblem]]:
        """The text of an included file, or why it cannot be included (said at every
        include of it); a file that is too large or not UTF-8 is reported here, once, in
        that file."""
        try:
            text, problem = _read_text(path, self.limits)
        except IsADirectoryError:
            return None, IncludeProblem(
                "orb-include-missing", f"could not open '{target}' for inclusion: it is a "
                "folder")
        except OSError as exc:
            return None, IncludeProblem(
                "orb-include-unreadable", f"could not open '{target}' for inclusion: "
                f"{exc.strerror or exc}")
        if problem is not None:
            self.diags.append(problem)
        return text, None

    # -- the packed shape ------------------------------------------------------------
    def _dropped(self, loc: Loc, message: str) -> None:
        o = self.origin(loc)
        sm = self.files.get(o.path) if o is not None else None
        if o is None or sm is None:
            return
        self.diags.append(sm.diagnostic(o.loc, "orb-pack-dropped-key", message, key=True,
                                        severity=Severity.WARNING))

    def _shape(self, tree: Dict[str, Any]) -> Dict[str, Any]:
        out = {k: tree[k] for k in ORB_KEYS if k in tree}
        for k in tree:
            if k not in out:
                self._dropped((k,), f"'{k}' is not an orb key; `circleci orb pack` leaves it "
                                    f"out (orb keys: {', '.join(ORB_KEYS)})")
        examples = out.get("examples")
        if isinstance(examples, dict):
            out["examples"] = {n: self._example(n, ex) for n, ex in examples.items()}
        return out

    def _example(self, name: str, ex: Any) -> Any:
        if not isinstance(ex, dict):
            return ex
        loc: Loc = ("examples", name)
        kept = {k: v for k, v in ex.items() if k in EXAMPLE_KEYS}
        for k in ex:
            if k not in kept:
                self._dropped((*loc, k), f"'{k}' is not a key of an example; `circleci orb "
                                         f"pack` leaves it out (example keys: "
                                         f"{', '.join(EXAMPLE_KEYS)}); was it meant to be "
                                         "under 'usage'?")
        for part in ("usage", "result"):
            usage = kept.get(part)
            if isinstance(usage, dict):
                keep = {k: v for k, v in usage.items() if k in USAGE_KEYS}
                for k in usage:
                    if k not in keep:
                        self._dropped((*loc, part, k),
                                      f"'{k}' in the {part} of example '{name}' is left out "
                                      f"by `circleci orb pack`, which keeps only "
                                      f"{', '.join(USAGE_KEYS)} there")
                kept[part] = keep
        return kept
