"""Views of diagnostics for people and machines: text with snippets, JSON, SARIF 2.1.0 and
GitHub Actions workflow commands. Presentation only; nothing here decides validity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from .. import __version__
from ..diagnostics import Diagnostic, Severity, render_snippet

__all__ = [
    "FORMATS",
    "FileReport",
    "format_github",
    "format_json",
    "format_sarif",
    "format_text",
]


@dataclass
class FileReport:
    """The diagnostics of one file, with its source lines for snippets."""

    path: str
    diagnostics: Sequence[Diagnostic]
    lines: Sequence[str] = ()

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.WARNING)


def format_text(reports: Sequence[FileReport], *, snippets: bool = True,
                summary: bool = True) -> str:
    """``path:line:col: severity: message [code]``, the source line with a caret, the hint."""
    out: list[str] = []
    for r in reports:
        for d in r.diagnostics:
            out.append(str(d))
            if snippets:
                snip = render_snippet(d, r.lines)
                if snip:
                    out.append(snip)
            if d.hint:
                out.append(f"    = hint: {d.hint}")
    if summary:
        errors = sum(r.errors for r in reports)
        warnings = sum(r.warnings for r in reports)
        files = len(reports)
        if errors or warnings:
            out.append(f"{errors} error{'s' if errors != 1 else ''}, {warnings} "
                       f"warning{'s' if warnings != 1 else ''} in {files} "
                       f"file{'s' if files != 1 else ''}")
        else:
            out.append(f"{files} file{'s' if files != 1 else ''} valid")
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
    return json.dumps(doc, indent=2) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def format_sarif(reports: Sequence[FileReport]) -> str:
    """SARIF 2.1.0, one run, one rule per diagnostic code (code scanning uploads this)."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for r in reports:
        for d in r.diagnostics:
            rules.setdefault(d.code, {
                "id": d.code,
                "name": d.code,
                "shortDescription": {"text": d.code.replace("-", " ")},
                "helpUri": "https://github.com/workflowcore/workflowcore/blob/main/docs/"
                           f"diagnostics.md#{d.code}",
            })
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
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "workflowcore", "version": __version__,
                                "informationUri": "https://github.com/workflowcore/workflowcore",
                                "rules": sorted(rules.values(), key=lambda x: x["id"])}},
            "results": results,
        }],
    }
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
