"""Child processes in their own process group, with live output, cancel and timeouts.

Every step runs as the leader of a new session (``start_new_session``), so stopping a step
stops everything it started (``make`` → ``cc``, ``npm`` → ``node``): SIGTERM to the group,
then SIGKILL after a grace period. Output is read in raw chunks, not lines, so a progress
bar without a newline still counts as output for ``no_output_timeout``; complete lines are
handed to the callback, partial ones at the end. POSIX only (process groups).

A process that leaves its group (``setsid``, a double fork) is out of reach of the group
signals here; the subprocess executor finds those by the job token in their environment
at the end of the job (:mod:`~workflowcore.runtime._reaper`).

Shared by every executor that drives a local command (the subprocess executor runs the
shell; a Docker executor runs ``docker exec``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import subprocess
import termios
import threading
import time
from dataclasses import dataclass
from typing import Callable, List, Mapping, Optional, Sequence

from .contexts import Masker

__all__ = [
    "BackgroundProcess",
    "ProcessOutcome",
    "group_alive",
    "kill_group",
    "process_start_time",
    "process_stat",
    "run_process",
    "signal_group",
    "stop_orphan_group",
]

#: Longest line handed on at once; longer output is split (keeps memory bounded). A split
#: never cuts a UTF-8 character, nor a secret of the job's masker: the pump holds back up to
#: ``longest secret - 1`` bytes and moves the cut before a secret that would straddle it.
MAX_LINE_BYTES = 64 * 1024
#: Once the step's own process is gone (exited, or killed) and everything it wrote has been
#: handed on, however slow the callback, how long to wait for end-of-output while a process
#: it left running still holds the pipe. After that the pump stops handing lines on, and one
#: last line (:data:`DETACHED_NOTE`) says so.
DRAIN_SECONDS = 0.5
#: The line ending a step's output when a process it left running kept the pipe open.
DETACHED_NOTE = ("(output after this point is not shown: the step's process is gone, but a "
                 "process it started still holds its output open)")
_READ_SIZE = 65536

LineCallback = Callable[[str], None]


@dataclass(frozen=True)
class ProcessOutcome:
    """``reason`` is ``exited``, ``canceled``, ``no_output_timeout`` or ``deadline``;
    ``exit_code`` is ``None`` unless the process exited on its own."""

    exit_code: Optional[int]
    reason: str
    pgid: int

    @property
    def killed(self) -> bool:
        return self.reason != "exited"


def _pending(fd: int) -> int:
    """Bytes waiting in a pipe (``FIONREAD``); 0 when the system cannot say."""
    try:
        raw = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    except OSError:
        return 0
    return max(0, int(struct.unpack("i", raw)[0]))


class _Pump(threading.Thread):
    """Reads a pipe to EOF, splitting lines and noting when output last arrived.

    ``bytes_read`` counts what was read, ``handed`` what was handed on (every complete line
    of it); :meth:`drain` uses both to tell output the step wrote before it ended (always
    handed on) from output a process it left running writes afterwards (bounded by
    :data:`DRAIN_SECONDS`).
    """

    def __init__(self, fd: int, on_line: LineCallback, masker: Optional[Masker] = None) -> None:
        super().__init__(daemon=True)
        self._fd = fd
        self._on_line = on_line
        self._masker = masker
        self._hold = max(0, masker.longest_bytes - 1) if masker is not None else 0
        self._lock = threading.Lock()  # held while a chunk is handed on
        self._buf = b""
        self._detached = False
        self._closed = False
        self.bytes_read = 0
        self.handed = 0
        #: When the pump started waiting in ``read`` (``None`` while it hands lines on).
        self.reading_since: Optional[float] = None
        self.last_output = time.monotonic()

    def run(self) -> None:
        try:
            while True:
                self.reading_since = time.monotonic()
                try:
                    chunk = os.read(self._fd, _READ_SIZE)
                except OSError:
                    chunk = b""
                with self._lock:
                    self.reading_since = None
                    if not chunk:
                        if self._buf and not self._detached:
                            self._emit(self._buf)
                        self._buf = b""
                        break
                    self.bytes_read += len(chunk)
                    self.last_output = time.monotonic()
                    if not self._detached:
                        self._hand_on(chunk)
                    self.handed += len(chunk)
        finally:
            with self._lock:
                self._closed = True
                with contextlib.suppress(OSError):
                    os.close(self._fd)

    def _hand_on(self, chunk: bytes) -> None:
        buf = self._buf + chunk
        start = 0
        while not self._detached:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            self._emit(buf[start:nl])
            start = nl + 1
        buf = buf[start:]
        while not self._detached and len(buf) > MAX_LINE_BYTES + self._hold:
            cut = self._cut(buf)
            self._emit(buf[:cut])
            buf = buf[cut:]
        self._buf = b"" if self._detached else buf

    def _cut(self, buf: bytes) -> int:
        """Where to split a line longer than :data:`MAX_LINE_BYTES`: not inside a UTF-8
        character (a continuation byte is ``10xxxxxx``), not inside a secret."""
        cut = MAX_LINE_BYTES
        back = cut
        while back > cut - 3 and buf[back] & 0xC0 == 0x80:
            back -= 1
        if buf[back] & 0xC0 != 0x80:
            cut = back
        if self._masker is not None:
            cut = self._masker.safe_cut(buf, cut)
        return cut

    def _emit(self, raw: bytes) -> None:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        self._on_line(raw.decode("utf-8", errors="replace"))

    def drain(self, quiet: float = DRAIN_SECONDS) -> None:
        """Wait, once the process is gone, until its output has been handed on.

        Everything already written (in the pipe, or read and not yet handed on) is handed
        on whatever the callback's speed. Then, if a process the step left running still
        holds the pipe, at most ``quiet`` more seconds for end-of-output; after that the
        pump stops handing lines on (it still reads, so that process is not blocked) and a
        last line says so.
        """
        begun = time.monotonic()
        with self._lock:
            in_flight = _READ_SIZE if self.reading_since is not None else 0
            target = self.bytes_read + (0 if self._closed else _pending(self._fd) + in_flight)
        deadline: Optional[float] = None
        while True:
            now = time.monotonic()
            wait = 0.05 if deadline is None else min(0.05, deadline - now)
            self.join(max(wait, 0.0))
            if not self.is_alive():
                return
            now = time.monotonic()
            if deadline is None:
                since = self.reading_since
                if since is not None:  # waiting in read: nothing left in the pipe
                    deadline = max(since, begun) + quiet
                elif self.handed >= target:  # a process left running writes on and on
                    deadline = now + quiet
            if deadline is not None and now >= deadline:
                self._detach()
                return

    def _detach(self) -> None:
        self._detached = True  # the chunk being handed on stops at its next line
        with self._lock:
            rest, self._buf = self._buf, b""
            if rest:
                self._emit(rest)
            self._on_line(DETACHED_NOTE)


def _spawn(argv: Sequence[str], cwd: str, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        close_fds=True,
    )


def kill_group(proc: subprocess.Popen[bytes], grace: float = 2.0) -> None:
    """SIGTERM the process group, wait up to ``grace`` seconds, then SIGKILL what is left."""
    pgid = proc.pid
    signal_group(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    signal_group(pgid, signal.SIGKILL)
    proc.wait()


def signal_group(pgid: int, sig: int) -> None:
    """Signal a process group that may already be gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


