"""Load a config: text → YAML data with positions → pydantic models → semantic checks.

Every problem is collected and returned at once (``LoadResult.diagnostics``); only the
``*_or_raise`` helpers raise, with :class:`~workflowcore.errors.ConfigError` carrying all of
them. The cyclic garbage collector is paused while a config is built (``gc_pause``):
loading allocates millions of small, acyclic objects, and the collector's repeated scans of
them would otherwise dominate the time of a large load (:mod:`workflowcore._gc`).

The compiler is imported only for a 2.1 config, and Config's validator comes from a cached
schema (:mod:`._validator_cache`): a cold ``workflowcore validate`` pays for neither
otherwise. With ``models=False`` (the CLI's validate) a valid config is checked with
pydantic-core alone (:mod:`._fast_validate`) and pydantic and the models are imported only
for a config the schema has something to say about (docs/dev/cold-start.md).
"""

from __future__ import annotations

import codecs
import os
from typing import TYPE_CHECKING, Any, Sequence

from .._gc import gc_paused
from .._record import Record
from ..diagnostics import Diagnostic, Findings, Severity, sort_diagnostics
from ..errors import ConfigError
from ._files import FileTooLargeError, decode_utf8, read_bounded
from ._findings import merge_compiled
from ._yaml import DEFAULT_MAX_CHARS, parse_yaml
from .checks import Check, run_checks
from .sourcemap import SourceMap

if TYPE_CHECKING:
    from .compile import CompileResult
    from .models import Config
    from .orbs.store import OrbStore

__all__ = ["LoadResult", "load", "load_file", "load_file_or_raise", "load_or_raise"]


class LoadResult(Findings, Record):
    """A loaded config and everything found wrong with it.

    ``config`` is the validated model, or ``None`` when the file could not be read or does
    not fit the schema. ``data`` is the plain data (useful even when the schema failed),
    ``source_map`` locates any part of it in the file. ``compiled`` is the lint-mode
    compilation of a 2.1 config (``None`` for 2.0 or unreadable input).
    """

    __slots__ = ("config", "data", "source_map", "diagnostics", "compiled")

    def __init__(self, config: Config | None, data: Any, source_map: SourceMap,
                 diagnostics: list[Diagnostic] | None = None,
                 compiled: CompileResult | None = None) -> None:
        self.config = config
        self.data = data
        self.source_map = source_map
        self.diagnostics: list[Diagnostic] = [] if diagnostics is None else diagnostics
        self.compiled = compiled

    @property
    def path(self) -> str:
        return self.source_map.path

    @property
    def ok(self) -> bool:
        """True when there is a config and no error (warnings allowed)."""
        return self.config is not None and not self.errors

    def raise_for_errors(self) -> Config:
        """The config, or :class:`ConfigError` with every diagnostic."""
        if not self.ok or self.config is None:
            raise ConfigError(self.diagnostics)
        return self.config


def load(
    text: str | bytes,
    path: str = "<string>",
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    checks: Sequence[Check] | None = None,
    orb_dir: str | os.PathLike[str] | OrbStore | None = None,
    gc_pause: bool = True,
    models: bool = True,
) -> LoadResult:
    """Load a config from text; never raises for bad input.

    Returns the config (or ``None``) with **all** diagnostics: YAML problems, schema
    violations and semantic findings, sorted by position. ``orb_dir`` is the orb store the
    2.1 lint compile reads published orbs from (as for :func:`workflowcore.compile`).
    ``gc_pause``: switch the cyclic garbage collector off during the load (faster for large
    configs); it is switched back on afterwards, also when the load raises, and only if it
    was on before. ``False`` leaves the collector alone, for hosts that manage it.
    ``models=False``: diagnostics only, ``LoadResult.config`` is ``None`` (what a linter
    needs: a valid config is then checked without importing pydantic, a faster cold start).
    """
    if isinstance(text, (bytes, bytearray)):
        if len(text) > max_chars * 4 + len(codecs.BOM_UTF8):
            # More characters than allowed whatever they are (at most 4 bytes each): refused
            # without decoding what may be gigabytes.
            return _too_large(path, f"has {len(text):,} bytes, more than 4 per allowed "
                                    f"character (limit: {max_chars:,} characters)")
        decoded, problem = decode_utf8(bytes(text), path)
        if decoded is None:
            assert problem is not None
            return LoadResult(None, None, SourceMap(None, path, ""), [problem])
        text = decoded
    with gc_paused(gc_pause):
        return _load(text, path, max_chars, checks, orb_dir, models)


