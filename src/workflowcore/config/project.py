"""Where a project's files are, for ``validate`` and the language server: the config, found
from a directory upwards as git finds its repository, and the project's workflowcore
settings (``.workflowcore.toml``, or ``[tool.workflowcore]`` in ``pyproject.toml``).

Both searches climb from a directory towards the filesystem root and stop at the top of a
git work tree (a directory holding ``.git``), after looking there: a repository is a
project, and a config or a settings file above it belongs to something else (a home
directory's ``pyproject.toml`` must not change how a checkout is checked).

Settings (docs/cli.md, "Suppressions and configuration")::

    [tool.workflowcore]
    ignore = ["yaml-truthy", "orb-*"]   # codes never reported (fnmatch globs)
    fail-on = "warning"                 # what makes validate exit 1: error (default), warning
    severity-threshold = "warning"      # what is shown: info (default), warning, error

TOML is read with the standard library's ``tomllib`` (Python 3.11+), else ``tomli`` when it is
installed; with neither, the file is skipped with a warning rather than half-read.

Paths are strings (``os.path``), not ``pathlib``: ``validate`` imports this module on every
cold start, and pathlib (with ``urllib.parse`` and ``ipaddress``) is ~2 ms of it
(docs/dev/cold-start.md). Functions take any path-like.
"""

from __future__ import annotations

import importlib
import os
import re
from types import ModuleType
from typing import Any, Dict, Iterator, Mapping, NamedTuple, Optional, Tuple, Union

__all__ = [
    "CONFIG_NAME",
    "FAIL_ON",
    "SETTINGS_KEYS",
    "THRESHOLDS",
    "ProjectSettings",
    "SettingsError",
    "find_config",
    "find_settings",
    "project_root",
    "read_settings",
]

StrPath = Union[str, "os.PathLike[str]"]

#: Where CircleCI reads a project's config (it reads no other name).
CONFIG_NAME = os.path.join(".circleci", "config.yml")
#: Severities ``severity-threshold`` takes, most severe first.
THRESHOLDS = ("error", "warning", "info")
#: Severities ``fail-on`` takes.
FAIL_ON = ("error", "warning")
SETTINGS_KEYS = ("ignore", "fail-on", "severity-threshold")
_DEDICATED = ".workflowcore.toml"
_PYPROJECT = "pyproject.toml"
# `[tool.workflowcore]`, `[tool.workflowcore.sub]` or a dotted `tool.workflowcore.key = ...`
# (compiled on first use, by re's cache: most projects have no pyproject.toml to test)
_OUR_TABLE = (r"^[ \t]*(?:\[[ \t]*tool[ \t]*\.[ \t]*workflowcore[ \t]*[\].]"
              r"|tool[ \t]*\.[ \t]*workflowcore[ \t]*\.)")


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file, the key and the fix."""


class ProjectSettings(NamedTuple):
    """What a settings file says (``path`` is ``None`` when there is none). ``warnings``
    are things to tell the user that do not stop the command (a file that was skipped)."""

    path: Optional[str] = None
    ignore: Tuple[str, ...] = ()
    fail_on: Optional[str] = None
    severity_threshold: Optional[str] = None
    warnings: Tuple[str, ...] = ()


def _upwards(start: StrPath) -> Iterator[str]:
    """``start`` (made absolute) and its parents, up to and including the top of the git
    work tree that holds it, or the filesystem root."""
    here = os.path.abspath(start)
    while True:
        yield here
        parent = os.path.dirname(here)
        if os.path.exists(os.path.join(here, ".git")) or parent == here:
            return
        here = parent


def project_root(start: StrPath) -> Optional[str]:
    """The top of the git work tree holding ``start``, if any."""
    for d in _upwards(start):
        if os.path.exists(os.path.join(d, ".git")):
            return d
    return None


def find_config(start: StrPath) -> Optional[str]:
    """``.circleci/config.yml`` of ``start`` or of the nearest parent that has one, not
    above the git work tree's top; ``None`` when there is none."""
    for d in _upwards(start):
        candidate = os.path.join(d, CONFIG_NAME)
        if os.path.isfile(candidate):
            return candidate
    return None


