"""``DockerExecutor``: each job runs in containers of its ``docker:`` images, as on CircleCI.

The steps are interpreted by the same engine as the subprocess executor
(:func:`~workflowcore.runtime.steps.run_steps`); only *where* they run differs::

    with DockerExecutor(run_dir, source_dir=repo) as executor:   # checks the engine first
        result = executor.execute(request)
    executor.cleanup(run_id)       # remove what a killed run left behind (by label)

* The primary image (``docker[0]``) runs the steps as its ``user``; its ``entrypoint`` and
  ``command`` run only when the config gives them (CircleCI ignores the image's own for the
  primary container); image ``environment`` reaches that command, not the steps (R6.3.1).
  ``docker[1:]`` are service containers reachable on ``localhost`` (shared network namespace).
* ``working_directory``, ``checkout``, workspaces, caches, artifacts and test results go in and
  out of the container as tar streams (``docker cp``), never through paths shared between
  jobs, so a job sees exactly what CircleCI would give it.
* ``resource_class`` becomes ``--cpus``/``--memory`` (:data:`RESOURCE_CLASSES`), clamped to
  what the engine has; ``auth:`` credentials are used for the pull only; ``pull`` is
  ``missing`` (default), ``always`` or ``never`` (offline).
* Containers carry ``workflowcore.run``/``workflowcore.job`` labels and are removed when the
  job ends, is canceled or its executor is closed; a primary container also removes itself if
  this process is killed. :meth:`DockerExecutor.cleanup` removes anything left for a run.
* Only the ``docker`` CLI is used (any compatible one: ``docker_cli=`` or
  ``$WORKFLOWCORE_DOCKER``), so workflowcore needs no Docker SDK.

See ``docs/docker.md`` for the decisions and their reasons.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from ...errors import ExecutorError
from .._fs import path_component
from .._git import CheckoutTarget
from ..contexts import Masker
from ..executor import BaseExecutor, JobRequest, JobResult, StepResult
from ..steps import normalize_steps, run_steps
from ._docker_cli import DOCKER_CLI_ENV, DockerCLI, DockerCommandError
from ._docker_host import ContainerHost
from ._docker_images import PULL_POLICIES, ImageError, Images, auth_secrets
from ._docker_job import (
    LABEL_JOB,
    LABEL_RUN,
    LABEL_WORKFLOW,
    JobContainers,
    SetupError,
)
from ._docker_spec import (
    DEFAULT_RESOURCE_CLASS,
    RESOURCE_CLASSES,
    ContainerSpec,
    SpecError,
    container_specs,
    resource_limits,
)

__all__ = [
    "DEFAULT_RESOURCE_CLASS",
    "DOCKER_CLI_ENV",
    "LABEL_JOB",
    "LABEL_RUN",
    "LABEL_WORKFLOW",
    "PULL_POLICIES",
    "RESOURCE_CLASSES",
    "DockerExecutor",
    "EngineInfo",
]


@dataclass(frozen=True)
class EngineInfo:
    """What :meth:`DockerExecutor.check` found: the engine's version and its host's size."""

    cli: str
    version: str
    cpus: Optional[int]
    memory: Optional[int]  # bytes


class DockerExecutor(BaseExecutor):
    """Run each job in containers of its ``docker:`` images through the docker CLI.

    ``run_dir`` holds the executor's local scratch files per job (``None``: a temporary
    directory); ``source_dir`` is the repository ``checkout`` copies in. ``docker_cli`` names
    the CLI (default ``$WORKFLOWCORE_DOCKER`` or ``docker``). ``pull``: ``missing``,
    ``always`` or ``never``. ``resource_limits=False`` runs without CPU/memory limits.
    ``default_image`` runs jobs without ``docker:`` (``machine:``, ``macos:``) in that image
    instead of failing them. ``init`` runs an init process as PID 1 of the primary container
    (reaps zombies). ``labels`` are added to every container. With ``check=True`` (default)
    the constructor fails fast with :class:`ExecutorUnavailableError` when the CLI is missing
    or the engine is down, before any job starts. ``private_files`` (the contexts file) are
    never copied into a job by ``checkout``.
    """

    def __init__(
        self,
        run_dir: Union[Path, str, None] = None,
        source_dir: Union[Path, str, None] = None,
        *,
        docker_cli: Union[str, Sequence[str], None] = None,
        pull: str = "missing",
        resource_limits: bool = True,
        default_image: Optional[str] = None,
        init: bool = True,
        kill_grace: float = 2.0,
        labels: Optional[Mapping[str, str]] = None,
        check: bool = True,
        private_files: Sequence[Union[Path, str]] = (),
    ) -> None:
        if pull not in PULL_POLICIES:
            raise ValueError(f"pull must be one of {PULL_POLICIES}, got {pull!r}")
        self.run_dir = Path(run_dir).absolute() if run_dir is not None else None
        self.source_dir = Path(source_dir).absolute() if source_dir is not None else None
        #: files ``checkout`` never copies into a job (the contexts file: secrets)
        self.private_files = [Path(p).absolute() for p in private_files]
        self.pull = pull
        self.resource_limits = resource_limits
        self.default_image = default_image
        self.init = init
        self.kill_grace = kill_grace
        self.labels = dict(labels or {})
        self._cli = DockerCLI(docker_cli)
        self._images = Images(self._cli, pull)
        self._engine: Optional[EngineInfo] = None
        self._live: Dict[str, JobContainers] = {}
        self._removals: Dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False
        if check:
            self.check()

    def __repr__(self) -> str:
        return (f"DockerExecutor({str(self.run_dir)!r}, {str(self.source_dir)!r}, "
                f"docker_cli={self._cli.prefix!r}, pull={self.pull!r})")

    @property
    def docker_cli(self) -> List[str]:
        """The CLI in use, as an argv prefix."""
        return list(self._cli.prefix)

    # -- engine --------------------------------------------------------------------------
    def check(self) -> EngineInfo:
        """Ask the engine who it is; :class:`ExecutorUnavailableError` (saying what to do)
        when it cannot be reached. Cached after the first success."""
        if self._engine is not None:
            return self._engine
        proc = self._cli.call("info", "--format", "{{json .}}", check=False, timeout=60)
        data: Dict[str, Any] = {}
        try:
            loaded = json.loads(proc.stdout.decode("utf-8", "replace") or "{}")
            data = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            data = {}
        errors = data.get("ServerErrors") or []
        if proc.returncode != 0 or errors:
            detail = proc.stderr.decode("utf-8", "replace").strip() or "; ".join(
                map(str, errors)) or f"`{self._cli.name} info` exited with {proc.returncode}"
            raise self._cli.unavailable(detail)
        host_raw = data.get("host")  # podman's layout
        host: Dict[str, Any] = host_raw if isinstance(host_raw, dict) else {}
        version = data.get("ServerVersion") or (data.get("version") or {}).get("Version") or "?"
        cpus = data.get("NCPU") or host.get("cpus")
        memory = data.get("MemTotal") or host.get("memTotal")
        self._engine = EngineInfo(self._cli.name, str(version),
                                  int(cpus) if cpus else None, int(memory) if memory else None)
        return self._engine

    # -- leftovers -----------------------------------------------------------------------
    def containers(self, run_id: Optional[str] = None) -> List[str]:
        """Ids of the containers of ``run_id`` (``None``: of every run) on the engine."""
        label = LABEL_RUN if run_id is None else f"{LABEL_RUN}={run_id}"
        proc = self._cli.call("ps", "-aq", "--no-trunc", "--filter", f"label={label}")
        return proc.stdout.decode().split()

    def cleanup(self, run_id: str) -> int:
        """Remove every container of ``run_id`` still on the engine (a killed run's
        leftovers); returns how many were removed. The runner calls this on the next command
        that touches the run; it is safe to call any time no job of that run is running."""
        self.wait_for_removals()
        ids = self.containers(run_id)
        if ids:
            self._cli.call("rm", "-f", "-v", *ids, check=False, timeout=300)
        return len(ids)

    def close(self) -> None:
        """Remove the containers of jobs still running (they fail), wait until those of
        finished jobs are gone, and refuse new jobs."""
        with self._lock:
            self._closed = True
            live = list(self._live.values())
        for job in live:
            job.remove()
        self.wait_for_removals()

    def wait_for_removals(self) -> None:
        """Block until the containers of every finished job are gone (``execute`` returns a
        job's result before its containers are removed)."""
        with self._lock:
            pending = list(self._removals.values())
        for thread in pending:
            thread.join()

    def _release(self, job: JobContainers, *, wait: bool) -> None:
        """Remove a job's containers: now (cancel, errors), or beside the next job (a job
        that finished normally: its result does not wait for the engine's cleanup; ``close``
        and ``cleanup`` wait for it, and so does interpreter exit: the thread is not a
        daemon)."""
        if wait:
            self._forget(job)
            return
        thread = threading.Thread(target=self._forget, args=(job,),
                                  name=f"workflowcore-docker-rm-{job.name}")
        with self._lock:
            self._removals[job.attempt] = thread
        thread.start()

    def _forget(self, job: JobContainers) -> None:
        try:
            job.remove()
        finally:
            with self._lock:
                self._live.pop(job.attempt, None)
                self._removals.pop(job.attempt, None)

    # -- jobs ----------------------------------------------------------------------------
    def execute(self, request: JobRequest) -> JobResult:
        with self._lock:
            if self._closed:
                raise ExecutorError("the Docker executor is closed")
        self.check()
        started = time.monotonic()
        definition = request.definition
        try:
            specs = container_specs(definition)
        except SpecError as exc:
            return _not_started(request, _SetupLog(Masker(request.secrets), request.on_output),
                                str(exc), started)
        if not specs and self.default_image:
            specs = [ContainerSpec(image=self.default_image)]
        secrets = [*request.secrets]
        for spec in specs:
            secrets += auth_secrets(spec, request.environment)
        log = _SetupLog(Masker(secrets), request.on_output)
        if request.cancel.is_set():
            return _not_started(request, log, "the job was canceled", started, canceled=True)
        if not specs:
            kinds = [k for k in ("machine", "macos", "windows") if definition.get(k) is not None]
            what = f"a {kinds[0]} job" if kinds else "a job without `docker:`"
            return _not_started(request, log, f"{what} cannot run in the Docker executor: "
                                "give it a docker image, pass default_image=, or use the "
                                "subprocess executor", started)
        try:
            scratch = self._scratch(request)
        except OSError as exc:
            raise ExecutorError(f"cannot prepare the job's scratch directory: {exc}") from exc
        job = JobContainers(self._cli, labels={LABEL_RUN: request.run_id,
                                               LABEL_WORKFLOW: request.workflow_id,
                                               LABEL_JOB: request.job_name},
                            job_name=request.job_name, init=self.init, extra_labels=self.labels)
        with self._lock:
            self._live[job.attempt] = job
        finished = False
        try:
            try:
                host = self._start(request, specs, job, scratch, log)
                host.checkout_target = CheckoutTarget.from_environment(request.environment)
            except (SetupError, ImageError) as exc:
                if request.cancel.is_set():
                    return _not_started(request, log, "the job was canceled", started,
                                        canceled=True)
                return _not_started(request, log, str(exc), started)
            except DockerCommandError as exc:
                return _not_started(request, log, str(exc), started)
            result = run_steps(request, host)
            if result.status == "failed":
                for line in job.service_report():
                    log.emit(line, after=True)
            finished = result.status != "canceled"
        finally:
            self._release(job, wait=not finished)
            shutil.rmtree(scratch, ignore_errors=True)
        return dataclasses.replace(
            result, log="\n".join([*log.lines, result.log, *log.after]).strip("\n"),
            duration=time.monotonic() - started)

    def _scratch(self, request: JobRequest) -> Path:
        if request.work_dir is not None:
            base = Path(request.work_dir).absolute()
        elif self.run_dir is not None:
            base = self.run_dir / path_component(request.workflow_id) / path_component(
                request.job_name)
        else:
            return Path(tempfile.mkdtemp(prefix="workflowcore-docker-"))
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="docker-", dir=base))

    def _start(self, request: JobRequest, specs: List[ContainerSpec], job: JobContainers,
               scratch: Path, log: _SetupLog) -> ContainerHost:
        definition = request.definition
        primary = specs[0]
        log.emit("==> Spin up environment")
        configs = [self._images.ensure(spec, request.environment, emit=log.emit,
                                       cancel=request.cancel) for spec in specs]
        engine = self.check()
        limits = None
        if self.resource_limits:
            limits = resource_limits(definition.get("resource_class"), host_cpus=engine.cpus,
                                     host_memory=engine.memory)
        what = f"primary container: {primary.image}"
        if primary.user:
            what += f" as {primary.user}"
        if limits is not None:
            what += f"; {limits.note}"
        log.emit(what)
        wd_raw = str(definition.get("working_directory") or "~/project")
        aliases = [s.name for s in specs[1:] if s.name]
        info = job.start_primary(primary, limits=limits, aliases=aliases,
                                 working_directory=wd_raw, cancel=request.cancel)
        for index, spec in enumerate(specs[1:], start=1):
            job.start_service(index, spec)
            alias = f" (also as {spec.name})" if spec.name else ""
            log.emit(f"service container: {spec.image} on localhost{alias}")
        hidden: Dict[str, Optional[str]] = {}
        if primary.runs_own_command and primary.environment:
            image_env = _env_map(configs[0].get("Env"))
            hidden = {name: image_env.get(name) for name in primary.environment}
        exclude = [scratch] + ([self.run_dir] if self.run_dir is not None else [])
        return ContainerHost(self._cli, info, scratch, source_dir=self.source_dir,
                             exclude=exclude, kill_grace=self.kill_grace, hidden_env=hidden,
                             private=self.private_files)


