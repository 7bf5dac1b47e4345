"""CircleCI's regular-expression dialect: RE2, always matched against the whole string.

CircleCI compiles filter ``/.../`` values, logic-statement ``matches`` patterns and EXPR
``/.../`` literals with RE2 (R3.1.4): no lookarounds, no backreferences, no possessive
quantifiers or atomic groups. Python's ``re`` accepts all of those, so a pattern is first
read as RE2 and translated to an equivalent Python pattern; anything RE2 rejects, or this
translation cannot express, is reported instead of being silently matched differently.

Differences of semantics the translation takes care of: ``$`` (RE2: end of text only),
``\\z``, ``{,n}`` (a literal in RE2), RE2 octal escapes, ``\\x{...}``, ``\\Q...\\E``,
POSIX classes ``[[:alpha:]]``, ``(?<name>...)``, flags set mid-pattern (``a(?i)b``), and
ASCII-only ``\\d \\w \\s \\b``. Not expressible in ``re`` and so reported: Unicode classes
``\\pL``, the ungreedy flag ``(?U)``, ``\\C``.
"""

from __future__ import annotations

import functools
import re
import warnings
from typing import List, Optional, Tuple, Union

from ._errors import ExprError

__all__ = [
    "MAX_REPEAT",
    "Re2Pattern",
    "RegexError",
    "check_re2",
    "compile_re2",
    "explain_re2",
    "fullmatch",
]

MAX_REPEAT = 1000
"""RE2's limit on a counted repetition ``{n,m}``."""


class RegexError(ExprError):
    """A pattern CircleCI could not compile; the message is the compiler's wording.

    An :class:`ExprError` (so one ``except`` covers expressions and patterns) spanning the
    whole ``pattern``; ``reason`` says what RE2 objects to.
    """

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(invalid_regex_message(pattern), 0, len(pattern), pattern,
                         "Regex/INVALID_PATTERN", pattern)
        self.pattern = pattern
        self.reason = reason

    def __reduce__(self) -> Tuple[object, ...]:
        return (type(self), (self.pattern, self.reason))


def invalid_regex_message(pattern: str) -> str:
    """CircleCI's compiler message for a pattern it cannot compile (observed, §9.1)."""
    return f"Invalid regular expression: {pattern}: Invalid pattern."


class _Re2Error(Exception):
    """Internal: why a pattern is not acceptable RE2 (or not translatable)."""


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}

# Escapes RE2 accepts that mean the same in Python (letters; punctuation is always fine).
_SAME_ESCAPES_OUTSIDE = set("afnrtvdDwWbBA")
_SAME_ESCAPES_IN_CLASS = set("afnrtvdDsSwW")
_REPEAT_RE = re.compile(r"\{(\d+)(,(\d*))?\}")
_FLAGS_RE = re.compile(r"\(\?([A-Za-z]*)(?:-([A-Za-z]*))?([:)])")


class _Group:
    __slots__ = ("multiline", "wrappers")

    def __init__(self, multiline: bool) -> None:
        self.multiline = multiline
        # Scoped-flag groups opened for "(?i)" inside this group, closed at its end and
        # around each "|" (RE2 flags last to the end of the enclosing group).
        self.wrappers: List[str] = []


