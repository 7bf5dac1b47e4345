"""Views of diagnostics for people and machines: text with snippets, JSON, SARIF 2.1.0 and
GitHub Actions workflow commands. Presentation only; nothing here decides validity.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Protocol, Sequence

from .. import __version__
from ..diagnostics import Diagnostic, Severity, render_snippet
from . import ansi

__all__ = [
    "FORMATS",
    "FileReport",
    "format_github",
    "format_json",
    "format_sarif",
    "format_text",
]


class SuppressedFinding(Protocol):
    """A finding that was silenced (``config.suppress.Suppressed``): ``kind`` is SARIF's
    ``inSource`` (a ``# cci-ignore`` comment) or ``external`` (``--ignore``)."""

    @property
    def diagnostic(self) -> Diagnostic: ...
    @property
    def kind(self) -> str: ...
    @property
    def justification(self) -> Optional[str]: ...


class FileReport(NamedTuple):
    """The diagnostics of one file, with its source lines for snippets. ``suppressed``: the
    findings that were silenced, which only SARIF lists (as suppressed results)."""

    path: str
    diagnostics: Sequence[Diagnostic]
    lines: Sequence[str] = ()
    suppressed: Sequence[SuppressedFinding] = ()

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.WARNING)


def format_text(reports: Sequence[FileReport], *, snippets: bool = True,
                summary: bool = True, color: bool = False) -> str:
    """``path:line:col: severity: message [code]``, the source line with a caret, the hint.
    ``color``: ANSI colours (reporting/ansi.py); without the escapes the text is the same."""
    out: list[str] = []
    for r in reports:
        for d in r.diagnostics:
            out.append(ansi.diagnostic_line(d) if color else str(d))
            if snippets:
                snip = render_snippet(d, r.lines)
                if snip:
                    out.append(ansi.snippet(snip, d.severity) if color else snip)
            if d.hint:
                hint = f"    = hint: {d.hint}"
                out.append(ansi.hint_line(hint) if color else hint)
    if summary:
        errors = sum(r.errors for r in reports)
        warnings = sum(r.warnings for r in reports)
        files = len(reports)
        if errors or warnings:
            line = (f"{errors} error{'s' if errors != 1 else ''}, {warnings} "
                    f"warning{'s' if warnings != 1 else ''} in {files} "
                    f"file{'s' if files != 1 else ''}")
        else:
            line = f"{files} file{'s' if files != 1 else ''} valid"
        out.append(ansi.summary_line(line, errors, warnings) if color else line)
    return "\n".join(out) + "\n"


def format_json(reports: Sequence[FileReport]) -> str:
    """A stable, versioned JSON document (see docs/cli.md)."""
    doc = {
        "version": 1,
        "files": [
            {"path": r.path, "valid": r.errors == 0,
             "diagnostics": [d.to_dict() for d in r.diagnostics]}
            for r in reports
        ],
        "summary": {"errors": sum(r.errors for r in reports),
                    "warnings": sum(r.warnings for r in reports),
                    "files": len(reports)},
    }
    import json  # only for --format json/sarif: ~1 ms of every cold start otherwise

    return json.dumps(doc, indent=2) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _sarif_rule(code: str) -> dict[str, Any]:
    """A SARIF rule with the code's description from docs/diagnostics.md embedded (the
    project has no public URL for a ``helpUri``; see reporting/rules.py)."""
    from .rules import rule_text  # SARIF only: reads docs/diagnostics.md

    rule: dict[str, Any] = {"id": code, "name": code}
    text = rule_text(code)
    if text is None:  # no documentation installed: the code's words at least
        rule["shortDescription"] = {"text": code.replace("-", " ")}
        return rule
    rule["shortDescription"] = {"text": text.short}
    rule["fullDescription"] = {"text": text.full}
    rule["help"] = {"text": text.full, "markdown": f"**`{code}`**: {text.full}\n\n"
                    "Examples: docs/diagnostics.md, installed with workflowcore."}
    return rule


def format_sarif(reports: Sequence[FileReport]) -> str:
    """SARIF 2.1.0, one run, one rule per diagnostic code (code scanning uploads this)."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for r in reports:
        entries: list[tuple[Diagnostic, SuppressedFinding | None]] = [
            *((d, None) for d in r.diagnostics), *((s.diagnostic, s) for s in r.suppressed)]
        for d, silenced in entries:
            if d.code not in rules:
                rules[d.code] = _sarif_rule(d.code)
            message = d.message + (f" (hint: {d.hint})" if d.hint else "")
            results.append({
                "ruleId": d.code,
                "level": _SARIF_LEVEL[d.severity],
                "message": {"text": message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": d.path},
                    "region": {"startLine": d.line, "startColumn": d.column,
                               "endLine": d.end_line, "endColumn": d.end_column},
                }}],
            })
            if silenced is not None:  # a result's `suppressions`: the user silenced it
                how = {"kind": silenced.kind}
                if silenced.justification:
                    how["justification"] = silenced.justification
                results[-1]["suppressions"] = [how]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "workflowcore", "version": __version__,
                                "rules": sorted(rules.values(), key=lambda x: x["id"])}},
            "results": results,
        }],
    }
    import json  # only for --format json/sarif: ~1 ms of every cold start otherwise

    return json.dumps(doc, indent=2) + "\n"


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def format_github(reports: Sequence[FileReport]) -> str:
    """GitHub Actions annotations: ``::error file=…,line=…,col=…::message``."""
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    out = []
    for r in reports:
        for d in r.diagnostics:
            props = (f"file={_gh_escape(d.path, True)},line={d.line},col={d.column},"
                     f"endLine={d.end_line},endColumn={d.end_column},"
                     f"title={_gh_escape(d.code, True)}")
            msg = d.message + (f" (hint: {d.hint})" if d.hint else "")
            out.append(f"::{level[d.severity]} {props}::{_gh_escape(msg)} [{d.code}]")
    return "\n".join(out) + ("\n" if out else "")


FORMATS = {"text": format_text, "json": format_json, "sarif": format_sarif,
           "github": format_github}
