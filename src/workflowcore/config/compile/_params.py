"""Typed parameters (R10.1): declarations, their defaults, and binding arguments.

Messages follow CircleCI's compiler where it is known: ``Missing required argument(s):``,
``Unexpected argument(s):``, ``Type error for argument x: expected type: boolean, actual
value: "true" (type string)`` (observed from the CLI), and ``Parameter error: default
value of parameter 'foo' is 'false' (type boolean): expected type string`` wrapped as
``Error in definition of job 'J'`` (PREV changelog).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from ...expr import template_string
from .._suggest import did_you_mean
from .._vocabulary import INVOCATION_KEYS
from ._diag import Loc, Reporter, Source

__all__ = [
    "PARAM_TYPES",
    "PIPELINE_PARAM_TYPES",
    "RESERVED_JOB_PARAMS",
    "ParamDecl",
    "bind_arguments",
    "describe_value",
    "parse_declarations",
    "type_mismatch",
]

PARAM_TYPES = ("string", "boolean", "integer", "enum", "executor", "steps", "env_var_name")
PIPELINE_PARAM_TYPES = ("string", "boolean", "integer", "enum")
#: Invocation keys that cannot be job parameters ([CR]; SDK18; serial-group and
#: override-with inferred).
RESERVED_JOB_PARAMS = INVOCATION_KEYS
_ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class ParamDecl(NamedTuple):
    """One declared parameter. ``type`` is ``None`` when missing or unknown (then any
    value is accepted: the declaration itself was reported)."""

    name: str
    type: Optional[str]
    required: bool
    default: Any
    enum: Optional[Tuple[str, ...]]
    loc: Loc


def type_name(value: Any) -> str:
    """The type word CircleCI prints for a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "sequence"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__


def describe_value(value: Any) -> str:
    return template_string(value)


def _deferred(value: Any) -> bool:
    # A string still holding a tag (lint mode leaves pipeline values unrendered): its
    # type is only known once a trigger is.
    return isinstance(value, str) and "<<" in value


def type_mismatch(decl: ParamDecl, value: Any) -> Optional[str]:
    """What was expected, when ``value`` does not fit ``decl`` (else ``None``)."""
    t = decl.type
    if t is None or _deferred(value):
        return None
    if t == "string":
        ok = isinstance(value, str)
    elif t == "boolean":
        ok = isinstance(value, bool)
    elif t == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t == "enum":
        if decl.enum is not None and isinstance(value, str) and value not in decl.enum:
            return "enum [" + ", ".join(decl.enum) + "]"
        ok = isinstance(value, str)
    elif t == "executor":
        ok = isinstance(value, str) or (isinstance(value, dict) and "name" in value)
    elif t == "steps":
        ok = isinstance(value, list)
    elif t == "env_var_name":
        if isinstance(value, str) and not _ENV_VAR_NAME.match(value):
            return "env_var_name (a POSIX environment variable name)"
        ok = isinstance(value, str)
    else:  # pragma: no cover - decl.type is always one of PARAM_TYPES or None
        ok = True
    return None if ok else t