def _load(text: str, path: str, max_chars: int, checks: Sequence[Check] | None,
          orb_dir: str | os.PathLike[str] | OrbStore | None = None,
          models: bool = True) -> LoadResult:
    y = parse_yaml(text, path, max_chars=max_chars)
    diags = list(y.diagnostics)
    sm = y.source_map
    data = y.data
    if data is None:
        if not any(d.is_error for d in diags):
            diags.append(
                Diagnostic(
                    code="config-empty",
                    message="the config is empty",
                    path=path,
                    hint="start with 'version: 2.1' and define 'jobs:' and 'workflows:'",
                )
            )
        return LoadResult(None, data, sm, sort_diagnostics(diags))
    if not isinstance(data, dict):
        diags.append(
            sm.diagnostic(
                (),
                "config-not-mapping",
                f"the config must be a mapping of keys (version, jobs, "
                f"workflows, ...), not {type(data).__name__}",
            )
        )
        return LoadResult(None, data, sm, sort_diagnostics(diags))
    config: Config | None = None
    if models or not _validates_quietly(data):
        config = _validate(data, sm, diags)
    if config is not None:
        diags.extend(_ignored_key_diagnostics(config, data, sm))
    semantic = run_checks(data, sm, checks)
    # Where a semantic check explains a problem in words the user knows ("this 'run' step
    # has no command"), the schema's generic view of the same line ("must be a string, not
    # null") is noise.
    explained = {d.line for d in semantic if d.is_error}
    diags = [d for d in diags if not (d.code.startswith("schema-") and d.line in explained)]
    diags.extend(semantic)
    compiled = None
    if data.get("version") in (2.1, "2.1") and not any(
            d.code.startswith("yaml-") and d.is_error for d in diags):
        # What only compiling finds (parameters, commands, matrices, orbs), in lint mode:
        # no trigger, so no workflow is dropped for its `when`.
        from .compile import compile_config

        compiled = compile_config(data, source_map=sm, lint=True,
                                  orb_dir=orb_dir)
        diags, extra = merge_compiled(diags, compiled.diagnostics)
        # The compiler says it in CircleCI's words; the schema's view of that line goes.
        said = {d.line for d in extra if d.is_error}
        diags = [d for d in diags if not (d.code.startswith("schema-") and d.line in said)]
        diags.extend(extra)
    if any(d.is_error for d in diags):
        # A config with errors is not handed out half-valid.
        config = (
            None
            if any(d.code.startswith(("yaml-", "schema-")) and d.is_error for d in diags)
            else config
        )
    return LoadResult(config if models else None, data, sm, sort_diagnostics(diags), compiled)


def _validates_quietly(data: Any) -> bool:
    from ._fast_validate import validates_quietly

    return validates_quietly(data)


def _validate(data: Any, sm: SourceMap, diags: list[Diagnostic]) -> Config | None:
    """``data`` as a :class:`Config`, or ``None`` with the schema's findings added to
    ``diags``."""
    from pydantic_core import ValidationError

    from ._pydantic_errors import translate_validation_error
    from ._validator_cache import config_validator
    from .models import keys_at

    try:
        config: Config = config_validator().validate_python(data)
    except ValidationError as exc:
        schema = translate_validation_error(exc, data, sm, keys_at)
        # The version check says "missing version" in CircleCI's words already.
        diags.extend(
            d
            for d in schema
            if not (
                d.code == "schema-missing-key"
                and "'version'" in d.message
                and d.line == 1
                and "version" not in data
            )
        )
        return None
    return config


