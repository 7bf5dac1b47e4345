"""A Docker engine for the tests marked ``docker`` (imported by their modules).

The engine is found through ``DOCKER_HOST``/``docker info``. When none answers and this
machine can start the project's private engine without installing anything (root, ``dockerd``
and a static busybox present), ``scripts/start-docker.sh`` is run once per session. Otherwise
the Docker tests are skipped with a loud reason; ``WFC_REQUIRE_DOCKER=1`` (CI) turns that skip
into a failure so a broken engine cannot pass silently.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "start-docker.sh"
#: The image every Docker test uses (made by scripts/start-docker.sh, no registry needed).
IMAGE = "busybox:latest"
HOW = 'eval "$(bash scripts/start-docker.sh)"'


def _docker_info() -> Optional[str]:
    """``None`` when the engine answers, else why not."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    try:
        proc = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker info` failed: {exc}"
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or ["`docker info` failed"])[-1]
    return None


def _can_autostart() -> bool:
    return (os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0
            and shutil.which("dockerd") is not None and os.path.exists("/bin/busybox")
            and os.environ.get("WFC_DOCKER_AUTOSTART", "1") != "0")


@functools.lru_cache(maxsize=None)
def find_engine() -> Tuple[Optional[str], Optional[str]]:
    """``(DOCKER_HOST or "", None)`` when an engine is usable, else ``(None, reason)``."""
    problem = _docker_info()
    if problem is None:
        return os.environ.get("DOCKER_HOST", ""), None
    if _can_autostart():
        proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True,
                              timeout=600, check=False)
        m = re.search(r"export DOCKER_HOST=(\S+)", proc.stdout)
        if proc.returncode == 0 and m:
            os.environ["DOCKER_HOST"] = m.group(1)
            if _docker_info() is None:
                return m.group(1), None
        problem += f"; {SCRIPT.name} failed: {proc.stderr.strip()[-300:]}"
    return None, problem


def require_engine() -> str:
    host, problem = find_engine()
    if host is not None:
        if shutil.which("docker") is not None and os.environ.get("DOCKER_HOST") != host and host:
            os.environ["DOCKER_HOST"] = host
        return host
    reason = (f"!!! DOCKER TESTS SKIPPED: no Docker engine ({problem}). Start one with: {HOW} "
              "— set WFC_REQUIRE_DOCKER=1 to make this a failure !!!")
    if os.environ.get("WFC_REQUIRE_DOCKER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_engine() -> str:
    """The engine's ``DOCKER_HOST`` (``""``: the CLI's default); skips without one."""
    return require_engine()


def docker(*args: str, check: bool = True, timeout: float = 60,
           data: Optional[str] = None) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI (for assertions from outside the executor)."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          check=check, input=data)


def containers(run_id: str) -> list[str]:
    """Every container (running or not) labelled with ``run_id``."""
    out = docker("ps", "-aq", "--filter", f"label=workflowcore.run={run_id}").stdout
    return out.split()


def user_image() -> str:
    """An image with a non-root ``circleci`` user and a sticky /tmp, built once from
    :data:`IMAGE` (works whatever made the base image)."""
    tag = "wfc-test/user:1"
    if docker("image", "inspect", tag, check=False).returncode == 0:
        return tag
    dockerfile = (f"FROM {IMAGE}\n"
                  "RUN chmod 1777 /tmp && mkdir -p /home/circleci && "
                  "(grep -q '^circleci:' /etc/passwd || "
                  "(echo 'circleci:x:1000:1000::/home/circleci:/bin/sh' >> /etc/passwd && "
                  "echo 'circleci:x:1000:' >> /etc/group)) && chown 1000:1000 /home/circleci\n"
                  "USER circleci\n")
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input=dockerfile, text=True,
                   capture_output=True, check=True, timeout=300, env=env)
    return tag
