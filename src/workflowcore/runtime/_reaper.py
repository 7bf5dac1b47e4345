"""Finding and stopping every process a job started, whatever session it moved to.

Each step runs as the leader of its own process group, and stopping the group stops what the
step started (:mod:`~workflowcore.runtime._process`). A daemon started with ``setsid``,
``nohup … & setsid`` or a double fork leaves that group and survived the job and the whole
run: a leftover Xvfb held display ``:99`` and broke the next five jobs of a real project
(issue 12). So every process of a local job carries a *job token* in its environment
(:data:`TOKEN_VARIABLE`), which every descendant inherits whatever its session or parent,
and at the end of the job every process whose ``/proc/PID/environ`` holds the token is
stopped: SIGTERM, the kill grace, SIGKILL, and the job log names what was stopped.

Why a token and not ``prctl(PR_SET_CHILD_SUBREAPER)``: the subreaper flag is per process,
and one ``workflowcore run`` runs several jobs at once on threads; orphans of every job
would become children of the runner, with nothing to tell which job they belong to, and
the runner would have to reap them (no library code expects stray children). A token
names the job, survives ``setsid`` and double forks, and also lets a later command that
takes a run over from a killed runner find the survivors (:func:`stop_run_processes`).

Limits (docs/isolation.md): ``/proc/PID/environ`` is the environment a program was
*started* with, so a process exec'd with a cleared environment (``env -i daemon``) that
also left its process group is not found; neither is one in a PID namespace of its own
(a container: the Docker executor stops its containers itself). The isolating mode
(``SubprocessExecutor(isolate=True)``) runs each job in its own PID namespace, where the
kernel stops everything when the job ends; there processes are also found by namespace.
Linux only: without ``/proc`` nothing is found and only the process groups are stopped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Iterator, List, Optional, Sequence, Set, Tuple
from urllib.parse import quote

from ._process import process_stat

__all__ = [
    "TOKEN_VARIABLE",
    "JobProcess",
    "describe_stopped",
    "find_job_processes",
    "new_job_token",
    "pid_namespace",
    "run_token_prefix",
    "stop_job_processes",
    "stop_processes",
    "stop_run_processes",
]

#: The environment variable holding a job's token (``<run id, quoted>/<random hex>``).
TOKEN_VARIABLE = "WORKFLOWCORE_JOB_TOKEN"
#: After SIGKILL, how long to wait for the processes to be gone.
KILL_WAIT_SECONDS = 5.0
#: Scans after the first: a process may fork while its siblings are being stopped.
_EXTRA_ROUNDS = 8
#: At most this many processes are named in a log line; the rest are counted.
_NAMED = 10


def new_job_token(run_id: str) -> str:
    """A token unique to one job attempt; its prefix names the run
    (:func:`run_token_prefix`), so the run's survivors can be found without records."""
    return f"{run_token_prefix(run_id)}{uuid.uuid4().hex}"


def run_token_prefix(run_id: str) -> str:
    """The start of every token of ``run_id``'s jobs (quoted: no run id is a prefix of
    another's)."""
    return f"{quote(run_id, safe='')}/"


@dataclass(frozen=True)
class JobProcess:
    """A process found by a scan: ``start`` is its start time (``/proc`` clock ticks), so
    a reused pid is never signalled."""

    pid: int
    name: str
    start: str

    def __str__(self) -> str:
        return f"{self.name} (pid {self.pid})"


def _pids() -> Iterator[int]:
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    for name in names:
        if name.isdigit():
            yield int(name)


def _protected() -> Set[int]:
    """This process and its ancestors: a runner started inside a job carries that job's
    token and must not stop itself (the job it belongs to stops it, as it should)."""
    out: Set[int] = {0, 1}
    pid = os.getpid()
    while pid > 1 and pid not in out:
        out.add(pid)
        fields = process_stat(pid)
        if fields is None or len(fields) < 2:
            break
        pid = int(fields[1])
    return out


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip() or "?"
    except OSError:
        return "?"


def _environ_entries(pid: int) -> List[bytes]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return fh.read().split(b"\0")
    except OSError:  # gone, or not ours to read (another user's process)
        return []


