"""Child processes in their own process group, with live output, cancel and timeouts.

Every step runs as the leader of a new session (``start_new_session``), so stopping a step
stops everything it started (``make`` → ``cc``, ``npm`` → ``node``): SIGTERM to the group,
then SIGKILL after a grace period. Output is read in raw chunks, not lines, so a progress
bar without a newline still counts as output for ``no_output_timeout``; complete lines are
handed to the callback, partial ones at the end. POSIX only (process groups).

Shared by every executor that drives a local command (the subprocess executor runs the
shell; a Docker executor runs ``docker exec``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Sequence

__all__ = ["BackgroundProcess", "ProcessOutcome", "kill_group", "run_process", "signal_group"]

#: Longest line handed on at once; longer output is split (keeps memory bounded).
MAX_LINE_BYTES = 64 * 1024
#: How long to keep reading after the step's own process exited while a child it left
#: running still holds the output pipe.
DRAIN_SECONDS = 0.5

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


class _Pump(threading.Thread):
    """Reads a pipe to EOF, splitting lines and noting when output last arrived."""

    def __init__(self, fd: int, on_line: LineCallback) -> None:
        super().__init__(daemon=True)
        self._fd = fd
        self._on_line = on_line
        self.last_output = time.monotonic()

    def run(self) -> None:
        buf = b""
        try:
            while True:
                try:
                    chunk = os.read(self._fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.last_output = time.monotonic()
                buf += chunk
                while True:
                    nl = buf.find(b"\n")
                    if nl < 0:
                        break
                    self._emit(buf[:nl])
                    buf = buf[nl + 1:]
                while len(buf) > MAX_LINE_BYTES:
                    self._emit(buf[:MAX_LINE_BYTES])
                    buf = buf[MAX_LINE_BYTES:]
            if buf:
                self._emit(buf)
        finally:
            with contextlib.suppress(OSError):
                os.close(self._fd)

    def _emit(self, raw: bytes) -> None:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        self._on_line(raw.decode("utf-8", errors="replace"))


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
) -> ProcessOutcome:
    """Run ``argv`` to completion, streaming its output (stdout and stderr merged).

    ``deadline`` is a :func:`time.monotonic` instant. Raises ``OSError`` when the program
    cannot be started; the caller decides whether that is the user's mistake or the
    machine's.
    """
    proc = _spawn(argv, cwd, env)
    assert proc.stdout is not None
    pump = _Pump(os.dup(proc.stdout.fileno()), on_line)
    proc.stdout.close()
    pump.start()
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
    pump.join(DRAIN_SECONDS if reason == "exited" else kill_grace + DRAIN_SECONDS)
    code = proc.returncode if reason == "exited" else None
    return ProcessOutcome(code, reason, proc.pid)


class BackgroundProcess:
    """A ``background: true`` step: started now, output streamed, stopped at job end."""

    def __init__(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
                 on_line: LineCallback) -> None:
        self._proc = _spawn(argv, cwd, env)
        assert self._proc.stdout is not None
        self._pump = _Pump(os.dup(self._proc.stdout.fileno()), on_line)
        self._proc.stdout.close()
        self._pump.start()

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
        self._pump.join(DRAIN_SECONDS)
        return code
