"""Rendering ``<< >>`` templates in config data, scope by scope (R10.1.4, R10.2).

Only strings containing ``<<`` are rendered, and containers are copied only along paths
that hold such strings, so an expanded job shares every untouched subtree with its
definition. Whether a subtree holds a template is computed once per object.

Names resolve lexically: ``parameters.x`` from the element being expanded (undeclared →
``Arguments referenced without declared parameters``), ``pipeline.parameters.x`` from the
pipeline (not inside orbs), other ``pipeline.*`` values from the trigger (unknown → empty
plus a warning, R10.2.6), ``matrix.x`` inside a matrix invocation. In lint mode no trigger
is known: tags using built-in pipeline values are kept verbatim (*deferred*).
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterator, List, Mapping, Optional, Set, Tuple

from ...diagnostics import Severity
from ...expr import (
    ExprError,
    evaluate_tag,
    find_template_errors,
    is_pipeline_value,
    render_template,
    template_string,
)
from ._diag import Loc, Reporter, Source
from ._limits import MAX_RENDERED_CHARS, MAX_RENDERED_STRING, Abort

__all__ = ["Renderer", "Scope"]

_PARAMS = "parameters."
_PIPELINE_PARAMS = "pipeline.parameters."
_PIPELINE = "pipeline."
_MATRIX = "matrix."


# A string that is exactly one tag (surrounding whitespace allowed), as the replacer's
# "only tag" test: no other `<<`, no `>>` inside, not a section.
_ONLY_TAG = re.compile(r"\s*<<(?![#^/])((?:(?!<<|>>).)+)>>\s*\Z", re.DOTALL)
# A body that is just a dotted name under a known root (no keyword can contain a dot).
_SIMPLE_NAME = re.compile(r"(?:parameters|pipeline|matrix)(?:\.[A-Za-z0-9_?-]+)+")
_SECTION_MARK = re.compile(r"<<[#^/]")
_TAG_SPLIT = re.compile(r"<<(.+?)>>", re.DOTALL)
_MIXED = object()
_MAX_PLANS = 50_000


class Scope:
    """What ``<< >>`` names mean at one place of the config.

    ``params`` are the bound values of the element being expanded (``None`` outside any
    element, e.g. in a workflow); ``matrix`` the member's matrix values; ``in_orb``
    hides the pipeline parameters (R10.1.4).
    """

    __slots__ = ("in_orb", "matrix", "params")

    def __init__(
        self,
        params: Optional[Mapping[str, Any]] = None,
        matrix: Optional[Mapping[str, Any]] = None,
        in_orb: bool = False,
    ) -> None:
        self.params = params
        self.matrix = matrix
        self.in_orb = in_orb


class _Defer(Exception):
    """A tag uses a value only a trigger knows (lint mode): keep it verbatim."""


class _Names(Mapping[str, Any]):
    """The variables a tag sees, resolved on demand so only used names cost anything and
    every problem is reported where the tag is."""

    def __init__(self, renderer: Renderer) -> None:
        self.r = renderer

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.startswith((_PARAMS, _PIPELINE, _MATRIX))

    def __getitem__(self, name: str) -> Any:
        return self.r.lookup(name)

    def __iter__(self) -> Iterator[str]:  # pragma: no cover - never enumerated
        return iter(())

    def __len__(self) -> int:  # pragma: no cover - never enumerated
        return 0


class Renderer:
    """Renders values for one compile. ``variables`` are the pipeline variables
    (``pipeline_variables(values, parameters)``); ``lint`` defers built-in pipeline
    values instead of rendering them."""

    def __init__(
        self,
        reporter: Reporter,
        variables: Mapping[str, Any],
        pipeline_params: Set[str],
        lint: bool,
    ) -> None:
        self.reporter = reporter
        self.variables = variables
        self.pipeline_params = pipeline_params
        self.lint = lint
        self.deferred = 0
        """How many tags were deferred so far (lets callers see if a value depends on
        the trigger)."""
        self._rendered = 0
        self._tpl: Dict[int, Tuple[Any, bool]] = {}
        self._plans: Dict[str, Any] = {}
        self._names_cache: Dict[str, str] = {}
        self._names = _Names(self)
        # The string being rendered, for positioning problems found while resolving.
        self._scope = Scope()
        self._source: Optional[Source] = None
        self._loc: Loc = ()
        self._text = ""

    # -- whether a subtree needs rendering ------------------------------------------
    def has_template(self, value: Any) -> bool:
        """True if a string anywhere in ``value`` (keys included) contains ``<<``."""
        if isinstance(value, str):
            return "<<" in value
        if not isinstance(value, (dict, list)):
            return False
        hit = self._tpl.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        if isinstance(value, dict):
            found = any(
                ("<<" in k if isinstance(k, str) else False) or self.has_template(v)
                for k, v in value.items()
            )
        else:
            found = any(self.has_template(v) for v in value)
        # Keep the object alive with its answer so its id cannot be reused meanwhile.
        self._tpl[id(value)] = (value, found)
        return found

    # -- rendering -------------------------------------------------------------------
    def render(self, value: Any, scope: Scope, source: Source, loc: Loc) -> Any:
        """``value`` with every template rendered in ``scope`` (copy-on-write)."""
        if isinstance(value, str):
            return self.render_str(value, scope, source, loc) if "<<" in value else value
        if isinstance(value, dict):
            if not self.has_template(value):
                return value
            out: Dict[Any, Any] = {}
            for k, v in value.items():
                key = k
                if isinstance(k, str) and "<<" in k:
                    rk = self.render_str(k, scope, source, (*loc, k))
                    key = rk if isinstance(rk, str) else str(rk)
                out[key] = self.render(v, scope, source, (*loc, k))
            return out
        if isinstance(value, list):
            if not self.has_template(value):
                return value
            # The same object at several places of one list is a YAML alias: one source
            # node, one rendering (an aliased list of 2**17 templates renders once per
            # distinct item, not once per leaf).
            seen: Dict[int, Any] = {}
            out_list: List[Any] = []
            for i, v in enumerate(value):
                key = id(v)
                if key not in seen:
                    seen[key] = self.render(v, scope, source, (*loc, i))
                out_list.append(seen[key])
            return out_list
        return value

    def render_str(self, text: str, scope: Scope, source: Source, loc: Loc) -> Any:
        """One string: a whole-value tag keeps its type (R10.2.2); a malformed template
        is reported and left as written."""
        if "<<" not in text:
            return text
        plan = self._plans.get(text)
        if plan is None:
            plan = self._plan(text)
        if plan.__class__ is str:  # exactly one tag: its value, with its type
            saved = (self._scope, self._source, self._loc, self._text)
            self._scope, self._source, self._loc, self._text = scope, source, loc, text
            try:
                return self._resolve(plan)
            finally:
                self._scope, self._source, self._loc, self._text = saved
        if plan.__class__ is tuple:  # literal text and tags only: splice values in
            saved = (self._scope, self._source, self._loc, self._text)
            self._scope, self._source, self._loc, self._text = scope, source, loc, text
            try:
                out = []
                size = 0
                for i, part in enumerate(plan):
                    if i % 2 == 0:
                        out.append(part)
                    else:
                        v = self._resolve(part)
                        out.append(v if v.__class__ is str else template_string(v))
                    size += len(out[-1])
                self._count(size, source, loc)  # before joining: never allocate past it
                return "".join(out)
            finally:
                self._scope, self._source, self._loc, self._text = saved
        if plan is not _MIXED:
            p = plan
            self.reporter.report(
                source,
                loc,
                "template-invalid",
                p.message,
                sub=(p.offset, p.length),
                text=text,
                hint="write a literal '<<' as '\\<<' (e.g. 'cat \\<<EOF')"
                if "Unclosed" in p.message
                else None,
            )
            return text
        saved = (self._scope, self._source, self._loc, self._text)
        self._scope, self._source, self._loc, self._text = scope, source, loc, text
        try:
            rendered = render_template(text, self._resolve)
            self._count(len(rendered), source, loc)
            return rendered
        except ExprError as exc:  # pragma: no cover - problems were found above
            self.reporter.report(source, loc, "template-invalid", exc.message)
            return text
        finally:
            self._scope, self._source, self._loc, self._text = saved

    def _count(self, size: int, source: Source, loc: Loc) -> None:
        """Bound what rendering creates: one string, and all of them together (a string
        parameter doubled through nested commands grows exponentially, issue 10)."""
        self._rendered += size
        if size <= MAX_RENDERED_STRING and self._rendered <= MAX_RENDERED_CHARS:
            return
        what = (
            f"a rendered string would hold {size:,} characters, more than "
            f"{MAX_RENDERED_STRING:,}"
            if size > MAX_RENDERED_STRING
            else f"rendered strings would hold more than {MAX_RENDERED_CHARS:,} characters"
        )
        self.reporter.report(
            source,
            loc,
            "config-too-large",
            f"The processed config is too large: {what}; stopping here",
            hint="look for parameters passed down through commands that repeat them",
        )
        raise Abort

    def _plan(self, text: str) -> Any:
        """How to render ``text`` (cached per string): the body of its only tag, a
        :class:`TemplateError`, or ``_MIXED``."""
        problems = find_template_errors(text)
        plan: Any
        if problems:
            plan = problems[0]
        else:
            m = _ONLY_TAG.match(text)
            if m:
                plan = m.group(1)
            elif "\\" in text or _SECTION_MARK.search(text):
                plan = _MIXED  # escapes or sections: the full replacer
            else:
                plan = tuple(_TAG_SPLIT.split(text))  # [text, body, text, body, ..., text]
        if len(self._plans) < _MAX_PLANS:
            self._plans[text] = plan
        return plan

    def _resolve(self, body: str) -> Any:
        name = self._names_cache.get(body)
        if name is None:
            stripped = body.strip()
            name = stripped if _SIMPLE_NAME.fullmatch(stripped) else ""
            self._names_cache[body] = name
        if name:  # a plain dotted name: no expression to parse or evaluate
            try:
                value = self.lookup(name)
            except _Defer:
                self.deferred += 1
                return "<<" + body + ">>"
            if value is None and name.startswith(_PIPELINE) and is_pipeline_value(name):
                # A built-in value with no data in this pipeline (`pipeline.git.tag` on a
                # branch push) is null and renders as the empty string (R10.2.6): an
                # argument given that way is given, not missing. Inside an expression
                # (`<< pipeline.git.tag or "none" >>`) it stays null.
                return ""
            return value
        try:
            return evaluate_tag(body, self._names)
        except _Defer:
            self.deferred += 1
            return "<<" + body + ">>"
        except ExprError as exc:
            assert self._source is not None
            start = self._text.find(body)
            code = "expr-unknown-variable" if "does not exist" in exc.message else "expr-invalid"
            self.reporter.report(
                self._source,
                self._loc,
                code,
                exc.message,
                sub=(max(start, 0) + exc.offset, exc.length),
                text=self._text,
            )
            return None

    def _problem(
        self,
        code: str,
        message: str,
        name: str,
        *,
        severity: Severity = Severity.ERROR,
        hint: Optional[str] = None,
    ) -> None:
        assert self._source is not None
        start = self._text.find(name)
        self.reporter.report(
            self._source,
            self._loc,
            code,
            message,
            severity=severity,
            hint=hint,
            sub=(max(start, 0), len(name)),
            text=self._text,
        )

    def lookup(self, name: str) -> Any:
        """The value of a dotted name in the current scope (reporting what is wrong)."""
        scope = self._scope
        if name.startswith(_PARAMS):
            p = name[len(_PARAMS) :]
            if scope.params is not None and p in scope.params:
                return scope.params[p]
            self._problem(
                "param-undeclared",
                f"Arguments referenced without declared parameters: {name}",
                name,
                hint=None if scope.params is None else _declared(scope.params),
            )
            return None
        if name.startswith(_PIPELINE_PARAMS):
            p = name[len(_PIPELINE_PARAMS) :]
            if scope.in_orb:
                self._problem(
                    "param-undeclared",
                    f'Referred to a variable "{name}" that does not exist',
                    name,
                    hint="pipeline parameters are not visible inside orbs; pass "
                    "the value in as an orb element parameter",
                )
                return None
            if p not in self.pipeline_params:
                self._problem(
                    "param-undeclared",
                    f'Referred to a variable "{name}" that does not exist',
                    name,
                    hint="declare it under the top-level 'parameters:'",
                )
                return None
            return self.variables.get(name)
        if name.startswith(_PIPELINE):
            known = is_pipeline_value(name)
            if self.lint and known:
                raise _Defer
            if name in self.variables and (known or not self.lint):
                return self.variables[name]
            self._problem(
                "template-unknown-pipeline-value",
                f"Unknown pipeline value {name}",
                name,
                severity=Severity.WARNING,
                hint="CircleCI renders an unknown pipeline value as empty",
            )
            return None
        if name.startswith(_MATRIX):
            p = name[len(_MATRIX) :]
            if scope.matrix is not None and p in scope.matrix:
                return scope.matrix[p]
            msg = (
                f"Matrix parameter {p} is not defined"
                if scope.matrix is not None
                else f"{name} is only set in a workflow job with a matrix"
            )
            self._problem("template-matrix-undeclared", msg, name)
            return None
        raise KeyError(name)  # pragma: no cover - __contains__ filters other names


def _declared(params: Mapping[str, Any]) -> str:
    return (
        ("declared parameters: " + ", ".join(params))
        if params
        else "this element declares no parameters"
    )
