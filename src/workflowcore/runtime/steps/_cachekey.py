"""Cache-key templates (``save_cache``/``restore_cache`` ``key``), rendered as CircleCI does.

CircleCI renders keys with Go's ``text/template``; the forms it documents are supported:
``{{ .Branch }}`` (``CIRCLE_BRANCH``), ``{{ .Revision }}`` (``CIRCLE_SHA1``), ``{{ .BuildNum }}``
(``CIRCLE_BUILD_NUM``), ``{{ .CheckoutKey }}`` (empty locally), ``{{ .Environment.NAME }}``,
``{{ checksum "file" }}`` (base64 SHA-256 of the file, relative to the working directory),
``{{ epoch }}`` (Unix seconds) and ``{{ arch }}``. Like Go, a missing environment variable
renders as ``<no value>``; a checksum of a missing file is an error whose text mirrors
CircleCI's ("error computing cache key: ... no such file or directory"), which the step
interpreter reports as a warning, not a job failure (that is what CircleCI does).

A key that contains a secret (``v1-{{ .Environment.NPM_TOKEN }}``) is stored and shown in
the form :func:`stored_cache_key` gives it: each secret the job masks becomes
``********`` plus a digest, so the cache metadata never holds the value while two different
values still make two different keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Callable, Mapping, Optional

from ...config._files import open_regular
from ..contexts import Masker

__all__ = ["CacheKeyError", "arch_string", "file_checksum", "render_cache_key",
           "stored_cache_key"]

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_CHECKSUM = re.compile(r'checksum\s+"((?:[^"\\]|\\.)*)"\Z|checksum\s+`([^`]*)`\Z', re.S)
_ENV_FIELD = re.compile(r"\.Environment\.([A-Za-z_][A-Za-z0-9_]*)\Z")
_NO_VALUE = "<no value>"


class CacheKeyError(ValueError):
    """A key template cannot be rendered (unknown action, unreadable checksum file)."""


def file_checksum(path: Path) -> str:
    """Base64 (standard alphabet) of the SHA-256 of a file's contents, as CircleCI's key.

    Only a regular file is read: ``{{ checksum "/dev/zero" }}`` or a FIFO would never end
    (and a job's timeout cannot stop a read inside the runtime), so they are refused with
    an ``OSError`` that names what the path is.
    """
    digest = hashlib.sha256()
    fd, _ = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode("ascii")


def arch_string() -> str:
    """A stand-in for CircleCI's ``{{ arch }}`` (``arch1-linux-amd64-...``): OS and CPU."""
    machine = platform.machine().lower()
    machine = {"x86_64": "amd64", "aarch64": "arm64", "i686": "386"}.get(machine, machine)
    system = "darwin" if sys.platform == "darwin" else sys.platform.rstrip("0123456789")
    return f"arch1-{system}-{machine}"


def render_cache_key(
    template: str,
    *,
    environment: Mapping[str, str],
    checksum: Callable[[str], str],
    now: Optional[float] = None,
) -> str:
    """Render ``template``. ``checksum(path)`` hashes a file named in the template (the
    caller resolves it against the working directory); it raises ``OSError`` to report a
    missing file."""

    def action(m: re.Match[str]) -> str:
        body = m.group(1).strip()
        if body == ".Branch":
            return environment.get("CIRCLE_BRANCH", "")
        if body == ".Revision":
            return environment.get("CIRCLE_SHA1", "")
        if body == ".BuildNum":
            return environment.get("CIRCLE_BUILD_NUM", "")
        if body == ".CheckoutKey":
            return ""
        if body == "epoch":
            return str(int(now if now is not None else time.time()))
        if body == "arch":
            return arch_string()
        env = _ENV_FIELD.match(body)
        if env:
            return environment.get(env.group(1), _NO_VALUE)
        cs = _CHECKSUM.match(body)
        if cs:
            name = cs.group(1) if cs.group(1) is not None else cs.group(2)
            name = re.sub(r"\\(.)", r"\1", name) if cs.group(1) is not None else name
            try:
                return checksum(name)
            except OSError as exc:
                where = exc.filename if exc.filename else name
                why = (exc.strerror or str(exc)).lower()
                raise CacheKeyError(
                    f"error computing cache key: executing \"cacheKey\" at <{body}>: error "
                    f"calling checksum: open {where}: {why}") from exc
        raise CacheKeyError(
            f"error computing cache key {template!r}: unsupported template action "
            f"{{{{ {body} }}}}; supported: .Branch, .Revision, .BuildNum, .Environment.NAME, "
            "checksum \"file\", epoch, arch")

    return _ACTION.sub(action, template)


def stored_cache_key(key: str, masker: Masker) -> str:
    """``key`` with every secret ``masker`` masks replaced by ``********`` and the first 16
    hex digits of its SHA-256, as ``********[3f2a...]``.

    Candidates of ``restore_cache`` are rendered and replaced the same way, so prefix
    matching works as before; only a candidate that ends in the middle of a secret no
    longer matches (it never contains the whole value, so nothing replaces it).
    """
    def digest(secret: str) -> str:
        hexdigest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{Masker.MASK}[{hexdigest[:16]}]"
    return masker.substitute(key, digest)
