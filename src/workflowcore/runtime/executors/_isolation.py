"""The isolating mode of the subprocess executor: each job in namespaces of its own (Linux).

Plain mode shares this machine with the job: its ``/tmp``, its processes, absolute paths
(docs/isolation.md lists it all). ``SubprocessExecutor(isolate=True)`` (``workflowcore run
--isolate``) starts, per job, a *keeper*: ``unshare --mount --pid --fork --kill-child
--mount-proc`` (plus ``--user --map-root-user`` when not root, where unprivileged user
namespaces are allowed) running a small Python init (:mod:`._isolation_init`) that

* binds the job's home directory (``<job>/home``) at ``/home/circleci``, as on CircleCI's
  images: real configs hard-code ``/home/circleci/project`` in paths and cache keys. When
  this machine has no ``/home/circleci``, a tmpfs covers ``/home`` and the host's own
  ``/home/*`` entries are bound back, so nothing is created on the host;
* binds ``<job>/tmp`` at ``/tmp`` (a private ``/tmp``), and the job directory itself at
  :data:`JOB_DIR` (scripts, ``$BASH_ENV``, the in-job tools), since it may lie under
  ``/tmp`` and be hidden by that;
* stays as PID 1 of the job's PID namespace, reaping orphans. When the job ends the keeper
  is killed, and the kernel kills everything left in the namespace: no ``setsid`` daemon
  survives.

Each step enters those namespaces with ``nsenter`` (so a daemon one step starts is still
there for the next, as on CircleCI). Mount sources are opened as directory fds and named
``/proc/self/fd/N/...``, so a job directory that the new mounts cover stays reachable.

The step engine sees job paths (``/home/circleci/project``); :class:`IsolatedHost` maps them
to this machine's (``<job>/home/project``) for checkout, workspaces, caches and artifacts,
and resolves symlinks as the job sees them when judging a ``root``/``at``/``path``. Paths
elsewhere are this machine's, as in plain mode.
"""

from __future__ import annotations

import os
import posixpath
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Mapping, Optional, Protocol, Sequence, Tuple

from ...errors import ExecutorError
from .._fs import is_within
from .._process import BackgroundProcess, ProcessOutcome, process_start_time, process_stat
from .._reaper import pid_namespace, stop_job_processes
from ..contexts import Masker
from ..steps import StepError

__all__ = ["JOB_DIR", "JOB_HOME", "IsolatedHost", "Isolation", "probe_isolation"]

#: HOME inside an isolated job, as on CircleCI's images.
JOB_HOME = "/home/circleci"
#: Where the job's own directory (scripts, ``$BASH_ENV``, tools) is inside the job.
JOB_DIR = "/tmp/.workflowcore-job"
#: How long the keeper may take to set up the namespaces.
START_SECONDS = 20.0

#: PID 1 of a job's namespaces, run as a script (``-I -S``: no site, a cheap start).
_INIT = str(Path(__file__).with_name("_isolation_init.py"))

# Run by nsenter inside the namespaces: go to the step's directory, then run the step.
_ENTER = 'cd "$1" || exit 1; shift; exec "$@"'


class _Inner(Protocol):
    """What :class:`IsolatedHost` needs of the plain host it wraps (``_LocalHost``)."""

    @property
    def job_root(self) -> Path: ...

    @property
    def default_shell(self) -> str: ...

    @property
    def base_environment(self) -> Mapping[str, str]: ...

    @property
    def builtin_environment(self) -> Mapping[str, str]: ...

    def write_script(self, index: int, text: str) -> str: ...

    def run(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
            on_line: Callable[[str], None], cancel: threading.Event,
            no_output_timeout: Optional[float], deadline: Optional[float],
            masker: Optional[Masker] = None) -> ProcessOutcome: ...

    def start_background(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
                         on_line: Callable[[str], None],
                         masker: Optional[Masker] = None) -> BackgroundProcess: ...

    def checkout(self, job_path: str, emit: Callable[[str], None]) -> None: ...

    def halted(self) -> bool: ...

    def cleanup(self) -> List[str]: ...


