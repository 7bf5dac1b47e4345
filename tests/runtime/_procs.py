"""Looking for processes in ``/proc``: what tests of "nothing outlives its job" check."""

from __future__ import annotations

import os
from typing import List


def pids_with(arg: str) -> List[int]:
    """Live (not zombie) processes whose command line has ``arg`` as an argument."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
            with open(f"/proc/{name}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if arg.encode() in args and state != "Z":
            out.append(int(name))
    return out


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
