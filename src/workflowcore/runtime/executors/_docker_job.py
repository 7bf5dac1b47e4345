"""The containers of one job: started as CircleCI does, always removed afterwards.

* **Primary** (``docker[0]``). CircleCI ignores the image's entrypoint and command for the
  primary container unless the config gives a ``command`` (so an entrypoint that exits or
  eats the CPU does not break the job); the steps then run in it with ``docker exec``. Here,
  without ``command``/``entrypoint`` the container runs a keep-alive ``sh`` that first reports
  the user's HOME, uid/gid and whether bash exists, then waits on its stdin. It is started
  by an attached ``docker run -i --rm`` child whose stdin is a pipe from this process: if
  this process dies, even by SIGKILL, the pipe closes, the container's stdin closes, the
  keep-alive ends and the engine removes the container by itself. That is also how a job
  ends normally (close the pipe, wait for the CLI: exit and removal, like ``docker run
  --rm``); ``docker rm -f`` is the fallback, and the way services go.
* **Services** (``docker[1:]``) join the primary's network namespace
  (``--network container:<primary>``), so they answer on ``localhost`` as on CircleCI, even on
  an engine without a bridge network; their ``name`` is an ``/etc/hosts`` alias of
  127.0.0.1 in the primary.
* Every container carries the labels ``workflowcore.run``, ``workflowcore.workflow``,
  ``workflowcore.job`` and ``workflowcore.attempt``; :meth:`JobContainers.remove` removes
  them all, and ``DockerExecutor.cleanup(run_id)`` finds leftovers of a killed run.
"""

from __future__ import annotations

import contextlib
import queue
import re
import subprocess
import threading
import time
import uuid
from typing import Dict, List, Mapping, Optional

from ...errors import ExecutorError
from ._docker_cli import DockerCLI, DockerCommandError
from ._docker_host import ContainerInfo
from ._docker_spec import ContainerSpec, ResourceLimits

__all__ = ["LABEL_ATTEMPT", "LABEL_JOB", "LABEL_ROLE", "LABEL_RUN", "LABEL_WORKFLOW",
           "START_TIMEOUT", "TMP_DIR", "JobContainers", "SetupError"]

LABEL_RUN = "workflowcore.run"
LABEL_WORKFLOW = "workflowcore.workflow"
LABEL_JOB = "workflowcore.job"
LABEL_ATTEMPT = "workflowcore.attempt"
LABEL_ROLE = "workflowcore.role"
TMP_DIR = "/tmp/.workflowcore"
START_TIMEOUT = 120.0

# Runs as the job's user in the primary container: reports what the steps need, creates
# the scratch directory (BASH_ENV, scripts) and the working directory, then (keep-alive
# mode, "$3" = 1) waits until its stdin closes.
SETUP_SCRIPT = r"""t=$1; w=$2
{ mkdir -p "$t" && : > "$t/bash_env"; } 2>/dev/null || {
  t="${HOME:-/}/.workflowcore-tmp"; { mkdir -p "$t" && : > "$t/bash_env"; } 2>/dev/null || t=; }
uid=0; gid=0
if [ -r /proc/self/status ]; then
  while read -r k v _; do case $k in Uid:) uid=$v;; Gid:) gid=$v;; esac; done < /proc/self/status
fi
case $w in "~") w=$HOME;; "~/"*) w="$HOME/${w#"~/"}";; /*) ;; *) w="$HOME/$w";; esac
mkdir -p "$w" 2>/dev/null || w=
b=0; [ -x /bin/bash ] && b=1
printf 'wfc-home=%s\nwfc-tmp=%s\nwfc-wd=%s\nwfc-ready uid=%s gid=%s bash=%s\n' \
  "$HOME" "$t" "$w" "$uid" "$gid" "$b"
[ "$3" = 1 ] || exit 0
exec /bin/sh -c 'while read -r _; do :; done'
"""
_READY = re.compile(r"wfc-ready uid=(\d*) gid=(\d*) bash=([01])")
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_.-]+")
_HOST_ALIAS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*\Z")


class SetupError(Exception):
    """The job's containers could not be started; the message is for the job log."""