def find_settings(start: StrPath) -> Optional[str]:
    """The settings file that applies to ``start``: in the nearest directory (``start``, then
    its parents, not above the git work tree's top) holding ``.workflowcore.toml`` or a
    ``pyproject.toml`` with a ``[tool.workflowcore]`` table (``.workflowcore.toml`` first)."""
    for d in _upwards(start):
        dedicated = os.path.join(d, _DEDICATED)
        if os.path.isfile(dedicated):
            return dedicated
        pyproject = os.path.join(d, _PYPROJECT)
        if os.path.isfile(pyproject) and _mentions_us(pyproject):
            return pyproject
    return None


def _mentions_us(pyproject: str) -> bool:
    """Whether a ``pyproject.toml`` may hold our table: a text test first, so the many that
    do not are neither parsed nor blamed for TOML errors that are not ours to report."""
    try:
        with open(pyproject, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return False
    return "workflowcore" in text and re.search(_OUR_TABLE, text, re.M) is not None


def _toml() -> Optional[ModuleType]:
    for name in ("tomllib", "tomli"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def read_settings(path: StrPath, shown: Optional[str] = None) -> ProjectSettings:
    """Read a settings file; :class:`SettingsError` for one that is not valid TOML or holds
    an unknown key or a bad value. ``shown`` is how messages name the file."""
    path = os.fspath(path)
    name = shown or path
    toml = _toml()
    if toml is None:
        return ProjectSettings(warnings=(
            f"{name}: not read: reading TOML needs Python 3.11 or the 'tomli' package "
            "(pip install tomli)",))
    try:
        with open(path, "rb") as f:
            doc: Dict[str, Any] = toml.load(f)
    except OSError as exc:
        raise SettingsError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise SettingsError(f"{name}: not valid TOML: {exc}") from None
    tool = doc.get("tool")
    table = tool.get("workflowcore") if isinstance(tool, dict) else None
    where = f"{name}: [tool.workflowcore]"
    if os.path.basename(path) == _DEDICATED:
        if table is None:
            table, where = doc, name
        elif set(doc) - {"tool"}:
            raise SettingsError(f"{name}: settings both at the top level and in "
                                "[tool.workflowcore]; keep one of them")
    if table is None:  # a pyproject.toml that only mentions us elsewhere
        return ProjectSettings()
    if not isinstance(table, dict):
        raise SettingsError(f"{where} must be a table of settings "
                            f"({', '.join(SETTINGS_KEYS)})")
    return _settings(path, table, where)


def _settings(path: str, table: Mapping[str, Any], where: str) -> ProjectSettings:
    for key in table:
        if key not in SETTINGS_KEYS:
            import difflib  # only for a misspelt key

            near = difflib.get_close_matches(key, SETTINGS_KEYS, n=1)
            fix = f"did you mean '{near[0]}'?" if near else \
                f"the settings are {', '.join(SETTINGS_KEYS)}"
            raise SettingsError(f"{where}: unknown setting '{key}'; {fix}")
    ignore = table.get("ignore", [])
    if isinstance(ignore, str) or not isinstance(ignore, list) or \
            not all(isinstance(p, str) and p.strip() for p in ignore):
        raise SettingsError(f"{where}: 'ignore' must be a list of diagnostic codes (globs "
                            "allowed), e.g. ignore = [\"yaml-truthy\", \"orb-*\"]")
    return ProjectSettings(
        path=path,
        ignore=tuple(p.strip() for p in ignore),
        fail_on=_choice(table, "fail-on", FAIL_ON, where),
        severity_threshold=_choice(table, "severity-threshold", THRESHOLDS, where),
    )


def _choice(table: Mapping[str, Any], key: str, allowed: Tuple[str, ...],
            where: str) -> Optional[str]:
    value = table.get(key)
    if value is None:
        return None
    if value not in allowed:
        raise SettingsError(f"{where}: '{key}' is {value!r}; use one of "
                            + ", ".join(f'"{a}"' for a in allowed))
    return str(value)
