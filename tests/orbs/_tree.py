"""Building orb source trees for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict

ORB = """\
version: 2.1
description: A test orb.
display:
  source_url: https://example.com/orb
"""


def make_orb(root: Path, files: Dict[str, str], *, base: str | None = ORB) -> Path:
    """Write ``files`` (relative path → text, dedented) under ``root``; ``@orb.yml`` is
    ``base`` unless ``files`` gives one. Returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    if base is not None and "@orb.yml" not in files:
        (root / "@orb.yml").write_text(base, encoding="utf-8")
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def pos(text: str, needle: str) -> tuple[int, int]:
    """1-based ``(line, column)`` of the first ``needle`` in ``text`` (dedented as written)."""
    text = textwrap.dedent(text)
    i = text.index(needle)
    line = text.count("\n", 0, i) + 1
    return line, i - (text.rfind("\n", 0, i) + 1) + 1
