"""The step interpreter every executor shares: ``when`` rules, built-in steps, results.

An executor supplies a :class:`StepHost`: how to run a command, where the job's paths are
on this machine, how to check out the code. :func:`run_steps` does the rest the same way for
all of them:

* ``when`` (R1.6.3): ``on_success`` steps run while nothing failed, ``on_fail`` ones only
  after a failure, ``always`` ones regardless; ``store_artifacts``/``store_test_results``
  always run. After a cancel or the job timeout nothing runs any more, not even ``always``.
* environment (§6.3): host base (``PATH``...) < ``JobRequest.environment`` (contexts and
  built-ins) < the host's built-ins (``HOME``, ``BASH_ENV``) < job ``environment`` < step
  ``environment``. A shell ``export`` beats them all, as it should.
* ``shell``: the step's, else the job's ``shell``, else the host default.
* every output line goes through the job's :class:`~workflowcore.runtime.contexts.Masker`
  before it reaches ``on_output``, the log or a step's output.
* store errors from ``persist_to_workspace``/``attach_workspace``/``store_artifacts`` fail
  the step (a path escape in a config is the user's problem, reported as such); cache
  problems are warnings that do not fail the job, as on CircleCI.
"""

from __future__ import annotations

import os
import posixpath
import shlex
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple

from ..._text import plural
from ...errors import StoreError
from .._fs import is_within
from .._process import ProcessOutcome
from ..contexts import Masker
from ..environment import env_value
from ..executor import JobRequest, JobResult, StepResult, TestResultsSummary
from ..jobtools import JOB_DIR_ENV, TIMINGS_ENV, TIMINGS_FILE
from ..stores._archive import ArchiveWriter, extract_archive
from ..stores.artifacts import Artifact
from ..stores.timings import MAX_TESTS, TestTiming
from ._cachekey import CacheKeyError, file_checksum, render_cache_key, stored_cache_key
from ._junit import read_junit
from ._model import (
    AnyStep,
    AttachWorkspaceStep,
    CheckoutStep,
    InvalidStep,
    PersistToWorkspaceStep,
    RestoreCacheStep,
    RunStep,
    SaveCacheStep,
    StoreArtifactsStep,
    StoreTestResultsStep,
    UnsupportedStep,
    normalize_steps,
)

__all__ = ["BackgroundHandle", "StepError", "StepHost", "resolve_job_path", "run_steps"]

DEFAULT_WORKING_DIRECTORY = "~/project"
#: why steps after ``circleci-agent step halt`` do not run (CircleCI: "A job can exit
#: without failing by using run: circleci-agent step halt. However, if a step within the
#: job is already failing then the job will continue to fail"; configuration reference,
#: "Ending a job from within a step"): no later step runs, ``when: always`` ones included
_HALTED = "the job was halted (circleci-agent step halt)"
#: Shells that take a script as ``-c TEXT NAME``. A ``run`` step runs that way on hosts that
#: allow it (``inline_scripts``), so ``$0`` and error prefixes are the shell's, as on CircleCI
#: (``/bin/bash: line 2: foo: command not found``), never the path of the job's script file
#: (``/…/jobs/…/steps/step-003: line 2: …``), which means nothing to the reader.
_INLINE_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash"})
#: Scripts up to this size (UTF-8) travel in the argv; Linux caps one argv string at
#: 128 KiB (MAX_ARG_STRLEN), so larger ones run from the script file.
MAX_INLINE_SCRIPT = 100 * 1024


class StepError(Exception):
    """Raised by a :class:`StepHost` to fail the current step with a message (not a crash)."""


class BackgroundHandle(Protocol):
    def stop(self, grace: float = 2.0) -> Optional[int]:
        ...


