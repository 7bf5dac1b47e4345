"""Project environment variables for local runs: ``-e KEY=VALUE`` and ``--env-file FILE``.

On CircleCI a project's settings hold environment variables every job sees (lowest
precedence, masked in output). Locally there was no way to give one, so a one-variable fix
needed PATH shims (issue 12). ``--env-file`` reads the format ``docker run --env-file`` and
most dotenv tools share::

    # a comment
    API_URL=https://example.test
    export TOKEN="s3cret"          # `export ` and matching quotes are allowed
    EMPTY=

``-e`` items come after the file and win. Values are secrets (masked in every log, as
CircleCI masks project variables) and are never written to the run state: the state keeps the
env file's path and the names given with ``-e``, so ``rerun``/``approve``/``resume`` read the
file again and say which ``-e`` variables must be given again.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..config._files import read_bounded
from ._common import UsageError, err, require_text

__all__ = [
    "MAX_ENV_FILE_BYTES",
    "add_env_options",
    "env_settings",
    "parse_env_file",
    "project_environment",
]

#: an env file larger than this is refused (CircleCI caps a project at a few hundred
#: variables of at most 32 KiB each; 1 MiB is far above any real file)
MAX_ENV_FILE_BYTES = 1024 * 1024

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def add_env_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", "-e", action="append", default=[], metavar="KEY=VALUE",
                   help="a project environment variable for every job (repeatable; masked "
                        "in output; wins over --env-file)")
    p.add_argument("--env-file", default=None, metavar="FILE",
                   help="project environment variables from FILE (KEY=VALUE lines, "
                        "'#' comments, optional 'export ' and quotes)")


def _check_name(name: str, where: str) -> None:
    if not _NAME.match(name):
        raise UsageError(f"{where}: {name!r} is not a valid environment variable name "
                         "(letters, digits and _, not starting with a digit)")


def parse_env_file(path: str) -> Dict[str, str]:
    """The variables of ``path``; :class:`UsageError` naming ``path:line`` on a mistake."""
    try:
        raw = read_bounded(path, MAX_ENV_FILE_BYTES)
    except OSError as exc:
        raise UsageError(f"--env-file {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = raw[: exc.start].count(b"\n") + 1
        raise UsageError(f"{path}:{at}: not valid UTF-8; save the file as UTF-8") from exc
    out: Dict[str, str] = {}
    for number, raw_line in enumerate(text.splitlines(), 1):
        stripped = raw_line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export "):].lstrip()
        if "=" not in stripped:
            raise UsageError(f"{path}:{number}: expected KEY=VALUE, got {stripped[:40]!r}")
        name, value = stripped.split("=", 1)
        name = name.strip()
        _check_name(name, f"{path}:{number}")
        out[name] = _unquote(value.strip(), f"{path}:{number}")
    return out


def _unquote(value: str, where: str) -> str:
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = value.find(quote, 1)
        if end < 0:
            raise UsageError(f"{where}: the value opens a {quote} quote it never closes")
        rest = value[end + 1:].strip()
        if rest and not rest.startswith("#"):
            raise UsageError(f"{where}: unexpected text after the quoted value: {rest[:20]!r}")
        inner = value[1:end]
        return inner.replace("\\n", "\n") if quote == '"' else inner
    if " #" in value:  # an unquoted value ends at a comment
        value = value.split(" #", 1)[0].rstrip()
    return value


def _items(items: List[str]) -> List[Tuple[str, str]]:
    out: List[Tuple[str, str]] = []
    for item in items:
        if "=" not in item:
            raise UsageError(f"-e {item!r}: expected KEY=VALUE")
        name, value = item.split("=", 1)
        _check_name(name, f"-e {item!r}")
        out.append((name, value))
    return out


def project_environment(args: argparse.Namespace,
                        stored: Optional[Mapping[str, Any]] = None) -> Dict[str, str]:
    """``--env-file`` then ``-e`` (which wins). ``stored`` (a run's settings) supplies the
    env file the run was started with when none is given, and warns about ``-e`` names the
    run had that were not given again (their values are never stored)."""
    env_file = getattr(args, "env_file", None)
    if env_file is None and stored and stored.get("env_file"):
        env_file = str(stored["env_file"])
    env: Dict[str, str] = parse_env_file(env_file) if env_file else {}
    items = _items(list(getattr(args, "env", None) or []))
    env.update(items)
    require_text(env, "--env/--env-file")
    if stored:
        missing = [n for n in stored.get("env_names") or () if n not in env]
        if missing:
            err(f"warning: the run was started with -e {', '.join(missing)}; their values are "
                "not stored (secrets): give them again with -e to have them in these jobs")
    return env


def env_settings(args: argparse.Namespace) -> Dict[str, Any]:
    """What the run state keeps about the project environment (never the values)."""
    out: Dict[str, Any] = {}
    if getattr(args, "env_file", None):
        out["env_file"] = str(Path(args.env_file).absolute())
    names = [n for n, _ in _items(list(getattr(args, "env", None) or []))]
    if names:
        out["env_names"] = sorted(set(names))
    return out
