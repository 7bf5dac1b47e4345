"""``SubprocessExecutor``: runs a job's steps as shell processes on this machine.

Each job gets its own directory under the run directory (``<run_dir>/<workflow>/<job>/``)
holding its HOME (``home/``; the default ``working_directory`` ``~/project`` is
``home/project``), the step scripts and the ``$BASH_ENV`` file. ``docker:``/``machine:``
images are not used; the job log says so in one line. This is *not* a sandbox: absolute
paths in the config (``/tmp/workspace``) are paths on this machine, and steps run as the
current user. The Docker executor is the isolated choice.

* ``checkout`` copies the local repository's files, committed and uncommitted: with git,
  ``git ls-files -co --exclude-standard`` (tracked plus untracked-but-not-ignored); without
  git, the tree minus ``.git``. The run directory is never copied into itself.
* every ``run`` step is a new shell process in its own process group, with the script
  written to a file and passed to the shell (so ``shell: python3`` works as on CircleCI);
  ``no_output_timeout``, the job timeout and cancel kill the whole group.
* background steps run beside the later steps and are stopped at the end of the job, and so
  is anything a step left running, whatever its session: every process of the job carries
  the job's token (``WORKFLOWCORE_JOB_TOKEN``, runtime/_reaper.py), and the job log names
  what was stopped.
* ``isolate=True`` runs each job in Linux namespaces of its own (``_isolation.py``: HOME
  ``/home/circleci``, a private ``/tmp``, a PID namespace); docs/isolation.md.
* only a few host variables leak into the job (``PATH``, locale, ``TERM``, ``TMPDIR``...)
  so a local run behaves like CI and host secrets stay out; pass ``inherit_env=True`` to
  inherit everything.
"""

from __future__ import annotations

import os
import shutil
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ..._text import plural
from ...errors import ExecutorError
from .._fs import escaping_link, path_component, remove_tree
from .._git import CheckoutError, CheckoutTarget, clone_checkout, is_repository_root
from .._process import (
    BackgroundProcess,
    ProcessOutcome,
    group_alive,
    process_start_time,
    run_process,
)
from .._reaper import TOKEN_VARIABLE, new_job_token, stop_job_processes
from .._source import checkout_files
from ..contexts import Masker
from ..executor import BaseExecutor, JobRequest, JobResult
from ..jobtools import HALT_MARKER, install_tools
from ..steps import DEFAULT_SHELL, FALLBACK_SHELL, StepError, StepHost, run_steps
from ._isolation import Isolation, probe_isolation

__all__ = ["DEFAULT_INHERITED_ENV", "SubprocessExecutor", "job_images"]

#: Host variables a job sees by default (plus every ``LC_*``).
DEFAULT_INHERITED_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "TMPDIR", "USER",
                         "LOGNAME", "SSL_CERT_FILE", "SSL_CERT_DIR")

_EXECUTOR_KINDS = ("docker", "machine", "macos", "windows")


