"""The one exception of the expression layer, and CircleCI's way of printing it.

CircleCI prints an expression error as three lines: the explanation ending in ``:``, the
line of the expression holding the error, and a ``^^^`` marker under the offending part
(EXPR ``Errors.errorMessage``). Users compare our output with CircleCI's, so the layout,
including its quirks, is reproduced exactly.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Optional, Tuple

from ..errors import WorkflowCoreError

__all__ = ["ExprError", "error_message", "quote_code_point"]

# Error kinds, named as EXPR's test corpus names them ("Subsystem/TYPE").
UNEXPECTED_CHARACTER = "Scanner/UNEXPECTED_CHARACTER"
INCOMPLETE_EQUALS = "Scanner/INCOMPLETE_EQUALS"
INVALID_NUMERIC_LITERAL = "Scanner/INVALID_NUMERIC_LITERAL"
UNTERMINATED_STRING = "Scanner/UNTERMINATED_STRING"
UNTERMINATED_PATTERN = "Scanner/UNTERMINATED_PATTERN"
INVALID_PATTERN_CHARACTER = "Scanner/INVALID_PATTERN_CHARACTER"
INVALID_PATTERN = "Scanner/INVALID_PATTERN"
PATTERN_TOO_LONG = "Scanner/PATTERN_TOO_LONG"
EXPECTED_EXPRESSION = "Parser/EXPECTED_EXPRESSION"
UNEXPECTED_ADDITIONAL_INPUT = "Parser/UNEXPECTED_ADDITIONAL_INPUT"
EXPECTED_RIGHT_PAREN = "Parser/EXPECTED_RIGHT_PAREN"
UNKNOWN_BUILTIN_FUNCTION = "Parser/UNKNOWN_BUILTIN_FUNCTION"
EXPECTED_NUMERIC_OPERAND = "Interpreter/EXPECTED_NUMERIC_OPERAND"
EXPECTED_STRING_OPERAND = "Interpreter/EXPECTED_STRING_OPERAND"
EXPECTED_PATTERN_OPERAND = "Interpreter/EXPECTED_PATTERN_OPERAND"
UNKNOWN_VARIABLE = "Interpreter/UNKNOWN_VARIABLE"
TOO_DEEPLY_NESTED = "TOO_DEEPLY_NESTED"
TEMPLATE = "Template/ERROR"


class ExprError(WorkflowCoreError, ValueError):
    """An expression (or ``<< >>`` template) that cannot be scanned, parsed or evaluated.

    ``message`` is CircleCI's explanation without the trailing colon; ``offset``/``length``
    locate the offending part in ``text`` (characters, 0-based). ``kind`` is EXPR's error
    type (``"Scanner/UNEXPECTED_CHARACTER"``, ...) so callers can branch without parsing the
    message, and ``lexeme`` the offending token as EXPR reports it.
    """

    def __init__(self, message: str, offset: int, length: int, text: Optional[str] = None,
                 kind: str = "", lexeme: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.length = length
        self.text = text
        self.kind = kind
        self.lexeme = lexeme
        self.tag_offset: Optional[int] = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (f"ExprError({self.message!r}, offset={self.offset}, length={self.length}, "
                f"kind={self.kind!r})")

    def __reduce__(self) -> Tuple[Any, ...]:
        # Keeps the error intact across processes (distributed executors pickle errors).
        return (type(self), (self.message, self.offset, self.length, self.text, self.kind,
                             self.lexeme), {"tag_offset": self.tag_offset})

    def with_text(self, text: str) -> ExprError:
        """This error, remembering the text its offsets refer to (if it knew none yet)."""
        if self.text is None:
            self.text = text
        return self

    def render(self, text: Optional[str] = None) -> str:
        """The message as CircleCI prints it: explanation + ``:``, the line, the marker.

        ``text`` defaults to the expression the error was raised for.
        """
        source = self.text if text is None else text
        if source is None or self.kind == TOO_DEEPLY_NESTED:
            return self.message
        return error_message(self.message + ":", source, self.offset, self.length)


def error_message(preamble: str, expression: str, error_pos: int, error_length: int) -> str:
    """EXPR's ``Errors.errorMessage``: preamble, the line holding ``error_pos``, a marker.

    An error sitting on a newline shows the rest of the expression, as CircleCI does.
    """
    error_pos = max(0, min(error_pos, len(expression)))
    line_start = expression.rfind("\n", 0, error_pos) + 1
    line_end = expression.find("\n", error_pos)
    error_end = line_end if line_end > error_pos else len(expression)
    error_line = expression[line_start:error_end]
    marker = " " * (error_pos - line_start) + "^" * error_length
    return "\n".join((preamble, error_line, marker))


_NAMED_ESCAPES = {
    "'": "\\'", "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n",
    "\r": "\\r", "\t": "\\t", "\v": "\\v",
}


def _is_printable(ch: str) -> bool:
    # Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, ASCII space.
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def quote_code_point(ch: str) -> str:
    """A character single-quoted as EXPR (and Go's ``%q``) quotes it in messages."""
    escaped = _NAMED_ESCAPES.get(ch)
    if escaped is None:
        c = ord(ch)
        if _is_printable(ch):
            escaped = ch
        elif c < 0x20 or c == 0x7F:
            escaped = f"\\x{c:02x}"
        elif c < 0x10000:
            escaped = f"\\u{c:04x}"
        else:
            escaped = f"\\U{c:08x}"
    return "'" + escaped + "'"