class JobContainers:
    """Creates, tracks and removes the containers of one job attempt.

    Containers are addressed by the names given here (``wfc-<job>-<attempt>``, services
    ``...-svcN``), so even one whose start failed half-way is found and removed.
    """

    def __init__(self, cli: DockerCLI, *, labels: Mapping[str, str], job_name: str,
                 init: bool, extra_labels: Mapping[str, str]) -> None:
        self._cli = cli
        self.attempt = uuid.uuid4().hex[:12]
        self._labels = {**extra_labels, **labels, LABEL_ATTEMPT: self.attempt}
        slug = _NAME_CHARS.sub("-", job_name).strip("-.")[:40] or "job"
        self.name = f"wfc-{slug}-{self.attempt[:8]}"
        self._init = init
        self.primary: Optional[str] = None
        self.services: List[str] = []
        self._attach: Optional[subprocess.Popen[bytes]] = None
        self._attach_reader: Optional[threading.Thread] = None
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        self.start_output: List[str] = []
        self._lock = threading.Lock()
        self._removed = False

    def _label_args(self, role: str) -> List[str]:
        out: List[str] = []
        for key, value in {**self._labels, LABEL_ROLE: role}.items():
            out += ["--label", f"{key}={value}"]
        return out

    # -- primary ---------------------------------------------------------------------------
    def start_primary(self, spec: ContainerSpec, *, limits: Optional[ResourceLimits],
                      aliases: List[str], working_directory: str,
                      cancel: threading.Event) -> ContainerInfo:
        keep_alive = not spec.runs_own_command
        args = ["run", *self._label_args("primary"), "--name", self.name]
        if keep_alive:  # attached, stdin from us: it ends (and is removed) when we do
            args += ["-i", "--rm", "--sig-proxy=false"]
        else:
            args.append("-d")
        if self._init:
            args.append("--init")
        if spec.user:
            args += ["--user", spec.user]
        for alias in aliases:
            if _HOST_ALIAS.match(alias) and alias != "localhost":
                args += ["--add-host", f"{alias}:127.0.0.1"]
        if limits is not None:
            args += limits.args()
        env: Optional[Dict[str, str]] = None
        if keep_alive:
            entrypoint: Optional[str] = "/bin/sh"
            command = ["-c", SETUP_SCRIPT, "wfc-setup", TMP_DIR, working_directory, "1"]
        else:
            env_args, env = self._cli.env_args(spec.environment)  # R6.3.1: for its command
            args += env_args
            entrypoint, command = spec.run_args()
        if entrypoint is not None:
            args += ["--entrypoint", entrypoint]
        args += [spec.image, *command]
        self.primary = self.name
        if keep_alive:
            output = self._run_attached(args, cancel, spec.image)
        else:
            self._run_detached(args, env, "primary container", spec.image)
            output = self._setup_exec(self.name, spec, working_directory)
        info = _parse_setup(self.name, output, spec)
        if not info.tmp:
            info.tmp = self._root_scratch(info)
        return info

    def _root_scratch(self, info: ContainerInfo) -> str:
        """The job's user cannot write to /tmp (an image without a sticky /tmp): make the
        scratch directory as root and give it to the user."""
        script = ('mkdir -p "$1" && : > "$1/bash_env" && chown -R "$2:$3" "$1" && '
                  'chmod 700 "$1"')
        proc = self._cli.call("exec", "-u", "0", info.container, "/bin/sh", "-c", script,
                              "wfc-setup", TMP_DIR, str(info.uid), str(info.gid), check=False)
        if proc.returncode != 0:
            text = proc.stderr.decode("utf-8", "replace").strip()
            raise SetupError(f"user {info.user or 'root'!r} cannot create a scratch directory "
                             f"in the primary container ({TMP_DIR}): {text or proc.returncode}")
        return TMP_DIR

    def _run_detached(self, args: List[str], env: Optional[Dict[str, str]], what: str,
                      image: str) -> None:
        try:
            self._cli.call(*args, env=env)
        except DockerCommandError as exc:
            raise SetupError(f"cannot start the {what} from {image}: {_detail(exc)}") from exc

    def _run_attached(self, args: List[str], cancel: threading.Event,
                      image: str) -> List[str]:
        proc = subprocess.Popen(
            self._cli.argv(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=self._cli.base_env, start_new_session=True)
        self._attach = proc
        reader = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        reader.start()
        self._attach_reader = reader
        output: List[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if cancel.is_set():
                raise SetupError("canceled while starting the containers")
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise SetupError(f"the primary container did not start within "
                                     f"{START_TIMEOUT:g}s") from None
                continue
            if line is None:
                detail = "; ".join(ln for ln in output if ln.strip()) or "no output"
                raise SetupError(f"the primary container ({image}) stopped before the steps "
                                 "could run (the Docker executor needs /bin/sh in the image): "
                                 + detail)
            output.append(line)
            if line.startswith("wfc-ready"):
                return output

    def _pump(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.start_output.append(line)
            self._lines.put(line)
        proc.stdout.close()
        self._lines.put(None)

    def _setup_exec(self, container: str, spec: ContainerSpec,
                    working_directory: str) -> List[str]:
        proc = self._cli.call("exec", container, "/bin/sh", "-c", SETUP_SCRIPT, "wfc-setup",
                              TMP_DIR, working_directory, "0", check=False)
        if proc.returncode == 0:
            return proc.stdout.decode("utf-8", "replace").splitlines()
        state = self._cli.call("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}",
                               container, check=False).stdout.decode().split()
        if state and state[0] != "running":
            logs = self._cli.call("logs", "--tail", "20", container, check=False)
            tail = (logs.stdout + logs.stderr).decode("utf-8", "replace").strip()
            what = " ".join(spec.command or spec.entrypoint or ())
            raise SetupError(
                f"the primary container's command ({what})"
                f" exited with code {state[1] if len(state) > 1 else '?'} before the steps "
                "could run; for the primary container it must keep running"
                + (f". Its last output: {tail.splitlines()[-1]}" if tail else ""))
        text = proc.stderr.decode("utf-8", "replace").strip()
        raise SetupError("cannot run /bin/sh in the primary container (the Docker executor "
                         f"needs a POSIX shell in the image): {text or proc.returncode}")

    # -- services --------------------------------------------------------------------------
    def start_service(self, index: int, spec: ContainerSpec) -> str:
        assert self.primary is not None
        args = ["run", "-d", *self._label_args("service"), "--name",
                f"{self.name}-svc{index}", "--network", f"container:{self.primary}"]
        if spec.user:
            args += ["--user", spec.user]
        env_args, env = self._cli.env_args(spec.environment)
        args += env_args
        entrypoint, command = spec.run_args()
        if entrypoint is not None:
            args += ["--entrypoint", entrypoint]
        args += [spec.image, *command]
        self.services.append(f"{self.name}-svc{index}")
        self._run_detached(args, env, f"service container {index}", spec.image)
        return self.services[-1]

    def service_report(self) -> List[str]:
        """Lines about service containers that stopped during the job (with their last
        output), for the log of a failed job."""
        if not self.services:
            return []
        proc = self._cli.call("inspect", "--format",
                              "{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{.Config.Image}}",
                              *self.services, check=False)
        out: List[str] = []
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) < 4 or parts[1] == "running":
                continue
            out.append(f"service container {parts[3]} {parts[1]} (exit code {parts[2]}); "
                       "its last output:")
            logs = self._cli.call("logs", "--tail", "20", parts[0].lstrip("/"), check=False)
            text = (logs.stdout + logs.stderr).decode("utf-8", "replace")
            out += ["  " + ln for ln in text.splitlines()]
        return out

    # -- removal ---------------------------------------------------------------------------
    def remove(self) -> None:
        """Remove every container of this attempt (idempotent; errors are not raised: a
        container that is already gone is what we want)."""
        with self._lock:
            if self._removed:
                return
            self._removed = True
        names = list(self.services)
        if self.primary and not self._end_attached():
            names.append(self.primary)
        try:
            if names:
                self._cli.call("rm", "-f", "-v", *names, check=False, timeout=120)
        except ExecutorError:
            pass  # engine gone: the run's cleanup() will find the leftovers by label
        finally:
            self._stop_attach()

    def _end_attached(self, timeout: float = 10.0) -> bool:
        """End a keep-alive primary the way it would end on its own: close its stdin and
        wait until ``docker run --rm`` reports it exited and was removed. ``False`` when it
        has no such primary or that did not happen in time."""
        proc = self._attach
        if proc is None or proc.poll() is not None:
            return False
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return proc.returncode == 0

    def _stop_attach(self) -> None:
        proc = self._attach
        if proc is None:
            return
        self._attach = None
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._attach_reader is not None:
            self._attach_reader.join(5)


def _parse_setup(container: str, lines: List[str], spec: ContainerSpec) -> ContainerInfo:
    values: Dict[str, str] = {}
    ready = None
    for line in lines:
        if line.startswith("wfc-ready"):
            ready = _READY.match(line)
        elif line.startswith("wfc-") and "=" in line:
            key, _, value = line.partition("=")
            values[key[4:]] = value
    if ready is None:
        raise SetupError("the primary container did not report its environment: "
                         + ("; ".join(lines) or "no output"))
    return ContainerInfo(
        container, home=values.get("home", "/"), tmp=values.get("tmp", ""),
        uid=int(ready.group(1) or 0), gid=int(ready.group(2) or 0),
        has_bash=ready.group(3) == "1", working_directory=values.get("wd") or None,
        user=spec.user)


def _detail(exc: DockerCommandError) -> str:
    lines = [ln for ln in exc.stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else str(exc)

