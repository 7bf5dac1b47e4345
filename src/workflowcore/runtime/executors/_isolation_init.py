"""PID 1 of an isolated job's namespaces (see :mod:`._isolation`); run as a script.

``python -I -S _isolation_init.py JOB_DIR serve|probe``, as the child of ``unshare --mount
--pid --fork --mount-proc``: sets up the job's mounts, prints ``ready``, then (``serve``)
stays as the namespace's init, reaping the orphans reparented to it, until it is killed —
and with it, by the kernel, everything left in the namespace. ``probe`` exits after the
mounts (:func:`~._isolation.probe_isolation`). Standard library only, and everything it
uses is imported before the mounts, which may hide the interpreter's own files.

Mount sources are named through directory fds (``/proc/self/fd/N/home``): a job directory
under ``/tmp`` or ``/home`` is covered by the new mounts but stays reachable that way.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from typing import List, Optional

MS_NOSUID, MS_NODEV, MS_BIND, MS_REC = 2, 4, 4096, 16384
_DIR = os.O_RDONLY | os.O_DIRECTORY
#: the job's HOME, and where the job directory itself is seen (keep in step with _isolation)
JOB_HOME = "/home/circleci"
JOB_DIR = "/tmp/.workflowcore-job"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]


def _enc(text: Optional[str]) -> Optional[bytes]:
    return None if text is None else text.encode()


def mount(src: str, dst: str, fstype: Optional[str], flags: int,
          data: Optional[str] = None) -> None:
    if _libc.mount(_enc(src), _enc(dst), _enc(fstype), flags, _enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {src} on {dst}: {os.strerror(err)}")


def _home(job: str) -> None:
    """``<job>/home`` at ``/home/circleci``; without one on this machine, a tmpfs on
    ``/home`` holding the host's own entries (bound back) and ``circleci``."""
    if os.path.isdir(JOB_HOME) and not os.path.islink(JOB_HOME):
        mount(f"{job}/home", JOB_HOME, None, MS_BIND)
        return
    if not os.path.isdir("/home"):
        raise OSError("this machine has no /home directory to put /home/circleci in")
    hfd = os.open("/home", _DIR)
    host_home = f"/proc/self/fd/{hfd}"
    names: List[str] = sorted(os.listdir(host_home))
    mount("tmpfs", "/home", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755")
    for name in names:
        src, dst = f"{host_home}/{name}", f"/home/{name}"
        if name == "circleci":
            continue
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        elif os.path.isdir(src):
            os.mkdir(dst)
            mount(src, dst, None, MS_BIND | MS_REC)
    os.mkdir(JOB_HOME)
    mount(f"{job}/home", JOB_HOME, None, MS_BIND)
    os.close(hfd)


def setup(job_dir: str) -> None:
    jfd = os.open(job_dir, _DIR)
    job = f"/proc/self/fd/{jfd}"
    _home(job)
    mount(f"{job}/tmp", "/tmp", None, MS_BIND)
    os.makedirs(JOB_DIR, exist_ok=True)
    mount(job, JOB_DIR, None, MS_BIND)
    os.close(jfd)


def serve() -> None:
    """Reap whatever is reparented to PID 1, forever."""
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            time.sleep(0.5)
        except InterruptedError:
            pass


def main(argv: List[str]) -> int:
    job_dir, mode = argv[1], argv[2]
    try:
        setup(job_dir)
    except OSError as exc:
        sys.stderr.write(f"{exc}\n")
        return 3
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if mode == "serve":
        serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
