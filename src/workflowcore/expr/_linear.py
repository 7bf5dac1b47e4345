"""Linear-time whole-string matching, for when google-re2 is not installed.

Python's ``re`` backtracks: ``/(a+)+$/`` against 28 ``a`` and a ``b`` takes 21 s, and a
40-character name never finishes. CircleCI matches with RE2, whose time is linear in the
text. Without the RE2 binding, this module gives the same guarantee: it takes the parse
tree Python's own parser builds (``re._parser``; so the syntax is exactly ``re``'s and the
RE2 translator in :mod:`.regex` stays the one place that knows RE2), compiles it to a
Thompson NFA and simulates it over the text one position at a time with a *set* of
states. Every position is visited once per state, so the time is
O(len(text) × program size), whatever the pattern; only booleans are computed (no
captures), so greedy and lazy quantifiers are the same.

Meaning, where it differs from ``re`` on purpose: case-insensitive matching folds Unicode
letters (``(?i)é`` matches ``É``) even under ``re.ASCII``, as RE2 does. ``\\d \\w \\s \\b``
are ASCII under ``re.ASCII`` (the translator's flag) and Unicode otherwise.

Lookarounds (Python syntax, which plans still honour for patterns RE2 rejects) run their
sub-program at that position, memoised per (assertion, position): O(n² × m) at worst,
still bounded. Backreferences, conditionals, atomic groups and possessive quantifiers are
refused with :class:`NotLinear`: no linear-time algorithm matches them.

Two bounds turn the absurd into an error instead of a long wait: a program has at most
:data:`MAX_PROGRAM` instructions (``(x{1000}){1000}`` is refused while compiling), and a
match visits at most :data:`MAX_STEPS` states (:class:`TooComplex`).
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = ["MAX_PROGRAM", "MAX_STEPS", "LinearPattern", "NotLinear", "TooComplex",
           "compile_linear"]

MAX_PROGRAM = 50_000
"""Instructions in one compiled pattern (RE2 itself stops near 8 MiB of program)."""

MAX_STEPS = 5_000_000
"""State visits in one match: about 2-5 s of pure Python; a branch name against any
pattern of a real config needs a few hundred."""

try:  # Python 3.11+
    _parser: Any = importlib.import_module("re._parser")
    _const: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - Python < 3.11
    _parser = importlib.import_module("sre_parse")
    _const = importlib.import_module("sre_constants")

_IGNORECASE = int(_const.SRE_FLAG_IGNORECASE)
_MULTILINE = int(_const.SRE_FLAG_MULTILINE)
_DOTALL = int(_const.SRE_FLAG_DOTALL)
_ASCII = int(_const.SRE_FLAG_ASCII)
_MAXREPEAT = _const.MAXREPEAT


class NotLinear(ValueError):
    """The pattern uses a feature no linear-time matcher supports (a backreference...)."""


class TooComplex(ValueError):
    """The pattern's program, or one match, exceeds the bounds of this module."""


# Instruction opcodes. A program is a list of (op, a, b) tuples; CHAR and ASSERT and LOOK
# fall through to the next instruction when they succeed.
_CHAR, _SPLIT, _JMP, _ASSERT, _LOOK, _MATCH = range(6)
# Assertion kinds.
_BOS, _BOL, _EOS, _EOS_NL, _EOL, _WORDB, _NWORDB, _WORDB_U, _NWORDB_U = range(9)

Test = Callable[[str], bool]
Inst = Tuple[int, Any, Any]


def _fold_key(c: str) -> str:
    """One representative per simple case-folding orbit (k, K and U+212A KELVIN SIGN)."""
    up = c.upper()
    return up.lower() if len(up) == 1 else c.lower()


def _variants(c: str) -> Tuple[str, ...]:
    return (c, c.lower(), c.upper(), _fold_key(c))


def _is_word_ascii(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "_")


def _is_word_unicode(c: str) -> bool:
    return c.isalnum() or c == "_"


def _category(name: str, ascii_only: bool) -> Test:
    base = name.replace("CATEGORY_", "").replace("UNI_", "").replace("LOC_", "")
    negate = base.startswith("NOT_")
    base = base[4:] if negate else base
    test: Test
    if base == "DIGIT":
        test = (lambda c: "0" <= c <= "9") if ascii_only else str.isdecimal
    elif base == "SPACE":
        test = (lambda c: c in " \t\n\r\f\v") if ascii_only else str.isspace
    elif base == "WORD":
        test = _is_word_ascii if ascii_only else _is_word_unicode
    elif base == "LINEBREAK":
        test = "\n".__eq__
    else:  # pragma: no cover - every category of re's parser is above
        raise NotLinear(f"unsupported character category {name}")
    if negate:
        return lambda c: not test(c)
    return test