def _owner_words(loc: tuple[Any, ...]) -> str:
    """``(..., "steps", 3, "run")`` → "this 'run' step"; a docker entry → "this docker
    image". Words, not a path, so one mistake inside an anchor shared by many jobs is one
    diagnostic."""
    from ._pydantic_errors import describe_loc

    if len(loc) >= 2 and loc[-2] == "docker":
        return "this docker image"
    if loc and isinstance(loc[-1], str):
        return f"this '{loc[-1]}' step"
    return describe_loc(loc)


def _ignored_key_diagnostics(config: Config, data: Any, sm: SourceMap) -> list[Diagnostic]:
    """Unknown keys the schema tolerates because CircleCI ignores them (real configs carry
    ``run: {description: ...}``): a warning each, since they are usually typos or leftovers.
    Extra docker-image keys are errors in 2.1, whose schema rejects them."""
    import difflib

    from .models import ignored_keys, keys_at

    strict_docker = data.get("version") in (2.1, "2.1")
    out: list[Diagnostic] = []
    for loc, key in ignored_keys(config):
        parent = tuple(loc)
        node: Any = data
        for part in parent:
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int):
                node = node[part]
            else:
                node = None
        if isinstance(node, dict) and len(node) > 1 and key != next(iter(node)) and \
                len(parent) >= 2 and parent[-2] in ("steps", "pre-steps", "post-steps"):
            continue  # a several-key step map: the step-extra-keys check explains it
        allowed = keys_at(parent) or []
        near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        docker = len(parent) >= 2 and parent[-2] == "docker"
        severity = Severity.ERROR if docker and strict_docker else Severity.WARNING
        what = "is not allowed" if severity is Severity.ERROR else "is ignored by CircleCI"
        out.append(sm.diagnostic(
            (*parent, key), "schema-unknown-key" if severity is Severity.ERROR
            else "schema-ignored-key",
            f"unknown key '{key}' in {_owner_words(parent)} {what}", key=True,
            severity=severity,
            hint=f"did you mean '{near[0]}'?" if near else
            ("allowed keys here: " + ", ".join(sorted(allowed)) if allowed else None)))
    return out


def load_file(
    path: str | os.PathLike[str],
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_bytes: int | None = None,
    checks: Sequence[Check] | None = None,
    orb_dir: str | os.PathLike[str] | OrbStore | None = None,
    gc_pause: bool = True,
    models: bool = True,
) -> LoadResult:
    """Load a config file (``orb_dir``, ``gc_pause``, ``models``: as for :func:`load`).

    The file is read with a byte bound, ``max_bytes`` (default: 4 bytes per allowed
    character, ``4 * max_chars``), whatever its size claims to be: more is refused with a
    ``yaml-too-large`` diagnostic. A missing or unreadable file, a directory, and anything
    that is not a regular file (a FIFO, a device: refused without blocking,
    :class:`~workflowcore.config._files.NotRegularFileError`) raise ``OSError``.
    """
    shown = str(path)
    limit = 4 * max_chars if max_bytes is None else max_bytes
    try:
        raw = read_bounded(path, limit)
    except FileTooLargeError as exc:
        return _too_large(shown, str(exc.strerror))
    return load(raw, shown, max_chars=max_chars, checks=checks, orb_dir=orb_dir,
                gc_pause=gc_pause, models=models)


def _too_large(path: str, what: str) -> LoadResult:
    return LoadResult(None, None, SourceMap(None, path, ""), [Diagnostic(
        code="yaml-too-large",
        message=f"the file {what}",
        path=path,
        hint="a CircleCI config this large is almost certainly generated by mistake; "
             "raise the limit (--max-bytes, or max_bytes=) if it is intended",
    )])


def load_or_raise(text: str | bytes, path: str = "<string>", **kwargs: Any) -> Config:
    """Like :func:`load`, but return the config or raise :class:`ConfigError`."""
    return load(text, path, **kwargs).raise_for_errors()


def load_file_or_raise(path: str | os.PathLike[str], **kwargs: Any) -> Config:
    """Like :func:`load_file`, but return the config or raise :class:`ConfigError`."""
    return load_file(path, **kwargs).raise_for_errors()
