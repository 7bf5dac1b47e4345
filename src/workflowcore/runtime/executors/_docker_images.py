"""Making sure a job's images are on the engine: inspect, pull (with ``auth``), or explain.

Pull policies, as ``docker run --pull``: ``missing`` (default: pull only what is not there),
``always`` (pull every image once per executor, then reuse), ``never`` (offline: an image that
is not on the engine fails the job with a message saying how to get it). Registry credentials
from ``auth:`` go into a temporary ``DOCKER_CONFIG`` that lives for one pull, so nothing is
written to the user's own Docker config and nothing touches the command line.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

from .._process import run_process
from ._docker_cli import DockerCLI
from ._docker_spec import ContainerSpec, expand_auth_value, registry_of

__all__ = ["PULL_POLICIES", "ImageError", "Images", "auth_secrets"]

PULL_POLICIES = ("missing", "always", "never")


class ImageError(Exception):
    """An image cannot be used; the message is for the job log (it fails the job)."""


class Images:
    """Image metadata per engine, shared by the jobs of one executor (thread-safe)."""

    def __init__(self, cli: DockerCLI, pull: str) -> None:
        if pull not in PULL_POLICIES:
            raise ValueError(f"pull must be one of {PULL_POLICIES}, got {pull!r}")
        self._cli = cli
        self.pull = pull
        self._config: Dict[str, Dict[str, Any]] = {}
        self._pulled: Set[str] = set()
        self._lock = threading.Lock()
        self._image_locks: Dict[str, threading.Lock] = {}

    def config(self, image: str) -> Optional[Dict[str, Any]]:
        """The image's ``Config`` (``Env``, ``Entrypoint``...), ``None`` when not local."""
        with self._lock:
            if image in self._config:
                return self._config[image]
        proc = self._cli.call("image", "inspect", "--format", "{{json .Config}}", image,
                              check=False)
        if proc.returncode != 0:
            text = proc.stderr.decode("utf-8", "replace")
            if "no such image" in text.lower() or "not found" in text.lower():
                return None
            raise self._cli.error(["image", "inspect"], proc.returncode, proc.stderr)
        try:
            config = json.loads(proc.stdout.decode("utf-8") or "null") or {}
        except ValueError:
            config = {}
        with self._lock:
            self._config[image] = config
        return config

    def ensure(self, spec: ContainerSpec, environment: Mapping[str, str], *,
               emit: Callable[[str], None], cancel: threading.Event) -> Dict[str, Any]:
        """The image's config, pulling it first if the policy says so."""
        image = spec.image
        with self._lock:
            lock = self._image_locks.setdefault(image, threading.Lock())
        with lock:  # two jobs on one image pull it once
            config = self.config(image)
            with self._lock:
                pulled = image in self._pulled
            wants_pull = self.pull == "always" and not pulled
            if config is not None and not wants_pull:
                return config
            if self.pull == "never":
                raise ImageError(
                    f"image {image!r} is not on the Docker engine and pulling is off "
                    f"(pull='never', --pull never): run `docker pull {image}` (or "
                    "`docker tag` a local image with that name) and try again, or allow pulls")
            problem = self._pull(spec, environment, emit, cancel)
            if cancel.is_set():
                raise ImageError("canceled while pulling images")
            with self._lock:
                self._config.pop(image, None)
            config = self.config(image)
            if config is None:
                raise ImageError(
                    f"image {image!r} is not on the Docker engine and could not be pulled: "
                    f"{problem or 'the pull did not produce it'}. Check the name and tag, the "
                    "registry credentials (`auth:`) and the network, or pull/tag it yourself "
                    "and run with pull='never'")
            if problem:
                emit(f"could not pull {image} ({problem}); using the image already on the "
                     "engine")
            with self._lock:
                self._pulled.add(image)
            return config

    def _pull(self, spec: ContainerSpec, environment: Mapping[str, str],
              emit: Callable[[str], None], cancel: threading.Event) -> Optional[str]:
        """Pull; returns ``None`` on success, else the CLI's last message line."""
        emit(f"pulling image {spec.image}")
        env = dict(self._cli.base_env)
        config_dir: Optional[str] = None
        if spec.aws_auth:
            emit("aws_auth is not supported locally: pulling with the engine's own credentials")
        try:
            if spec.auth is not None:
                config_dir, missing = _auth_config(spec, environment)
                for name in missing:
                    emit(f"auth: ${name} is not set in the job's environment")
                env["DOCKER_CONFIG"] = config_dir
            lines: List[str] = []

            def on_line(line: str) -> None:
                lines.append(line)
                emit(line)

            outcome = run_process(self._cli.argv("pull", spec.image), cwd=os.getcwd(), env=env,
                                  on_line=on_line, cancel=cancel, kill_grace=1.0)
        finally:
            if config_dir is not None:
                shutil.rmtree(config_dir, ignore_errors=True)
        if outcome.exit_code == 0:
            return None
        detail = next((ln for ln in reversed(lines) if ln.strip()), "")
        if any(s in detail.lower() for s in ("cannot connect", "is the docker daemon running")):
            raise self._cli.unavailable(detail)
        return detail or f"`{self._cli.name} pull` ended with {outcome.reason}"


def _auth_config(spec: ContainerSpec, environment: Mapping[str, str]) -> Tuple[str, List[str]]:
    assert spec.auth is not None
    user, missing_u = expand_auth_value(spec.auth[0], environment)
    password, missing_p = expand_auth_value(spec.auth[1], environment)
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    config_dir = tempfile.mkdtemp(prefix="workflowcore-docker-auth-")
    os.chmod(config_dir, 0o700)
    path = os.path.join(config_dir, "config.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"auths": {registry_of(spec.image): {"auth": token}}}, fh)
    return config_dir, [*missing_u, *missing_p]


def auth_secrets(spec: ContainerSpec, environment: Mapping[str, str]) -> List[str]:
    """The expanded credentials, to mask in the job's output."""
    if spec.auth is None:
        return []
    return [expand_auth_value(v, environment)[0] for v in spec.auth]

