"""Reading the files a user names (a config, a contexts file, a pipeline-parameters file, an
orb source): one bounded, non-blocking way, so no such file can exhaust memory or hang us.

Two holes this closes, both found by a red-team run (issue 10, item 3):

* ``st_size`` is not a bound: ``/dev/zero`` and ``/proc`` files report 0 (or anything) and
  then never stop giving bytes. The read itself stops after ``max_bytes + 1`` bytes, so
  the limit holds whatever the file claims.
* opening a FIFO for reading blocks until a writer appears — forever, for a FIFO planted
  as ``.circleci/config.yml``. The path is ``stat``-ed first (a device or FIFO is refused
  without being opened: opening some devices has side effects), then opened with
  ``O_NONBLOCK`` and checked again with ``fstat`` on the descriptor, because the path may
  have been swapped between the two calls; only what ``fstat`` says of the open file is
  trusted.

Text is decoded strictly as UTF-8 (a BOM is dropped); a ``str`` handed to the API is
checked for lone surrogates, which libyaml cannot encode (``"\\ud800"``, or bytes smuggled
in with ``errors="surrogateescape"``). Both problems become positioned diagnostics.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Union

from ..diagnostics import Diagnostic

__all__ = [
    "FileTooLargeError",
    "NotRegularFileError",
    "decode_utf8",
    "lone_surrogate",
    "open_regular",
    "read_bounded",
]

PathLike = Union[str, "os.PathLike[str]"]

_CHUNK = 1 << 20
_O_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
            | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class NotRegularFileError(OSError):
    """The path names a FIFO, a device or a socket: refused, never opened for reading."""

    def __init__(self, path: PathLike, mode: int) -> None:
        kind = _kind(mode)
        what = kind if kind.startswith("not ") else f"is {kind}, not a regular file"
        super().__init__(errno.EINVAL, what, os.fspath(path))


class FileTooLargeError(OSError):
    """The file holds more than ``limit`` bytes. ``size`` is its size when known (from
    ``stat``), else ``None`` (the bounded read found more bytes than allowed)."""

    def __init__(self, path: PathLike, limit: int, size: int | None = None) -> None:
        self.limit = limit
        self.size = size
        what = (f"is {size:,} bytes, more than the limit of {limit:,}" if size is not None
                else f"holds more than the limit of {limit:,} bytes")
        super().__init__(errno.EFBIG, what, os.fspath(path))


def _refuse_unless_regular(path: PathLike, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(path, mode)


def open_regular(path: PathLike) -> tuple[int, os.stat_result]:
    """A read-only descriptor of the regular file ``path`` and its ``fstat``.

    A FIFO, device or socket is refused (:class:`NotRegularFileError`) without blocking on
    it: refused from ``stat`` before opening, opened with ``O_NONBLOCK``, and checked again
    on the descriptor (the path may have been swapped in between). The caller closes it.
    """
    _refuse_unless_regular(path, os.stat(path).st_mode)
    fd = os.open(path, _O_FLAGS)
    try:
        st = os.fstat(fd)  # the file actually opened: the path may have changed since
        _refuse_unless_regular(path, st.st_mode)
        _clear_nonblocking(fd)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_bounded(path: PathLike, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    Raises ``FileNotFoundError``/``PermissionError``/``IsADirectoryError`` as ``open``
    would, :class:`NotRegularFileError` for a FIFO, device or socket (never blocking on
    it), and :class:`FileTooLargeError` when the file holds more than ``max_bytes`` bytes —
    decided by reading, not by trusting ``st_size``. All are ``OSError``.
    """
    fd, st = open_regular(path)
    try:
        if st.st_size > max_bytes:
            raise FileTooLargeError(path, max_bytes, st.st_size)
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(_CHUNK, left))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise FileTooLargeError(path, max_bytes)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _clear_nonblocking(fd: int) -> None:
    """O_NONBLOCK was only there so that ``open`` cannot block; reads of a regular file
    ignore it, but clear it so the descriptor behaves as an ordinary one."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows has neither fcntl nor O_NONBLOCK
        return
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)


def decode_utf8(raw: bytes, path: str) -> tuple[str | None, Diagnostic | None]:
    """``raw`` as text (UTF-8, an initial BOM dropped), or ``None`` and a ``yaml-encoding``
    diagnostic at the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start]
        line = prefix.count(b"\n") + 1
        col = exc.start - (prefix.rfind(b"\n") + 1) + 1
        return None, Diagnostic(
            code="yaml-encoding",
            message=f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            path=path,
            line=line,
            column=col,
            hint="save the file as UTF-8",
        )


def lone_surrogate(text: str, path: str) -> Diagnostic | None:
    """A ``yaml-encoding`` diagnostic at the first lone surrogate in ``text``, else ``None``.

    A surrogate code point is not a character and has no UTF-8 form, so libyaml raises
    ``UnicodeEncodeError`` on it. ASCII text (nearly every config) is answered without a
    scan; other text is encoded once, which libyaml would do anyway.
    """
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        i = exc.start
        line = text.count("\n", 0, i) + 1
        col = i - (text.rfind("\n", 0, i) + 1) + 1
        point = ord(text[i])
        # U+DC80..U+DCFF is how Python carries a byte that was not UTF-8 (a command-line
        # argument, a file name): name the byte, which is what the user can find.
        what = (f"the byte 0x{point - 0xDC00:02x}, which is not UTF-8 (carried as the lone "
                f"surrogate U+{point:04X})" if 0xDC80 <= point <= 0xDCFF else
                f"a lone surrogate (U+{point:04X}), which is not a character")
        return Diagnostic(
            code="yaml-encoding",
            message=f"the text holds {what}",
            path=path,
            line=line,
            column=col,
            hint="pass the file's bytes, or text decoded strictly as UTF-8 (not with "
                 "errors='surrogateescape')",
        )
    return None