class _SetupLog:
    """Output of the executor itself (pulls, containers), masked and streamed like steps'."""

    def __init__(self, masker: Masker, on_output: Optional[Callable[[str], None]]) -> None:
        self._masker = masker
        self._on_output = on_output
        self.lines: List[str] = []
        self.after: List[str] = []
        self._lock = threading.Lock()

    def mask(self, text: str) -> str:
        return self._masker(text)

    def emit(self, line: str, *, after: bool = False) -> None:
        masked = self._masker(line)
        with self._lock:
            (self.after if after else self.lines).append(masked)
            callback = self._on_output
            if callback is not None:
                try:
                    callback(masked)
                except Exception:  # a broken observer must not break the job
                    self._on_output = None


def _env_map(env: Any) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for item in env or ():
        key, sep, value = str(item).partition("=")
        if sep:
            out[key] = value
    return out


def _not_started(request: JobRequest, log: _SetupLog, message: str, started: float, *,
                 canceled: bool = False) -> JobResult:
    """The result of a job whose containers never ran a step."""
    note = "not run: the job was canceled" if canceled else "not run: the job could not start"
    if not canceled:
        log.emit(message)
    message = log.mask(message)
    steps = tuple(StepResult(s.name, s.type, "skipped", note=note)
                  for s in normalize_steps(request.definition.get("steps")))
    log_text = "\n".join(log.lines if not canceled else [*log.lines, message])
    duration = time.monotonic() - started
    if canceled:
        return JobResult.canceled(steps=steps, log=log_text, duration=duration, message=message)
    return JobResult("failed", None, steps=steps, log=log_text, duration=duration,
                     message=message)