def _class_test(items: List[Tuple[Any, Any]], flags: int) -> Test:
    negate = False
    singles: set[str] = set()
    ranges: List[Tuple[int, int]] = []
    categories: List[Test] = []
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            singles.add(chr(av))
        elif name == "RANGE":
            ranges.append((av[0], av[1]))
        elif name == "CATEGORY":
            categories.append(_category(str(av), bool(flags & _ASCII)))
        else:
            raise NotLinear(f"unsupported class item {name}")

    def member(c: str) -> bool:
        if c in singles:
            return True
        o = ord(c)
        return any(lo <= o <= hi for lo, hi in ranges) or any(t(c) for t in categories)

    if flags & _IGNORECASE:
        def folded(c: str) -> bool:
            return any(member(v) for v in _variants(c) if len(v) == 1)
        test = folded
    else:
        test = member
    if negate:
        return lambda c: not test(c)
    return test


def _literal_test(code: int, flags: int, negate: bool = False) -> Test:
    lit = chr(code)
    same: Test
    if flags & _IGNORECASE:
        key = _fold_key(lit)
        same = lambda c: c == lit or _fold_key(c) == key  # noqa: E731
    else:
        same = lit.__eq__
    if negate:
        return lambda c: not same(c)
    return same


class _Compiler:
    def __init__(self) -> None:
        self.prog: List[Inst] = []

    def add(self, inst: Inst) -> int:
        if len(self.prog) >= MAX_PROGRAM:
            raise TooComplex(f"the pattern needs more than {MAX_PROGRAM} instructions")
        self.prog.append(inst)
        return len(self.prog) - 1

    def patch(self, pc: int, a: Any = None, b: Any = None) -> None:
        op, oa, ob = self.prog[pc]
        self.prog[pc] = (op, oa if a is None else a, ob if b is None else b)

    def seq(self, items: Any, flags: int) -> None:
        for op, av in items:
            self.node(str(op), av, flags)

    def node(self, name: str, av: Any, flags: int) -> None:
        if name == "LITERAL":
            self.add((_CHAR, _literal_test(av, flags), None))
        elif name == "NOT_LITERAL":
            self.add((_CHAR, _literal_test(av, flags, negate=True), None))
        elif name == "ANY":
            self.add((_CHAR, (lambda c: True) if flags & _DOTALL else "\n".__ne__, None))
        elif name == "IN":
            self.add((_CHAR, _class_test(av, flags), None))
        elif name == "BRANCH":
            self.branch(av[1], flags)
        elif name == "SUBPATTERN":
            _group, add_flags, del_flags, sub = av
            self.seq(sub, (flags | add_flags) & ~del_flags)
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            self.repeat(av[0], av[1], av[2], flags)
        elif name == "AT":
            self.add((_ASSERT, self.at_kind(str(av), flags), None))
        elif name in ("ASSERT", "ASSERT_NOT"):
            direction, sub = av
            sub_compiler = _Compiler()
            sub_compiler.seq(sub, flags)
            sub_compiler.add((_MATCH, None, None))
            width = None if direction > 0 else sub.getwidth()[0]
            self.add((_LOOK, sub_compiler.prog, (name == "ASSERT_NOT", width)))
        else:
            # GROUPREF, GROUPREF_EXISTS, ATOMIC_GROUP, POSSESSIVE_REPEAT
            raise NotLinear(f"{name.lower().replace('_', ' ')} cannot be matched in linear time")

    @staticmethod
    def at_kind(name: str, flags: int) -> int:
        multiline = bool(flags & _MULTILINE)
        if name == "AT_BEGINNING":
            return _BOL if multiline else _BOS
        if name == "AT_BEGINNING_STRING":
            return _BOS
        if name == "AT_END":
            return _EOL if multiline else _EOS_NL
        if name == "AT_END_STRING":
            return _EOS
        if name == "AT_BOUNDARY":
            return _WORDB if flags & _ASCII else _WORDB_U
        if name == "AT_NON_BOUNDARY":
            return _NWORDB if flags & _ASCII else _NWORDB_U
        raise NotLinear(f"unsupported assertion {name}")  # pragma: no cover

    def branch(self, alternatives: List[Any], flags: int) -> None:
        jumps: List[int] = []
        for k, alt in enumerate(alternatives):
            if k == len(alternatives) - 1:
                self.seq(alt, flags)
                break
            split = self.add((_SPLIT, len(self.prog) + 1, None))
            self.seq(alt, flags)
            jumps.append(self.add((_JMP, None, None)))
            self.patch(split, b=len(self.prog))
        for j in jumps:
            self.patch(j, a=len(self.prog))

    def repeat(self, low: int, high: Any, item: Any, flags: int) -> None:
        for _ in range(low):
            self.seq(item, flags)
        if high == _MAXREPEAT:
            loop = self.add((_SPLIT, len(self.prog) + 1, None))
            self.seq(item, flags)
            self.add((_JMP, loop, None))
            self.patch(loop, b=len(self.prog))
            return
        splits: List[int] = []
        for _ in range(int(high) - low):
            splits.append(self.add((_SPLIT, len(self.prog) + 1, None)))
            self.seq(item, flags)
        for s in splits:
            self.patch(s, b=len(self.prog))


