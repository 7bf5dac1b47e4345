"""Built-in steps normalised into typed records (semantics §1.5–§1.7).

The config layer validates steps against the schema; this module turns whatever the compiled
definition holds into one record per step with every default filled in, so each executor
interprets the same thing. It never raises: a step it cannot use becomes an
:class:`InvalidStep` (which fails when run, with the reason) and a CircleCI feature with no
local equivalent an :class:`UnsupportedStep` (skipped with a note; the job goes on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from ..environment import env_value

__all__ = [
    "DEFAULT_NO_OUTPUT_TIMEOUT",
    "DEFAULT_SHELL",
    "FALLBACK_SHELL",
    "UNSUPPORTED_STEPS",
    "WHEN_VALUES",
    "AnyStep",
    "AttachWorkspaceStep",
    "CheckoutStep",
    "InvalidStep",
    "PersistToWorkspaceStep",
    "RestoreCacheStep",
    "RunStep",
    "SaveCacheStep",
    "Step",
    "StoreArtifactsStep",
    "StoreTestResultsStep",
    "UnsupportedStep",
    "normalize_step",
    "normalize_steps",
    "parse_duration",
]

WHEN_VALUES = ("on_success", "always", "on_fail")
DEFAULT_SHELL = "/bin/bash -eo pipefail"
FALLBACK_SHELL = "/bin/sh -eo pipefail"
#: R1.6.1: ten minutes without output kills a step.
DEFAULT_NO_OUTPUT_TIMEOUT = 600.0
#: Built-in steps that need CircleCI's infrastructure; skipped locally with a note.
UNSUPPORTED_STEPS = {
    "setup_remote_docker": "Setup a remote Docker engine",
    "add_ssh_keys": "Add SSH keys",
    "install_signing_bundle": "Install signing bundle",
}

_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3,
                 "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float:
    """A Go duration (``20m``, ``1.25h``, ``1h30m``, ``5s``, ``300ms``) in seconds.

    A bare number is taken as seconds (lenient: CircleCI's schema wants a unit, but the
    intent is clear). Raises ``ValueError`` for anything else.
    """
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"invalid duration {value!r}: negative")
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d*)?", text):
        return float(text)
    pos, total = 0, 0.0
    while pos < len(text):
        m = _DURATION_PART.match(text, pos)
        if m is None:
            raise ValueError(
                f"invalid duration {value!r}: expected a number with a unit such as "
                "'20m', '1.25h', '90s'")
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if not text:
        raise ValueError("invalid duration ''")
    return total


@dataclass(frozen=True)
class Step:
    """Common to every step: its kind (``type``), display ``name`` and ``when`` condition."""

    type: str = ""
    name: str = ""
    when: str = "on_success"


@dataclass(frozen=True)
class RunStep(Step):
    """``run`` (and the deprecated ``deploy``). ``shell`` of ``None`` means the executor's
    default (bash when present, else sh). ``no_output_timeout`` in seconds."""

    command: str = ""
    shell: Optional[str] = None
    environment: Mapping[str, str] = field(default_factory=dict)
    working_directory: Optional[str] = None
    background: bool = False
    no_output_timeout: float = DEFAULT_NO_OUTPUT_TIMEOUT
    max_auto_reruns: int = 0
    auto_rerun_delay: float = 0.0


@dataclass(frozen=True)
class CheckoutStep(Step):
    path: str = "."
    method: str = "blobless"


@dataclass(frozen=True)
class PersistToWorkspaceStep(Step):
    root: str = "."
    paths: Tuple[str, ...] = ()


@dataclass(frozen=True)
class AttachWorkspaceStep(Step):
    at: str = "."


@dataclass(frozen=True)
class SaveCacheStep(Step):
    key: str = ""
    paths: Tuple[str, ...] = ()


@dataclass(frozen=True)
class RestoreCacheStep(Step):
    """``keys`` holds ``key`` first (R1.7: ``key`` is checked before ``keys``)."""

    keys: Tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreArtifactsStep(Step):
    path: str = ""
    destination: Optional[str] = None


@dataclass(frozen=True)
class StoreTestResultsStep(Step):
    path: str = ""


@dataclass(frozen=True)
class UnsupportedStep(Step):
    """A built-in step that needs CircleCI's infrastructure; skipped with ``note``."""

    note: str = ""