class StepHost(Protocol):
    """What an executor provides to the interpreter. Paths named ``job_path`` are absolute
    paths as the job sees them (inside a container, for a container executor)."""

    @property
    def home(self) -> str:
        """The job's HOME (absolute, job side); ``~`` in config paths means this."""
        ...

    @property
    def default_shell(self) -> str:
        """The shell for ``run`` steps without ``shell:``."""
        ...

    @property
    def base_environment(self) -> Mapping[str, str]:
        """Lowest layer of the job environment (e.g. ``PATH`` inherited from the host)."""
        ...

    @property
    def builtin_environment(self) -> Mapping[str, str]:
        """Variables the executor itself defines (``HOME``, ``BASH_ENV``): above contexts
        and built-ins, below the job's ``environment``."""
        ...

    def reading(self, job_path: str) -> AbstractContextManager[Path]:
        """A local path holding the content of ``job_path`` (which may not exist). The
        local path ends with ``job_path``'s components (a mirror such as
        ``<scratch>/home/circleci/x`` for ``/home/circleci/x``), so its parents stand for
        the job path's parents."""
        ...

    def writing(self, job_path: str) -> AbstractContextManager[Path]:
        """A local directory whose content ends up at ``job_path`` (created if missing)."""
        ...

    def escaping_link(self, job_path: str, anchor: str) -> Optional[Tuple[str, str]]:
        """The first symlink among ``job_path``'s components below ``anchor`` (an ancestor
        of it) that resolves outside ``anchor``, as ``(link, its target)``; ``None`` when
        there is none. Judged where the job's files are (this machine, or the container)."""
        ...

    def write_script(self, index: int, text: str) -> str:
        """Store a ``run`` command as a script; returns its job-side path."""
        ...

    def run(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
            on_line: Callable[[str], None], cancel: threading.Event,
            no_output_timeout: Optional[float], deadline: Optional[float],
            masker: Optional[Masker] = None) -> ProcessOutcome:
        """Run a command to completion; ``OSError`` when it cannot be started. ``masker``
        is the job's: long output lines are never split inside a secret."""
        ...

    def start_background(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
                         on_line: Callable[[str], None],
                         masker: Optional[Masker] = None) -> BackgroundHandle:
        ...

    def checkout(self, job_path: str, emit: Callable[[str], None]) -> None:
        """Put the project's files at ``job_path``; :class:`StepError` on failure."""
        ...

    def cleanup(self) -> Optional[Sequence[str]]:
        """Stop whatever the job's steps left running; returns lines for the job log
        saying what was stopped (``None``: nothing to say)."""
        ...


def resolve_job_path(path: str, base: str, home: str) -> str:
    """A config path as an absolute job path: ``~`` is ``home``, relative is under ``base``."""
    if path == "~" or path.startswith("~/"):
        return posixpath.normpath(posixpath.join(home, path[2:]))  # HOME may be "/"
    if posixpath.isabs(path):
        return posixpath.normpath(path)
    return posixpath.normpath(posixpath.join(base, path))


@dataclass
class _Outcome:
    status: str
    exit_code: Optional[int] = None
    note: Optional[str] = None
    stop: Optional[str] = None  # "canceled" | "timed out": nothing runs after this step


def run_steps(request: JobRequest, host: StepHost, *,
              preamble: Sequence[str] = ()) -> JobResult:
    """Interpret ``request.definition["steps"]`` on ``host`` and report the job's result."""
    return _JobRun(request, host).run(preamble)