class SubprocessExecutor(BaseExecutor):
    """Run jobs as local processes.

    ``run_dir`` holds one directory per job; ``source_dir`` is the repository ``checkout``
    copies (``None``: ``checkout`` fails with a message saying so). ``kill_grace`` is the
    time between SIGTERM and SIGKILL when a step is stopped. ``private_files`` (the contexts
    file) are never copied into a job by ``checkout``, wherever they sit in the source.
    ``committed_only``: ``checkout`` leaves the work tree's uncommitted changes out.
    ``keep_job_dirs=False`` removes each job's directory when the job has finished.
    ``isolate=True`` runs each job in namespaces of its own (Linux, ``unshare``): HOME is
    ``/home/circleci``, ``/tmp`` is the job's, and nothing it starts outlives it
    (docs/isolation.md); :class:`~workflowcore.errors.ExecutorError` here, saying why and
    what to do, when this machine cannot do that.
    """

    def __init__(
        self,
        run_dir: Union[Path, str],
        source_dir: Union[Path, str, None] = None,
        *,
        inherit_env: Union[bool, Sequence[str]] = DEFAULT_INHERITED_ENV,
        kill_grace: float = 2.0,
        private_files: Sequence[Union[Path, str]] = (),
        committed_only: bool = False,
        keep_job_dirs: bool = True,
        isolate: bool = False,
        own_files: Sequence[Union[Path, str]] = (),
    ) -> None:
        #: how jobs are isolated (``None``: plain mode); probed now, so a machine that
        #: cannot isolate fails here and not in the middle of a run
        self.isolation: Optional[Isolation] = probe_isolation() if isolate else None
        self.run_dir = Path(run_dir).absolute()
        #: check out the trigger's commit alone, without the work tree's uncommitted changes
        self.committed_only = committed_only
        #: leave each finished job's directory in place (the CLI removes them by default)
        self.keep_job_dirs = keep_job_dirs
        self.source_dir = Path(source_dir).absolute() if source_dir is not None else None
        #: files ``checkout`` never copies into a job (the contexts file: secrets)
        self.private_files = [Path(p).absolute() for p in private_files]
        #: workflowcore's own files in the project (the orb lock a run writes): the
        #: uncommitted work applied on top of a checkout leaves them as committed
        self.own_files = [Path(p).absolute() for p in own_files]
        self.inherit_env = inherit_env
        self.kill_grace = kill_grace
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SubprocessExecutor({str(self.run_dir)!r}, {str(self.source_dir)!r})"

    def _base_environment(self) -> Dict[str, str]:
        if self.inherit_env is True:
            return dict(os.environ)
        names = set(self.inherit_env or ())
        return {k: v for k, v in os.environ.items() if k in names or k.startswith("LC_")}

    def _job_root(self, request: JobRequest) -> Path:
        if request.work_dir is not None:
            root = Path(request.work_dir).absolute()
            root.mkdir(parents=True, exist_ok=True)
            return root
        # Node K>0 of a parallel job gets `<job>@nodeK` beside `<job>` (node 0), the same
        # name its workspace layer and artifacts use (docs/parallelism.md).
        from ..stores.workspace import node_key

        base = self.run_dir / path_component(request.workflow_id) / path_component(
            node_key(request.job_name, request.node_index))
        with self._lock:  # two attempts of one job never share a directory
            candidate, n = base, 1
            while True:
                try:
                    candidate.mkdir(parents=True)
                    return candidate
                except FileExistsError:
                    n += 1
                    candidate = base.with_name(f"{base.name}.{n}")

    def execute(self, request: JobRequest) -> JobResult:
        try:
            job_root = self._job_root(request)
            host = _LocalHost(job_root, self.source_dir, self._base_environment(),
                              exclude=(self.run_dir, job_root, *self.own_files),
                              kill_grace=self.kill_grace,
                              on_process=request.on_process, private=self.private_files,
                              token=new_job_token(request.run_id))
            host.checkout_target = CheckoutTarget.from_environment(
                request.environment, committed_only=self.committed_only)
        except OSError as exc:
            raise ExecutorError(
                f"cannot prepare the job directory under {str(self.run_dir)!r}: {exc}") from exc
        step_host: StepHost = host
        notes = _executor_notes(request.definition)
        if self.isolation is not None:
            step_host = self.isolation.host(host, on_process=request.on_process,
                                            kill_grace=self.kill_grace)
            notes.append(self.isolation.note)
        try:
            return run_steps(request, step_host, preamble=notes)
        except OSError as exc:  # steps turn their own OSErrors into failures; this is the machine
            raise ExecutorError(f"job {request.job_name!r} could not be run: {exc}") from exc
        finally:
            # a finished job's files go (one real project reached 18 GB in three runs);
            # a directory the caller chose (work_dir) is the caller's
            if not self.keep_job_dirs and request.work_dir is None:
                remove_tree(job_root)


