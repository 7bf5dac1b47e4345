"""The Python functions Config's core schema calls while it validates: the callable
discriminators of its unions and Config's wrap validator.

Why a module of their own, importing no pydantic: the cached core schema refers to them by
module and name, and ``workflowcore validate`` validates with pydantic-core alone from that
cache (:mod:`._fast_validate`), so loading the schema must not import
:mod:`.models` and with it pydantic (~70 ms of a cold start, docs/dev/cold-start.md). The
names keep their leading underscores: pydantic-core names a discriminator function in some
of its messages, and the models define them under these names.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Callable, FrozenSet, List, Optional

from ._vocabulary import BUILTIN_STEPS as _BUILTIN
from ._vocabulary import STRUCTURAL_STEPS

__all__ = ["STEP_NAMES"]

#: Names a step map's key resolves to a built-in step, conditional and ``steps`` steps
#: included (models.py checks its ``_MAP_STEPS`` against it).
STEP_NAMES: FrozenSet[str] = _BUILTIN | STRUCTURAL_STEPS
_SHORTHAND_STEPS = frozenset({"run", "deploy"})
#: The config's own command names while a 2.1 config is validated (set by
#: ``Config``): a command named like a built-in step (``commands: {deploy: …}``) is what
#: ``- deploy: {…}`` invokes, so its arguments are the command's, not the built-in's
#: (issue 9 item 4; the compiler resolves it the same way). Conditional and ``steps``
#: steps are never commands.
_USER_COMMANDS: ContextVar[FrozenSet[str]] = ContextVar("_USER_COMMANDS", default=frozenset())
_UNSHADOWED_STEPS = STRUCTURAL_STEPS
_LOGIC_OPERATORS = frozenset({"and", "or", "not", "equal", "matches"})


def _node_kind(value: Any) -> Optional[str]:
    """Tag for a union decided by the YAML node kind; ``None`` makes pydantic report it."""
    if isinstance(value, dict):
        return "map"
    if isinstance(value, str):
        return "template" if "<<" in value else "str"
    if isinstance(value, list):
        return "list"
    return None


def _kind_or_template(value: Any) -> Optional[str]:
    """Like :func:`_node_kind`, but a string that is not a template has no branch."""
    kind = _node_kind(value)
    return None if kind == "str" else kind


def _str_or_map(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return "map"
    return None


def _machine_kind(value: Any) -> Optional[str]:
    if isinstance(value, bool):
        return "bool"
    return _kind_or_template(value)


def _logic_kind(value: Any) -> Optional[str]:
    if isinstance(value, dict):
        operators = _LOGIC_OPERATORS.intersection(value)
        if not operators:
            return "value"  # a map without operators is a (truthy) value
        if len(value) == 1:
            return str(next(iter(value)))
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return "value"
    return None


def _step_tag(value: Any) -> Optional[str]:
    """Tag of one step item: ``str``, a built-in step name, ``run-string`` or ``command``."""
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict) and len(value) == 1:
        for key in value:
            if key not in _UNSHADOWED_STEPS and key in _USER_COMMANDS.get():
                return "command"
            if key in STEP_NAMES:
                if key in _SHORTHAND_STEPS and not isinstance(value[key], dict):
                    return f"{key}-string"
                return str(key)
            return "command"
    if isinstance(value, dict) and len(value) > 1:
        return "multi"
    return None


def _steps_body_kind(value: Any) -> Optional[str]:
    if isinstance(value, dict):
        return "map"
    return _kind_or_template(value)


def _requirement_kind(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict) and len(value) == 1:
        return "map"
    return None


def _filters_kind(value: Any) -> Optional[str]:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, str):
        return "expression"
    return None


def _workflow_job_kind(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict) and len(value) == 1:
        return "map"
    return None


#: Set by :mod:`.models` to validate the body of a several-key step's first key, as the
#: step alone (what processing keeps). The quick validation, which has no models, leaves it
#: unset: a several-key step has keys ``ignored_keys`` reports, so it goes the full way.
FIRST_KEY_BODY: List[Optional[Callable[[str, Any], None]]] = [None]


def _several_key_step(data: Any, handler: Callable[[Any], Any]) -> Any:
    """MultiKeyStep's wrap validator: CircleCI runs only the first key of a step map with
    several, so that key's body must be what the step alone takes (a fuzz finding: `- run:
    {command: {...}}` beside a sibling key passed, and the processed step failed)."""
    result = handler(data)
    check = FIRST_KEY_BODY[0]
    if check is not None and isinstance(data, dict) and data:
        first = next(iter(data))
        if isinstance(first, str) and first in STEP_NAMES and not (
                first not in _UNSHADOWED_STEPS and first in _USER_COMMANDS.get()):
            check(first, data[first])
    return result


def _commands_shadow_builtins(data: Any, handler: Callable[[Any], Any]) -> Any:
    """Config's wrap validator: validate with the config's command names known to
    :func:`_step_tag`."""
    names: FrozenSet[str] = frozenset()
    if isinstance(data, dict) and data.get("version") in (2.1, "2.1"):
        commands = data.get("commands")
        if isinstance(commands, dict):
            names = frozenset(k for k in commands if isinstance(k, str))
    token = _USER_COMMANDS.set(names)
    try:
        return handler(data)
    finally:
        _USER_COMMANDS.reset(token)
