"""Expression tree nodes, each evaluating itself the way EXPR's Interpreter.java does.

``None`` stands for *undefined* (a known variable without a value). It infects every
comparison and infix function (the result is undefined, checked before operand types),
is falsy for ``and``/``or``/``not``, and is returned as-is by ``and``/``or``, which yield
one of their operands rather than a boolean.

``and``/``or`` chains are kept flat (one node, many operands) and runs of ``not`` as one
node with a count, so long chains neither recurse deeply nor cost a call per operator.
"""

from __future__ import annotations

from typing import Any, List, Mapping

from ._errors import (
    EXPECTED_NUMERIC_OPERAND,
    EXPECTED_PATTERN_OPERAND,
    EXPECTED_STRING_OPERAND,
    UNKNOWN_VARIABLE,
    ExprError,
)
from ._scanner import EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, NOT_EQUAL
from ._values import strict_equal
from .regex import Re2Pattern

__all__ = ["Binary", "Identifier", "Infix", "Literal", "Logical", "Node", "Not"]

Variables = Mapping[str, Any]


class Node:
    __slots__ = ()

    def ev(self, env: Variables) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class Literal(Node):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def ev(self, env: Variables) -> Any:
        return self.value

    def __repr__(self) -> str:
        return f"Literal({self.value!r})"


class Identifier(Node):
    __slots__ = ("name", "pos")

    def __init__(self, name: str, pos: int) -> None:
        self.name = name
        self.pos = pos

    def ev(self, env: Variables) -> Any:
        try:
            return env[self.name]
        except KeyError:
            raise ExprError(f'Referred to a variable "{self.name}" that does not exist',
                            self.pos, len(self.name), kind=UNKNOWN_VARIABLE,
                            lexeme=self.name) from None

    def __repr__(self) -> str:
        return f"Identifier({self.name!r})"


class Logical(Node):
    """``a or b or c`` / ``a and b``: the first operand deciding the result is returned."""

    __slots__ = ("is_or", "operands")

    def __init__(self, is_or: bool, operands: List[Node]) -> None:
        self.is_or = is_or
        self.operands = operands

    def ev(self, env: Variables) -> Any:
        operands = self.operands
        last = len(operands) - 1
        if self.is_or:
            for k, node in enumerate(operands):
                value = node.ev(env)
                if k == last or (value is not None and value is not False):
                    return value
        else:
            for k, node in enumerate(operands):
                value = node.ev(env)
                if k == last or value is None or value is False:
                    return value
        return None  # pragma: no cover - operands is never empty

    def __repr__(self) -> str:
        return f"Logical({'or' if self.is_or else 'and'}, {list(self.operands)!r})"


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Binary(Node):
    """``==  !=  >  >=  <  <=``."""

    __slots__ = ("left", "lexeme", "op", "pos", "right")

    def __init__(self, op: int, lexeme: str, pos: int, left: Node, right: Node) -> None:
        self.op = op
        self.lexeme = lexeme
        self.pos = pos
        self.left = left
        self.right = right

    def ev(self, env: Variables) -> Any:
        left = self.left.ev(env)
        right = self.right.ev(env)
        if left is None or right is None:
            return None
        op = self.op
        if op == EQUAL:
            return strict_equal(left, right)
        if op == NOT_EQUAL:
            return not strict_equal(left, right)
        if not (_is_number(left) and _is_number(right)):
            raise ExprError(f'Expected numeric operands to "{self.lexeme}" operator', self.pos,
                            len(self.lexeme), kind=EXPECTED_NUMERIC_OPERAND, lexeme=self.lexeme)
        if op == GREATER:
            return left > right
        if op == GREATER_EQUAL:
            return left >= right
        if op == LESS:
            return left < right
        if op == LESS_EQUAL:
            return left <= right
        return None  # pragma: no cover - the parser builds no other Binary

    def __repr__(self) -> str:
        return f"Binary({self.lexeme!r}, {self.left!r}, {self.right!r})"


class Infix(Node):
    """The builtins ``starts-with``, ``contains`` and ``matches`` (full match)."""

    __slots__ = ("builtin", "left", "lexeme", "pos", "right")

    def __init__(self, builtin: str, lexeme: str, pos: int, left: Node, right: Node) -> None:
        self.builtin = builtin
        self.lexeme = lexeme
        self.pos = pos
        self.left = left
        self.right = right

    def _error(self, message: str, kind: str) -> ExprError:
        return ExprError(message, self.pos, len(self.lexeme), kind=kind, lexeme=self.lexeme)

    def ev(self, env: Variables) -> Any:
        left = self.left.ev(env)
        right = self.right.ev(env)
        if left is None or right is None:
            return None
        if self.builtin == "matches":
            if not isinstance(right, Re2Pattern):
                raise self._error(f'Expected the right operand to "{self.lexeme}" operator to '
                                  "be a pattern", EXPECTED_PATTERN_OPERAND)
            if not isinstance(left, str):
                raise self._error(f'Expected string operands to "{self.lexeme}" operator',
                                  EXPECTED_STRING_OPERAND)
            return right.fullmatch(left)
        if not (isinstance(left, str) and isinstance(right, str)):
            raise self._error(f'Expected string operands to "{self.lexeme}" operator',
                              EXPECTED_STRING_OPERAND)
        if self.builtin == "starts-with":
            return left.startswith(right)
        return right in left

    def __repr__(self) -> str:
        return f"Infix({self.builtin!r}, {self.left!r}, {self.right!r})"


class Not(Node):
    """``count`` consecutive ``not``/``!`` applied to ``operand``."""

    __slots__ = ("count", "operand")

    def __init__(self, count: int, operand: Node) -> None:
        self.count = count
        self.operand = operand

    def ev(self, env: Variables) -> Any:
        value = self.operand.ev(env)
        falsy = value is None or value is False
        return falsy if self.count % 2 else not falsy

    def __repr__(self) -> str:
        return f"Not({self.count}, {self.operand!r})"
