"""Executor implementations. Each is independent of the others (an import-linter contract).

* :class:`MockExecutor` — calls a function; for tests and hosts with their own runtime.
* :class:`SubprocessExecutor` — runs steps as shell processes on this machine.
"""

from .mock import MockExecutor
from .subprocess import DEFAULT_INHERITED_ENV, SubprocessExecutor

__all__ = ["DEFAULT_INHERITED_ENV", "MockExecutor", "SubprocessExecutor"]