class _Translator:
    """One left-to-right pass over an RE2 pattern, emitting Python ``re`` syntax."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.out: List[str] = []
        self.groups: List[_Group] = [_Group(False)]
        # Whether the last emitted item can take a quantifier, and whether it already has
        # one (RE2 rejects "a**", "a*+", "a{2}{3}").
        self.repeatable = False
        self.repeated = False

    def fail(self, reason: str) -> None:
        raise _Re2Error(reason)

    def translate(self) -> str:
        p = self.p
        n = len(p)
        while self.i < n:
            c = p[self.i]
            if c == "\\":
                self.escape()
            elif c == "[":
                self.char_class()
            elif c == "(":
                self.open_group()
            elif c == ")":
                self.close_group()
            elif c == "|":
                self.alternation()
            elif c in "*+?":
                self.quantifier(c, 1)
            elif c == "{":
                m = _REPEAT_RE.match(p, self.i)
                if m is None:
                    self.literal("\\{", 1)  # RE2 reads a malformed "{" (and "{,n}") literally
                else:
                    self.counted(m)
            elif c == "$":
                self.emit("$" if self.groups[-1].multiline else "(?:\\Z)", 1, repeatable=False)
            elif c == "^":
                self.emit("^", 1, repeatable=False)
            else:
                self.literal(c, 1)
        if len(self.groups) > 1:
            self.fail("missing closing )")
        self.out.extend(")" * len(self.groups[0].wrappers))
        return "".join(self.out)

    # -- emitting -----------------------------------------------------------------------

    def emit(self, text: str, advance: int, *, repeatable: bool) -> None:
        self.out.append(text)
        self.i += advance
        self.repeatable = repeatable
        self.repeated = False

    def literal(self, text: str, advance: int) -> None:
        self.emit(text, advance, repeatable=True)

    # -- quantifiers --------------------------------------------------------------------

    def check_repeat(self, op: str) -> None:
        if self.repeated:
            if op.startswith("+"):
                self.fail("possessive quantifiers are not supported")
            self.fail(f"bad repetition operator: {op}")
        if not self.repeatable:
            self.fail(f"missing argument to repetition operator: {op}")

    def quantifier(self, op: str, advance: int) -> None:
        self.check_repeat(op)
        self.out.append(op)
        self.i += advance
        if self.i < len(self.p) and self.p[self.i] == "?":  # non-greedy
            self.out.append("?")
            self.i += 1
        self.repeatable = False
        self.repeated = True

    def counted(self, m: re.Match[str]) -> None:
        low = int(m.group(1))
        high = int(m.group(3)) if m.group(3) else None
        if low > MAX_REPEAT or (high is not None and (high > MAX_REPEAT or high < low)):
            self.fail(f"bad repetition operator: {m.group(0)}")
        self.quantifier(m.group(0), len(m.group(0)))

    # -- escapes ------------------------------------------------------------------------

    def escape(self) -> None:
        p = self.p
        i = self.i
        if i + 1 >= len(p):
            self.fail("trailing backslash at end of expression")
        c = p[i + 1]
        if c in "123456789":
            if c in "1234567" and i + 2 < len(p) and p[i + 2] in "01234567":
                self.octal(i + 1)
                return
            self.fail(f"backreferences are not supported: \\{c}")
        if c == "0":
            self.octal(i + 1)
            return
        if c == "k":
            self.fail("named backreferences are not supported: \\k")
        if c == "z":
            self.emit("\\Z", 2, repeatable=False)
            return
        if c == "Z":
            self.fail("\\Z is not supported, use \\z")
        if c == "s":
            self.literal("[\\t\\n\\f\\r ]", 2)
            return
        if c == "S":
            self.literal("[^\\t\\n\\f\\r ]", 2)
            return
        if c == "x":
            self.hex_escape()
            return
        if c == "Q":
            end = p.find("\\E", i + 2)
            quoted = p[i + 2:] if end < 0 else p[i + 2:end]
            consumed = len(p) - i if end < 0 else end + 2 - i
            if not quoted:
                self.i += consumed
                return
            self.literal(re.escape(quoted), consumed)
            return
        if c == "E":  # a stray \E is ignored by RE2
            self.i += 2
            return
        if c in "pP":
            self.fail(f"Unicode classes (\\{c}) are not supported here")
        if c == "C":
            self.fail("\\C is not supported")
        if not c.isascii():
            self.fail(f"invalid escape sequence: \\{c}")
        if c.isalnum():
            if c in _SAME_ESCAPES_OUTSIDE:
                self.emit("\\" + c, 2, repeatable=c not in "bBA")
                return
            self.fail(f"invalid escape sequence: \\{c}")
        # An escaped ASCII punctuation or space character is that character.
        self.literal(re.escape(c), 2)

    def octal(self, start: int) -> None:
        p = self.p
        j = start
        while j < len(p) and j < start + 3 and p[j] in "01234567":
            j += 1
        self.literal(_char_escape(int(p[start:j], 8)), j - self.i)

    def hex_escape(self) -> None:
        code, consumed = _read_hex(self.p, self.i)
        if code is None:
            self.fail("invalid escape sequence: \\x")
        assert code is not None
        self.literal(_char_escape(code), consumed)

    # -- groups -------------------------------------------------------------------------

    def open_group(self) -> None:
        p = self.p
        i = self.i
        rest = p[i:i + 4]
        group = _Group(self.groups[-1].multiline)
        if rest.startswith("(?"):
            if rest.startswith(("(?=", "(?!")):
                self.fail("lookahead assertions are not supported")
            if rest.startswith(("(?<=", "(?<!")):
                self.fail("lookbehind assertions are not supported")
            if rest.startswith("(?>"):
                self.fail("atomic groups are not supported")
            if rest.startswith("(?#"):
                self.fail("comments are not supported")
            if rest.startswith("(?("):
                self.fail("conditionals are not supported")
            if rest.startswith("(?P="):
                self.fail("named backreferences are not supported: (?P=")
            if rest.startswith(("(?P<", "(?<")):
                open_len = 4 if rest.startswith("(?P<") else 3
                end = p.find(">", i + open_len)
                name = p[i + open_len:end] if end >= 0 else ""
                if end < 0 or not name.isidentifier() or not name.isascii():
                    self.fail("invalid named capture group")
                self.groups.append(group)
                self.emit(f"(?P<{name}>", end + 1 - i, repeatable=False)
                return
            m = _FLAGS_RE.match(p, i)
            if m is None:
                self.fail("invalid or unsupported Perl syntax")
            assert m is not None
            on, off, closer = m.group(1), m.group(2), m.group(3)
            flags = (on or "") + (off or "")
            if (not on and off is None and closer != ":") or off == "" \
                    or any(f not in "imsU" for f in flags):
                self.fail("invalid or unsupported Perl syntax")
            if "U" in flags:
                self.fail("the ungreedy flag (?U) is not supported")
            spec = on + (f"-{off}" if off else "")
            if closer == ":":
                if "m" in on:
                    group.multiline = True
                elif off and "m" in off:
                    group.multiline = False
                self.groups.append(group)
                self.emit(f"(?{spec}:", len(m.group(0)), repeatable=False)
                return
            # "(?i)": flags for the rest of the enclosing group.
            current = self.groups[-1]
            if "m" in on:
                current.multiline = True
            elif off and "m" in off:
                current.multiline = False
            current.wrappers.append(f"(?{spec}:")
            self.emit(f"(?{spec}:", len(m.group(0)), repeatable=False)
            return
        self.groups.append(group)
        self.emit("(", 1, repeatable=False)

    def close_group(self) -> None:
        if len(self.groups) == 1:
            self.fail("unexpected )")
        group = self.groups.pop()
        self.out.append(")" * len(group.wrappers))
        self.emit(")", 1, repeatable=True)

    def alternation(self) -> None:
        group = self.groups[-1]
        self.out.append(")" * len(group.wrappers))
        self.out.append("|")
        self.out.extend(group.wrappers)
        self.i += 1
        self.repeatable = False
        self.repeated = False

    # -- character classes --------------------------------------------------------------

    def char_class(self) -> None:
        p = self.p
        n = len(p)
        j = self.i + 1
        parts = ["["]
        if j < n and p[j] == "^":
            parts.append("^")
            j += 1
        first = True
        while True:
            if j >= n:
                self.fail("missing closing ]")
            c = p[j]
            if c == "]" and not first:
                j += 1
                break
            first = False
            if c == "[" and p.startswith("[:", j):
                end = p.find(":]", j + 2)
                if end >= 0:
                    name = p[j + 2:end]
                    if name.startswith("^"):
                        self.fail("negated POSIX classes ([:^name:]) are not supported here")
                    ranges = _POSIX_CLASSES.get(name)
                    if ranges is None:
                        self.fail(f"invalid character class range: [:{name}:]")
                    assert ranges is not None
                    parts.append(ranges)
                    j = end + 2
                    continue
            if c == "\\":
                if j + 1 >= n:
                    self.fail("trailing backslash at end of expression")
                e = p[j + 1]
                if e in "01234567":
                    k = j + 1
                    while k < n and k < j + 4 and p[k] in "01234567":
                        k += 1
                    parts.append(_char_escape(int(p[j + 1:k], 8)))
                    j = k
                    continue
                if e == "x":
                    code, consumed = _read_hex(p, j)
                    if code is None:
                        self.fail("invalid escape sequence: \\x")
                    assert code is not None
                    parts.append(_char_escape(code))
                    j += consumed
                    continue
                if e in "pP":
                    self.fail(f"Unicode classes (\\{e}) are not supported here")
                if not e.isascii():
                    self.fail(f"invalid escape sequence: \\{e}")
                if e.isalnum():
                    if e not in _SAME_ESCAPES_IN_CLASS:
                        self.fail(f"invalid escape sequence: \\{e}")
                    parts.append("\\" + e)
                else:
                    parts.append(re.escape(e))
                j += 2
                continue
            if c in "[&~|":
                # Literal in RE2; escaped so Python does not read a future set operation.
                parts.append("\\" + c)
            else:
                parts.append(c)
            j += 1
        parts.append("]")
        self.out.append("".join(parts))
        self.i = j
        self.repeatable = True
        self.repeated = False


def _char_escape(code: int) -> str:
    if code > 0x10FFFF:
        raise _Re2Error("invalid escape sequence: character code out of range")
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _read_hex(p: str, i: int) -> Tuple[Optional[int], int]:
    """RE2 ``\\xHH`` or ``\\x{H...}`` at ``p[i]`` (the backslash): (code, length)."""
    if p.startswith("\\x{", i):
        end = p.find("}", i + 3)
        digits = p[i + 3:end] if end >= 0 else ""
        if not digits or any(d not in "0123456789abcdefABCDEF" for d in digits):
            return None, 0
        return int(digits, 16), end + 1 - i
    digits = p[i + 2:i + 4]
    if len(digits) != 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
        return None, 0
    return int(digits, 16), 4


@functools.lru_cache(maxsize=2048)
def _compile(pattern: str) -> Union[re.Pattern[str], str]:
    """The compiled pattern, or the reason it is not acceptable RE2 (cached: filters and
    conditions are matched again and again with the same few patterns)."""
    try:
        translated = _Translator(pattern).translate()
    except _Re2Error as exc:
        return str(exc)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(translated, re.ASCII)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        return str(exc) or "invalid pattern"


def explain_re2(pattern: str) -> Optional[str]:
    """Why ``pattern`` is not a regular expression CircleCI accepts, or None if it is.

    The reason is ours (e.g. ``"lookahead assertions are not supported"``); CircleCI's
    own message for the same pattern is :func:`check_re2`'s.
    """
    compiled = _compile(pattern)
    return compiled if isinstance(compiled, str) else None


def check_re2(pattern: str) -> Optional[str]:
    """CircleCI's error message for a pattern it cannot compile, or None if it is fine.

    ``check_re2("^(?!main).*$")`` →
    ``"Invalid regular expression: ^(?!main).*$: Invalid pattern."``
    """
    return None if isinstance(_compile(pattern), re.Pattern) else invalid_regex_message(pattern)


def compile_re2(pattern: str) -> re.Pattern[str]:
    """The Python pattern behaving as RE2 does; raises :class:`RegexError` if invalid.

    Use ``.fullmatch`` on the result: CircleCI's matches are always whole-string.
    """
    compiled = _compile(pattern)
    if isinstance(compiled, str):
        raise RegexError(pattern, compiled)
    return compiled


def fullmatch(pattern: str, s: str) -> bool:
    """Whether RE2 ``pattern`` matches all of ``s`` (filters, ``matches``; R3.1.3).

    Raises :class:`RegexError` for a pattern CircleCI would not compile.
    """
    return compile_re2(pattern).fullmatch(s) is not None


class Re2Pattern:
    """A ``/.../`` pattern literal of an expression, as a value.

    Equal to another pattern with the same source; prints as its source.
    """

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: Optional[re.Pattern[str]] = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = compile_re2(self.source)
        return self._compiled

    def fullmatch(self, s: str) -> bool:
        return self.compiled.fullmatch(s) is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Re2Pattern) and other.source == self.source

    def __hash__(self) -> int:
        return hash(("Re2Pattern", self.source))

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"Re2Pattern({self.source!r})"