# -- processes this process did not start (a killed runner's steps) -------------------------

#: How long :func:`stop_orphan_group` waits, after SIGKILL, for the group to be gone.
ORPHAN_WAIT_SECONDS = 5.0


def process_stat(pid: int) -> Optional[List[str]]:
    """The fields of ``/proc/PID/stat`` after the command name (``[0]`` is the state,
    ``[2]`` the process group, ``[19]`` the start time), or ``None`` (no such process, or
    no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            data = fh.read()
    except OSError:
        return None
    return data.rsplit(")", 1)[-1].split()


def process_start_time(pid: int) -> str:
    """When ``pid`` started (clock ticks since boot, from ``/proc``), or ``-`` when that
    cannot be told. Recorded beside a pid so a reused pid is told from the original."""
    fields = process_stat(pid)
    return fields[19] if fields and len(fields) > 19 else "-"


def _members(pgid: int) -> Optional[List[int]]:
    """The live (not zombie) processes of group ``pgid``; ``None`` without ``/proc``."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    if not os.path.exists("/proc/self/stat"):
        return None
    out: List[int] = []
    for name in names:
        if not name.isdigit():
            continue
        fields = process_stat(int(name))
        if fields and len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            out.append(int(name))
    return out


def group_alive(pgid: int) -> bool:
    """Whether process group ``pgid`` still has a process that is not a zombie."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False  # the usual answer, without reading /proc
    members = _members(pgid)
    return True if members is None else bool(members)


def stop_orphan_group(pgid: int, start: str, *, grace: float = 2.0,
                      wait: float = ORPHAN_WAIT_SECONDS) -> bool:
    """Stop a process group started by a process that is gone (a killed ``workflowcore
    run``): SIGTERM, up to ``grace`` seconds, SIGKILL, then up to ``wait`` seconds until no
    process of it is left. ``start`` is the leader's start time as it was recorded.

    A leader alive with another start time means the number was reused by an unrelated
    process (a group id is never reused while its group has members), so nothing is sent.
    Returns ``False`` only when processes of the group are still there after all that.
    A group id that cannot be a job's (0, 1, negative, or this process's own group, which
    a run-state file could name) is never signalled.
    """
    if not isinstance(pgid, int) or pgid <= 1 or pgid == os.getpgrp():
        return True
    leader = process_stat(pgid)
    if leader is not None and start != "-" and len(leader) > 19 and leader[19] != start:
        return True  # not ours any more
    if not group_alive(pgid):
        return True
    signal_group(pgid, signal.SIGTERM)
    if _gone_within(pgid, grace):
        return True
    signal_group(pgid, signal.SIGKILL)
    return _gone_within(pgid, wait)


def _gone_within(pgid: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while group_alive(pgid):
        if time.monotonic() >= end:
            return False
        time.sleep(0.02)
    return True


def run_process(
    argv: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    on_line: LineCallback,
    cancel: Optional[threading.Event] = None,
    no_output_timeout: Optional[float] = None,
    deadline: Optional[float] = None,
    kill_grace: float = 2.0,
    poll: float = 0.05,
    masker: Optional[Masker] = None,
    on_start: Optional[Callable[[int], None]] = None,
) -> ProcessOutcome:
    """Run ``argv`` to completion, streaming its output (stdout and stderr merged).

    ``deadline`` is a :func:`time.monotonic` instant. ``masker``: the job's, so long lines
    are never split inside a secret (the caller still masks each line). ``on_start`` is
    called with the process group id as soon as the process exists (the runner records it,
    to stop the group should this process be killed). Raises ``OSError`` when the program
    cannot be started; the caller decides whether that is the user's mistake or the
    machine's.
    """
    proc = _spawn(argv, cwd, env)
    assert proc.stdout is not None
    pump = _Pump(os.dup(proc.stdout.fileno()), on_line, masker)
    proc.stdout.close()
    pump.start()
    _started(proc, on_start)
    reason = "exited"
    while True:
        try:  # returns as soon as the process exits (a short step is not rounded up to poll)
            proc.wait(timeout=poll)
            break
        except subprocess.TimeoutExpired:
            pass
        if cancel is not None and cancel.is_set():
            reason = "canceled"
        now = time.monotonic()
        if reason == "exited" and no_output_timeout is not None and \
                now - pump.last_output > no_output_timeout:
            reason = "no_output_timeout"
        if reason == "exited" and deadline is not None and now >= deadline:
            reason = "deadline"
        if reason != "exited":
            kill_group(proc, kill_grace)
            break
    pump.drain()
    code = proc.returncode if reason == "exited" else None
    return ProcessOutcome(code, reason, proc.pid)


def _started(proc: subprocess.Popen[bytes], on_start: Optional[Callable[[int], None]]) -> None:
    if on_start is None:
        return
    try:
        on_start(proc.pid)
    except BaseException:  # not recorded, so not recoverable after a crash: do not run it
        kill_group(proc, 0)
        raise


class BackgroundProcess:
    """A ``background: true`` step: started now, output streamed, stopped at job end.
    ``masker`` and ``on_start`` as for :func:`run_process`."""

    def __init__(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
                 on_line: LineCallback, masker: Optional[Masker] = None,
                 on_start: Optional[Callable[[int], None]] = None) -> None:
        self._proc = _spawn(argv, cwd, env)
        assert self._proc.stdout is not None
        self._pump = _Pump(os.dup(self._proc.stdout.fileno()), on_line, masker)
        self._proc.stdout.close()
        self._pump.start()
        _started(self._proc, on_start)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> Optional[int]:
        return self._proc.poll()

    def stop(self, grace: float = 2.0) -> Optional[int]:
        """Stop the whole group (if still running); returns the exit code if it had exited."""
        code = self._proc.poll()
        kill_group(self._proc, grace if code is None else 0)
        self._pump.drain()
        return code