@dataclass(frozen=True)
class Isolation:
    """How this machine isolates jobs, as found by :func:`probe_isolation`."""

    unshare: str
    nsenter: str
    python: str
    #: not root: a user namespace maps this user to root inside (files stay this user's)
    user_namespace: bool

    @property
    def note(self) -> str:
        how = "a user namespace" if self.user_namespace else "root"
        return (f"isolated ({how}): HOME is {JOB_HOME}, /tmp is the job's own and the job "
                "has its own process namespace; the network and other paths are this "
                "machine's")

    def keeper_argv(self, job_root: str, mode: str) -> List[str]:
        user = ["--user", "--map-root-user"] if self.user_namespace else []
        return [self.unshare, *user, "--mount", "--pid", "--fork", "--kill-child",
                "--mount-proc", "--", self.python, "-I", "-S", _INIT, job_root, mode]

    def enter_argv(self, pid: int, cwd: str, argv: Sequence[str]) -> List[str]:
        user = ["--user", "--preserve-credentials"] if self.user_namespace else []
        return [self.nsenter, "--target", str(pid), *user, "--mount", "--pid", "--",
                "/bin/sh", "-c", _ENTER, "sh", cwd, *argv]

    def host(self, inner: _Inner, *,
             on_process: Optional[Callable[[int, str], None]] = None,
             kill_grace: float = 2.0) -> IsolatedHost:
        return IsolatedHost(self, inner, on_process=on_process, kill_grace=kill_grace)


_HINT = ("run without --isolate (plain mode, docs/isolation.md says what it shares with "
         "this machine), or use --executor docker")


