"""Pausing the cyclic garbage collector around a load or a compile, without fighting the host.

Loading and compiling a config allocate millions of small acyclic objects, and the
collector's repeated scans of them would dominate the time of a large load (a 10,000-job
config: hundreds of milliseconds for nothing). So :func:`gc_paused` switches it off for the
call. Two rules keep that safe in someone else's process (docs/api.md):

* it is switched back on in a ``finally``, and only if it was on before: an exception never
  leaves the host with the collector off, and a host that turned it off keeps it off;
* ``gc_paused(False)`` (``load(..., gc_pause=False)``) leaves the collector alone for the
  call **and everything it calls** (the 2.1 lint compile inside a load), for hosts that
  manage collection themselves (``gc.freeze()``, their own thresholds or schedule).
"""

from __future__ import annotations

import contextlib
import gc
from contextvars import ContextVar
from typing import Iterator

__all__ = ["gc_paused"]

#: False inside a ``gc_paused(False)`` block: nested pauses do nothing.
_pausing_allowed: ContextVar[bool] = ContextVar("workflowcore_gc_pausing", default=True)


@contextlib.contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """Run the block with the cyclic collector off (see the module docstring)."""
    if not pause:
        token = _pausing_allowed.set(False)
        try:
            yield
        finally:
            _pausing_allowed.reset(token)
        return
    if not _pausing_allowed.get() or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
