"""Logic statements (R10.4): the YAML condition syntax of ``when``/``unless``.

A statement is a literal (judged by logic truthiness: ``false``, null, ``0``, NaN, ``""``
and empty containers are falsy) or a one-key mapping ``and``/``or``/``not``/``equal``/
``matches``. ``equal`` compares after YAML typing (``"1"`` is not ``1``); ``matches`` is a
whole-string RE2 match. Statements nest at most 100 levels.
"""

from __future__ import annotations

from typing import Any, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from ..errors import WorkflowCoreError
from ._template import render_with_variables
from ._values import logic_truthy, strict_equal, template_string
from .regex import check_re2, fullmatch

__all__ = [
    "LOGIC_OPERATORS",
    "MAX_LOGIC_DEPTH",
    "LogicError",
    "LogicProblem",
    "check_logic",
    "evaluate_logic",
]

LOGIC_OPERATORS = ("and", "or", "not", "equal", "matches")
MAX_LOGIC_DEPTH = 100
_LIST_OPERATORS = ("and", "or", "equal")

Loc = Tuple[Union[str, int], ...]


class LogicProblem(NamedTuple):
    """What is wrong in a logic statement; ``loc`` is relative to the statement."""

    loc: Loc
    message: str


class LogicError(WorkflowCoreError, ValueError):
    """:func:`evaluate_logic` was given a malformed statement (check it first)."""

    def __init__(self, problems: Sequence[LogicProblem]) -> None:
        self.problems: Tuple[LogicProblem, ...] = tuple(problems)
        first = self.problems[0] if self.problems else None
        where = "/".join(str(p) for p in first.loc) if first else ""
        text = first.message if first else "invalid logic statement"
        super().__init__(f"{text} (at {where})" if where else text)


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def check_logic(stmt: Any) -> List[LogicProblem]:
    """The problems of logic statement ``stmt`` (YAML data), in document order.

    Reports: more than one operator in a mapping, unknown operator keys, ``and``/``or``/
    ``equal`` without a non-empty list, ``matches`` without ``pattern``/``value`` or with
    a pattern CircleCI cannot compile, and nesting deeper than 100 levels. Patterns
    containing ``<<`` are left alone: they are only known once rendered.
    """
    problems: List[LogicProblem] = []
    _check(stmt, (), 1, problems)
    return problems


def _check(stmt: Any, loc: Loc, depth: int, problems: List[LogicProblem]) -> None:
    if not isinstance(stmt, Mapping) or not stmt:
        return
    if depth > MAX_LOGIC_DEPTH:
        problems.append(LogicProblem(
            loc, f"Logic statements can be nested at most {MAX_LOGIC_DEPTH} levels deep"))
        return
    operators = [k for k in stmt if k in LOGIC_OPERATORS]
    for key in stmt:
        if key not in LOGIC_OPERATORS:
            problems.append(LogicProblem(
                (*loc, key), f"Unknown logic operator '{key}', expected one of: "
                              + ", ".join(LOGIC_OPERATORS)))
    if len(operators) > 1:
        problems.append(LogicProblem(
            loc, "A logic statement takes exactly one operator, found "
                 f"{len(operators)}: {', '.join(operators)}"))
    for op in operators:
        arg = stmt[op]
        here = (*loc, op)
        if op in _LIST_OPERATORS:
            if not _is_list(arg):
                problems.append(LogicProblem(here, f"'{op}' takes a list"))
            elif not arg:
                problems.append(LogicProblem(
                    here, f"'{op}' needs at least one argument, an empty list is an error"))
            elif op != "equal":
                for i, item in enumerate(arg):
                    _check(item, (*here, i), depth + 1, problems)
        elif op == "not":
            _check(arg, here, depth + 1, problems)
        else:
            _check_matches(arg, here, problems)


def _check_matches(arg: Any, loc: Loc, problems: List[LogicProblem]) -> None:
    if not isinstance(arg, Mapping):
        problems.append(LogicProblem(loc, "'matches' takes a mapping with 'pattern' and 'value'"))
        return
    for key in arg:
        if key not in ("pattern", "value"):
            problems.append(LogicProblem(
                (*loc, key), f"Unknown key '{key}' in 'matches', expected 'pattern' and 'value'"))
    for key in ("pattern", "value"):
        if key not in arg:
            problems.append(LogicProblem(loc, f"'matches' is missing '{key}'"))
    pattern = arg.get("pattern")
    if "pattern" in arg and not isinstance(pattern, str):
        problems.append(LogicProblem((*loc, "pattern"), "'pattern' must be a string"))
    elif isinstance(pattern, str) and "<<" not in pattern:
        message = check_re2(pattern)
        if message is not None:
            problems.append(LogicProblem((*loc, "pattern"), message))


def _render(stmt: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(stmt, str):
        return render_with_variables(stmt, variables) if "<<" in stmt else stmt
    if isinstance(stmt, Mapping):
        return {k: _render(v, variables) for k, v in stmt.items()}
    if _is_list(stmt):
        return [_render(v, variables) for v in stmt]
    return stmt


def evaluate_logic(stmt: Any, variables: Optional[Mapping[str, Any]] = None) -> bool:
    """Whether logic statement ``stmt`` is true.

    With ``variables`` (full dotted names, as for :func:`evaluate`), ``<< >>`` templates in
    its strings are rendered first (a whole-value tag keeps its type). Raises
    :class:`LogicError` if the statement has problems (see :func:`check_logic`), and
    :class:`ExprError` if a template cannot be rendered.
    """
    if variables is not None:
        stmt = _render(stmt, variables)
    problems = check_logic(stmt)
    if problems:
        raise LogicError(problems)
    return _evaluate(stmt)


def _evaluate(stmt: Any) -> bool:
    if not isinstance(stmt, Mapping) or not stmt:
        return logic_truthy(stmt)
    ((op, arg),) = stmt.items()
    if op == "and":
        return all(_evaluate(item) for item in arg)
    if op == "or":
        return any(_evaluate(item) for item in arg)
    if op == "not":
        return not _evaluate(arg)
    if op == "equal":
        first = arg[0]
        return all(strict_equal(first, other) for other in arg[1:])
    value = arg["value"]
    if value is None:  # e.g. << pipeline.git.tag >> on a branch pipeline [INFER]
        return False
    return fullmatch(arg["pattern"], value if isinstance(value, str) else template_string(value))
