"""How CircleCI sees plain Python values: types, equality, truthiness, text.

CircleCI's engine is Java/Clojure, where ``true != 1`` and ``1 != 1.0``; Python's ``==``
says otherwise, so equality compares *kinds* first. There are two truthiness rules: EXPR's
(only ``false`` and null are falsy, R10.3) and logic statements' (``0``, ``""``, NaN and
empty containers are falsy too, R10.4.2).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from .regex import Re2Pattern

__all__ = ["expr_truthy", "kind_of", "logic_truthy", "strict_equal", "template_string"]


def kind_of(value: Any) -> object:
    """The CircleCI type of a value: bool, int, float and str are distinct, subclasses
    (e.g. a loader's position-carrying ``str``) are not."""
    if isinstance(value, bool):
        return bool
    if isinstance(value, int):
        return int
    if isinstance(value, float):
        return float
    if isinstance(value, str):
        return str
    if isinstance(value, Mapping):
        return Mapping
    if isinstance(value, (list, tuple)):
        return list
    return type(value)


def strict_equal(a: Any, b: Any) -> bool:
    """Equality as CircleCI's engine has it: values of different kinds are never equal."""
    kind = kind_of(a)
    if kind is not kind_of(b):
        return False
    if kind is list:
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    if kind is Mapping:
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def expr_truthy(value: Any) -> bool:
    """EXPR truthiness: only ``false`` and null/undefined are falsy (R10.3)."""
    return value is not None and value is not False


def logic_truthy(value: Any) -> bool:
    """Logic-statement truthiness: false, null, 0, NaN, "" and empty containers are falsy
    (R10.4.2)."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, (int, float)):
        return value != 0 and not math.isnan(value)
    if isinstance(value, (str, list, tuple, Mapping)):
        return len(value) > 0
    return True


def _float_text(value: float) -> str:
    # As YAML (PyYAML's representer) writes a float: 0.1, 15.0, 1.0e+20, .inf, .nan.
    if value != value:
        return ".nan"
    if value == math.inf:
        return ".inf"
    if value == -math.inf:
        return "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def template_string(value: Any) -> str:
    """A value as CircleCI splices it into a string: ``true``/``false``, ``""`` for null,
    decimal integers, floats as YAML prints them (``0.1``).

    Lists and mappings are written as JSON ([INFER]: CircleCI's rendering of a
    collection inside a larger string is not documented).
    """
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Re2Pattern):
        return value.source
    if isinstance(value, (list, tuple, Mapping)):
        import json  # only to print a map or a list

        return json.dumps(_jsonable(value), ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return template_string(value)
