"""Does a job run for this trigger? CircleCI's branch/tag filter rules, with reasons.

Rules (docs/planning.md, semantics R3.1-R3.5): a ``/regex/`` value must match the whole name
(RE2 full match), any other value is a literal name; on a branch push a job without
``branches`` runs; on a tag push a job without ``tags`` (or with neither ``only`` nor
``ignore`` under it) does not run; when both ``only`` and ``ignore`` are set, ``only``
decides. An expression filter (``filters: pipeline.git.branch == "main"``) replaces those
defaults: the job runs exactly when the expression is true.

Reasons are written for people reading a plan: they quote the filter as configured, so
``branch 'feature/x' does not match filters.branches.only ['master']`` can be checked
against the config at a glance.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..expr import ExprError, evaluate_bool, fullmatch, fullmatch_python

__all__ = ["as_list", "filter_reason", "legacy_branches_reason", "matches_spec",
           "spec_matches"]


def as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def _is_regex(s: str) -> bool:
    return len(s) >= 2 and s[0] == "/" and s[-1] == "/"


def matches_spec(spec: Any, name: str) -> bool:
    """One filter value: ``/re/`` full-matches, anything else compares literally.

    Patterns RE2 rejects (lookarounds, backreferences) are matched with Python's engine:
    ``validate`` warns about them (``filter-regex-re2``) but still accepts the config, and
    the pattern's intent is plain. A pattern no engine compiles raises ``ValueError``.
    """
    s = spec if isinstance(spec, str) else str(spec)
    if not _is_regex(s):
        return s == name
    try:
        return fullmatch(s[1:-1], name)
    except ExprError:
        pass
    try:  # linear-time too (expr.regex), never Python's backtracking engine
        return fullmatch_python(s[1:-1], name)
    except ValueError as exc:
        raise ValueError(f"{s} is not a valid regular expression ({exc})") from None


def spec_matches(values: list[Any], name: str) -> Any:
    """The first of ``values`` that matches ``name``, or ``None``."""
    for v in values:
        if matches_spec(v, name):
            return v
    return None


def _fmt(values: list[Any]) -> str:
    return "[" + ", ".join(repr(v if isinstance(v, str) else str(v)) for v in values) + "]"


def filter_reason(filters: Any, kind: str, ref: str,
                  variables: Mapping[str, Any]) -> str | None:
    """``None`` when the job runs for a ``kind`` ("branch"/"tag") push of ``ref``, else
    the human reason it does not."""
    if isinstance(filters, str):
        try:
            ok = evaluate_bool(filters, variables)
        except ExprError as exc:
            return f"its filters expression cannot be evaluated: {exc.message}"
        if ok:
            return None
        return f"filters expression is false for {kind} '{ref}': {' '.join(filters.split())}"
    f = filters if isinstance(filters, dict) else {}
    section = "tags" if kind == "tag" else "branches"
    spec = f.get(section)
    has_rule = isinstance(spec, dict) and ("only" in spec or "ignore" in spec)
    if not has_rule:
        if kind == "branch":
            return None  # R3.3.1: no branches filter, every branch
        if isinstance(spec, dict):
            return (f"tag '{ref}': filters.tags has neither 'only' nor 'ignore', so the job "
                    "runs for no tag")
        return (f"tag '{ref}': the job has no filters.tags (a tag push runs only jobs whose "
                "filters.tags allow it)")
    assert isinstance(spec, dict)
    which = "only" if "only" in spec else "ignore"  # R3.2: when both are set, only decides
    values = as_list(spec[which])
    try:
        hit = spec_matches(values, ref)
    except ValueError as exc:
        return f"filters.{section}.{which}: {exc}"
    if which == "only":
        if hit is not None:
            return None
        return f"{kind} '{ref}' does not match filters.{section}.only {_fmt(values)}"
    if hit is None:
        return None
    return f"{kind} '{ref}' matches filters.{section}.ignore {_fmt(values)}"


def legacy_branches_reason(branches: Any, branch: str) -> str | None:
    """The deprecated job-level ``branches`` key, which CircleCI honours only when a config
    has no workflows (R3.6.1). Its documented rule differs from workflow filters: when
    both are given, ``ignore`` is the one taken into account (CR21, semantics §3.2)."""
    if not isinstance(branches, dict):
        return None
    if "ignore" in branches:
        values = as_list(branches["ignore"])
        try:
            hit = spec_matches(values, branch)
        except ValueError as exc:
            return f"the job's branches.ignore: {exc}"
        if hit is None:
            return None
        return f"branch '{branch}' matches the job's branches.ignore {_fmt(values)}"
    if "only" in branches:
        values = as_list(branches["only"])
        try:
            hit = spec_matches(values, branch)
        except ValueError as exc:
            return f"the job's branches.only: {exc}"
        if hit is not None:
            return None
        return f"branch '{branch}' does not match the job's branches.only {_fmt(values)}"
    return None