class _JobRun:
    def __init__(self, request: JobRequest, host: StepHost) -> None:
        self.request = request
        self.host = host
        self.masker = Masker(request.secrets)
        self._lock = threading.Lock()
        self.log: List[str] = []
        self._step_lines: Optional[List[str]] = None
        self._on_output = request.on_output
        self.background: List[BackgroundHandle] = []
        self.tests: Optional[TestResultsSummary] = None
        self.test_timings: List[TestTiming] = []
        self.artifacts: List[Artifact] = []
        definition = request.definition
        wd_raw = str(definition.get("working_directory") or DEFAULT_WORKING_DIRECTORY)
        self.wd = resolve_job_path(wd_raw, host.home, host.home)
        env: Dict[str, str] = dict(host.base_environment)
        env.update(request.environment)
        env.update(host.builtin_environment)
        env.setdefault("CIRCLE_WORKING_DIRECTORY", wd_raw)
        job_env = definition.get("environment") or {}
        if isinstance(job_env, Mapping):
            env.update({str(k): env_value(v) for k, v in job_env.items()})
        job_dir = host.builtin_environment.get(JOB_DIR_ENV)
        if request.timings is not None and job_dir:  # read by `circleci tests split`
            env[TIMINGS_ENV] = posixpath.join(job_dir, TIMINGS_FILE)
        self.env = env
        self.deadline = (time.monotonic() + request.timeout) if request.timeout else None

    # -- output -------------------------------------------------------------------------
    def emit(self, line: str) -> None:
        masked = self.masker(line)
        with self._lock:
            self.log.append(masked)
            if self._step_lines is not None:
                self._step_lines.append(masked)
            callback = self._on_output
            if callback is not None:
                try:
                    callback(masked)
                except Exception as exc:  # a broken observer must not break the job
                    self._on_output = None
                    self.log.append(f"(live output disabled: on_output raised {exc!r})")

    # -- the loop -----------------------------------------------------------------------
    def run(self, preamble: Sequence[str]) -> JobResult:
        started = time.monotonic()
        for line in preamble:
            self.emit(line)
        steps = normalize_steps(self.request.definition.get("steps"))
        results: List[StepResult] = []
        failed = False
        first_failure: Optional[Tuple[Optional[int], str]] = None
        stop: Optional[str] = None
        try:
            try:
                with self.host.writing(self.wd):
                    pass  # CircleCI creates the working directory before the first step
            except OSError as exc:
                stop = "setup"
                first_failure = (None, f"cannot create the working directory {self.wd}: "
                                       f"{exc.strerror or exc}")
                self.emit(first_failure[1])
            if stop is None:
                self._export_timings()
            for index, step in enumerate(steps):
                if stop is None and self.request.cancel.is_set():
                    stop = "canceled"
                if stop is None and self.deadline is not None and \
                        time.monotonic() >= self.deadline:
                    stop = "timed out"
                if stop is not None:
                    why = ("the job could not start" if stop == "setup" else _HALTED
                           if stop == "halted" else f"the job was {stop}")
                    results.append(StepResult(step.name, step.type, "skipped",
                                              note=f"not run: {why}"))
                    continue
                if isinstance(step, UnsupportedStep):
                    self.emit(f"==> {_title(step.name)}")
                    self.emit(step.note)
                    results.append(StepResult(step.name, step.type, "skipped", note=step.note))
                    continue
                if not _should_run(step.when, failed):
                    note = ("skipped: a previous step failed" if failed
                            else "skipped: runs only after a failed step (when: on_fail)")
                    results.append(StepResult(step.name, step.type, "skipped", note=note))
                    continue
                result, outcome = self._run_step(index, step)
                results.append(result)
                if outcome.status == "failed":
                    if first_failure is None:
                        first_failure = (outcome.exit_code,
                                         f"step {_title(step.name)!r} failed: "
                                         f"{outcome.note or 'failed'}")
                    failed = True
                if outcome.status == "canceled":
                    stop = "canceled"
                elif outcome.stop is not None:
                    stop = outcome.stop
                if stop is None and self._halted():
                    stop = "halted"  # the job's status: success unless a step failed
                    self.emit(f"{_HALTED}: the remaining steps are not run"
                              + ("" if first_failure is None else
                                 "; the job still fails, a step had already failed"))
        finally:
            for handle in self.background:
                handle.stop()
            for line in self.host.cleanup() or ():
                self.emit(line)
        status = "success"
        exit_code: Optional[int] = 0
        message: Optional[str] = None
        if stop == "canceled":
            status, exit_code, message = "canceled", None, "the job was canceled"
        elif stop == "timed out":
            status, exit_code = "failed", None
            message = f"the job timed out after {self.request.timeout:g}s"
        elif first_failure is not None:
            status, (exit_code, message) = "failed", first_failure
        return JobResult(status, exit_code, steps=tuple(results), log="\n".join(self.log),
                         test_results=self.tests, artifacts=tuple(self.artifacts),
                         duration=time.monotonic() - started, message=message)

    def _run_step(self, index: int, step: AnyStep) -> Tuple[StepResult, _Outcome]:
        self.emit(f"==> {_title(step.name)}")
        lines: List[str] = []
        with self._lock:
            self._step_lines = lines
        started = time.monotonic()
        try:
            outcome = self._dispatch(index, step)
        except StepError as exc:
            outcome = _Outcome("failed", note=str(exc))
        except (StoreError, OSError) as exc:
            if isinstance(step, (SaveCacheStep, RestoreCacheStep)):
                outcome = _Outcome("warning", note=str(exc))
            else:
                outcome = _Outcome("failed", note=str(exc))
        if outcome.note and outcome.status in ("failed", "warning", "canceled"):
            self.emit(outcome.note)
        with self._lock:
            self._step_lines = None
        note = self.masker(outcome.note) if outcome.note else None
        result = StepResult(step.name, step.type, outcome.status, outcome.exit_code,
                            time.monotonic() - started, note, "\n".join(lines))
        return result, outcome

    def _dispatch(self, index: int, step: AnyStep) -> _Outcome:
        if isinstance(step, RunStep):
            return self._run(index, step)
        if isinstance(step, CheckoutStep):
            self.host.checkout(self._path(step.path), self.emit)
            return _Outcome("success")
        if isinstance(step, PersistToWorkspaceStep):
            return self._persist(step)
        if isinstance(step, AttachWorkspaceStep):
            return self._attach(step)
        if isinstance(step, SaveCacheStep):
            return self._save_cache(step)
        if isinstance(step, RestoreCacheStep):
            return self._restore_cache(step)
        if isinstance(step, StoreArtifactsStep):
            return self._store_artifacts(step)
        if isinstance(step, StoreTestResultsStep):
            return self._store_test_results(step)
        if isinstance(step, InvalidStep):
            return _Outcome("failed", note=step.reason)
        return _Outcome("failed", note=f"step type {step.type!r} cannot be run")  # pragma: no cover

    def _path(self, path: str) -> str:
        return resolve_job_path(path, self.wd, self.host.home)

    # -- run ----------------------------------------------------------------------------
    def _run(self, index: int, step: RunStep) -> _Outcome:
        cwd = self._path(step.working_directory or ".")
        with self.host.writing(cwd):
            pass
        env = dict(self.env)
        env.update(step.environment)
        job_shell = self.request.definition.get("shell")
        shell = step.shell or (str(job_shell) if job_shell else self.host.default_shell)
        try:
            shell_argv = shlex.split(shell)
        except ValueError as exc:
            return _Outcome("failed", note=f"invalid shell {shell!r}: {exc}")
        # the file is written either way: `--keep-jobs` leaves it to read or run by hand
        argv = _script_argv(shell_argv, self.host.write_script(index, step.command),
                            step.command, inline=bool(getattr(self.host, "inline_scripts",
                                                              False)))
        if step.background:
            try:
                handle = self.host.start_background(argv, cwd=cwd, env=env, on_line=self.emit,
                                                    masker=self.masker)
            except OSError as exc:
                return _Outcome("failed", 127, f"cannot start {shell!r}: {exc.strerror or exc}")
            self.background.append(handle)
            note = "running in the background until the job ends"
            self.emit(note)
            return _Outcome("success", note=note)
        attempts = 1 + step.max_auto_reruns
        outcome = _Outcome("failed")
        for attempt in range(1, attempts + 1):
            try:
                proc = self.host.run(argv, cwd=cwd, env=env, on_line=self.emit,
                                     cancel=self.request.cancel,
                                     no_output_timeout=step.no_output_timeout,
                                     deadline=self.deadline, masker=self.masker)
            except OSError as exc:
                return _Outcome("failed", 127, f"cannot start {shell!r}: {exc.strerror or exc}")
            outcome = _process_outcome(proc, step)
            if outcome.status != "failed" or outcome.stop is not None or attempt == attempts:
                return outcome
            self.emit(outcome.note or "failed")
            self.emit(f"rerunning the step (attempt {attempt + 1} of {attempts})"
                      + (f" in {step.auto_rerun_delay:g}s" if step.auto_rerun_delay else ""))
            if step.auto_rerun_delay and self.request.cancel.wait(step.auto_rerun_delay):
                return _Outcome("canceled", None, "canceled", stop="canceled")
        return outcome  # pragma: no cover - the loop always returns

    # -- workspace ----------------------------------------------------------------------
    def _persist(self, step: PersistToWorkspaceStep) -> _Outcome:
        store = self.request.workspace
        if store is None:
            return _Outcome("skipped", note="no workspace store configured; nothing persisted")
        root = self._path(step.root)
        self._refuse_escaping_link(root, "persist_to_workspace root")
        with self.host.reading(root) as local_root:
            matched = store.persist(self.request.workflow_id, self.request.job_name,
                                    local_root, step.paths)
        for rel in matched:
            self.emit(f"persisted {root if rel == '.' else posixpath.join(root, rel)}")
        note = f"persisted {plural(len(matched), 'path')} to the workspace"
        self.emit(note)
        return _Outcome("success", note=note)

    def _refuse_escaping_link(self, job_path: str, what: str) -> None:
        """Refuse a ``root``/``at``/``path`` that reaches outside the job's directory (its
        HOME, or the working directory when that is elsewhere) through a symlink.

        Links inside the job's directory are followed as the job would follow them; one
        leading out (``~/art -> /outside``, a committed ``coverage -> /home/me/.ssh``)
        would carry host files into an artifact or a workspace, or unpack a workspace
        onto host files. Paths outside the job's directory are the user's own choice.
        """
        for anchor in (self.host.home, self.wd):
            if job_path != anchor and is_within(job_path, anchor):
                break
        else:
            return
        hit = self.host.escaping_link(job_path, anchor)
        if hit is not None:
            link, target = hit
            raise StoreError(
                f"{what} {job_path} goes through {link}, a symlink to {target!r} that leads "
                f"outside the job's directory {anchor}; refusing to follow it (it would "
                "carry files from outside the job, or write there). Use the real directory, "
                "or copy what you need into the job's directory first"
            )

    def _attach(self, step: AttachWorkspaceStep) -> _Outcome:
        store = self.request.workspace
        if store is None:
            return _Outcome("skipped", note="no workspace store configured; nothing attached")
        at = self._path(step.at)
        self._refuse_escaping_link(at, "attach_workspace at")
        with self.host.writing(at) as local:
            applied = store.attach(self.request.workflow_id, self.request.upstream_jobs, local)
        for job in applied:
            self.emit(f"applied the workspace layer of {job!r} at {at}")
        note = (f"attached {plural(len(applied), 'workspace layer')}" if applied
                else "no upstream job persisted anything to the workspace")
        self.emit(note)
        return _Outcome("success", note=note)

    # -- caches -------------------------------------------------------------------------
    def _render_key(self, template: str) -> str:
        def checksum(name: str) -> str:
            job_path = self._path(name)
            with self.host.reading(job_path) as local:
                try:
                    return file_checksum(local)
                except OSError as exc:
                    exc.filename = job_path
                    raise
        # the key as stored: secrets in it become digests (cache metadata is not masked)
        return stored_cache_key(
            render_cache_key(template, environment=self.env, checksum=checksum), self.masker)

    def _save_cache(self, step: SaveCacheStep) -> _Outcome:
        store = self.request.caches
        if store is None:
            return _Outcome("skipped", note="no cache store configured; nothing saved")
        try:
            key = self._render_key(step.key)
        except CacheKeyError as exc:
            return _Outcome("warning", note=str(exc))
        if store.exists(key):
            return self._said(f"Skipping cache generation, cache already exists for key: {key}")
        entries: List[Tuple[str, str, str]] = []  # (anchor, anchor job path, relative path)
        for raw in step.paths:
            job_path = self._path(raw)
            with self.host.reading(job_path) as local:
                present = os.path.lexists(local)
            if not present:
                self.emit(f"Warning: could not find {job_path} to cache; skipping it")
                continue
            if is_within(job_path, self.host.home):
                rel = posixpath.relpath(job_path, self.host.home)
                entries.append(("home", self.host.home, rel))
            else:
                entries.append(("abs", "/", job_path.lstrip("/") or "."))
        if not entries:
            return self._said(f"none of the paths exist; no cache saved for {key}")

        def write(fh: IO[bytes]) -> None:
            with ArchiveWriter(fh, StoreError) as writer:
                for anchor, base, rel in entries:
                    # read just this path, never all of HOME or /: on a container host a
                    # read is a copy out of the container
                    with self.host.reading(posixpath.join(base, rel)) as local_entry:
                        writer.add_tree(_local_base(local_entry, rel), rel, arc_prefix=anchor,
                                        what="save_cache path")

        self.emit(f"Creating cache archive for key: {key}")
        saved = store.save(key, write)
        if not saved:
            return self._said(f"Skipping cache generation, cache already exists for key: {key}")
        return self._said(f"saved cache {key} ({plural(len(entries), 'path')})")

    def _restore_cache(self, step: RestoreCacheStep) -> _Outcome:
        store = self.request.caches
        if store is None:
            return _Outcome("skipped", note="no cache store configured; nothing restored")
        keys: List[str] = []
        for template in step.keys:
            try:
                keys.append(self._render_key(template))
            except CacheKeyError as exc:
                return _Outcome("warning", note=str(exc))
        found = store.match(keys)
        if found is None:
            note = "No cache is found for key: " + ", ".join(keys)
            self.emit(note)
            return _Outcome("success", note=note)
        self.emit(f"Found a cache from key {found}")
        with store.open(found) as fh, self.host.writing(self.host.home) as home, \
                self.host.writing("/") as root:
            extract_archive(fh, {"home": home, "abs": root}, describe=f"cache {found!r}",
                            error=StoreError)
        return self._said(f"restored cache {found}")

    # -- artifacts and test results -----------------------------------------------------
    def _store_artifacts(self, step: StoreArtifactsStep) -> _Outcome:
        store = self.request.artifacts
        if store is None:
            return _Outcome("skipped", note="no artifact store configured; nothing stored")
        src = self._path(step.path)
        destination = step.destination if step.destination is not None else \
            _default_destination(step.path, src)
        self._refuse_escaping_link(src, "store_artifacts path")
        with self.host.reading(src) as local:
            stored = store.store(self.request.run_id, self.request.job_name, local, destination)
        if not stored:
            note = f"No artifact files found at {src}"
            self.emit(note)
            return _Outcome("success", note=note)
        for art in stored:
            self.emit(f"Uploading {art.path}")
        self.artifacts.extend(stored)
        return self._said(f"stored {plural(len(stored), 'artifact')}")

    def _store_test_results(self, step: StoreTestResultsStep) -> _Outcome:
        src = self._path(step.path)
        with self.host.reading(src) as local:
            if not os.path.exists(local):
                note = f"no test results found at {src}"
                self.emit(note)
                return _Outcome("success", note=note)
            summary, timings, problems = read_junit(local)
        for problem in problems:
            self.emit(problem)
        self.tests = summary if self.tests is None else self.tests + summary
        self._record_timings(timings)
        note = (f"{plural(summary.tests, 'test')}, {plural(summary.failures, 'failure')}, "
                f"{plural(summary.errors, 'error')}, {summary.skipped} skipped "
                f"({plural(len(summary.files), 'file')})")
        self.emit(note)
        return _Outcome("success", note=note)

    # -- test timings (`circleci tests split --split-by=timings`) -------------------------
    def _export_timings(self) -> None:
        """Put the timings of the job's earlier runs (every node's) where the in-job
        ``circleci`` tool reads them; a problem is a warning: splitting falls back to names."""
        store, path = self.request.timings, self.env.get(TIMINGS_ENV)
        if store is None or not path:
            return
        try:
            with self.host.writing(posixpath.dirname(path)) as local_dir:
                store.export(self.request.job_name, local_dir / posixpath.basename(path))
        except (StoreError, OSError) as exc:
            self.emit(f"warning: the test timings of earlier runs are not available to "
                      f"this job: {exc}")

    def _record_timings(self, found: Sequence[TestTiming]) -> None:
        """Record every timing this job has stored so far as this node's latest."""
        store = self.request.timings
        if store is None or not found:
            return
        self.test_timings.extend(found)
        del self.test_timings[:-MAX_TESTS]
        try:
            store.record(self.request.job_name, self.test_timings,
                         node_index=self.request.node_index, run_id=self.request.run_id)
        except (StoreError, OSError, ValueError) as exc:
            self.emit(f"warning: the test timings of this run were not recorded: {exc}")

    def _said(self, note: str) -> _Outcome:
        """A successful step whose one-line result goes to the output as well (``saved
        cache …``), so the reader sees what the step did, not only that it ended."""
        self.emit(note)
        return _Outcome("success", note=note)

    def _halted(self) -> bool:
        """Whether a step ran ``circleci-agent step halt``; hosts without the in-job tools
        (a Docker container runs the image's own ``circleci``) never halt."""
        halted = getattr(self.host, "halted", None)
        return bool(halted()) if callable(halted) else False


