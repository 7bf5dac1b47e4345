"""Validating an orb: the orb's own keys, then its elements checked as 2.1 config.

An orb is not a config: its top level is ``version``, ``description``, ``display``,
``orbs``, ``commands``, ``executors``, ``jobs`` and ``examples``, and it has no workflows.
Its commands, executors and jobs are exactly a 2.1 config's, so they go through the same
schema, the same semantic checks and the same lint-mode compile as a config's, with what
differs for an orb:

* every job and command is an export: it is compiled wherever a config uses it, so the
  checks treat each as used (their findings are errors, not "unused, so not compiled"
  warnings), and "defined but never used" warnings are not given;
* orbs the orb imports are not resolved (no orb store yet): their elements are opaque, each
  import one ``orb-unavailable`` warning, unless ``orb_dir`` holds local copies;
* examples are checked for their shape (``description``, ``usage``, ``result``) only.

Findings in a packed source tree are reported at the file and line that wrote the part
(see :mod:`._posmap`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from pydantic import ValidationError

from ...diagnostics import Diagnostic, Findings, Severity, sort_diagnostics
from .._findings import merge_compiled
from .._pydantic_errors import translate_validation_error
from .._yaml import DEFAULT_MAX_CHARS, parse_yaml
from ..checks import Check, Context, default_checks, run_checks
from ..compile import CompileResult, compile_config
from ..loader import _ignored_key_diagnostics
from ..models import Config, keys_at
from ..sourcemap import SourceMap
from ._pack import ORB_KEYS, PackResult, pack_orb
from ._posmap import locate, relocate

__all__ = ["OrbReport", "validate_orb"]

#: Findings about a definition nobody uses: for an orb, every definition is an export.
_UNUSED = frozenset({"job-unused", "command-unused", "executor-unused"})
#: An orb directory that never exists: imports stay unresolved unless ``orb_dir`` is given.
_NO_ORBS = Path(os.devnull) / "workflowcore-no-orbs"


@dataclass
class OrbReport(Findings):
    """Every problem found in an orb, positioned in the files that hold it."""

    pack: PackResult
    diagnostics: List[Diagnostic] = field(default_factory=list)
    #: the lint-mode compilation of the orb's elements (``None`` when not reached)
    compiled: Optional[CompileResult] = None

    @property
    def path(self) -> str:
        return self.pack.path

    @property
    def ok(self) -> bool:
        """True when the orb was read and has no error (warnings allowed)."""
        return self.pack.data is not None and not self.errors

    def lines(self, path: str) -> List[str]:
        """The source lines of ``path`` (a YAML file of the orb), for snippets."""
        sm = self.pack.files.get(path)
        return sm.lines if sm is not None else []

    def by_file(self) -> Dict[str, List[Diagnostic]]:
        """The diagnostics grouped by file, files in the order they first appear."""
        out: Dict[str, List[Diagnostic]] = {}
        for d in self.diagnostics:
            out.setdefault(d.path, []).append(d)
        return out


class _OrbScope(Check):
    """Runs first: an orb's jobs and commands are its exports, all of them used."""

    def visit_config(self, ctx: Context) -> None:
        ctx.used_jobs = ctx.used_jobs | frozenset(ctx.jobs)
        ctx.unconditional_jobs = ctx.unconditional_jobs | frozenset(ctx.jobs)
        ctx.invoked_commands = ctx.invoked_commands | frozenset(ctx.section("commands"))


def validate_orb(
    orb: Union[PackResult, str, os.PathLike[str]],
    *,
    orb_dir: Optional[Union[str, os.PathLike[str]]] = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_bytes: Optional[int] = None,
) -> OrbReport:
    """Validate an orb: a :class:`PackResult`, or a source folder / orb file to pack first.

    Never raises for bad content (every problem is a diagnostic); a path that cannot be used
    raises ``OSError`` as :func:`pack_orb` does. ``orb_dir`` holds local copies of orbs the
    orb imports (``<orb_dir>/<namespace>/<name>@<version>.yml``); without it imports are
    opaque.
    """
    pack = (orb if isinstance(orb, PackResult)
            else pack_orb(orb, max_chars=max_chars, max_bytes=max_bytes))
    diags = list(pack.diagnostics)
    if pack.data is None or any(d.is_error and d.code.startswith("yaml-") for d in diags):
        return OrbReport(pack, sort_diagnostics(diags))
    if pack.single_file:
        data: Any = pack.data
        sm = pack.files[pack.path]
    else:
        y = parse_yaml(pack.text, f"{pack.path} (packed)",
                       max_chars=max(max_chars, len(pack.text)))
        if y.data is None or any(d.is_error for d in y.diagnostics):  # pragma: no cover
            raise RuntimeError(f"the packed orb {pack.path} does not read back as YAML: a "
                               f"bug, please report it with the orb source ({y.diagnostics[:1]})")
        data, sm = y.data, y.source_map
    found, compiled = _check(data, sm, orb_dir is not None, orb_dir)
    if not pack.single_file:
        # What the checks say of a value whose include failed (left as written) follows
        # from that failure, already reported.
        unresolved = pack.failed_includes
        found = [relocate(d, sm, data, pack) for d in found
                 if not unresolved or locate(sm, d.line, d.column)[0] not in unresolved]
    # Where packing already failed (an include), what the checks say of the unreplaced
    # value is a consequence of the same mistake.
    failed = [d for d in diags if d.is_error]
    seen = set()
    for d in found:
        key = (d.path, d.line, d.column, d.code, d.message)
        if key in seen or any(_within(d, f) for f in failed):
            continue
        seen.add(key)
        diags.append(d)
    return OrbReport(pack, sort_diagnostics(diags), compiled)


