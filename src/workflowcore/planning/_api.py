"""``plan()``: the public entry point of the planning layer.

It compiles the config for the trigger (``config.compile_config``), then plans the compiled
data (``plan_compiled``). Between the two it supplies what the planner needs and the
compile result does not state directly:

* the pipeline parameters typed and completed with their declared defaults, which
  expression filters (``filters: pipeline.parameters.deploy``) see;
* which job each final invocation name runs (``build-1`` → ``build``), read from the
  compiler's ``origins`` when the result has no explicit ``job_of`` mapping;
* a check of expression filters, which CircleCI's compiler rejects when they do not parse
  or name an unknown variable — a config error, not a reason to skip a job.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any, Mapping, Sequence

from ..config import CompileResult, Config, LoadResult, compile_config
from ..config.orbs.store import OrbStore
from ..config.sourcemap import SourceMap
from ..diagnostics import Diagnostic, Severity
from ..errors import ConfigError
from ..expr import (
    ExprError,
    is_pipeline_value,
    parse_expression,
    pipeline_variables,
)
from ._planner import gc_paused, plan_compiled
from .plan import Plan
from .trigger import Trigger

__all__ = ["parameter_problems", "plan", "typed_parameters"]

_INT = re.compile(r"[+-]?[0-9]+\Z")
_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})


def _data_of(config: LoadResult | Config | Mapping[str, Any]) -> tuple[Any, SourceMap | None]:
    if isinstance(config, LoadResult):
        if config.errors or config.data is None:
            raise ConfigError(config.diagnostics)
        return config.data, config.source_map
    if isinstance(config, Config):
        return config.model_dump(by_alias=True, exclude_unset=True, warnings=False), None
    return config, None


def _declarations(data: Any) -> dict[str, Any]:
    decls = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(decls, dict) or data.get("version") not in (2.1, "2.1"):
        return {}
    return decls


def _declared_type(decl: Any) -> Any:
    return decl.get("type") if isinstance(decl, dict) else None


def typed_parameters(data: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` with strings read by their parameter's declared type: ``true``/``false``
    (also yes/no/on/off, any case, as YAML 1.1 reads them) for a ``boolean``, a decimal
    number for an ``integer``. Anything else is left for the compiler to type-check."""
    decls = _declarations(data)
    out: dict[str, Any] = {}
    for name, value in given.items():
        t = _declared_type(decls.get(name))
        if isinstance(value, str):
            low = value.strip().lower()
            if t == "boolean" and low in _TRUE:
                value = True
            elif t == "boolean" and low in _FALSE:
                value = False
            elif t == "integer" and _INT.match(value.strip()):
                value = int(value.strip())
        out[name] = value
    return out


def parameter_problems(data: Any, given: Mapping[str, Any]) -> list[str]:
    """Why ``given`` pipeline parameters do not fit the config's declarations (unknown
    names, values of the wrong type after :func:`typed_parameters`) — for a command line,
    which reports them as a usage mistake rather than a config error."""
    decls = _declarations(data)
    problems: list[str] = []
    declared = ", ".join(decls) or "none"
    for name, value in typed_parameters(data, given).items():
        if name not in decls:
            problems.append(f"unknown pipeline parameter '{name}' (declared: {declared})")
            continue
        decl = decls[name]
        t = _declared_type(decl)
        ok = True
        if t == "boolean":
            ok = isinstance(value, bool)
        elif t == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif t == "enum":
            allowed = decl.get("enum") if isinstance(decl, dict) else None
            ok = not isinstance(allowed, list) or value in allowed
            if not ok:
                problems.append(f"pipeline parameter '{name}' must be one of "
                                f"{', '.join(map(str, allowed or []))}; got {value!r}")
                continue
        if not ok:
            article = "an" if str(t)[:1] in "aeiou" else "a"
            problems.append(f"pipeline parameter '{name}' is {article} {t}; got {value!r}")
    return problems


def _at(data: Any, loc: Sequence[Any]) -> Any:
    cur = data
    for part in loc:
        ok = (part in cur) if isinstance(cur, dict) else (
            isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur))
        if not ok:
            return None
        cur = cur[part]
    return cur


