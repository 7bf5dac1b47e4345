"""Local contexts: named sets of secret environment variables, with who may use them (§6).

A contexts file stands in for CircleCI's organisation settings::

    contexts:
      aws-prod:
        environment:
          AWS_ACCESS_KEY_ID: AKIA...
          AWS_SECRET_ACCESS_KEY: ...
        allow: [alice, bob]        # optional; absent = everyone
      docker-hub:
        environment: {DOCKER_USER: ci, DOCKER_PASS: ...}

Loading collects problems as positioned diagnostics (family ``context-*``) instead of raising,
like the config loader. :func:`resolve_contexts` applies a job's ``context:`` list in order
(later contexts win, R6.1.2) and returns either the environment plus the values to mask, or a
refusal: :class:`Unauthorized` (the job ends ``unauthorized``, R6.2.2) or
:class:`ContextNotFound` (the job fails, R6.1.4). :class:`Masker` hides secret values in
output (§6.4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from ..diagnostics import Diagnostic, Severity
from .environment import env_value

__all__ = [
    "Context",
    "ContextNotFound",
    "ContextsResult",
    "Masker",
    "ResolvedContexts",
    "Unauthorized",
    "load_contexts",
    "load_contexts_file",
    "resolve_contexts",
]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MAX_CONTEXT_NAME = 200
_MAX_ENV_NAME = 300
_MAX_ENV_VALUE = 32 * 1024
#: A contexts file larger than this is refused (a few thousand secrets at most; 8 MiB).
MAX_CONTEXTS_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Context:
    """One context. ``allow`` of ``None`` means everyone may use it."""

    name: str
    environment: Mapping[str, str] = field(default_factory=dict)
    allow: Optional[Tuple[str, ...]] = None

    def allows(self, actor: Optional[str]) -> bool:
        if self.allow is None:
            return True
        if actor is None:
            return False
        folded = actor.casefold()  # VCS user names are case-insensitive
        return any(a.casefold() == folded for a in self.allow)


@dataclass
class ContextsResult:
    """What :func:`load_contexts` read: the usable contexts and every problem found."""

    contexts: Dict[str, Context]
    diagnostics: List[Diagnostic] = field(default_factory=list)
    #: the file's lines, for diagnostic snippets (so nobody reads the file a second time)
    lines: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


class ResolvedContexts(NamedTuple):
    """The merged context environment and the values to mask (unpacks as ``env, secrets``)."""

    environment: Dict[str, str]
    secrets: Tuple[str, ...]


@dataclass(frozen=True)
class Unauthorized:
    """The actor may not use ``context``; the job ends ``unauthorized``."""

    context: str
    reason: str
    status: str = "unauthorized"


@dataclass(frozen=True)
class ContextNotFound:
    """``context`` is not defined; the job fails (R6.1.4)."""

    context: str
    reason: str
    status: str = "failed"


def load_contexts(text: str, path: str = "<string>") -> ContextsResult:
    """Read a contexts file. Never raises for bad input; problems become diagnostics."""
    from ..config._yaml import parse_yaml  # YAML machinery only when contexts are used

    parsed = parse_yaml(text, path)
    diags: list[Diagnostic] = list(parsed.diagnostics)
    sm = parsed.source_map
    data = parsed.data
    out: dict[str, Context] = {}
    if data is None:
        return ContextsResult(out, diags, sm.lines)

    def err(loc: Sequence[Union[str, int]], code: str, message: str, *, hint: Optional[str] = None,
            key: bool = False, severity: Severity = Severity.ERROR) -> None:
        diags.append(sm.diagnostic(loc, code, message, hint=hint, key=key, severity=severity))

    if not isinstance(data, dict) or not isinstance(data.get("contexts"), (dict, type(None))):
        err(("contexts",), "context-file-schema",
            "a contexts file must be a mapping with a `contexts:` mapping of context names",
            hint="contexts:\n  my-context:\n    environment:\n      KEY: value")
        return ContextsResult(out, diags, sm.lines)
    if "contexts" not in data:
        err((), "context-file-schema", "the contexts file has no `contexts:` key",
            hint="add `contexts:` with one entry per context")
    for key in data:
        if key != "contexts":
            err((key,), "context-unknown-key", f"unknown top-level key {key!r} (ignored)",
                key=True, severity=Severity.WARNING)
    for name, body in (data.get("contexts") or {}).items():
        loc: tuple[Union[str, int], ...] = ("contexts", name)
        if (not name.strip() or name != name.strip() or len(name) > _MAX_CONTEXT_NAME
                or any(c in name for c in "\n\r\v\f")):
            err(loc, "context-name",
                f"invalid context name {name!r}: 1-{_MAX_CONTEXT_NAME} characters, not blank, "
                "no leading/trailing or vertical whitespace", key=True)
            continue
        if body is None:
            body = {}
        if not isinstance(body, dict):
            err(loc, "context-file-schema",
                f"context {name!r} must be a mapping with `environment:` (and optionally "
                "`allow:`)")
            continue
        for k in body:
            if k not in ("environment", "allow"):
                err((*loc, k), "context-unknown-key",
                    f"unknown key {k!r} in context {name!r} (ignored); expected `environment` "
                    "or `allow`", key=True, severity=Severity.WARNING)
        env = _read_environment(name, body.get("environment"), loc, err)
        allow = _read_allow(name, body, loc, err)
        if env is not None and allow is not False:
            out[name] = Context(name, env, allow if isinstance(allow, tuple) else None)
    return ContextsResult(out, diags, sm.lines)


def _read_environment(name: str, raw: Any, loc: tuple[Union[str, int], ...],
                      err: Any) -> Optional[Dict[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        err((*loc, "environment"), "context-file-schema",
            f"`environment` of context {name!r} must be a mapping of NAME: value")
        return None
    env: dict[str, str] = {}
    ok = True
    for var, value in raw.items():
        vloc = (*loc, "environment", var)
        if not _ENV_NAME.match(var) or len(var) > _MAX_ENV_NAME:
            err(vloc, "context-env-name",
                f"invalid environment variable name {var!r} in context {name!r}",
                hint="names match [A-Za-z_][A-Za-z0-9_]* (at most 300 characters)", key=True)
            ok = False
            continue
        if isinstance(value, (dict, list)):
            err(vloc, "context-env-value",
                f"value of {var} in context {name!r} must be a string, number or boolean",
                hint="quote it, or write a multi-line value with `|`")
            ok = False
            continue
        text = env_value(value)
        if len(text) > _MAX_ENV_VALUE:
            err(vloc, "context-env-value",
                f"value of {var} in context {name!r} is {len(text)} characters; the limit is "
                f"{_MAX_ENV_VALUE}")
            ok = False
            continue
        env[var] = text
    return env if ok else None


def _read_allow(name: str, body: Mapping[str, Any], loc: tuple[Union[str, int], ...],
                err: Any) -> Union[Tuple[str, ...], bool, None]:
    """The allow list; ``None`` when absent (everyone); ``False`` when invalid."""
    if "allow" not in body or body["allow"] is None:
        return None
    raw = body["allow"]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(a, str) and a for a in raw):
        err((*loc, "allow"), "context-file-schema",
            f"`allow` of context {name!r} must be a list of user names",
            hint="allow: [alice, bob]   # or leave it out to allow everyone")
        return False
    if not raw:
        err((*loc, "allow"), "context-allow-empty",
            f"`allow` of context {name!r} is empty, so no one can use it",
            hint="leave `allow` out to allow everyone", severity=Severity.WARNING)
    return tuple(raw)


def load_contexts_file(path: Union[str, Path]) -> ContextsResult:
    """:func:`load_contexts` on a file; a missing or unreadable file is a diagnostic too.

    The file is read the way every user file is (``config._files.read_bounded``): at most
    :data:`MAX_CONTEXTS_BYTES`, and a FIFO or device is refused without blocking on it.
    """
    from ..config._files import decode_utf8, read_bounded

    p = Path(path)
    try:
        raw = read_bounded(p, MAX_CONTEXTS_BYTES)
    except OSError as exc:
        return ContextsResult({}, [Diagnostic(
            code="context-file-unreadable",
            message=f"cannot read contexts file: {exc.strerror or exc}",
            path=str(p), hint="pass the path of a YAML file with a `contexts:` mapping")])
    text, problem = decode_utf8(raw, str(p))
    if text is None:
        assert problem is not None
        return ContextsResult({}, [problem])
    return load_contexts(text, str(p))


def resolve_contexts(
    names: Iterable[str],
    contexts: Mapping[str, Context],
    actor: Optional[str],
) -> Union[ResolvedContexts, Unauthorized, ContextNotFound]:
    """Apply a job's contexts in order for ``actor`` (the triggerer, or the approver, R6.2.2).

    Later contexts override earlier ones. Every value of every context used is a secret to
    mask (the :class:`Masker` drops the short and boolean-like ones).
    """
    env: dict[str, str] = {}
    secrets: list[str] = []
    for name in names:
        ctx = contexts.get(name)
        if ctx is None:
            return ContextNotFound(name, f"context {name!r} does not exist; define it in the "
                                         "contexts file or remove it from the workflow job")
        if not ctx.allows(actor):
            who = repr(actor) if actor else "an unknown actor"
            return Unauthorized(name, f"{who} is not allowed to use context {name!r}; "
                                      "add the user to its `allow` list")
        env.update(ctx.environment)
        secrets.extend(ctx.environment.values())
    return ResolvedContexts(env, tuple(dict.fromkeys(secrets)))


class Masker:
    """Replaces secret values with ``********`` in output (§6.4).

    Values shorter than 4 characters and ``true``/``True``/``false``/``False`` are not
    masked (CircleCI's rule: masking them would garble ordinary output). A multi-line secret
    is also masked line by line, because output is masked one line at a time. All values go
    into one compiled alternation, longest first, so a secret that contains another is masked
    whole.

    Masking is per line, so whoever splits output into lines must not cut a secret in two:
    :meth:`safe_cut` says where a long line may be split (the output pump of
    :mod:`~workflowcore.runtime._process` uses it) and :attr:`longest_bytes` how much to hold
    back before deciding.
    """

    MASK = "********"
    _NOT_MASKED = frozenset({"true", "True", "false", "False"})

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values: set[str] = set()
        for s in secrets:
            for candidate in (s, *s.splitlines()):
                candidate_s = candidate.strip("\r") if candidate is not s else candidate
                if len(candidate_s) >= 4 and candidate_s not in self._NOT_MASKED:
                    values.add(candidate_s)
        ordered = sorted(values, key=lambda v: (-len(v), v))
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        # The same alternation on raw UTF-8 bytes, for splitting output before it is decoded.
        # A value that is not valid UTF-8 (a lone surrogate) can never appear in decoded
        # output, so it has no byte form.
        encoded: list[bytes] = []
        for v in ordered:
            try:
                encoded.append(v.encode("utf-8"))
            except UnicodeEncodeError:
                continue
        encoded.sort(key=lambda b: (-len(b), b))
        #: Length in bytes of the longest secret (0 when there is none).
        self.longest_bytes = len(encoded[0]) if encoded else 0
        self._bytes_pattern = (re.compile(b"|".join(map(re.escape, encoded)))
                               if encoded else None)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def safe_cut(self, raw: bytes, cut: int) -> int:
        """A split position for ``raw`` at or near ``cut`` that cuts no secret in two.

        ``raw`` must hold at least ``longest_bytes - 1`` bytes after ``cut`` (so a secret
        that starts before ``cut`` is complete in it). Returns ``cut`` when no occurrence
        straddles it, else the start of that occurrence (or its end, when it starts at 0).
        Occurrences are found as :meth:`mask` finds them on the text, from the start.
        """
        pattern = self._bytes_pattern
        if pattern is None:
            return cut
        for m in pattern.finditer(raw, 0, cut + self.longest_bytes):
            if m.end() <= cut:
                continue
            if m.start() >= cut:
                break
            return m.start() if m.start() > 0 else m.end()
        return cut

    def mask(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(self.MASK, text)

    __call__ = mask

    def substitute(self, text: str, replace: Callable[[str], str]) -> str:
        """``text`` with each secret (found as :meth:`mask` finds them) replaced by
        ``replace(secret)``: for text that is *stored*, such as a cache key, where a digest
        keeps different secrets apart while the value itself stays out."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: replace(m.group(0)), text)
