"""Where the documentation is: installed with the package, or in the source checkout.

The wheel carries the ``docs/`` folder as ``workflowcore/docs`` (pyproject.toml), so a user
who never sees the source tree still has every page that ``--help`` texts, hints and SARIF
rules refer to; the project has no public documentation site to link to instead. In a
source checkout (an editable install) the folder is the repository's own ``docs/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

__all__ = ["docs_dir"]


def docs_dir() -> Optional[Path]:
    """The documentation folder (``None`` if this installation has none)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "docs", package.parent.parent / "docs"):
        if (candidate / "diagnostics.md").is_file():
            return candidate
    return None