def _item_name(item: Any) -> tuple[str | None, Any]:
    if isinstance(item, str):
        return item, {}
    if isinstance(item, dict) and len(item) == 1:
        ((name, args),) = item.items()
        return str(name), args if isinstance(args, dict) else {}
    return None, {}


def _job_of(compiled: CompileResult, source: Any) -> dict[str, str]:
    """Final invocation name → the job reference the config wrote (``build-1`` → ``build``,
    a matrix member → its job, a job-group member → its job), from ``origins``."""
    explicit = getattr(compiled, "job_of", None)
    if isinstance(explicit, Mapping):
        return dict(explicit)
    out: dict[str, str] = {}
    wfs = compiled.data.get("workflows") if isinstance(compiled.data, dict) else None
    if not isinstance(wfs, dict):
        return out
    for wname, wf in wfs.items():
        items = wf.get("jobs") if isinstance(wf, dict) else None
        if not isinstance(items, list):
            continue
        for j, item in enumerate(items):
            final, _ = _item_name(item)
            src = compiled.origins.get(("workflows", wname, "jobs", j))
            if final is None or src is None:
                continue
            ref, _ = _item_name(_at(source, src))
            if ref is not None and ref != final and "<<" not in ref:
                out[final] = ref
    return out


def _check_filter_expressions(compiled: CompileResult, source: Any, sm: SourceMap | None,
                              variables: Mapping[str, Any]) -> list[Diagnostic]:
    """Expression filters that CircleCI's compiler would reject (R3.5.1, R2.7.2): syntax
    errors, unknown variables, undeclared pipeline parameters, bad regex literals."""
    out: list[Diagnostic] = []
    wfs = compiled.data.get("workflows") if isinstance(compiled.data, dict) else None
    if not isinstance(wfs, dict):
        return out
    for wname, wf in wfs.items():
        items = wf.get("jobs") if isinstance(wf, dict) else None
        for j, item in enumerate(items if isinstance(items, list) else []):
            final, args = _item_name(item)
            text = args.get("filters")
            if not isinstance(text, str):
                continue
            problems: list[tuple[str, str]] = []
            try:
                expr = parse_expression(text)
            except ExprError as exc:
                problems.append(("expr-invalid", exc.message))
            else:
                for ref in expr.references:
                    n = ref.name
                    known = (n in variables if n.startswith("pipeline.parameters.")
                             else is_pipeline_value(n) or n in variables)
                    if not known:
                        problems.append(("expr-unknown-variable",
                                         f'Referred to a variable "{n}" that does not exist'))
                if not problems:
                    try:
                        expr.evaluate(variables)
                    except ExprError as exc:
                        problems.append(("expr-invalid", exc.message))
            src = compiled.origins.get(("workflows", wname, "jobs", j))
            for code, message in problems:
                out.append(_diagnostic(sm, source, src, code,
                                       f"Job '{final}' has an invalid filters expression: "
                                       f"{message}"))
    return out


def _diagnostic(sm: SourceMap | None, source: Any, src: Any, code: str,
                message: str) -> Diagnostic:
    if sm is None or src is None:
        return Diagnostic(code, message)
    ref, _ = _item_name(_at(source, src))
    loc = (*src, ref, "filters") if ref is not None and isinstance(_at(source, src), dict) \
        else tuple(src)
    return sm.diagnostic(loc, code, message, severity=Severity.ERROR)


def _workflow_order(data: Any) -> list[str]:
    wfs = data.get("workflows") if isinstance(data, dict) else None
    return [k for k in wfs if k != "version"] if isinstance(wfs, dict) else []