def job_images(definition: Mapping[str, object]) -> List[Tuple[str, str]]:
    """``(executor kind, image)`` for every image a job definition names (``docker:``
    images in order, ``machine:``/``macos:``/``windows:`` images) — what the subprocess
    executor does not use."""
    out: List[Tuple[str, str]] = []
    for kind in _EXECUTOR_KINDS:
        value = definition.get(kind)
        if kind == "docker" and isinstance(value, list):
            out += [(kind, str(i.get("image"))) for i in value
                    if isinstance(i, dict) and i.get("image")]
        elif isinstance(value, dict) and value.get("image"):
            out.append((kind, str(value["image"])))
    return out


def _executor_notes(definition: Mapping[str, object]) -> List[str]:
    notes: List[str] = []
    images = job_images(definition)
    for kind in _EXECUTOR_KINDS:
        value = definition.get(kind)
        if value is None:
            continue
        named = [image for k, image in images if k == kind]
        if kind == "docker" and isinstance(value, list):
            what = (("docker image " if len(named) == 1 else "docker images ")
                    + ", ".join(named)) if named else "docker images"
        elif named:
            what = f"{kind} image {named[0]}"
        else:
            what = f"the {kind} executor"
        notes.append(f"{what} not used: the subprocess executor runs the steps on this machine")
    return notes