def parse_declarations(
    raw: Any,
    *,
    owner: str,
    source: Source,
    loc: Loc,
    reporter: Reporter,
    pipeline: bool = False,
    reserved: frozenset[str] = frozenset(),
) -> Dict[str, ParamDecl]:
    """Read a ``parameters:`` mapping; report bad declarations as
    ``Error in definition of <owner>: …``. Shapes the schema rejects are skipped quietly.
    """
    out: Dict[str, ParamDecl] = {}
    if not isinstance(raw, dict):
        return out
    allowed = PIPELINE_PARAM_TYPES if pipeline else PARAM_TYPES
    for name, spec in raw.items():
        ploc = (*loc, name)
        if name in reserved:
            reporter.report(
                source,
                ploc,
                "param-reserved",
                f"Error in definition of {owner}: parameter name '{name}' is "
                "reserved for the workflow invocation",
                key=True,
                hint="rename the parameter; '"
                + "', '".join(sorted(reserved))
                + "' are invocation keys",
            )
        if not isinstance(spec, dict):
            out[name] = ParamDecl(name, None, False, None, None, ploc)
            continue
        t = spec.get("type")
        ptype: Optional[str] = t if isinstance(t, str) and t in allowed else None
        if isinstance(t, str) and ptype is None:
            what = "pipeline parameter" if pipeline else "parameter"
            reporter.report(
                source,
                (*ploc, "type"),
                "param-definition",
                f"Error in definition of {owner}: {what} '{name}' has type "
                f"'{t}', expected one of: " + ", ".join(allowed),
            )
        enum: Optional[Tuple[str, ...]] = None
        if ptype == "enum":
            ev = spec.get("enum")
            if isinstance(ev, list) and ev:
                enum = tuple(template_string(v) for v in ev)
            else:
                reporter.report(
                    source,
                    ploc,
                    "param-definition",
                    f"Error in definition of {owner}: enum parameter '{name}' "
                    "needs a non-empty 'enum' list",
                    key=True,
                )
        default = spec.get("default")
        required = default is None
        decl = ParamDecl(name, ptype, required, default, enum, ploc)
        if pipeline and required:
            reporter.report(
                source,
                ploc,
                "param-definition",
                f"Error in definition of {owner}: pipeline parameter '{name}' must have a default",
                key=True,
                hint="pipeline parameters always need a 'default:' (R10.1.1)",
            )
        if not required:
            expected = type_mismatch(decl, default)
            if expected is not None:
                reporter.report(
                    source,
                    (*ploc, "default"),
                    "param-default-type",
                    f"Error in definition of {owner}: Parameter error: default value of "
                    f"parameter '{name}' is '{describe_value(default)}' (type "
                    f"{type_name(default)}): expected type {expected}",
                )
        out[name] = decl
    return out


def bind_arguments(
    decls: Mapping[str, ParamDecl],
    args: Mapping[str, Any],
    *,
    call: Optional[str],
    source: Source,
    loc: Loc,
    reporter: Reporter,
    render_default: Optional[Callable[[ParamDecl], Any]] = None,
    args_loc: Optional[Loc] = None,
) -> Dict[str, Any]:
    """Match ``args`` to ``decls``: the parameter values, defaults filled in.

    ``call`` names the callee for messages (``job 'build'``; ``None`` for the pipeline's
    own parameters, whose messages CircleCI does not prefix); ``loc`` is the invocation
    (findings about missing arguments go there), ``args_loc`` the mapping holding the
    arguments (default ``loc``). An argument given as null counts as not given.
    """
    aloc = loc if args_loc is None else args_loc
    pre = f"Error calling {call}: " if call else ""
    values: Dict[str, Any] = {}
    unexpected = [k for k in args if k not in decls]
    if unexpected:
        reporter.report(
            source,
            (*aloc, unexpected[0]),
            "param-unexpected",
            f"{pre}Unexpected argument(s): " + ", ".join(str(k) for k in unexpected),
            key=True,
            hint=_unexpected_hint(str(unexpected[0]), decls, call),
        )
    missing: List[str] = []
    for name, decl in decls.items():
        value = args.get(name)
        if value is None:
            if decl.required:
                missing.append(name)
                values[name] = None
                continue
            value = decl.default
            if render_default is not None:
                value = render_default(decl)
            values[name] = value
            continue
        expected = type_mismatch(decl, value)
        if expected is not None:
            reporter.report(
                source,
                (*aloc, name),
                "param-type",
                f"{pre}Type error for argument {name}: expected "
                f'type: {expected}, actual value: "{describe_value(value)}" '
                f"(type {type_name(value)})",
            )
        values[name] = value
    if missing:
        reporter.report(
            source,
            loc,
            "param-missing",
            f"{pre}Missing required argument(s): " + ", ".join(missing),
            key=True,
        )
    return values


def _unexpected_hint(arg: str, decls: Mapping[str, ParamDecl], call: Optional[str]) -> str:
    """A typo of a declared parameter or, for a job, of an invocation key (``requries``)
    is named; otherwise the declared parameters are listed."""
    keys = INVOCATION_KEYS if call is not None and call.startswith("job ") else ()
    return did_you_mean(arg, [*decls, *keys]) or _declared_hint(decls)


def _declared_hint(decls: Mapping[str, ParamDecl]) -> str:
    if not decls:
        return "it declares no parameters"
    return "declared parameters: " + ", ".join(decls)