def plan(
    config: LoadResult | Config | Mapping[str, Any],
    trigger: Trigger,
    workflows: Sequence[str] | None = None,
    *,
    orb_dir: str | os.PathLike[str] | OrbStore | None = None,
    orb_pins: Mapping[str, str] | None = None,
) -> Plan:
    """Which jobs of which workflows run for ``trigger``, in what order, and why not the
    others.

    ``config`` is a :class:`LoadResult` (from :func:`workflowcore.load`), a validated
    :class:`Config`, or plain config data. 2.1 configs are compiled first with the trigger's
    pipeline values and parameters (strings given for boolean/integer parameters are read
    by their declared type). ``workflows`` restricts the plan to those names. ``orb_dir``
    is the local orb store and ``orb_pins`` the versions a lock file pinned (as for
    :func:`workflowcore.compile`); ``Plan.orbs`` says what each orb resolved to. Raises
    :class:`ConfigError` when the config (or its compilation for this trigger) has errors,
    :class:`PlanError` for an unknown workflow name, and :class:`CycleError` for a
    ``requires`` cycle in plain data that was never validated.
    """
    data, sm = _data_of(config)
    reuse = None
    if isinstance(config, LoadResult) and orb_dir is None and not orb_pins:
        reuse = reusable_compile(config, trigger)
    with gc_paused():
        return _plan(data, sm, trigger, workflows, orb_dir, orb_pins, reuse)


#: Text that makes a 2.1 compile depend on the trigger (or on the orb store), so the
#: lint compile ``load`` did cannot stand for it.
_TRIGGER_DEPENDENT = ("pipeline.", "when", "unless", "orbs")


def reusable_compile(result: LoadResult, trigger: Trigger) -> CompileResult | None:
    """The compile ``load`` already did, when it is the compile ``trigger`` would give.

    ``load`` compiles a 2.1 config in lint mode (no trigger). That output is the same for
    every trigger when nothing in the config can see the trigger: no pipeline values or
    pipeline parameters referenced (no ``pipeline.`` in the text), no ``when``/``unless``
    (workflow conditions are kept in lint output, conditional steps are decided there),
    no orbs (the store and pins are the caller's), no pipeline parameters given, and a
    compile with no error. Then planning does not compile again (issue 11: the compiler
    must not redo work ``load`` did); ``tests/planning/test_reused_compile.py`` checks the
    plans are the same over the corpus. Decided from the text, conservatively: a word
    in a comment is enough to compile again.
    """
    compiled = result.compiled
    if compiled is None or compiled.data is None or compiled.errors or trigger.parameters:
        return None
    text = result.source_map.text
    if any(word in text for word in _TRIGGER_DEPENDENT):
        return None
    data = result.data
    if not isinstance(data, dict) or data.get("parameters"):
        return None
    return compiled


def _plan(data: Any, sm: SourceMap | None, trigger: Trigger,
          workflows: Sequence[str] | None,
          orb_dir: str | os.PathLike[str] | OrbStore | None,
          orb_pins: Mapping[str, str] | None = None,
          reuse: CompileResult | None = None) -> Plan:
    typed = typed_parameters(data, trigger.parameters)
    if typed != dict(trigger.parameters):
        trigger = replace(trigger, parameters=typed)
    values = trigger.pipeline_values()
    compiled = reuse if reuse is not None else compile_config(
        data, source_map=sm, parameters=typed, pipeline_values=values, orb_dir=orb_dir,
        orb_pins=orb_pins)
    if compiled.data is None or compiled.errors:
        raise ConfigError(compiled.diagnostics)
    bound = compiled.pipeline_parameters
    problems = _check_filter_expressions(compiled, data, sm, pipeline_variables(values, bound))
    if problems:
        raise ConfigError([*compiled.diagnostics, *problems])
    planned = plan_compiled(compiled.data, trigger, workflows=workflows,
                            skipped_workflows=compiled.skipped_workflows,
                            job_of=_job_of(compiled, data), parameters=bound,
                            workflow_order=_workflow_order(data),
                            unavailable_orbs=compiled.unavailable_orbs)
    warnings = tuple(d for d in compiled.diagnostics if not d.is_error)
    orbs = {ref: {"resolved": r.orb.ref, "digest": r.digest}
            for ref, r in compiled.resolved_orbs.items()}
    return replace(planned, diagnostics=warnings, orbs=orbs) if warnings or orbs else planned
