"""Where workflowcore keeps its own files on this machine.

One place for ``$XDG_CACHE_HOME/workflowcore`` (default ``~/.cache/workflowcore``): the orb
store, the cached validator schemas and the subprocess executor's job directories all live
under it. Stdlib only: the cold ``validate`` path imports it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/workflowcore``, else ``~/.cache/workflowcore``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "workflowcore"