def _local_base(local_entry: Path, rel: str) -> Path:
    """The local counterpart of the directory ``rel`` is relative to: ``reading`` mirrors
    job paths (the local path ends with the job path's components), so walk up."""
    for part in rel.split("/"):
        if part not in ("", "."):
            local_entry = local_entry.parent
    return local_entry


def _should_run(when: str, failed: bool) -> bool:
    if when == "always":
        return True
    if when == "on_fail":
        return failed
    return not failed


def _process_outcome(proc: ProcessOutcome, step: RunStep) -> _Outcome:
    if proc.reason == "canceled":
        return _Outcome("canceled", None, "canceled", stop="canceled")
    if proc.reason == "deadline":
        return _Outcome("failed", None, "killed: the job timed out", stop="timed out")
    if proc.reason == "no_output_timeout":
        return _Outcome("failed", None, "Too long with no output (exceeded "
                        f"{_go_duration(step.no_output_timeout)}): context deadline exceeded")
    if proc.exit_code == 0:
        return _Outcome("success", 0)
    return _Outcome("failed", proc.exit_code, f"Exited with code exit status {proc.exit_code}")


def _script_argv(shell_argv: Sequence[str], script_path: str, text: str, *,
                 inline: bool) -> List[str]:
    """How a ``run`` step's script runs: ``[*shell, "-c", text, shell[0]]`` for a POSIX
    shell when the host allows it and the text fits in one argv string (no NUL), else the
    shell with the script file (``python3 /…/step-003``)."""
    if inline and shell_argv and posixpath.basename(shell_argv[0]) in _INLINE_SHELLS \
            and "\0" not in text \
            and len(text.encode("utf-8", "surrogateescape")) <= MAX_INLINE_SCRIPT:
        return [*shell_argv, "-c", text, shell_argv[0]]
    return [*shell_argv, script_path]


def _go_duration(seconds: float) -> str:
    """Seconds printed like Go's ``time.Duration`` (``10m0s``, ``1h15m0s``, ``0.5s``)."""
    if seconds < 1:
        return f"{seconds:g}s"
    whole = int(seconds)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    frac = seconds - whole
    sec = f"{s + frac:g}s"
    if h:
        return f"{h}h{m}m{sec}"
    if m:
        return f"{m}m{sec}"
    return sec


def _title(name: str) -> str:
    first = name.strip().splitlines()[0] if name.strip() else name
    return first if len(first) <= 120 else first[:117] + "..."


def _default_destination(raw: str, resolved: str) -> str:
    """CircleCI shows ``path: /tmp/artifacts`` as ``tmp/artifacts``; same here."""
    text = raw[2:] if raw.startswith("~/") else raw
    text = posixpath.normpath(text).lstrip("/")
    if text in ("", ".", "~") or text.startswith(".."):
        text = posixpath.basename(resolved) or "artifacts"
    return text
