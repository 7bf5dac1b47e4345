"""Reading the config a command works on: one place for the "no such file" messages and for
``--max-bytes``, the byte bound every config-reading command takes."""

from __future__ import annotations

import argparse
import os
import sys

from ..config import LoadResult, load_file
from ..config._files import NotRegularFileError
from ..config._yaml import DEFAULT_MAX_CHARS
from ..reporting.diagnostics import FileReport, format_text
from ._common import UsageError, byte_size

__all__ = ["add_input_options", "print_diagnostics", "read_config"]


def add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-bytes", type=byte_size, default=None, metavar="N",
                   help="refuse a config file larger than N bytes (suffix K, M or G for KiB, "
                        f"MiB, GiB; default: {4 * DEFAULT_MAX_CHARS // 2**20}M, and at most "
                        f"{DEFAULT_MAX_CHARS // 2**20} Mi characters)")


def read_config(path: str | os.PathLike[str], max_bytes: int | None = None,
                orb_dir: str | None = None, models: bool = True) -> LoadResult:
    """Load ``path``; an unreadable file is a :class:`UsageError` (exit 2), and so is a FIFO
    or a device (refused without waiting on it). ``max_bytes`` is ``--max-bytes``: it bounds
    the characters too, since no character takes less than a byte. ``models=False``:
    diagnostics only, no :class:`Config` (as for :func:`~workflowcore.config.load`)."""
    try:
        if max_bytes is None:
            return load_file(path, orb_dir=orb_dir, models=models)
        return load_file(path, max_bytes=max_bytes, max_chars=max_bytes, orb_dir=orb_dir,
                         models=models)
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory; give the config file "
                         f"(e.g. {path}/.circleci/config.yml)") from None
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except NotRegularFileError as exc:
        raise UsageError(f"{path}: {exc.strerror}; give the config file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None


def print_diagnostics(result: LoadResult, *, summary: bool = True) -> None:
    """Every diagnostic of ``result`` on stderr, with snippets."""
    sys.stderr.write(format_text([FileReport(result.path, result.diagnostics,
                                             result.source_map.lines)], summary=summary))
