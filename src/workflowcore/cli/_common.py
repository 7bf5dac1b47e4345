"""Exit codes and helpers shared by the sub-commands."""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_ON_HOLD", "EXIT_USAGE", "UsageError", "err"]

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
