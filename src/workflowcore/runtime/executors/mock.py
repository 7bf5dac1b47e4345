"""``MockExecutor``: an executor driven by a plain function, for tests and embedding hosts.

Like httpx's ``MockTransport`` it is a product, not a test helper: the runner is exercised
through it exactly as through a real executor::

    def handler(request: JobRequest) -> JobResult | int | None:
        if request.job_name == "flaky":
            return 1                      # exit code 1 -> failed
        return None                       # success

    executor = MockExecutor(handler)

The handler returns a :class:`JobResult`, an exit code (0 = success), or ``None`` (success).
It may call ``request.on_output`` to produce log lines and should honour ``request.cancel``
if it blocks. Exceptions it raises propagate unchanged, so a test sees its own traceback;
raise an :class:`~workflowcore.errors.ExecutorError` to simulate broken infrastructure.
"""

from __future__ import annotations

import threading
from typing import Callable, List, Optional, Union

from ..executor import BaseExecutor, JobRequest, JobResult

__all__ = ["MockExecutor"]

Handler = Callable[[JobRequest], Union[JobResult, int, None]]


class MockExecutor(BaseExecutor):
    """Runs every job by calling ``handler(request)``; records the requests it saw."""

    def __init__(self, handler: Optional[Handler] = None) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self.requests: List[JobRequest] = []
        self.closed = False

    def execute(self, request: JobRequest) -> JobResult:
        with self._lock:
            self.requests.append(request)
        outcome = self._handler(request) if self._handler is not None else None
        if isinstance(outcome, JobResult):
            return outcome
        if outcome is None:
            return JobResult.success()
        if isinstance(outcome, bool) or not isinstance(outcome, int):
            raise TypeError(
                "a MockExecutor handler must return a JobResult, an int exit code or None, "
                f"not {type(outcome).__name__}")
        return JobResult.from_exit_code(outcome, message=None if outcome == 0
                                        else f"exited with code {outcome}")

    @property
    def executed(self) -> List[str]:
        """Job names in the order they were executed (handy in assertions)."""
        with self._lock:
            return [r.job_name for r in self.requests]

    def close(self) -> None:
        self.closed = True