def _within(d: Diagnostic, outer: Diagnostic) -> bool:
    """``d`` starts inside the span of ``outer`` (same file)."""
    return (d.path == outer.path
            and (outer.line, outer.column) <= (d.line, d.column)
            < (outer.end_line, outer.end_column))


def _check(data: Any, sm: SourceMap, resolve: bool,
           orb_dir: Optional[Union[str, os.PathLike[str]]]
           ) -> tuple[List[Diagnostic], Optional[CompileResult]]:
    if not isinstance(data, dict):
        return [sm.diagnostic((), "orb-not-mapping",
                              "an orb must be a mapping of keys (version, description, "
                              f"commands, ...), not {type(data).__name__}")], None
    diags = _orb_keys(data, sm)
    version = data.get("version")
    if "version" in data and (version not in (2.1, "2.1") or isinstance(version, bool)):
        return diags, None  # not read as 2.1: its elements would be checked by other rules
    view: Dict[str, Any] = {k: data[k] for k in ORB_KEYS if k in data}
    view["version"] = 2.1 if version is None else version
    config: Optional[Config] = None
    schema: List[Diagnostic] = []
    try:
        config = Config.model_validate(view)
    except ValidationError as exc:
        schema = [_parameter_key(d) for d in translate_validation_error(exc, view, sm, keys_at)]
    if config is not None:
        schema.extend(_ignored_key_diagnostics(config, view, sm))
    checks: Sequence[Check] = [_OrbScope(), *default_checks()]
    semantic = run_checks(view, sm, checks)
    explained = {d.line for d in semantic if d.is_error}
    schema = [d for d in schema if not (d.code.startswith("schema-") and d.line in explained)]
    found = schema + semantic
    compiled = compile_config(view, source_map=sm, lint=True,
                              orb_dir=Path(orb_dir) if orb_dir is not None else _NO_ORBS)
    found, extra = merge_compiled(found, compiled.diagnostics)
    said = {d.line for d in extra if d.is_error}
    found = [d for d in found if not (d.code.startswith("schema-") and d.line in said)]
    found.extend(extra)
    diags.extend(_for_an_orb(d, resolve) for d in found if d.code not in _UNUSED)
    return diags, compiled


def _orb_keys(data: Mapping[str, Any], sm: SourceMap) -> List[Diagnostic]:
    out: List[Diagnostic] = []
    for k in data:
        if k not in ORB_KEYS:
            out.append(sm.diagnostic(
                (k,), "orb-unknown-key",
                f"'{k}' is not an orb key; CircleCI does not use it in an orb",
                severity=Severity.WARNING, key=True,
                hint=f"orb keys: {', '.join(ORB_KEYS)}"
                     + ("; an orb has no workflows: show them in 'examples'"
                        if k == "workflows" else "")))
    version = data.get("version")
    if "version" not in data:
        out.append(sm.diagnostic(
            (), "orb-version", "the orb has no 'version'; an orb is written as version 2.1 "
            "config", severity=Severity.WARNING, hint="add 'version: 2.1' at the top"))
    elif version not in (2.1, "2.1") or isinstance(version, bool):
        out.append(sm.diagnostic(
            ("version",), "orb-version",
            f"an orb is version 2.1 config, not {version!r}",
            hint="write 'version: 2.1'"))
    if "description" not in data:
        out.append(sm.diagnostic(
            (), "orb-description-missing",
            "the orb has no 'description'; the orb registry shows it and searches it",
            severity=Severity.WARNING, hint="add 'description: ...' at the top"))
    return out


def _parameter_key(d: Diagnostic) -> Diagnostic:
    """``enum`` in the declaration of a parameter that is not of type ``enum``: CircleCI's
    orb registry accepts it (cypress-io/cypress@6.1.0 declares a ``string`` parameter with
    one) and nothing reads it, so in an orb it is a warning, not an error."""
    if (d.code == "schema-unknown-key" and d.message.startswith("unknown key 'enum' in ")
            and ".parameters." in d.message):
        return d.replace(
            severity=Severity.WARNING,
            hint="only a parameter of type enum uses 'enum'; CircleCI accepts it on other "
                 "types in a published orb and ignores it")
    return d


def _for_an_orb(d: Diagnostic, resolve: bool) -> Diagnostic:
    """Config words → orb words, where a check's message speaks of "this config"."""
    message = d.message.replace("in this config", "in this orb")
    hint = d.hint
    if d.code == "orb-unavailable" and not resolve:
        hint = ("orb imports are not resolved yet (see docs/orbs.md); to check against a "
                "local copy pass --orb-dir DIR holding <namespace>/<name>@<version>.yml")
    if hint is not None and "so CircleCI does not compile it" in hint:
        hint = hint.replace("is not used, so CircleCI does not compile it",
                            "is compiled only where a config uses it")
    if message == d.message and hint == d.hint:
        return d
    return d.replace(message=message, hint=hint)
