"""A local dependency cache with CircleCI's rules (semantics §1.7 ``save_cache``/``restore_cache``).

* Keys are immutable: saving under a key that exists is skipped, never overwritten.
* Restoring tries each candidate key in order; a candidate matches every saved key it is a
  *prefix* of, and among those the **most recently saved** wins, even when an exact match
  exists. The first candidate with any match decides.
* Writes are atomic: an entry is built in a temporary directory and renamed into place, so a
  killed process never leaves a half entry, and two concurrent savers of one key cannot both
  win (the rename of the second fails and it reports "already exists").

The store holds opaque tar blobs; what goes into them (and the path checks on unpacking) is
the step interpreter's business, through :mod:`workflowcore.runtime.stores._archive`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, List, Optional, Protocol, Sequence, runtime_checkable

from ...config._files import read_bounded
from ...errors import StoreCorruptedError, StoreError
from .._fs import temp_sibling

__all__ = ["CacheEntry", "CacheStore", "FileSystemCacheStore"]

#: CircleCI rejects longer keys; keeping the limit makes local configs fail the same way.
MAX_KEY_LENGTH = 900
#: An entry's meta.json is a few hundred bytes; a larger one is not ours (read bounded).
_MAX_META_BYTES = 64 * 1024


@dataclass(frozen=True)
class CacheEntry:
    key: str
    created_ns: int
    size: int


@runtime_checkable
class CacheStore(Protocol):
    def exists(self, key: str) -> bool:
        ...

    def match(self, keys: Sequence[str]) -> Optional[str]:
        """The saved key to restore for these candidates (prefix rule, most recent), or None."""
        ...

    def save(self, key: str, write: Callable[[IO[bytes]], None]) -> bool:
        """Store what ``write`` writes under ``key``; False (and nothing written) if it exists."""
        ...

    def open(self, key: str) -> IO[bytes]:
        """The saved archive of an existing key, for reading."""
        ...


class FileSystemCacheStore:
    """Entries under ``root/<sha256(key)>/`` holding ``data.tar`` and ``meta.json``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).absolute()

    def __repr__(self) -> str:
        return f"FileSystemCacheStore({str(self.root)!r})"

    def _dir(self, key: str) -> Path:
        # surrogateescape: a key rendered from a branch name that was not UTF-8 still has
        # one directory (and never a UnicodeEncodeError inside a step)
        return self.root / hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()

    def exists(self, key: str) -> bool:
        return (self._dir(key) / "meta.json").is_file()

    def entries(self) -> List[CacheEntry]:
        """Every saved entry, oldest first."""
        out: list[CacheEntry] = []
        if not self.root.is_dir():
            return out
        for d in self.root.iterdir():
            if d.name.startswith(".") or not d.is_dir():
                continue
            meta = d / "meta.json"
            try:
                data = json.loads(read_bounded(meta, _MAX_META_BYTES).decode("utf-8"))
                out.append(CacheEntry(str(data["key"]), int(data["created_ns"]),
                                      int(data.get("size", 0))))
            except FileNotFoundError:
                continue
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise StoreCorruptedError(
                    f"cache entry {str(d)!r} has an unreadable meta.json ({exc}); "
                    "delete that directory") from exc
        out.sort(key=lambda e: (e.created_ns, e.key))
        return out

    def match(self, keys: Sequence[str]) -> Optional[str]:
        entries = self.entries()
        for candidate in keys:
            if not candidate:
                continue
            hits = [e for e in entries if e.key.startswith(candidate)]
            if hits:
                return max(hits, key=lambda e: (e.created_ns, e.key)).key
        return None

    def save(self, key: str, write: Callable[[IO[bytes]], None]) -> bool:
        _check_key(key)
        final = self._dir(key)
        if final.exists():
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = temp_sibling(final)
        tmp.mkdir()
        try:
            data = tmp / "data.tar"
            with open(data, "wb") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
            meta = {"key": key, "created_ns": time.time_ns(), "size": data.stat().st_size}
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            try:
                os.rename(tmp, final)
            except OSError:
                if final.exists():
                    return False  # a concurrent saver won; caches are immutable
                raise
            return True
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def open(self, key: str) -> IO[bytes]:
        path = self._dir(key) / "data.tar"
        with contextlib.suppress(OSError):  # last use, for `workflowcore prune --caches`
            os.utime(path.parent)
        try:
            return open(path, "rb")
        except FileNotFoundError as exc:
            raise StoreError(f"no cache saved under key {key!r}") from exc

    def delete(self, key: str) -> bool:
        d = self._dir(key)
        if not d.exists():
            return False
        shutil.rmtree(d)
        return True


def _check_key(key: str) -> None:
    if not key or not key.strip():
        raise StoreError("cache key is empty; give save_cache a `key` with some fixed text")
    if len(key) > MAX_KEY_LENGTH:
        raise StoreError(f"cache key is {len(key)} characters long; the limit is "
                         f"{MAX_KEY_LENGTH}")
