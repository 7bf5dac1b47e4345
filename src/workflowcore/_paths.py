"""Where workflowcore keeps its own files on this machine.

One place for ``$XDG_CACHE_HOME/workflowcore`` (default ``~/.cache/workflowcore``): the orb
store, the cached validator schemas and the subprocess executor's job directories all live
under it. Stdlib only: the cold ``validate`` path imports it, which is why
:func:`cache_path` (a string) exists beside :func:`cache_dir`: it needs no ``pathlib``
(~2 ms of a cold start, docs/dev/cold-start.md).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["cache_dir", "cache_path"]


def cache_path() -> str:
    """``$XDG_CACHE_HOME/workflowcore``, else ``~/.cache/workflowcore``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "workflowcore")


def cache_dir() -> Path:
    """:func:`cache_path` as a ``Path``."""
    from pathlib import Path

    return Path(cache_path())