@dataclass(frozen=True)
class InvalidStep(Step):
    """A step that cannot be interpreted; fails the job with ``reason`` when reached."""

    reason: str = ""


AnyStep = Union[RunStep, CheckoutStep, PersistToWorkspaceStep, AttachWorkspaceStep,
                SaveCacheStep, RestoreCacheStep, StoreArtifactsStep, StoreTestResultsStep,
                UnsupportedStep, InvalidStep]


def normalize_steps(raw: Any) -> List[AnyStep]:
    """Every step of a job's ``steps`` list (a missing list is no steps)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [InvalidStep("steps", "steps", reason="`steps` must be a list")]
    return [normalize_step(item) for item in raw]


def normalize_step(raw: Any) -> AnyStep:
    """One step (a bare name or a single-key map) as a typed record."""
    if isinstance(raw, str):
        kind, args = raw, None
    elif isinstance(raw, dict) and raw:
        kind, args = next(iter(raw.items()))  # R1.5.3: sibling keys are ignored
        kind = str(kind)
    else:
        return InvalidStep("invalid", "invalid step",
                           reason=f"a step must be a name or a one-key map, got {raw!r}")
    try:
        return _BUILDERS[kind](kind, args) if kind in _BUILDERS else _other(kind, args)
    except _Invalid as exc:
        return InvalidStep(kind, kind, reason=str(exc))


class _Invalid(ValueError):
    pass


def _map(kind: str, args: Any, *, required: bool = True) -> Mapping[str, Any]:
    if args is None:
        if required:
            raise _Invalid(f"`{kind}` needs a map of arguments")
        return {}
    if not isinstance(args, dict):
        raise _Invalid(f"the arguments of `{kind}` must be a map, got {type(args).__name__}")
    return args


def _need(kind: str, args: Mapping[str, Any], key: str) -> Any:
    value = args.get(key)
    if value is None or value == "" or value == []:
        raise _Invalid(f"`{kind}` requires `{key}`")
    return value


def _when(kind: str, args: Mapping[str, Any]) -> str:
    when = str(args.get("when", "on_success"))
    if when not in WHEN_VALUES:
        raise _Invalid(f"Invalid when condition: expected `on_success`, `always`, `on_fail`; "
                       f"got `{when}`")
    return when


def _str_list(kind: str, key: str, value: Any) -> Tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v) for v in value)
    raise _Invalid(f"`{kind}.{key}` must be a list of strings")


def _name(args: Mapping[str, Any], default: str) -> str:
    name = args.get("name")
    return default if name is None or name == "" else str(name)


def _run(kind: str, args: Any) -> RunStep:
    if isinstance(args, (str, int, float)) and not isinstance(args, bool):
        command = str(args)
        return RunStep(kind, command, command=command)
    a = _map(kind, args)
    raw_command = a.get("command")
    if raw_command is None or isinstance(raw_command, (dict, list, bool)):
        raise _Invalid(f"`{kind}` requires a `command` string")
    command = str(raw_command)
    env = a.get("environment") or {}
    if not isinstance(env, dict):
        raise _Invalid(f"`{kind}.environment` must be a map of NAME: value")
    try:
        timeout = parse_duration(a["no_output_timeout"]) if a.get("no_output_timeout") \
            is not None else DEFAULT_NO_OUTPUT_TIMEOUT
        delay = parse_duration(a["auto_rerun_delay"]) if a.get("auto_rerun_delay") \
            is not None else 0.0
    except ValueError as exc:
        raise _Invalid(str(exc)) from exc
    reruns = a.get("max_auto_reruns", 0) or 0
    if not isinstance(reruns, int) or isinstance(reruns, bool) or not 0 <= reruns <= 5:
        raise _Invalid("`max_auto_reruns` must be an integer from 1 to 5")
    background = a.get("background", False)
    if not isinstance(background, bool):
        raise _Invalid("`background` must be true or false")
    shell = a.get("shell")
    wd = a.get("working_directory")
    return RunStep(
        kind, _name(a, command), _when(kind, a), command=command,
        shell=None if shell in (None, "") else str(shell),
        environment={str(k): env_value(v) for k, v in env.items()},
        working_directory=None if wd in (None, "") else str(wd),
        background=background, no_output_timeout=timeout,
        max_auto_reruns=reruns, auto_rerun_delay=delay,
    )


def _checkout(kind: str, args: Any) -> CheckoutStep:
    a = _map(kind, args, required=False)
    return CheckoutStep(kind, _name(a, "Checkout code"), _when(kind, a),
                        path=str(a.get("path") or "."), method=str(a.get("method") or "blobless"))


def _persist(kind: str, args: Any) -> PersistToWorkspaceStep:
    a = _map(kind, args)
    root = str(_need(kind, a, "root"))
    paths = _str_list(kind, "paths", _need(kind, a, "paths"))
    return PersistToWorkspaceStep(kind, _name(a, "Persisting to Workspace"), _when(kind, a),
                                  root=root, paths=paths)


def _attach(kind: str, args: Any) -> AttachWorkspaceStep:
    a = _map(kind, args)
    return AttachWorkspaceStep(kind, _name(a, "Attaching Workspace"), _when(kind, a),
                               at=str(_need(kind, a, "at")))


def _save_cache(kind: str, args: Any) -> SaveCacheStep:
    a = _map(kind, args)
    key = str(_need(kind, a, "key"))
    paths = _str_list(kind, "paths", _need(kind, a, "paths"))
    return SaveCacheStep(kind, _name(a, "Saving Cache"), _when(kind, a), key=key, paths=paths)


def _restore_cache(kind: str, args: Any) -> RestoreCacheStep:
    a = _map(kind, args)
    keys: list[str] = []
    if a.get("key") not in (None, ""):
        keys.append(str(a["key"]))
    if a.get("keys") is not None:
        keys.extend(_str_list(kind, "keys", a["keys"]))
    if not keys:
        raise _Invalid(f"`{kind}` requires `key` or `keys`")
    return RestoreCacheStep(kind, _name(a, "Restoring Cache"), _when(kind, a), keys=tuple(keys))


def _store_artifacts(kind: str, args: Any) -> StoreArtifactsStep:
    a = _map(kind, args)
    dest = a.get("destination")
    return StoreArtifactsStep(kind, _name(a, "Uploading artifacts"), "always",
                              path=str(_need(kind, a, "path")),
                              destination=None if dest in (None, "") else str(dest))


def _store_test_results(kind: str, args: Any) -> StoreTestResultsStep:
    a = _map(kind, args)
    return StoreTestResultsStep(kind, _name(a, "Uploading test results"), "always",
                                path=str(_need(kind, a, "path")))


def _other(kind: str, args: Any) -> AnyStep:
    if kind in UNSUPPORTED_STEPS:
        a = args if isinstance(args, dict) else {}
        return UnsupportedStep(kind, _name(a, UNSUPPORTED_STEPS[kind]), "on_success",
                               note=f"not supported locally: {kind} (step skipped)")
    if kind in ("when", "unless"):
        raise _Invalid(f"`{kind}` steps are resolved when the config is compiled; pass the "
                       "compiled job definition to the executor")
    raise _Invalid(f"unknown step `{kind}`: commands and orb commands must be expanded by "
                   "compiling the config before the job is executed")


_BUILDERS: Dict[str, Callable[[str, Any], AnyStep]] = {
    "run": _run,
    "deploy": _run,
    "checkout": _checkout,
    "persist_to_workspace": _persist,
    "attach_workspace": _attach,
    "save_cache": _save_cache,
    "restore_cache": _restore_cache,
    "store_artifacts": _store_artifacts,
    "store_test_results": _store_test_results,
}

