"""Parsed expressions and evaluating them (CircleCI's EXPR, R10.3).

Parsing is cached: the same few conditions and filters are evaluated for every trigger,
and editors re-check every expression on each keystroke. Failed parses are cached too.
"""

from __future__ import annotations

import functools
from typing import Any, Mapping, NamedTuple, Tuple, Union

from ._ast import Node
from ._errors import TOO_DEEPLY_NESTED, ExprError
from ._parser import parse_tokens
from ._scanner import scan

__all__ = ["Expression", "Reference", "evaluate", "evaluate_bool", "parse_expression"]


class Reference(NamedTuple):
    """A name an expression or template uses, and where (character offsets)."""

    name: str
    offset: int
    length: int


def _too_deep(text: str) -> ExprError:
    return ExprError("Expression is too deeply nested", 0, 0, text=text, kind=TOO_DEEPLY_NESTED)


class Expression:
    """A parsed EXPR expression. Immutable; get one from :func:`parse_expression`.

    ``references`` lists every variable reference in source order (duplicates kept), with
    its offset, for editors and for "not a pipeline value" checks.
    """

    __slots__ = ("_root", "references", "text")

    def __init__(self, text: str, root: Node, references: Tuple[Reference, ...]) -> None:
        self.text = text
        self._root = root
        self.references = references

    @property
    def names(self) -> Tuple[str, ...]:
        """The distinct variable names used, in order of first use."""
        return tuple(dict.fromkeys(r.name for r in self.references))

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """The raw value (``None`` for undefined); see :func:`evaluate`."""
        try:
            return self._root.ev(variables)
        except ExprError as exc:
            raise exc.with_text(self.text) from None
        except RecursionError:
            raise _too_deep(self.text) from None

    def evaluate_bool(self, variables: Mapping[str, Any]) -> bool:
        """The value coerced as ``when``/``filters`` coerce it: false and undefined are
        false, anything else (``0``, ``""`` included) is true."""
        value = self.evaluate(variables)
        return value is not None and value is not False

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Union[Expression, ExprError]:
    try:
        root, identifiers = parse_tokens(scan(text))
    except ExprError as exc:
        return exc.with_text(text)
    except RecursionError:
        return _too_deep(text)
    references = tuple(Reference(i.name, i.pos, len(i.name)) for i in identifiers)
    return Expression(text, root, references)


def parse_expression(text: str) -> Expression:
    """Parse CircleCI expression ``text``; raises :class:`ExprError` with CircleCI's
    message (``Unexpected character '&'``, ``Expected expression, found "and"``, ...)."""
    result = _parse_cached(text)
    if isinstance(result, ExprError):
        # A fresh exception each time: a cached instance would pile up tracebacks.
        raise ExprError(result.message, result.offset, result.length, result.text,
                        result.kind, result.lexeme)
    return result


def evaluate(expression: Union[Expression, str], variables: Mapping[str, Any]) -> Any:
    """Evaluate an expression (or its text) against ``variables``.

    ``variables`` maps full dotted names (``"pipeline.git.branch"``,
    ``"pipeline.parameters.deploy"``, ``"matrix.os"``) to values. A name not in the
    mapping is unknown: referring to it raises ``Referred to a variable "X" that does not
    exist`` (unless short-circuited away). A name mapped to ``None`` is known but undefined.

    Returns the raw value: ``and``/``or`` yield an operand (``false or 14`` → 14), and an
    undefined result is ``None``.
    """
    if isinstance(expression, str):
        expression = parse_expression(expression)
    return expression.evaluate(variables)


def evaluate_bool(expression: Union[Expression, str], variables: Mapping[str, Any]) -> bool:
    """Evaluate and coerce to a boolean, as workflow ``when`` and job ``filters`` do."""
    if isinstance(expression, str):
        expression = parse_expression(expression)
    return expression.evaluate_bool(variables)
