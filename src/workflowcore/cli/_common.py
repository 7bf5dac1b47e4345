"""Exit codes and helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import re
import sys
from typing import TextIO

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_ON_HOLD", "EXIT_USAGE", "UsageError", "byte_size",
           "err", "require_text"]

EXIT_OK = 0
#: errors in the config (validate/plan), or a workflow failed (run)
EXIT_FAILED = 1
#: a bad invocation, an unreadable file, an invalid config for run
EXIT_USAGE = 2
#: run: nothing failed, but a workflow waits for an approval
EXIT_ON_HOLD = 3


class UsageError(Exception):
    """A mistake in how the command was called: reported on stderr, exit 2."""


def err(message: str, stream: TextIO | None = None) -> None:
    print(f"workflowcore: {message}", file=stream or sys.stderr)


_SIZE = r"\s*([0-9]+)\s*([KMG]?)i?B?\s*\Z"  # compiled when a size is given
_UNIT = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def byte_size(text: str) -> int:
    """An argparse type: ``4096``, ``64K``, ``200M``, ``1G`` (powers of 1024; ``MiB`` and
    ``MB`` are read the same), at least 1."""
    m = re.match(_SIZE, text, re.IGNORECASE)
    value = int(m.group(1)) * _UNIT[m.group(2).upper()] if m else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a size in bytes such as 4096, 64K or "
                                         f"200M, got {text!r}")
    return value


def require_text(value: object, option: str) -> None:
    """Refuse (exit 2, one line) an argument that is not text: bytes that are not UTF-8
    reach Python as surrogate escapes (``$'m\\xff'`` is ``'m\\udcff'``), and what is stored
    in the run state (a branch, an actor, parameter values) must be text. Strings inside
    lists and mappings are checked too."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            shown = value.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            raise UsageError(f"{option} '{shown}': not valid UTF-8 text (byte "
                             f"{exc.object[exc.start].encode('utf-8', 'surrogateescape')[0]:#04x}"
                             f" at {exc.start + 1}); give it as UTF-8") from None
    elif isinstance(value, dict):
        for k, v in value.items():
            require_text(k, option)
            require_text(v, option)
    elif isinstance(value, (list, tuple)):
        for v in value:
            require_text(v, option)
