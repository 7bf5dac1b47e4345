"""CircleCI's regular-expression dialect: RE2, always matched against the whole string.

CircleCI compiles filter ``/.../`` values, logic-statement ``matches`` patterns and EXPR
``/.../`` literals with RE2 (R3.1.4): no lookarounds, no backreferences, no possessive
quantifiers or atomic groups. Python's ``re`` accepts all of those, so a pattern is first
read as RE2 and translated to an equivalent Python pattern; anything RE2 rejects, or this
translation cannot express, is reported instead of being silently matched differently.

Two engines, one meaning (docs/planning.md, "Regular expressions"):

* **google-re2** (``pip install workflowcore[re2]``), when installed: RE2 itself, so
  everything RE2 accepts is accepted (``\\pL``, ``(?U)``) and matching is linear-time.
* **the fallback**: the pattern is read as RE2 and translated to Python ``re`` syntax, and
  the translation is matched by :mod:`._linear`'s Thompson-NFA simulation, never by
  ``re``'s backtracking engine; so matching is linear-time too (``/(a+)+$/`` against any
  branch name is instant), with a step bound that ends an absurd match in
  :class:`RegexTooComplexError` rather than a hang.

Differences of semantics the translation takes care of: ``$`` (RE2: end of text only),
``\\z``, ``{,n}`` (a literal in RE2), RE2 octal escapes, ``\\x{...}``, ``\\Q...\\E``,
POSIX classes ``[[:alpha:]]``, ``(?<name>...)``, flags set mid-pattern (``a(?i)b``),
ASCII-only ``\\d \\w \\s \\b``, and RE2's limit on nested counted repetitions (their
product is at most 1000). Valid RE2 the translation cannot express (Unicode classes
``\\pL``, the ungreedy flag ``(?U)``, ``\\C``) is reported by the fallback with a message
saying to install ``workflowcore[re2]``.

The engine is chosen per call (:func:`regex_engine`): google-re2 when it imports, unless
``WORKFLOWCORE_REGEX_ENGINE=fallback``. ``validate``, ``plan`` and ``run`` all come here.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from typing import Any, List, Optional, Tuple, Union

from ._errors import ExprError
from ._linear import MAX_STEPS, LinearPattern, NotLinear, TooComplex, compile_linear

__all__ = [
    "ENGINE_VARIABLE",
    "MAX_REPEAT",
    "CompiledRe2",
    "Re2Pattern",
    "RegexError",
    "RegexTooComplexError",
    "check_re2",
    "compile_re2",
    "explain_re2",
    "fullmatch",
    "fullmatch_python",
    "needs_google_re2",
    "regex_engine",
]

MAX_REPEAT = 1000
"""RE2's limit on a counted repetition ``{n,m}``, and on the product of nested ones
(``(a{10}){100}`` is fine, ``(a{10}){101}`` is not: RE2's RepetitionWalker)."""


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
    __slots__ = ("inner", "multiline", "wrappers")

    def __init__(self, multiline: bool) -> None:
        self.multiline = multiline
        # The largest product of nested counted repetitions inside this group so far.
        self.inner = 1
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
        # The nested-repetition product of the last item (1 for a character).
        self.last_inner = 1

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
        self.last_inner = 1

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
        count = low if high is None else high
        inner = self.last_inner * max(count, 1)
        if inner > MAX_REPEAT:
            self.fail(f"bad repetition operator: {m.group(0)} (nested repetitions exceed "
                      f"{MAX_REPEAT})")
        self.quantifier(m.group(0), len(m.group(0)))
        self.last_inner = inner
        self.groups[-1].inner = max(self.groups[-1].inner, inner)

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
            raise _NeedsRe2(f"Unicode classes (\\{c}) need google-re2 ({RE2_EXTRA_HINT})")
        if c == "C":
            raise _NeedsRe2(f"\\C needs google-re2 ({RE2_EXTRA_HINT})")
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
                # RE2 takes word characters, and the same name twice; captures do not
                # matter to a whole-string match, so the group is emitted unnamed.
                if end < 0 or not name or not all(ch.isalnum() or ch == "_" for ch in name):
                    self.fail("invalid named capture group")
                self.groups.append(group)
                self.emit("(", end + 1 - i, repeatable=False)
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
                raise _NeedsRe2(f"the ungreedy flag (?U) needs google-re2 ({RE2_EXTRA_HINT})")
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
        self.last_inner = group.inner
        self.groups[-1].inner = max(self.groups[-1].inner, group.inner)

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
                    ranges = _POSIX_CLASSES.get(name.lstrip("^"))
                    if ranges is None or name.startswith("^^"):
                        self.fail(f"invalid character class range: [:{name}:]")
                    assert ranges is not None
                    parts.append(_negated_posix(ranges) if name.startswith("^") else ranges)
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
                    raise _NeedsRe2(f"Unicode classes (\\{e}) need google-re2 "
                                    f"({RE2_EXTRA_HINT})")
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
        self.last_inner = 1


@functools.lru_cache(maxsize=None)
def _negated_posix(ranges: str) -> str:
    """``[:^name:]`` as ranges: every character outside the (ASCII) class ``ranges``."""
    inside = re.compile(f"[{ranges}]")
    out: List[str] = []
    run_start: Optional[int] = None
    for code in range(0x81):
        outside = code == 0x80 or not inside.match(chr(code))
        if outside and run_start is None:
            run_start = code
        elif not outside and run_start is not None:
            out.append(f"{_char_escape(run_start)}-{_char_escape(code - 1)}")
            run_start = None
    out.append(f"{_char_escape(run_start if run_start is not None else 0x80)}-\\U0010ffff")
    return "".join(out)


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



# -- engines ------------------------------------------------------------------------------

ENGINE_VARIABLE = "WORKFLOWCORE_REGEX_ENGINE"
"""Environment variable choosing the engine: ``re2`` (google-re2, an error if it is not
installed), ``fallback`` (the translator and the linear matcher, even with google-re2
installed; what the tests use to check both), unset or ``auto``: google-re2 when installed."""

RE2_EXTRA_HINT = "install workflowcore[re2]"


class _NeedsRe2(_Re2Error):
    """Valid RE2 the fallback cannot express (``\\pL``, ``(?U)``, ``\\C``)."""


@functools.lru_cache(maxsize=None)
def _re2_module() -> object:
    """google-re2's module, or None. Imported on first use, not with the package: a
    ``validate`` of a config without patterns never pays for it."""
    try:
        return importlib.import_module("re2")
    except ImportError:
        return None


def regex_engine() -> str:
    """The engine patterns are matched with now: ``"re2"`` or ``"fallback"``."""
    wanted = os.environ.get(ENGINE_VARIABLE, "auto").strip().lower() or "auto"
    if wanted == "fallback":
        return "fallback"
    if _re2_module() is not None:
        return "re2"
    if wanted == "re2":
        raise RuntimeError(f"{ENGINE_VARIABLE}=re2 but google-re2 is not installed "
                           f"({RE2_EXTRA_HINT})")
    return "fallback"


def _encode(text: str) -> bytes:
    # A lone surrogate (an undecodable byte of a branch name) is one character, as the
    # fallback sees it; strict UTF-8 would raise.
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


class CompiledRe2:
    """A pattern compiled by one of the engines; :meth:`fullmatch` is linear in the text.

    Pickles as its source: the compiled program stays in the process that built it.
    """

    __slots__ = ("_matcher", "engine", "pattern")

    def __init__(self, pattern: str, engine: str, matcher: Any) -> None:
        self.pattern = pattern
        self.engine = engine
        self._matcher = matcher

    def fullmatch(self, s: str) -> bool:
        """Whether the pattern matches all of ``s``.

        Raises :class:`RegexTooComplexError` when the fallback's step bound is reached.
        """
        if self.engine == "re2":
            return self._matcher.fullmatch(_encode(s)) is not None
        try:
            return bool(self._matcher.fullmatch(s))
        except TooComplex:
            raise RegexTooComplexError(self.pattern, len(s)) from None

    def __reduce__(self) -> Tuple[object, ...]:
        return (compile_re2, (self.pattern,))

    def __repr__(self) -> str:
        return f"CompiledRe2({self.pattern!r}, engine={self.engine!r})"


class RegexTooComplexError(RegexError):
    """The fallback matcher gave up: the match needs more steps than its bound allows.

    Only without google-re2, and only for texts and patterns far beyond branch names and
    filters (see :mod:`._linear`); a diagnostic instead of minutes of CPU.
    """

    def __init__(self, pattern: str, length: int) -> None:
        super().__init__(pattern, f"more than {MAX_STEPS} steps")
        self.message = (f"Regular expression {pattern} is too complex to match against a "
                        f"{length}-character value without google-re2 ({RE2_EXTRA_HINT})")
        self.args = (self.message,)
        self.kind = "Regex/TOO_COMPLEX"
        self.length = length

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Tuple[object, ...]:
        return (type(self), (self.pattern, self.length))


def _re2_options(re2: Any) -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every rejected pattern on stderr
    return options


def _compile_fallback(pattern: str) -> Union[CompiledRe2, Exception]:
    try:
        translated = _Translator(pattern).translate()
        return CompiledRe2(pattern, "fallback", compile_linear(translated, re.ASCII))
    except _Re2Error as exc:
        return exc
    except TooComplex as exc:
        return _NeedsRe2(f"{exc} ({RE2_EXTRA_HINT})")
    except (re.error, NotLinear, OverflowError, RecursionError, ValueError) as exc:
        return _Re2Error(str(exc) or "invalid pattern")


@functools.lru_cache(maxsize=2048)
def _compile(pattern: str, engine: str) -> Union[CompiledRe2, Exception]:
    """The compiled pattern, or why it is not acceptable (cached: filters and conditions
    are matched again and again with the same few patterns)."""
    if engine == "fallback":
        return _compile_fallback(pattern)
    re2: Any = _re2_module()
    try:
        return CompiledRe2(pattern, "re2", re2.compile(pattern, _re2_options(re2)))
    except re2.error as exc:
        # RE2 decides; the translator's reason, when it has one, is the clearer.
        ours = _compile_fallback(pattern)
        if isinstance(ours, _Re2Error) and not isinstance(ours, _NeedsRe2):
            return ours
        text = exc.args[0] if exc.args else ""
        return _Re2Error(text.decode("utf-8", "replace") if isinstance(text, bytes)
                         else str(text) or "invalid pattern")
    except (TypeError, ValueError, UnicodeError) as exc:  # a NUL or lone surrogate
        return _Re2Error(str(exc) or "invalid pattern")


def _compiled(pattern: str) -> Union[CompiledRe2, Exception]:
    return _compile(pattern, regex_engine())


def explain_re2(pattern: str) -> Optional[str]:
    """Why ``pattern`` is not a regular expression this engine accepts, or None if it is.

    The reason is ours (e.g. ``"lookahead assertions are not supported"``); CircleCI's
    own message for the same pattern is :func:`check_re2`'s.
    """
    compiled = _compiled(pattern)
    return None if isinstance(compiled, CompiledRe2) else str(compiled)


def needs_google_re2(pattern: str) -> bool:
    """Whether ``pattern`` is valid RE2 that only google-re2 can match here (``\\pL``,
    ``(?U)``, ``\\C``, or a program too large for the fallback)."""
    return isinstance(_compiled(pattern), _NeedsRe2)


def check_re2(pattern: str) -> Optional[str]:
    """The error message for a pattern that cannot be used, or None if it is fine.

    ``check_re2("^(?!main).*$")`` →
    ``"Invalid regular expression: ^(?!main).*$: Invalid pattern."`` (CircleCI's wording).
    A valid RE2 pattern the fallback cannot match (google-re2 not installed) gets a message
    of its own that says what to install: CircleCI would accept it.
    """
    compiled = _compiled(pattern)
    if isinstance(compiled, CompiledRe2):
        return None
    if isinstance(compiled, _NeedsRe2):
        return f"Regular expression {pattern} needs google-re2: {compiled}"
    return invalid_regex_message(pattern)


def compile_re2(pattern: str) -> CompiledRe2:
    """The pattern compiled as RE2 reads it; raises :class:`RegexError` if invalid.

    Its ``fullmatch(s)`` is a bool: CircleCI's matches are always whole-string.
    """
    compiled = _compiled(pattern)
    if not isinstance(compiled, CompiledRe2):
        error = RegexError(pattern, str(compiled))
        if isinstance(compiled, _NeedsRe2):
            error.message = f"Regular expression {pattern} needs google-re2: {compiled}"
            error.args = (error.message,)
        raise error
    return compiled


def fullmatch(pattern: str, s: str) -> bool:
    """Whether RE2 ``pattern`` matches all of ``s`` (filters, ``matches``; R3.1.3).

    Linear in ``len(s)`` with either engine. Raises :class:`RegexError` for a pattern
    CircleCI would not compile.
    """
    return compile_re2(pattern).fullmatch(s)


@functools.lru_cache(maxsize=256)
def _compile_python(pattern: str) -> Union[LinearPattern, str]:
    try:
        return compile_linear(pattern)
    except (re.error, NotLinear, TooComplex, OverflowError, RecursionError) as exc:
        return str(exc) or "invalid pattern"


def fullmatch_python(pattern: str, s: str) -> bool:
    """Whether ``pattern`` in Python's ``re`` syntax matches all of ``s``, in bounded time.

    For patterns RE2 rejects that plans still honour (lookarounds, R3.1.4 and
    docs/planning.md): matched by the linear matcher, never by a backtracking engine.
    Raises ``ValueError`` (with the reason) for a pattern ``re`` rejects, one that needs
    backtracking (backreferences), or a match over the step bound.
    """
    compiled = _compile_python(pattern)
    if isinstance(compiled, str):
        raise ValueError(compiled)
    try:
        return compiled.fullmatch(s)
    except TooComplex as exc:
        raise ValueError(str(exc)) from None


class Re2Pattern:
    """A ``/.../`` pattern literal of an expression, as a value.

    Equal to another pattern with the same source; prints as its source; pickles as its
    source (plans and run states cross process boundaries).
    """

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: Optional[CompiledRe2] = None

    @property
    def compiled(self) -> CompiledRe2:
        if self._compiled is None:
            self._compiled = compile_re2(self.source)
        return self._compiled

    def fullmatch(self, s: str) -> bool:
        return self.compiled.fullmatch(s)

    def __reduce__(self) -> Tuple[object, ...]:
        return (Re2Pattern, (self.source,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Re2Pattern) and other.source == self.source

    def __hash__(self) -> int:
        return hash(("Re2Pattern", self.source))

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"Re2Pattern({self.source!r})"
