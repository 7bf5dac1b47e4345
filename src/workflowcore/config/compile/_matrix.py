"""Matrix expansion (R10.7): combinations, ``exclude``, and member names.

Parameter order follows CircleCI's configuration reference (matrix section): its example
``version: ["0.1","0.2","0.3"]``, ``platform: ["macos","windows","linux"]`` expands to
``build-macos-0.1, build-macos-0.2, build-macos-0.3, build-windows-0.1, …``, so parameters
are taken in **alphabetical order of their names**, both for the values joined into a
member's name and for the nesting of the expansion (the alphabetically first parameter
varies slowest); each parameter's values keep their declared order. The reference outranks
the language server, which uses declared order (R10.7.2, R10.7.5 record the conflict). The
ordering lives in one place, :func:`ordered_parameters`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ...expr import template_string

__all__ = [
    "combination_count",
    "matrix_combinations",
    "matrix_member_name",
    "ordered_parameters",
    "value_text",
]


def ordered_parameters(
    parameters: Sequence[Tuple[str, Sequence[Any]]],
) -> List[Tuple[str, Sequence[Any]]]:
    """The matrix parameters in the order CircleCI expands and names them: sorted by
    name (configuration reference, matrix example), values untouched."""
    return sorted(parameters, key=lambda p: p[0])


def value_text(value: Any) -> str:
    """A matrix value as it appears in names and is compared in ``exclude``: its YAML
    string form (``"0.1"`` and ``0.1`` both give ``0.1``; ``true`` gives ``true``)."""
    return template_string(value)


def combination_count(parameters: Sequence[Tuple[str, Sequence[Any]]]) -> int:
    count = 1
    for _, values in parameters:
        count *= len(values)
    return count


def matrix_combinations(
    parameters: Sequence[Tuple[str, Sequence[Any]]], excludes: Sequence[Mapping[str, Any]]
) -> List[Dict[str, Any]]:
    """Every combination, the alphabetically first parameter varying slowest (see the
    module docstring), minus those matching all keys of some ``exclude`` entry (compared
    by YAML text, so ``exclude: {v: 3.8}`` removes the combination with ``"3.8"``).
    Each combination's keys are in that same order.

    Callers bound the size first with :func:`combination_count`.
    """
    combos: List[Dict[str, Any]] = [{}]
    for name, values in ordered_parameters(parameters):
        combos = [{**c, name: v} for c in combos for v in values]
    if not excludes:
        return combos
    keyed = [{k: value_text(v) for k, v in ex.items()} for ex in excludes]
    out = []
    for c in combos:
        texts = {k: value_text(v) for k, v in c.items()}
        if not any(all(k in texts and texts[k] == v for k, v in ex.items()) for ex in keyed):
            out.append(c)
    return out


def matrix_member_name(
    job: str,
    name: Optional[str],
    name_uses_matrix: bool,
    combination: Mapping[str, Any],
    index: int,
    total: int,
) -> str:
    """The name of member ``index`` (0-based) of ``total`` surviving combinations, in the
    LS's order of precedence (R10.7.5):

    1. a ``name:`` using ``<< matrix.x >>`` — already rendered for this member by the
       caller (``name_uses_matrix``);
    2. any other ``name:`` — as written when only one combination survives, else suffixed
       ``-1``, ``-2``, … in production order;
    3. a matrix parameter called ``name`` — its value;
    4. ``job-v1-v2…``, values joined with ``-`` in alphabetical order of the parameter
       names (:func:`ordered_parameters`).
    """
    if name is not None:
        if name_uses_matrix or total == 1:
            return name
        return f"{name}-{index + 1}"
    if "name" in combination:
        return value_text(combination["name"])
    return "-".join([job, *(value_text(combination[k]) for k in sorted(combination))])
