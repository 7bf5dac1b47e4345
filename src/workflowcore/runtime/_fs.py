"""Small filesystem helpers shared by the stores and the executors.

They live in one private module so every place that turns a user-controlled string (a job
name, a workflow id, a cache key) into a path does it the same, safe way.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import uuid
from pathlib import Path, PurePosixPath
from urllib.parse import quote

__all__ = [
    "is_within",
    "path_component",
    "real_within",
    "relative_member",
    "temp_sibling",
]


def path_component(name: str) -> str:
    """``name`` as one safe file-name component: no ``/``, never ``.``/``..``/empty.

    Percent-encoding keeps it reversible and readable for ordinary job names
    (``build-and-test`` stays as it is; ``deploy prod`` becomes ``deploy%20prod``).
    """
    encoded = quote(name, safe="-_+@=,")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    elif not encoded:
        encoded = "%00"
    if len(encoded) > 200:  # file-name limits; keep it unique with a digest
        encoded = encoded[:150] + "-" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return encoded


def relative_member(path: str) -> PurePosixPath | None:
    """Normalise a relative, ``/``-separated path; ``None`` when it is absolute or uses ``..``.

    ``./a//b/`` becomes ``a/b``; ``.`` stays ``.`` (the root itself). A ``..`` anywhere is
    refused rather than resolved: a path that walks up and back down is never needed and is the
    shape every traversal attack takes.
    """
    if not path or path.startswith("/") or "\x00" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def is_within(path: str, root: str) -> bool:
    """Lexical containment of two absolute, normalised paths (``root`` itself counts)."""
    path = posixpath.normpath(path)
    root = posixpath.normpath(root)
    return path == root or path.startswith(root.rstrip("/") + "/")


def real_within(path: Path, root_real: str) -> bool:
    """Whether ``path``, with every symlink resolved, lies inside ``root_real`` (a realpath)."""
    return is_within(os.path.realpath(path), root_real)


def temp_sibling(path: Path, suffix: str = "") -> Path:
    """A unique temporary name in ``path``'s directory, for write-then-``os.replace``."""
    return path.parent / f".tmp-{uuid.uuid4().hex}{suffix}"
