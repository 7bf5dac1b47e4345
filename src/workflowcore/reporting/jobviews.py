"""What each job of the runs being driven is doing now, kept from runner events.

Both progress displays read it: the plain lines (a heartbeat for a job that printed nothing
for a while) and the live table (state, node, elapsed time, last output line). Events only
say what changed; a reader wants "what is running, in which step, since when, and when did it
last say something", so this keeps that per job and per node of a parallel job.

Times are Unix seconds (the events' own ``time``), so a heartbeat computed from ``time.time()``
and an elapsed time shown in a table agree with the timestamps of the plain lines.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Deque, Dict, List, Optional, Tuple

from ..runtime.events import (
    ApprovalRequested,
    Event,
    JobFinished,
    JobOutput,
    JobQueued,
    JobStarted,
    NodeFinished,
    NodeStarted,
    WorkflowFinished,
    WorkflowOnHold,
    WorkflowStarted,
)
from ..runtime.parallelism import node_label

__all__ = ["STEP_HEADER", "JobView", "JobViews", "duration_text"]

#: How the step interpreter opens each step in a job's output (``==> Checkout code``).
STEP_HEADER = "==> "


def duration_text(seconds: Optional[float]) -> str:
    """``4.2s`` under a minute, ``3m10s`` and ``1h02m05s`` above; ``""`` for ``None``."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{max(seconds, 0.0):.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s"


@dataclass
class JobView:
    """One job, or one node (``node`` is its ``CIRCLE_NODE_INDEX``) of a parallel job.

    ``state`` is ``waiting`` (requirements not met), ``queued``, ``running``, ``on_hold`` or
    the terminal status (``success``, ``failed``...). ``step`` is the title of the step
    running now (from its ``==> title`` line); ``last_output`` the time of the last line."""

    workflow_id: str
    workflow: str
    job: str
    node: Optional[int] = None
    nodes: int = 1
    state: str = "waiting"
    started: Optional[float] = None
    duration: Optional[float] = None
    step: Optional[str] = None
    last_line: Optional[str] = None
    last_output: Optional[float] = None
    last_beat: Optional[float] = None
    tail: Deque[str] = field(default_factory=deque)

    @property
    def label(self) -> str:
        """``job``, or ``job[K/N]`` for a node."""
        return self.job if self.node is None else node_label(self.job, self.node, self.nodes)

    @property
    def runs_steps(self) -> bool:
        """Whether steps run in this view: a job of one node, or a node (a parallel job's
        own row only sums its nodes)."""
        return self.node is not None or self.nodes == 1

    def elapsed(self, now: float) -> Optional[float]:
        """Running: time since it started; finished: its duration."""
        if self.state == "running" and self.started is not None:
            return max(now - self.started, 0.0)
        return self.duration

    def silent_for(self, now: float) -> float:
        """Seconds since its last output line (or since it started, before the first)."""
        since = self.last_output if self.last_output is not None else self.started
        return max(now - since, 0.0) if since is not None else 0.0


class JobViews:
    """The views of every job of the workflow runs seen so far, updated by :meth:`update`.
    Not thread-safe: the printer that owns it holds its own lock around every call.

    ``tail`` keeps that many of each view's last output lines (for a failed job's excerpt).
    """

    def __init__(self, *, tail: int = 0) -> None:
        self._tail = tail
        self._views: Dict[Tuple[str, str, Optional[int]], JobView] = {}
        self._order: Dict[str, List[str]] = {}  # workflow run id -> jobs in plan order
        self.workflows: Dict[str, Tuple[str, str]] = {}  # id -> (name, status)

    def _view(self, event: Event, job: str, node: Optional[int] = None,
              nodes: int = 1) -> JobView:
        key = (event.workflow_id, job, node)
        view = self._views.get(key)
        if view is None:
            view = JobView(event.workflow_id, event.workflow, job, node, nodes,
                           tail=deque(maxlen=self._tail or None))
            self._views[key] = view
            order = self._order.setdefault(event.workflow_id, [])
            if job not in order:
                order.append(job)
        return view

    def update(self, event: Event) -> Optional[JobView]:
        """Apply one event; returns the view it changed (``None`` for workflow events)."""
        if isinstance(event, WorkflowStarted):
            self.workflows[event.workflow_id] = (event.workflow, "running")
            order = self._order.setdefault(event.workflow_id, [])
            for job in event.jobs:
                if job not in order:
                    order.append(job)
                if not event.resumed:  # a fresh run: every job waits; resumed ones unknown
                    self._view(event, job)
            return None
        if isinstance(event, (WorkflowOnHold, WorkflowFinished)):
            status = event.status if isinstance(event, WorkflowFinished) else "on_hold"
            self.workflows[event.workflow_id] = (event.workflow, status)
            return None
        if isinstance(event, JobQueued):
            view = self._view(event, event.job)
            view.state = "queued"
            return view
        if isinstance(event, JobStarted):
            view = self._view(event, event.job, nodes=event.nodes)
            view.nodes, view.state, view.started = event.nodes, "running", event.time
            view.duration = view.step = view.last_line = view.last_output = None
            view.last_beat = None
            view.tail.clear()
            if event.nodes > 1:
                for k in range(event.nodes):
                    node = self._view(event, event.job, k, event.nodes)
                    node.state, node.started, node.duration = "queued", None, None
                    node.step = node.last_line = node.last_output = node.last_beat = None
                    node.tail.clear()
            return view
        if isinstance(event, NodeStarted):
            view = self._view(event, event.job, event.node, event.nodes)
            view.state, view.started = "running", event.time
            return view
        if isinstance(event, JobOutput):
            view = self._view(event, event.job, event.node if event.nodes > 1 else None,
                              event.nodes)
            if event.line.startswith(STEP_HEADER):
                view.step = event.line[len(STEP_HEADER):]
            view.last_line, view.last_output = event.line, event.time
            if self._tail:
                view.tail.append(event.line)
            return view
        if isinstance(event, NodeFinished):
            view = self._view(event, event.job, event.node, event.nodes)
            view.state, view.duration = event.status, event.duration
            return view
        if isinstance(event, JobFinished):
            view = self._view(event, event.job, nodes=event.nodes)
            view.state, view.duration = event.status, event.duration
            return view
        if isinstance(event, ApprovalRequested):
            view = self._view(event, event.job)
            view.state = "on_hold"
            return view
        return None

    def views(self) -> List[JobView]:
        """Every view: workflow runs in the order they started, jobs in plan order, each
        parallel job's nodes after it."""
        out: List[JobView] = []
        for run_id, jobs in self._order.items():
            for job in jobs:
                view = self._views.get((run_id, job, None))
                if view is not None:
                    out.append(view)
                    if view.nodes > 1:
                        out += [v for k in range(view.nodes)
                                if (v := self._views.get((run_id, job, k))) is not None]
        return out

    def running(self) -> List[JobView]:
        """Views that run steps now (jobs of one node and nodes, not a parallel job's row)."""
        return [v for v in self.views() if v.state == "running" and v.runs_steps]

    def due(self, now: float, interval: float) -> List[JobView]:
        """Running views that printed nothing for ``interval`` seconds and had no heartbeat
        for as long; each is marked as having had one now (so: once per interval)."""
        out: List[JobView] = []
        for view in self.running():
            since = max(view.last_output or view.started or now, view.last_beat or 0.0)
            if now - since >= interval:
                view.last_beat = now
                out.append(view)
        return out

    def active(self) -> bool:
        """Whether a workflow run seen is still being driven (not finished or on hold)."""
        return any(status == "running" for _, status in self.workflows.values())