def probe_isolation() -> Isolation:
    """Check that jobs can be isolated here, by setting up the namespaces once for an empty
    job; :class:`~workflowcore.errors.ExecutorError` saying why not and what to do."""
    if not sys.platform.startswith("linux"):
        raise ExecutorError(f"cannot isolate jobs: namespaces are Linux-only and this is "
                            f"{sys.platform}; {_HINT}")
    unshare, nsenter = shutil.which("unshare"), shutil.which("nsenter")
    if unshare is None or nsenter is None:
        missing = " and ".join(n for n, p in (("unshare", unshare), ("nsenter", nsenter))
                               if p is None)
        raise ExecutorError(f"cannot isolate jobs: {missing} not found on PATH (util-linux; "
                            f"e.g. `apt-get install util-linux`); or {_HINT}")
    isolation = Isolation(unshare, nsenter, sys.executable, user_namespace=os.geteuid() != 0)
    scratch = Path(tempfile.mkdtemp(prefix="workflowcore-isolation-"))
    try:
        _prepare(scratch)
        try:
            proc = subprocess.run(isolation.keeper_argv(str(scratch), "probe"),
                                  stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=START_SECONDS, env=_keeper_env(), check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ExecutorError(f"cannot isolate jobs: {unshare} did not run: {exc}; "
                                f"{_HINT}") from exc
        if proc.returncode != 0 or proc.stdout.decode(errors="replace").strip() != "ready":
            why = proc.stderr.decode(errors="replace").strip().splitlines()
            reason = why[-1] if why else f"exit status {proc.returncode}"
            extra = (" Unprivileged user namespaces look disabled here (sysctl "
                     "user.max_user_namespaces, kernel.unprivileged_userns_clone, or on "
                     "Ubuntu kernel.apparmor_restrict_unprivileged_userns); run as root, or "
                     "allow them." if isolation.user_namespace else "")
            raise ExecutorError(f"cannot isolate jobs: creating the namespaces failed: "
                                f"{reason}.{extra} Or {_HINT}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return isolation


def _prepare(job_root: Path) -> None:
    """The job directory's mount sources: ``home`` and a world-writable, sticky ``tmp``."""
    (job_root / "home").mkdir(parents=True, exist_ok=True)
    tmp = job_root / "tmp"
    tmp.mkdir(exist_ok=True)
    os.chmod(tmp, 0o1777)


def _keeper_env() -> Mapping[str, str]:
    """The keeper's environment: nothing of the job's (it must not carry the job token,
    or the end-of-job scan would report it as a process the job left running)."""
    return {"PATH": os.environ.get("PATH") or os.defpath, "LANG": "C.UTF-8"}


class IsolatedHost:
    """The :class:`~workflowcore.runtime.steps.StepHost` of one isolated job: a plain host
    (``_LocalHost``: job token, scripts, checkout) whose commands run inside the job's
    namespaces and whose paths are seen as the job sees them."""

    def __init__(self, isolation: Isolation, inner: _Inner, *,
                 on_process: Optional[Callable[[int, str], None]] = None,
                 kill_grace: float = 2.0) -> None:
        self._isolation = isolation
        self._inner = inner
        self._root = Path(inner.job_root)
        self._on_process = on_process
        self._kill_grace = kill_grace
        _prepare(self._root)
        roots = sorted({str(self._root), os.path.realpath(self._root)}, key=len, reverse=True)
        self._host_path = re.compile(
            "(" + "|".join(re.escape(r) for r in roots) + r")(/home|/tmp)?(?=/|:|$)")
        self.home = JOB_HOME
        self.default_shell = inner.default_shell
        self.base_environment = {k: v for k, v in inner.base_environment.items()
                                 if k != "TMPDIR"}
        builtin = {k: self.job_text(v) for k, v in inner.builtin_environment.items()}
        builtin.update(HOME=JOB_HOME, TMPDIR="/tmp")
        self.builtin_environment = builtin
        self._keeper: Optional[subprocess.Popen[bytes]] = None
        self._init_pid = 0
        self._namespace: Optional[str] = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        # anything else a plain host offers (added later) is the same here
        return getattr(self._inner, name)

    # paths --------------------------------------------------------------------------------
    def job_text(self, text: str) -> str:
        """``text`` with this machine's paths of the job directory as the job sees them
        (``<job>/home/x`` is ``/home/circleci/x``, ``<job>/bin`` is ``JOB_DIR/bin``)."""
        def repl(m: re.Match[str]) -> str:
            sub = m.group(2)
            return JOB_HOME if sub == "/home" else "/tmp" if sub == "/tmp" else JOB_DIR
        return self._host_path.sub(repl, text)

    def local(self, job_path: str) -> Path:
        """Where job path ``job_path`` is on this machine."""
        path = posixpath.normpath(job_path)
        for job_side, local in ((JOB_DIR, self._root), (JOB_HOME, self._root / "home"),
                                ("/tmp", self._root / "tmp")):
            if is_within(path, job_side):
                rel = posixpath.relpath(path, job_side)
                return local if rel == "." else local / rel
        return Path(path)

    def _followed(self, job_path: str) -> Path:
        """The local path of ``job_path``: its mirror (``<job>/home/...``), unless a
        symlink on the way points elsewhere for the job than for this machine
        (``dist -> /home/circleci/project/out``): then where the job's link leads."""
        mirror = self.local(job_path)
        resolved = self.local(self._job_realpath(job_path))
        if os.path.realpath(mirror) == os.path.realpath(resolved):
            return mirror
        return resolved

    @contextmanager
    def reading(self, job_path: str) -> Iterator[Path]:
        yield self._followed(job_path)

    @contextmanager
    def writing(self, job_path: str) -> Iterator[Path]:
        path = self._followed(job_path)
        path.mkdir(parents=True, exist_ok=True)
        yield path

    def _job_realpath(self, job_path: str) -> str:
        """``job_path`` with its symlinks resolved as the job sees them (an absolute
        target ``/home/circleci/x`` is the job's home, not this machine's)."""
        pending = [p for p in job_path.split("/") if p]
        resolved = "/"
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == ".":
                continue
            if part == "..":
                resolved = posixpath.dirname(resolved)
                continue
            candidate = posixpath.join(resolved, part)
            local = self.local(candidate)
            if not os.path.islink(local) or hops >= 40:
                resolved = candidate
                continue
            hops += 1
            target = os.readlink(local)
            pending = [p for p in target.split("/") if p] + pending
            if target.startswith("/"):
                resolved = "/"
        return resolved

    def escaping_link(self, job_path: str, anchor: str) -> Optional[Tuple[str, str]]:
        anchor_real = self._job_realpath(anchor)
        here = anchor
        for part in posixpath.relpath(job_path, anchor).split("/"):
            if part in ("", "."):
                continue
            here = posixpath.join(here, part)
            local = self.local(here)
            if not os.path.islink(local):
                if not os.path.lexists(local):
                    return None
                continue
            if not is_within(self._job_realpath(here), anchor_real):
                return here, os.readlink(local)
        return None

    # commands -----------------------------------------------------------------------------
    def write_script(self, index: int, text: str) -> str:
        return self.job_text(self._inner.write_script(index, text))

    def run(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
            on_line: Callable[[str], None], cancel: threading.Event,
            no_output_timeout: Optional[float], deadline: Optional[float],
            masker: Optional[Masker] = None) -> ProcessOutcome:
        entered = self._isolation.enter_argv(self._start(), cwd, argv)
        return self._inner.run(entered, cwd=str(self._root), env=self._job_env(env),
                               on_line=on_line,
                               cancel=cancel, no_output_timeout=no_output_timeout,
                               deadline=deadline, masker=masker)

    def start_background(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
                         on_line: Callable[[str], None],
                         masker: Optional[Masker] = None) -> BackgroundProcess:
        entered = self._isolation.enter_argv(self._start(), cwd, argv)
        return self._inner.start_background(entered, cwd=str(self._root),
                                            env=self._job_env(env),
                                            on_line=on_line, masker=masker)

    def _job_env(self, env: Mapping[str, str]) -> Mapping[str, str]:
        """A step's environment with paths of the job directory as the job sees them
        (a variable the engine or a tool set to a file in the job directory)."""
        return {k: self.job_text(v) for k, v in env.items()}

    def checkout(self, job_path: str, emit: Callable[[str], None]) -> None:
        self._inner.checkout(str(self.local(job_path)), lambda line: emit(self.job_text(line)))

    def halted(self) -> bool:
        return self._inner.halted()

    # the keeper ---------------------------------------------------------------------------
    def _start(self) -> int:
        """The pid (on this machine) of the job's PID 1, starting the keeper on first use."""
        with self._lock:
            if self._keeper is not None:
                return self._init_pid
            argv = self._isolation.keeper_argv(os.path.realpath(self._root), "serve")
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, start_new_session=True,
                                        close_fds=True, cwd="/", env=_keeper_env())
            except OSError as exc:
                raise StepError(f"cannot isolate the job: {exc}") from exc
            self._keeper = proc
            if self._on_process is not None:  # a runner killed now leaves no namespace
                self._on_process(proc.pid, process_start_time(proc.pid))
            assert proc.stdout is not None and proc.stderr is not None
            ready, _, _ = select.select([proc.stdout], [], [], START_SECONDS)
            line = proc.stdout.readline().decode(errors="replace").strip() if ready else ""
            init = _child_of(proc.pid) if line == "ready" else None
            if init is None:
                _kill(proc)
                why = proc.stderr.read().decode(errors="replace").strip().splitlines()
                raise StepError("cannot isolate the job: setting up its namespaces failed: "
                                + (why[-1] if why else line or "no answer"))
            proc.stdout.close()
            proc.stderr.close()
            self._init_pid = init
            self._namespace = pid_namespace(init)
            return init

    def cleanup(self) -> List[str]:
        """Stop what the job left running: by token first (named in the log), then
        anything else in its PID namespace (a process that cleared its environment), then
        the namespace itself."""
        lines = list(self._inner.cleanup() or ())
        with self._lock:
            keeper, self._keeper = self._keeper, None
        if keeper is None:
            return lines
        if self._namespace is not None:
            lines += stop_job_processes(None, grace=self._kill_grace, namespace=self._namespace,
                                        exclude=(self._init_pid,))
        _kill(keeper)
        with suppress(ProcessLookupError, PermissionError):
            os.kill(self._init_pid, signal.SIGKILL)
        return lines


def _child_of(pid: int) -> Optional[int]:
    """The (one) child of ``pid``: unshare's forked child is the namespace's PID 1."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            kids = [int(k) for k in fh.read().split()]
        if kids:
            return kids[0]
    except (OSError, ValueError):
        pass
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = process_stat(int(name))
            if fields is not None and len(fields) > 1 and fields[1] == str(pid):
                return int(name)
    return None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the keeper's group (``--kill-child`` takes the namespace's PID 1 with it)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
