"""Reading the config a command works on: one place for the "no such file" messages."""

from __future__ import annotations

import os
import sys

from ..config import LoadResult, load_file
from ..reporting.diagnostics import FileReport, format_text
from ._common import UsageError

__all__ = ["print_diagnostics", "read_config"]


def read_config(path: str | os.PathLike[str]) -> LoadResult:
    """Load ``path``; an unreadable file is a :class:`UsageError` (exit 2)."""
    try:
        return load_file(path)
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory; give the config file "
                         f"(e.g. {path}/.circleci/config.yml)") from None
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None


def print_diagnostics(result: LoadResult, *, summary: bool = True) -> None:
    """Every diagnostic of ``result`` on stderr, with snippets."""
    sys.stderr.write(format_text([FileReport(result.path, result.diagnostics,
                                             result.source_map.lines)], summary=summary))
