"""EXPR's scanner: text → tokens, with CircleCI's exact scan errors (EXPR Scanner.java).

Positions are character offsets into the expression. Quirks kept on purpose: only space,
tab, CR and LF are whitespace; keywords are lower or UPPER case only; a lone ``=`` reports
the character *after* it; string escapes are ``\\"`` and ``\\\\`` only; a pattern's only
escape is ``\\/`` (everything else is left for the regex engine).
"""

from __future__ import annotations

import re
from typing import Any, List, NamedTuple

from ._errors import (
    INCOMPLETE_EQUALS,
    INVALID_NUMERIC_LITERAL,
    INVALID_PATTERN,
    INVALID_PATTERN_CHARACTER,
    PATTERN_TOO_LONG,
    UNEXPECTED_CHARACTER,
    UNTERMINATED_PATTERN,
    UNTERMINATED_STRING,
    ExprError,
    quote_code_point,
)
from .regex import Re2Pattern, explain_re2

__all__ = ["MAX_PATTERN_LENGTH", "Token", "scan"]

MAX_PATTERN_LENGTH = 256
_MAX_LONG = 2**63 - 1

# Token types (plain ints: the parser compares them constantly).
LEFT_PAREN = 0
RIGHT_PAREN = 1
NOT = 2
NOT_EQUAL = 3
EQUAL = 4
GREATER = 5
GREATER_EQUAL = 6
LESS = 7
LESS_EQUAL = 8
STRING = 9
PATTERN = 10
NUMBER = 11
IDENTIFIER = 12
BUILTIN = 13
AND = 14
OR = 15
TRUE = 16
FALSE = 17
EOF = 18

KEYWORDS = {
    "and": AND, "AND": AND, "or": OR, "OR": OR, "not": NOT, "NOT": NOT,
    "true": TRUE, "TRUE": TRUE, "false": FALSE, "FALSE": FALSE,
}
# Infix builtins, by lexeme → canonical name.
BUILTINS = {
    "contains": "contains", "CONTAINS": "contains",
    "matches": "matches", "MATCHES": "matches",
    "starts-with": "starts-with", "STARTS-WITH": "starts-with",
}

_IDENTIFIER_RE = re.compile(r"[A-Za-z](?:[A-Za-z0-9_?\-]|\.(?=[A-Za-z0-9_?\-]))*")
_DIGITS_RE = re.compile(r"[0-9]+")
_WHITESPACE = frozenset(" \t\r\n")


class Token(NamedTuple):
    type: int
    lexeme: str
    literal: Any
    pos: int


def _error(message: str, pos: int, kind: str, lexeme: str) -> ExprError:
    return ExprError(message, pos, 1, kind=kind, lexeme=lexeme)


def scan(source: str) -> List[Token]:
    """The tokens of ``source``, ending with an EOF token; raises :class:`ExprError`."""
    tokens: List[Token] = []
    append = tokens.append
    n = len(source)
    i = 0
    while i < n:
        c = source[i]
        if c in _WHITESPACE:
            i += 1
            continue
        start = i
        if c == "(":
            append(Token(LEFT_PAREN, c, None, start))
            i += 1
        elif c == ")":
            append(Token(RIGHT_PAREN, c, None, start))
            i += 1
        elif c in "!><":
            if i + 1 < n and source[i + 1] == "=":
                kind = NOT_EQUAL if c == "!" else GREATER_EQUAL if c == ">" else LESS_EQUAL
                append(Token(kind, source[i:i + 2], None, start))
                i += 2
            else:
                append(Token(NOT if c == "!" else GREATER if c == ">" else LESS, c, None, start))
                i += 1
        elif c == "=":
            if i + 1 < n and source[i + 1] == "=":
                append(Token(EQUAL, "==", None, start))
                i += 2
            else:
                found = source[i + 1] if i + 1 < n else "\0"
                raise _error(f'Incomplete token, expected "==", found {quote_code_point(found)}',
                             i + 1, INCOMPLETE_EQUALS, found)
        elif c == '"':
            i = _string(source, i, tokens)
        elif c == "/":
            i = _pattern(source, i, tokens)
        elif "0" <= c <= "9":
            m = _DIGITS_RE.match(source, i)
            assert m is not None
            lexeme = m.group(0)
            # more digits than 2^63 - 1 has: out of range, and int() of thousands of digits
            # raises (Python's limit on int conversion)
            value = int(lexeme) if len(lexeme.lstrip("0")) <= 19 else _MAX_LONG + 1
            if value > _MAX_LONG:
                raise _error("Invalid numeric literal, numbers can range from 0 to 2^63 - 1",
                             start, INVALID_NUMERIC_LITERAL, c)
            append(Token(NUMBER, lexeme, value, start))
            i = m.end()
        elif ("a" <= c <= "z") or ("A" <= c <= "Z"):
            m = _IDENTIFIER_RE.match(source, i)
            assert m is not None
            lexeme = m.group(0)
            if lexeme in BUILTINS:
                append(Token(BUILTIN, lexeme, BUILTINS[lexeme], start))
            else:
                append(Token(KEYWORDS.get(lexeme, IDENTIFIER), lexeme, None, start))
            i = m.end()
        else:
            raise _error(f"Unexpected character {quote_code_point(c)}", i,
                         UNEXPECTED_CHARACTER, c)
    append(Token(EOF, "", None, n))
    return tokens


def _string(source: str, start: int, tokens: List[Token]) -> int:
    n = len(source)
    j = start + 1
    while j < n and source[j] != '"':
        if source[j] == "\\" and j + 1 < n and source[j + 1] in '"\\':
            j += 1
        j += 1
    if j >= n:
        raise _error("Unterminated string starting here", start, UNTERMINATED_STRING, '"')
    # Sequential replacement, exactly as EXPR does it.
    value = source[start + 1:j].replace('\\"', '"').replace("\\\\", "\\")
    tokens.append(Token(STRING, source[start:j + 1], value, start))
    return j + 1


def _pattern(source: str, start: int, tokens: List[Token]) -> int:
    n = len(source)
    j = start + 1
    while j < n and source[j] != "/":
        c = source[j]
        nxt = source[j + 1] if j + 1 < n else "\0"
        if c == "\\" and nxt == "/":
            j += 1
        elif c == "\\" and nxt in "ux":
            # EXPR forbids \u and \x so no code point beyond what its RE2 knows sneaks in.
            raise _error("Invalid pattern character, only ASCII and Latin-1 are allowed in "
                         "patterns", j, INVALID_PATTERN_CHARACTER, c)
        elif ord(c) > 0xFF:
            raise _error("Invalid pattern character, only ASCII and Latin-1 are allowed in "
                         "patterns", j, INVALID_PATTERN_CHARACTER, c)
        j += 1
    if j >= n:
        raise _error("Unterminated pattern starting here", start, UNTERMINATED_PATTERN, "/")
    value = source[start + 1:j].replace("\\/", "/")
    if len(value) > MAX_PATTERN_LENGTH:
        raise _error(f"Pattern length exceeded, limit is {MAX_PATTERN_LENGTH} characters",
                     start, PATTERN_TOO_LONG, "/")
    if explain_re2(value) is not None:
        raise _error("Syntax error in pattern", start, INVALID_PATTERN, "/")
    tokens.append(Token(PATTERN, source[start:j + 1], Re2Pattern(value), start))
    return j + 1