class _LocalHost:
    """The :class:`~workflowcore.runtime.steps.StepHost` of one job on this machine."""

    #: the trigger's commit, branch or tag (set by the executor from the request)
    checkout_target: CheckoutTarget = CheckoutTarget()
    #: run steps go to the shell as ``-c TEXT`` (steps/_engine.py): errors name the shell,
    #: not the job's script file. The Docker host keeps its files (its own argv handling).
    inline_scripts = True

    def __init__(self, job_root: Path, source_dir: Optional[Path], base_env: Mapping[str, str],
                 *, exclude: Sequence[Path], kill_grace: float,
                 on_process: Optional[Callable[[int, str], None]] = None,
                 private: Sequence[Path] = (), token: Optional[str] = None) -> None:
        self.job_root = job_root
        #: in the environment of every process of the job, inherited by all it starts
        #: whatever its session: what cleanup() looks for (runtime/_reaper.py)
        self.token = token or new_job_token("-")
        self.source_dir = source_dir
        self.home = str(job_root / "home")
        os.makedirs(self.home, exist_ok=True)
        bash_env = job_root / "bash_env"
        bash_env.touch()
        self.default_shell = DEFAULT_SHELL if os.path.exists("/bin/bash") else FALLBACK_SHELL
        self.base_environment = dict(base_env)
        # GIT_CEILING_DIRECTORIES: git in a job never walks up out of the job's directory
        # (which lives in .workflowcore/ inside the user's work tree by default) and so
        # never acts on the user's own repository: a deploy job's `git push` did (issue 12).
        self.builtin_environment = {"HOME": self.home, "BASH_ENV": str(bash_env),
                                    "GIT_CEILING_DIRECTORIES": os.path.realpath(job_root),
                                    "WORKFLOWCORE_JOB_DIR": str(job_root),
                                    TOKEN_VARIABLE: self.token}
        # CircleCI's in-job tools (`circleci`, `circleci-agent`, ...) come first on PATH
        bin_dir = job_root / "bin"
        install_tools(bin_dir)
        # a halt marker left in a reused directory (work_dir) must not halt this run
        (job_root / HALT_MARKER).unlink(missing_ok=True)
        host_path = self.base_environment.get("PATH") or os.defpath
        self.builtin_environment["PATH"] = f"{bin_dir}{os.pathsep}{host_path}"
        self._exclude = [os.path.realpath(p) for p in exclude]
        self._private = list(private)
        self._kill_grace = kill_grace
        self._on_process = on_process
        self._groups: List[int] = []
        self._lock = threading.Lock()

    # paths: on this machine a job path *is* the local path
    @contextmanager
    def reading(self, job_path: str) -> Iterator[Path]:
        yield Path(job_path)

    @contextmanager
    def writing(self, job_path: str) -> Iterator[Path]:
        path = Path(job_path)
        path.mkdir(parents=True, exist_ok=True)
        yield path

    def escaping_link(self, job_path: str, anchor: str) -> Optional[Tuple[str, str]]:
        hit = escaping_link(Path(anchor), os.path.relpath(job_path, anchor))
        return None if hit is None else (str(hit[0]), hit[1])

    def write_script(self, index: int, text: str) -> str:
        scripts = self.job_root / "steps"
        scripts.mkdir(exist_ok=True)
        path = scripts / f"step-{index:03d}"
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        return str(path)

    def run(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
            on_line: Callable[[str], None], cancel: threading.Event,
            no_output_timeout: Optional[float], deadline: Optional[float],
            masker: Optional[Masker] = None) -> ProcessOutcome:
        env = {**env, TOKEN_VARIABLE: self.token}  # whatever the config or a step set
        outcome = run_process(argv, cwd=cwd, env=env, on_line=on_line, cancel=cancel,
                              no_output_timeout=no_output_timeout, deadline=deadline,
                              kill_grace=self._kill_grace, masker=masker,
                              on_start=self._started)
        if not outcome.killed and group_alive(outcome.pgid):
            with self._lock:  # the step left processes behind: stop them at job end
                self._groups.append(outcome.pgid)
        return outcome

    def start_background(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
                         on_line: Callable[[str], None],
                         masker: Optional[Masker] = None) -> BackgroundProcess:
        env = {**env, TOKEN_VARIABLE: self.token}
        return BackgroundProcess(argv, cwd=cwd, env=env, on_line=on_line, masker=masker,
                                 on_start=self._started)

    def halted(self) -> bool:
        """Whether a step ran ``circleci-agent step halt`` (the job ends successfully)."""
        return (self.job_root / HALT_MARKER).exists()

    def _started(self, pgid: int) -> None:
        if self._on_process is not None:
            self._on_process(pgid, process_start_time(pgid))

    def cleanup(self) -> List[str]:
        """Stop every process the job left running (in a step's process group, or
        anywhere with the job's token: a ``setsid`` daemon, a double fork) and return the
        lines that say what was stopped."""
        with self._lock:
            groups, self._groups = self._groups, []
        return stop_job_processes(self.token, grace=self._kill_grace, groups=groups)

    # checkout ----------------------------------------------------------------------------
    def checkout(self, job_path: str, emit: Callable[[str], None]) -> None:
        source = self.source_dir
        if source is None:
            raise StepError("checkout: no source directory was given to the subprocess "
                            "executor (SubprocessExecutor(run_dir, source_dir=...))")
        if not source.is_dir():
            raise StepError(f"checkout: source directory {str(source)!r} does not exist")
        dest = Path(job_path)
        # Never copy the run directory, nor the job's own destination, into the job.
        exclude = [Path(e) for e in self._exclude]
        exclude.append(dest)
        if is_repository_root(source):
            target = self.checkout_target
            try:
                lines = clone_checkout(source, dest, revision=target.revision,
                                       branch=target.branch, tag=target.tag,
                                       private=self._private, exclude=exclude,
                                       committed_only=target.committed_only)
            except CheckoutError as exc:
                raise StepError(f"checkout: {exc}") from exc
            for line in lines:
                emit(line)
            return
        dest.mkdir(parents=True, exist_ok=True)
        files, how = checkout_files(source, exclude, self._private)
        copied = 0
        for rel in files:
            copied += _copy_entry(source / rel, dest / rel)
        emit(f"copied {plural(copied, 'file')} from {source} to {dest} ({how}; "
             "no .git: the source is not the root of a git repository)")

def _copy_entry(src: Path, dst: Path) -> int:
    try:
        st = os.lstat(src)
    except FileNotFoundError:
        return 0  # tracked but deleted in the working tree
    if stat.S_ISDIR(st.st_mode):
        return 0  # a submodule or nested repository: CircleCI does not check those out
    dst.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(dst) and not dst.is_dir():
        dst.unlink()
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dst)
        return 1
    if stat.S_ISREG(st.st_mode):
        shutil.copy2(src, dst, follow_symlinks=False)
        return 1
    return 0
