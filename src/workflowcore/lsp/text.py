"""Lines and columns of a document, as the library counts them and as the editor does.

The library positions everything in 1-based lines and *code point* columns (what PyYAML's
marks give). LSP positions are 0-based and count columns in the negotiated encoding:
UTF-16 code units unless the client offers UTF-32 or UTF-8. A column only differs where a
line holds characters outside the Basic Multilingual Plane (UTF-16) or non-ASCII text
(UTF-8), so each conversion looks at one line only, and the line starts are computed once
per document version: converting every diagnostic of a large file stays linear in the file
(the "position mapping is quadratic" class of bug comes from re-splitting the text, or
scanning from its start, per position).
"""

from __future__ import annotations

import bisect
import re
from typing import List, Tuple

__all__ = ["UTF8", "UTF16", "UTF32", "LineIndex"]

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

#: LSP's line breaks (the specification: ``\n``, ``\r\n`` and ``\r``).
_BREAK = re.compile(r"\r\n|\r|\n")


def _units(text: str, encoding: str) -> int:
    """Length of ``text`` in the code units of ``encoding``."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF16:
        return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    return len(text.encode("utf-8", "surrogatepass"))


class LineIndex:
    """The start offset of every line of ``text``; conversions between the library's
    positions (line, code point column) and the client's (line, code units)."""

    __slots__ = ("_starts", "encoding", "text")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding
        starts = [0]
        starts.extend(m.end() for m in _BREAK.finditer(text))
        self._starts = starts

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line(self, line0: int) -> str:
        """The text of 0-based line ``line0`` without its line break ('' past the end)."""
        if not 0 <= line0 < len(self._starts):
            return ""
        start = self._starts[line0]
        end = self._starts[line0 + 1] if line0 + 1 < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def offset(self, line0: int, col0: int) -> int:
        """Character offset of (0-based line, code point column), clamped to the text."""
        if line0 >= len(self._starts):
            return len(self.text)
        if line0 < 0:
            return 0
        return min(self._starts[line0] + max(col0, 0), self._starts[line0] + len(self.line(line0)))

    def position(self, offset: int) -> Tuple[int, int]:
        """(0-based line, code point column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line0 = bisect.bisect_right(self._starts, offset) - 1
        return line0, offset - self._starts[line0]

    # -- client units ------------------------------------------------------------------
    def to_client(self, line0: int, col0: int) -> Tuple[int, int]:
        """(line, code point column) → (line, client units); past the end → end of text."""
        if line0 >= len(self._starts):
            last = len(self._starts) - 1
            return last, _units(self.line(last), self.encoding)
        text = self.line(line0)
        col0 = max(0, min(col0, len(text)))
        return line0, _units(text[:col0], self.encoding)

    def from_client(self, line: int, units: int) -> Tuple[int, int]:
        """(line, client units) → (line, code point column), clamped to the line."""
        if line >= len(self._starts):
            last = len(self._starts) - 1
            return last, len(self.line(last))
        text = self.line(max(line, 0))
        if self.encoding == UTF32 or text.isascii():
            return line, max(0, min(units, len(text)))
        count = 0
        for i, ch in enumerate(text):
            if count >= units:
                return line, i
            count += _units(ch, self.encoding)
        return line, len(text)

    def lines_between(self, first: int, last: int) -> List[str]:
        """Lines ``first``..``last`` (0-based, inclusive)."""
        return [self.line(i) for i in range(max(first, 0), min(last, len(self._starts) - 1) + 1)]