def pid_namespace(pid: int) -> Optional[str]:
    """The PID namespace of ``pid`` (``pid:[4026531836]``), or ``None``."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def find_job_processes(*, token: Optional[str] = None, token_prefix: Optional[str] = None,
                       groups: Sequence[int] = (), namespace: Optional[str] = None,
                       exclude: Sequence[int] = ()) -> List[JobProcess]:
    """Live (not zombie) processes that carry ``token`` exactly, or a token starting with
    ``token_prefix``, or belong to one of the process ``groups``, or to the PID
    ``namespace``; never this process, its ancestors, or ``exclude``."""
    exact = f"{TOKEN_VARIABLE}={token}".encode() if token else None
    start = f"{TOKEN_VARIABLE}={token_prefix}".encode() if token_prefix else None
    wanted_groups = {str(g) for g in groups if g > 1}
    skip = _protected() | set(exclude)
    found: List[JobProcess] = []
    for pid in _pids():
        if pid in skip:
            continue
        fields = process_stat(pid)
        if fields is None or len(fields) < 20 or fields[0] in ("Z", "X"):
            continue
        hit = fields[2] in wanted_groups
        if not hit and namespace is not None:
            hit = pid_namespace(pid) == namespace
        if not hit and (exact is not None or start is not None):
            for entry in _environ_entries(pid):
                if entry == exact or (start is not None and entry.startswith(start)):
                    hit = True
                    break
        if hit:
            found.append(JobProcess(pid, _name(pid), fields[19]))
    return found


def _same(proc: JobProcess) -> bool:
    """Whether ``proc`` is still the process that was found (alive, same start time)."""
    fields = process_stat(proc.pid)
    return fields is not None and len(fields) > 19 and fields[19] == proc.start and \
        fields[0] not in ("Z", "X")


def _signal(procs: Sequence[JobProcess], sig: int) -> None:
    for proc in procs:
        if _same(proc):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(proc.pid, sig)


def _wait_gone(procs: Sequence[JobProcess], seconds: float) -> List[JobProcess]:
    end = time.monotonic() + seconds
    left = [p for p in procs if _same(p)]
    while left and time.monotonic() < end:
        time.sleep(0.02)
        left = [p for p in left if _same(p)]
    return left


def stop_processes(procs: Sequence[JobProcess], *, grace: float,
                   wait: float = KILL_WAIT_SECONDS) -> List[JobProcess]:
    """SIGTERM ``procs``, up to ``grace`` seconds, SIGKILL what is left, then up to
    ``wait`` seconds until they are gone. Returns those still there after all that."""
    if not procs:
        return []
    _signal(procs, signal.SIGTERM)
    left = _wait_gone(procs, grace)
    _signal(left, signal.SIGKILL)
    return _wait_gone(left, wait)


def _stop_all(scan: Callable[[], List[JobProcess]],
              grace: float) -> Tuple[List[JobProcess], List[JobProcess]]:
    """Scan, stop, and scan again until nothing new turns up (a process may start another
    while being stopped); later rounds get SIGKILL straight away. Returns (every process
    found, those that would not stop)."""
    found = scan()
    if not found:
        return [], []
    seen = {(p.pid, p.start) for p in found}
    stuck = stop_processes(found, grace=grace)
    for _ in range(_EXTRA_ROUNDS):
        fresh = [p for p in scan() if (p.pid, p.start) not in seen]
        if not fresh:
            break
        seen.update((p.pid, p.start) for p in fresh)
        found.extend(fresh)
        stuck.extend(stop_processes(fresh, grace=0))
    return found, stuck


def describe_stopped(procs: Sequence[JobProcess]) -> str:
    """``stopped 1 process the job left running: Xvfb (pid 123)``."""
    names = ", ".join(str(p) for p in procs[:_NAMED])
    if len(procs) > _NAMED:
        names += f" and {len(procs) - _NAMED} more"
    noun = "process" if len(procs) == 1 else "processes"
    return f"stopped {len(procs)} {noun} the job left running: {names}"


def stop_job_processes(token: Optional[str], *, grace: float, groups: Sequence[int] = (),
                       namespace: Optional[str] = None,
                       exclude: Sequence[int] = ()) -> List[str]:
    """Stop every process of one job (by token, process group or PID namespace) and return
    the lines for the job log: what was stopped, and what would not stop."""
    found, stuck = _stop_all(
        lambda: find_job_processes(token=token, groups=groups, namespace=namespace,
                                   exclude=exclude), grace)
    lines: List[str] = []
    if found:
        lines.append(describe_stopped(found))
    if stuck:
        lines.append(f"{len(stuck)} of them still ran after SIGKILL: "
                     + ", ".join(str(p) for p in stuck[:_NAMED]))
    return lines


def stop_run_processes(run_id: str, *, grace: float) -> List[JobProcess]:
    """Stop what the jobs of ``run_id`` left running when the process that ran them was
    killed (a later command takes the run over before any of its jobs runs again).
    Returns the processes that would not stop."""
    prefix = run_token_prefix(run_id)
    _, stuck = _stop_all(lambda: find_job_processes(token_prefix=prefix), grace)
    return stuck
