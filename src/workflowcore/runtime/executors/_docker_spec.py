"""What a job's ``docker:`` list and ``resource_class`` ask for, as plain records.

``docker[0]`` is the primary container (the steps run in it), ``docker[1:]`` are service
containers. Keys follow CircleCI's reference: ``image``, ``name``, ``entrypoint``,
``command``, ``user``, ``environment``, ``auth``, ``aws_auth``. Nothing here talks to an
engine; :func:`container_specs` raises :class:`SpecError` for a ``docker:`` list the
executor cannot use (which fails the job with that message, never the run).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ..environment import env_value

__all__ = [
    "DEFAULT_RESOURCE_CLASS",
    "RESOURCE_CLASSES",
    "ContainerSpec",
    "ResourceLimits",
    "SpecError",
    "container_specs",
    "expand_auth_value",
    "registry_of",
    "resource_limits",
]

#: CircleCI's Docker resource classes: name → (vCPUs, memory in GiB).
RESOURCE_CLASSES: Dict[str, Tuple[float, int]] = {
    "small": (1, 2),
    "medium": (2, 4),
    "medium+": (3, 6),
    "large": (4, 8),
    "xlarge": (8, 16),
    "2xlarge": (16, 32),
    "2xlarge+": (20, 40),
    "arm.medium": (2, 8),
    "arm.large": (4, 16),
    "arm.xlarge": (8, 32),
    "arm.2xlarge": (16, 64),
}
#: What CircleCI gives a Docker job that names no resource class.
DEFAULT_RESOURCE_CLASS = "medium"
_GIB = 1024 ** 3


class SpecError(ValueError):
    """The ``docker:`` list cannot be used; the message says why (it fails the job)."""


@dataclass(frozen=True)
class ContainerSpec:
    """One entry of ``docker:``. ``entrypoint``/``command`` are ``None`` when not given."""

    image: str
    name: Optional[str] = None
    entrypoint: Optional[Tuple[str, ...]] = None
    command: Optional[Tuple[str, ...]] = None
    user: Optional[str] = None
    environment: Dict[str, str] = field(default_factory=dict)
    auth: Optional[Tuple[str, str]] = None  # (username, password), not yet expanded
    aws_auth: bool = False

    @property
    def runs_own_command(self) -> bool:
        """Whether the config gives the container something of its own to run."""
        return self.entrypoint is not None or self.command is not None

    def run_args(self) -> Tuple[Optional[str], List[str]]:
        """``--entrypoint`` value (or ``None``: keep the image's) and the argument list."""
        args = list(self.command or ())
        if self.entrypoint is None:
            return None, args
        if not self.entrypoint:
            return "", args
        return self.entrypoint[0], [*self.entrypoint[1:], *args]


@dataclass(frozen=True)
class ResourceLimits:
    """CPU/memory limits for the primary container; ``note`` says what was decided."""

    cpus: Optional[float]
    memory: Optional[int]  # bytes
    note: str

    def args(self) -> List[str]:
        out: List[str] = []
        if self.cpus is not None:
            out += ["--cpus", f"{self.cpus:g}"]
        if self.memory is not None:
            out += ["--memory", str(self.memory), "--memory-swap", str(self.memory)]
        return out


def container_specs(definition: Mapping[str, Any]) -> List[ContainerSpec]:
    """The job's containers, primary first; an empty list when the job has no ``docker:``."""
    raw = definition.get("docker")
    if raw is None:
        return []
    if not isinstance(raw, list) or not raw:
        raise SpecError("`docker:` must be a non-empty list of images")
    return [_spec(i, entry) for i, entry in enumerate(raw)]


def _spec(index: int, entry: Any) -> ContainerSpec:
    where = f"docker[{index}]"
    if isinstance(entry, str):
        entry = {"image": entry}
    if not isinstance(entry, Mapping):
        raise SpecError(f"{where} must be a map with an `image`")
    image = entry.get("image")
    if not isinstance(image, str) or not image.strip():
        raise SpecError(f"{where} has no `image`")
    if any(c.isspace() for c in image):
        raise SpecError(f"{where}: image {image!r} contains white space")
    auth = entry.get("auth")
    credentials: Optional[Tuple[str, str]] = None
    if isinstance(auth, Mapping):
        credentials = (env_value(auth.get("username")), env_value(auth.get("password")))
    elif auth is not None:
        raise SpecError(f"{where}.auth must be a map with `username` and `password`")
    name = entry.get("name")
    user = entry.get("user")
    return ContainerSpec(
        image=image.strip(),
        name=str(name) if name not in (None, "") else None,
        entrypoint=_words(entry.get("entrypoint"), f"{where}.entrypoint"),
        command=_words(entry.get("command"), f"{where}.command"),
        user=env_value(user) if user not in (None, "") else None,
        environment=_environment(entry.get("environment"), f"{where}.environment"),
        auth=credentials,
        aws_auth=entry.get("aws_auth") is not None,
    )


def _words(value: Any, where: str) -> Optional[Tuple[str, ...]]:
    """A string is split like a shell would (``mongod --smallfiles``); a list is taken as is."""
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(env_value(v) for v in value)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            return tuple(shlex.split(str(value)))
        except ValueError as exc:
            raise SpecError(f"{where}: {exc}") from exc
    raise SpecError(f"{where} must be a string or a list of strings")


def _environment(value: Any, where: str) -> Dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): env_value(v) for k, v in value.items()}
    if isinstance(value, list):  # ["KEY=value", ...] as the schema allows
        out: Dict[str, str] = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            if not sep or not key:
                raise SpecError(f"{where}: {item!r} is not KEY=value")
            out[key] = val
        return out
    raise SpecError(f"{where} must be a map")


def resource_limits(resource_class: Any, *, host_cpus: Optional[int],
                    host_memory: Optional[int]) -> ResourceLimits:
    """CPU and memory for ``resource_class``, clamped to what the engine's host has."""
    name = DEFAULT_RESOURCE_CLASS if resource_class in (None, "") else str(resource_class)
    wanted = RESOURCE_CLASSES.get(name)
    if wanted is None:
        return ResourceLimits(None, None, f"resource_class {name!r} is not a Docker resource "
                                          "class: no CPU/memory limits")
    cpus, gib = wanted
    memory = gib * _GIB
    clamped: List[str] = []
    if host_cpus and cpus > host_cpus:
        cpus = float(host_cpus)
        clamped.append(f"{host_cpus:g} CPUs")
    if host_memory and memory > host_memory:
        memory = host_memory
        clamped.append(f"{host_memory / _GIB:.1f} GB")
    note = f"resource_class {name}: {wanted[0]:g} CPUs, {wanted[1]} GB"
    if clamped:
        note += " (clamped to this machine: " + ", ".join(clamped) + ")"
    return ResourceLimits(cpus, memory, note)


def registry_of(image: str) -> str:
    """The registry an image reference pulls from, as a ``config.json`` ``auths`` key."""
    first, sep, _rest = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "https://index.docker.io/v1/"


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand_auth_value(value: str, environment: Mapping[str, str]) -> Tuple[str, Sequence[str]]:
    """``$NAME``/``${NAME}`` in ``auth`` values, from the job's environment (R6.3.2: the one
    place CircleCI interpolates). Returns the value and the names that were not set."""
    missing: List[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name in environment:
            return environment[name]
        missing.append(name)
        return ""

    return _VAR.sub(sub, value), missing
