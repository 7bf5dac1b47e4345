"""Leniency for logic statements found in real configs.

A mapping with no logic operator at all (``{when: always}`` inside an ``and:`` list, seen
in real configs that CircleCI runs) is not a statement CircleCI rejects: as a value it is
a non-empty mapping, which logic truthiness (R10.4.2) judges true [INFER]. We read it that
way, with a warning, instead of failing the compile.
"""

from __future__ import annotations

from typing import Any, Callable, List

from ...expr import LOGIC_OPERATORS
from ._diag import Loc

__all__ = ["lenient_logic"]


def lenient_logic(stmt: Any, loc: Loc, warn: Callable[[Loc, str], None]) -> Any:
    """``stmt`` with operator-less mappings replaced by ``True`` (each warned about)."""
    if not isinstance(stmt, dict) or not stmt:
        return stmt
    ops = [k for k in stmt if k in LOGIC_OPERATORS]
    if not ops:
        first = next(iter(stmt))
        warn(
            loc,
            f"'{first}' is not a logic operator; this mapping is read as a value, "
            "which is always true",
        )
        return True
    if len(stmt) != 1:
        return stmt
    ((op, arg),) = stmt.items()
    if op in ("and", "or") and isinstance(arg, list):
        new: List[Any] = [lenient_logic(a, (*loc, op, i), warn) for i, a in enumerate(arg)]
        if any(n is not a for n, a in zip(new, arg)):
            return {op: new}
    elif op == "not":
        inner = lenient_logic(arg, (*loc, op), warn)
        if inner is not arg:
            return {op: inner}
    return stmt
