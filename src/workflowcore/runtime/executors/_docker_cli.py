"""The ``docker`` command line, driven as a subprocess (no SDK dependency).

Any compatible CLI works (``podman``, ``nerdctl``, ``sudo docker``): it is named once, as a
string (split like a shell would) or an argv prefix. Failures are translated here:

* the CLI is missing or the engine cannot be reached → :class:`ExecutorUnavailableError`,
  with a message that says what to do;
* any other non-zero exit → :class:`DockerCommandError` (an ``ExecutorError``) carrying
  the CLI's own message, which callers turn into a job failure when the user's config is
  to blame (an image that does not exist).

Job variables reach containers as ``-e NAME`` with the value in the CLI's environment, so
their values do not appear in a process list; the few names the CLI itself reads
(``DOCKER_HOST``, ``HOME``, proxies...) are passed as ``-e NAME=value`` instead, so a job
cannot redirect the CLI that runs it — at the price of showing those values in ``ps`` on
this machine (docs/security.md says so: do not name a secret ``DOCKER_*``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ...errors import ExecutorError, ExecutorUnavailableError

__all__ = ["DockerCLI", "DockerCommandError", "resolve_docker_cli"]

#: Environment variable naming the CLI when ``docker_cli`` is not given.
DOCKER_CLI_ENV = "WORKFLOWCORE_DOCKER"

#: Variables the docker/podman CLI reads itself: never taken from a job's environment.
_CLI_NAMES = frozenset({
    "HOME", "PATH", "TMPDIR", "USER", "SHELL", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy", "SSL_CERT_FILE",
    "SSL_CERT_DIR", "CONTAINER_HOST", "CONTAINER_SSHKEY", "CONTAINERS_CONF",
    "CONTAINERS_REGISTRIES_CONF", "REGISTRY_AUTH_FILE", "BUILDKIT_HOST",
})
_CLI_PREFIXES = ("DOCKER_", "XDG_", "GO", "LD_", "CONTAINERS_", "PODMAN_", "NERDCTL_")
_UNREACHABLE = re.compile(
    r"cannot connect to the docker daemon|is the docker daemon running|error during connect|"
    r"connection refused|no such host|dial unix|cannot connect to podman|"
    r"unable to connect to podman|permission denied while trying to connect",
    re.IGNORECASE)
_DEFAULT_TIMEOUT = 300.0


class DockerCommandError(ExecutorError):
    """A docker command failed; ``stderr`` holds the CLI's message."""

    def __init__(self, message: str, *, argv: Sequence[str], returncode: int,
                 stderr: str) -> None:
        super().__init__(message)
        self.argv = tuple(argv)
        self.returncode = returncode
        self.stderr = stderr


def resolve_docker_cli(docker_cli: Union[str, Sequence[str], None] = None) -> List[str]:
    """The CLI as an argv prefix: the argument, else ``$WORKFLOWCORE_DOCKER``, else docker."""
    if docker_cli is None:
        docker_cli = os.environ.get(DOCKER_CLI_ENV) or "docker"
    argv = shlex.split(docker_cli) if isinstance(docker_cli, str) else list(docker_cli)
    if not argv:
        raise ExecutorUnavailableError("the docker CLI setting is empty (docker_cli= or "
                                       f"${DOCKER_CLI_ENV}); name a CLI such as 'docker'")
    found = shutil.which(argv[0])
    if found is None:
        raise ExecutorUnavailableError(
            f"the docker CLI {argv[0]!r} was not found on PATH: install Docker "
            "(https://docs.docker.com/engine/install/), or point docker_cli= / "
            f"${DOCKER_CLI_ENV} at a compatible CLI such as podman")
    return [found, *argv[1:]]


def cli_owned(name: str) -> bool:
    """Whether the CLI itself reads ``name`` (so a job's value must not reach the CLI)."""
    return name in _CLI_NAMES or name.startswith(_CLI_PREFIXES)


class DockerCLI:
    """Runs one docker CLI with this process's environment (``DOCKER_HOST``...)."""

    def __init__(self, docker_cli: Union[str, Sequence[str], None] = None) -> None:
        self.prefix = resolve_docker_cli(docker_cli)
        self.base_env: Dict[str, str] = dict(os.environ)

    @property
    def name(self) -> str:
        return os.path.basename(self.prefix[0])

    def argv(self, *args: str) -> List[str]:
        return [*self.prefix, *args]

    def env_args(self, variables: Mapping[str, str]) -> Tuple[List[str], Dict[str, str]]:
        """``-e`` options and the CLI environment that pass ``variables`` to a container."""
        args: List[str] = []
        env = dict(self.base_env)
        for name, value in variables.items():
            if not name or "=" in name or "\0" in name or "\0" in value:
                continue
            if cli_owned(name):
                args += ["-e", f"{name}={value}"]
            else:
                env[name] = value
                args += ["-e", name]
        return args, env

    def call(self, *args: str, data: Optional[bytes] = None,
             env: Optional[Mapping[str, str]] = None, timeout: Optional[float] = _DEFAULT_TIMEOUT,
             check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run ``docker ARGS`` to completion (stdout/stderr captured)."""
        argv = self.argv(*args)
        try:
            proc = subprocess.run(
                argv, input=data, capture_output=True,
                stdin=None if data is not None else subprocess.DEVNULL,
                env=dict(env) if env is not None else self.base_env, timeout=timeout,
                check=False)
        except FileNotFoundError as exc:
            raise ExecutorUnavailableError(
                f"the docker CLI {self.prefix[0]!r} disappeared: {exc}") from exc
        except subprocess.TimeoutExpired as exc:
            raise ExecutorError(
                f"`{self.name} {' '.join(args[:2])}` did not answer within {timeout:g}s; "
                "is the engine overloaded or hung?") from exc
        if check and proc.returncode != 0:
            raise self.error(args, proc.returncode, proc.stderr)
        return proc

    def error(self, args: Sequence[str], returncode: int, stderr: bytes) -> ExecutorError:
        """The exception for a failed command (unreachable engine or a plain failure)."""
        text = stderr.decode("utf-8", errors="replace").strip()
        what = f"{self.name} {' '.join(args[:2])}"
        if _UNREACHABLE.search(text):
            return self.unavailable(text)
        last = text.splitlines()[-1] if text else f"exit status {returncode}"
        return DockerCommandError(f"`{what}` failed: {last}", argv=self.argv(*args),
                                  returncode=returncode, stderr=text)

    def unavailable(self, detail: str) -> ExecutorUnavailableError:
        host = self.base_env.get("DOCKER_HOST") or self.base_env.get("CONTAINER_HOST")
        where = f" at {host}" if host else ""
        first = detail.strip().splitlines()[0] if detail.strip() else "no answer"
        end = "" if first.endswith((".", "?", "!")) else "."
        return ExecutorUnavailableError(
            f"the container engine{where} is not reachable through `{self.name}`: {first}{end} "
            "Start it (e.g. `sudo systemctl start docker`, or in this project "
            "`eval \"$(bash scripts/start-docker.sh)\"`), or set DOCKER_HOST to a running "
            "engine, or use the subprocess executor")