class _Run:
    """One match: the text, the remaining step budget, memoised lookaround results."""

    __slots__ = ("memo", "steps", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.steps = MAX_STEPS
        self.memo: Dict[Tuple[int, int], bool] = {}

    def assertion(self, kind: int, i: int) -> bool:
        s = self.text
        n = len(s)
        if kind == _BOS:
            return i == 0
        if kind == _BOL:
            return i == 0 or s[i - 1] == "\n"
        if kind == _EOS:
            return i == n
        if kind == _EOS_NL:
            return i == n or (i == n - 1 and s[i] == "\n")
        if kind == _EOL:
            return i == n or s[i] == "\n"
        word = _is_word_ascii if kind in (_WORDB, _NWORDB) else _is_word_unicode
        before = i > 0 and word(s[i - 1])
        after = i < n and word(s[i])
        return (before != after) == (kind in (_WORDB, _WORDB_U))

    def look(self, sub: List[Inst], negate: bool, width: Optional[int], i: int) -> bool:
        key = (id(sub), i)
        found = self.memo.get(key)
        if found is None:
            if width is None:
                found = self.run(sub, i, None)
            else:
                found = i >= width and self.run(sub, i - width, i)
            self.memo[key] = found
        return found != negate

    def closure(self, prog: List[Inst], pcs: List[int], i: int) -> Tuple[List[int], bool]:
        """The CHAR instructions reachable from ``pcs`` without consuming, at position i."""
        seen: set[int] = set()
        out: List[int] = []
        matched = False
        stack = list(reversed(pcs))
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            self.steps -= 1
            if self.steps < 0:
                raise TooComplex(f"matching needs more than {MAX_STEPS} steps")
            op, a, b = prog[pc]
            if op == _CHAR:
                out.append(pc)
            elif op == _SPLIT:
                stack.append(b)
                stack.append(a)
            elif op == _JMP:
                stack.append(a)
            elif op == _ASSERT:
                if self.assertion(a, i):
                    stack.append(pc + 1)
            elif op == _LOOK:
                if self.look(a, b[0], b[1], i):
                    stack.append(pc + 1)
            else:
                matched = True
        return out, matched

    def run(self, prog: List[Inst], start: int, end: Optional[int]) -> bool:
        """Whether ``prog`` matches text[start:x], where x is ``end``, or any position
        if ``end`` is None (a lookahead)."""
        s = self.text
        last = len(s) if end is None else end
        states, matched = self.closure(prog, [0], start)
        i = start
        while True:
            if matched and (end is None or i == end):
                return True
            if i >= last or not states:
                return False
            c = s[i]
            nxt = [pc + 1 for pc in states if prog[pc][1](c)]
            i += 1
            states, matched = self.closure(prog, nxt, i)


class LinearPattern:
    """A pattern compiled for linear-time whole-string matching."""

    __slots__ = ("_prog", "flags", "source")

    def __init__(self, source: str, flags: int, prog: List[Inst]) -> None:
        self.source = source
        self.flags = flags
        self._prog = prog

    def fullmatch(self, text: str) -> bool:
        """Whether the pattern matches all of ``text``; :class:`TooComplex` past the bound."""
        run = _Run(text)
        return run.run(self._prog, 0, len(text))

    def __reduce__(self) -> Tuple[Any, ...]:
        # The program holds closures; the source and flags rebuild it.
        return (compile_linear, (self.source, self.flags))

    @property
    def size(self) -> int:
        return len(self._prog)


def compile_linear(python_pattern: str, flags: int = 0) -> LinearPattern:
    """Compile a pattern in Python's ``re`` syntax (with ``re`` flags) for linear matching.

    Raises ``re.error`` for a pattern ``re`` rejects, :class:`NotLinear` for features no
    linear matcher has, :class:`TooComplex` for a program over :data:`MAX_PROGRAM`.
    """
    with warnings.catch_warnings():  # "possible set difference" and the like: not ours
        warnings.simplefilter("ignore")
        tree = _parser.parse(python_pattern, flags)
    compiler = _Compiler()
    compiler.seq(tree, int(tree.state.flags))
    compiler.add((_MATCH, None, None))
    return LinearPattern(python_pattern, flags, compiler.prog)
