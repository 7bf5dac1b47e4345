"""CircleCI's expression language, logic statements and ``<< >>`` templates.

Standard library only (google-re2 is used for patterns when installed); every
user-visible message is CircleCI's own wording.

* Expressions (R10.3): :func:`parse_expression`, :func:`evaluate`, :func:`evaluate_bool`;
  errors are :class:`ExprError` (``.render()`` prints them with a ``^^^`` marker).
* Regular expressions (R3.1.4): RE2 dialect, whole-string matches — :func:`check_re2`,
  :func:`fullmatch` (module :mod:`workflowcore.expr.regex`).
* Logic statements (R10.4): :func:`evaluate_logic`, :func:`check_logic`.
* Templates (R10.2): :func:`find_template_errors`, :func:`render_template`,
  :func:`evaluate_tag`, :func:`template_references`, :func:`has_template`.
* Pipeline values (R10.3): :func:`pipeline_variables` and the list of known values
  (module :mod:`workflowcore.expr.pipeline_values`).
"""

from __future__ import annotations

from ._errors import ExprError
from ._expression import Expression, Reference, evaluate, evaluate_bool, parse_expression
from ._logic import (
    LOGIC_OPERATORS,
    MAX_LOGIC_DEPTH,
    LogicError,
    LogicProblem,
    check_logic,
    evaluate_logic,
)
from ._template import (
    MAX_TAG_LENGTH,
    TemplateError,
    evaluate_tag,
    find_template_errors,
    has_template,
    render_template,
    render_with_variables,
    template_reference_spans,
    template_references,
)
from ._values import expr_truthy, logic_truthy, strict_equal, template_string
from .pipeline_values import (
    PIPELINE_VALUE_NAMES,
    PIPELINE_VALUES,
    PipelineValue,
    is_pipeline_value,
    lookup_pipeline_value,
    pipeline_variables,
)
from .regex import (
    CompiledRe2,
    Re2Pattern,
    RegexError,
    RegexTooComplexError,
    check_re2,
    compile_re2,
    explain_re2,
    fullmatch,
    fullmatch_python,
    needs_google_re2,
    regex_engine,
)

__all__ = [
    "LOGIC_OPERATORS",
    "MAX_LOGIC_DEPTH",
    "MAX_TAG_LENGTH",
    "PIPELINE_VALUES",
    "PIPELINE_VALUE_NAMES",
    "CompiledRe2",
    "ExprError",
    "Expression",
    "LogicError",
    "LogicProblem",
    "PipelineValue",
    "Re2Pattern",
    "Reference",
    "RegexError",
    "RegexTooComplexError",
    "TemplateError",
    "check_logic",
    "check_re2",
    "compile_re2",
    "evaluate",
    "evaluate_bool",
    "evaluate_logic",
    "evaluate_tag",
    "explain_re2",
    "expr_truthy",
    "find_template_errors",
    "fullmatch",
    "fullmatch_python",
    "has_template",
    "is_pipeline_value",
    "logic_truthy",
    "lookup_pipeline_value",
    "needs_google_re2",
    "parse_expression",
    "pipeline_variables",
    "regex_engine",
    "render_template",
    "render_with_variables",
    "strict_equal",
    "template_reference_spans",
    "template_references",
    "template_string",
]
