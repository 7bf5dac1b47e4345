"""``workflowcore process``: print the compiled config, like ``circleci config process``.

Exit 0 with the YAML on stdout; 1 when the config (or its compilation) has errors, or
when it needs an orb that is not available offline (an ``orb-unavailable`` error per orb:
``process`` never prints what it could not compile; ``--allow-missing-orbs`` prints a
valid 2.1 config that keeps those orb references instead); 2 for a bad invocation — an
unreadable file, a pipeline parameter the config does not declare or whose value does not
fit its declared type.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List

from .._compile import compile as compile_config
from ..config import CompileResult, to_yaml
from ..config.compile._keep_orbs import keep_orb_references
from ..config.orbs.lock import resolution_of
from ..diagnostics import Diagnostic, Severity
from ..errors import PlanError
from ..planning import Trigger
from ..reporting.diagnostics import FileReport, format_text
from ._common import EXIT_FAILED, EXIT_OK, UsageError
from ._load import add_input_options, print_diagnostics, read_config
from ._orbstore import add_orb_dir_option, orbs_as_locked, read_config_lock
from ._trigger import add_parameter_options, checked_parameters, parameters_from_args

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("process", help="print the compiled (2.0-shaped) config",
                       description="Compile a 2.1 config offline and print it as YAML, like "
                                   "`circleci config process`. Without --branch/--tag no "
                                   "workflow is dropped for its `when`.")
    p.add_argument("path", nargs="?", default=".circleci/config.yml", metavar="PATH")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--branch", "-b", help="pipeline values for a push of this branch")
    g.add_argument("--tag", "-t", help="pipeline values for a push of this tag")
    add_parameter_options(p)
    add_orb_dir_option(p)
    p.add_argument("--allow-missing-orbs", action="store_true",
                   help="when an orb is not available offline, print a 2.1 config that keeps "
                        "its references (everything else processed) instead of failing")
    add_input_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    given = parameters_from_args(args)
    result = read_config(args.path, args.max_bytes, args.orb_dir)
    lines = result.source_map.lines
    if result.errors:
        print_diagnostics(result)
        return EXIT_FAILED
    params = checked_parameters(result.data, given)  # typed as plan types them
    trigger = None
    if args.branch is not None or args.tag is not None:
        try:
            trigger = Trigger(branch=args.branch, tag=args.tag, parameters=params)
        except PlanError as exc:
            raise UsageError(str(exc)) from exc
    lock = read_config_lock(args.path)
    compiled = compile_config(result, trigger, parameters=params, orb_dir=args.orb_dir,
                              orb_pins=lock.pins())
    resolved = resolution_of(compiled.resolved_orbs)
    if not orbs_as_locked(lock, resolved, compiled.unavailable_orbs):
        return EXIT_FAILED
    output: Any = compiled.data
    diagnostics = list(compiled.diagnostics)
    if compiled.data is not None and not compiled.errors and compiled.needed_orbs():
        if args.allow_missing_orbs:
            output, problems = keep_orb_references(compiled.data, compiled.unavailable_orbs)
            diagnostics += [Diagnostic(code="orb-unavailable", message=p, path=result.path,
                                       hint="put the orb's source in an orb store and "
                                            "pass --orb-dir") for p in problems]
        else:
            diagnostics = _missing_orbs_are_errors(compiled, diagnostics)
    if diagnostics:
        sys.stderr.write(format_text([FileReport(result.path, diagnostics, lines)],
                                     summary=False))
    if output is None or any(d.is_error for d in diagnostics):
        return EXIT_FAILED
    sys.stdout.write(to_yaml(output))
    return EXIT_OK


def _missing_orbs_are_errors(compiled: CompileResult,
                             diagnostics: List[Diagnostic]) -> List[Diagnostic]:
    """The ``orb-unavailable`` warning of each orb the output needs, as an error that says
    why it stops ``process`` and what to do; an orb nothing uses stays a warning."""
    needed = set(compiled.needed_orbs())
    users: Dict[str, List[str]] = {}
    for job in (compiled.data.get("jobs") or {}):
        for ref in compiled.orbs_needed(job):
            users.setdefault(ref, []).append(job)
    hint = ("put its source in an orb store and pass --orb-dir (docs/orbs.md), or pass "
            "--allow-missing-orbs to print a 2.1 config that keeps the orb reference")
    out: List[Diagnostic] = []
    said: set[str] = set()
    for d in diagnostics:
        ref = next((r for r in needed if d.code == "orb-unavailable" and f"'{r}'" in d.message),
                   "")
        if not ref or ref in said:
            out.append(d)
            continue
        said.add(ref)
        jobs = users.get(ref, [])
        shown = ", ".join(jobs[:5]) + (f" and {len(jobs) - 5} more" if len(jobs) > 5 else "")
        out.append(d.replace(severity=Severity.ERROR, hint=hint,
                             message=f"Orb '{ref}' is not available offline, and job(s) "
                                     f"{shown} need it: the processed config cannot be printed"))
    for ref in sorted(needed - said):  # not announced by the compiler (a nested import)
        out.append(Diagnostic(code="orb-unavailable", path=compiled_path(diagnostics),
                              message=f"Orb '{ref}' is not available offline, and jobs "
                                      f"{', '.join(users.get(ref, []))} need it",
                              hint=hint))
    return out


def compiled_path(diagnostics: List[Diagnostic]) -> str:
    return diagnostics[0].path if diagnostics else "<config>"
