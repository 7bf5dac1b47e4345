"""Views of workflow runs: live progress lines from runner events, and the finished picture.

* :class:`ProgressPrinter` is an event callback (``Runner(on_event=ProgressPrinter(sys.stdout))``)
  that writes one plain-text line per event as it happens and flushes, so a person or a pipe
  sees progress live. It keeps a per-workflow count of finished jobs (``[3/7]``). A node of
  a parallel job is shown as ``job[index/total]`` (``test[2/4] | line``; the index is
  ``CIRCLE_NODE_INDEX``, from 0). Each line starts with the local time (``12:03:04``), and
  a job silent for a while gets a heartbeat line (``still running (step 'pytest', 3m10s,
  silent for 1m00s)``). On a terminal the CLI shows a live table instead
  (:mod:`workflowcore.reporting.live`, with ``rich``).
* :class:`StepTimings` keeps the steps of finished jobs for the summary's per-step times.
* :func:`workflow_object` / :func:`run_document` / :func:`workflows_document` build the JSON
  forms of ``workflowcore run/status/...`` (a versioned public contract, ``docs/running.md``).
* :func:`format_workflow_text` and :func:`format_logs_text` are the text forms.

Everything here only reads events and records; all strings in them are already masked.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, TextIO, Tuple

from .._text import plural
from ..runtime.events import (
    ApprovalRequested,
    Event,
    JobFinished,
    JobOutput,
    JobStarted,
    NodeFinished,
    NodeStarted,
    WorkflowFinished,
    WorkflowOnHold,
    WorkflowStarted,
)
from ..runtime.executor import StepResult
from ..runtime.parallelism import node_label
from ..runtime.status import WorkflowStatus
from ..runtime.stores.runstate import JobRecord, NodeRecord, WorkflowRunRecord
from .jobviews import JobViews, duration_text

__all__ = [
    "DEFAULT_HEARTBEAT",
    "RUN_JSON_VERSION",
    "ProgressPrinter",
    "StepTimings",
    "clock",
    "format_logs_text",
    "format_node_log_text",
    "format_workflow_text",
    "run_document",
    "workflow_object",
    "workflows_document",
]

#: Version of the JSON documents printed by the run commands.
RUN_JSON_VERSION = 1

_MARK = {
    "success": "ok",
    "failed": "FAILED",
    "canceled": "canceled",
    "unauthorized": "UNAUTHORIZED",
    "not_run": "not run",
}


#: Seconds a running job may print nothing before a heartbeat line says it is still running
#: (``--heartbeat``, ``WORKFLOWCORE_HEARTBEAT``; 0 turns it off).
DEFAULT_HEARTBEAT = 60.0


def clock(at: float) -> str:
    """``12:03:04``: the local time of an event, at the head of each plain line."""
    return time.strftime("%H:%M:%S", time.localtime(at))


class ProgressPrinter:
    """Writes runner events to ``stream`` as they come, one line each, led by the local
    time (``12:03:04 [wf] build | line``; ``timestamps=False`` leaves it out).

    ``show_output`` prints every job output line (``name | line``); ``approve_hint`` is a
    template with ``{id}`` and ``{job}`` shown when an approval waits (the CLI passes its own
    command line). ``takeover`` is the verb for a workflow run taken in hand again (default
    ``resumed``; ``cancel`` passes ``canceling``: it takes a run over only to cancel it).

    ``heartbeat``: when a running job (or node) printed nothing for that many seconds, a
    line says it still runs, in which step, for how long and how long it has been silent,
    once per interval (``None`` or 0: never), so a quiet ``pytest -n 4`` does not look
    hung. A daemon thread does it while jobs run; :meth:`close` stops it. Safe to call from
    several threads.
    """

    def __init__(self, stream: TextIO, *, show_output: bool = True,
                 approve_hint: Optional[str] = None, timestamps: bool = True,
                 heartbeat: Optional[float] = DEFAULT_HEARTBEAT,
                 takeover: str = "resumed") -> None:
        self.stream = stream
        self.show_output = show_output
        self.approve_hint = approve_hint
        self.timestamps = timestamps
        self.heartbeat = heartbeat if heartbeat and heartbeat > 0 else None
        self.takeover = takeover
        self._lock = threading.Lock()
        self._total: Dict[str, int] = {}
        self._done: Dict[str, int] = {}
        self._jobs = JobViews()
        self._beating: Optional[threading.Thread] = None
        self._stop = threading.Event()

    def _line(self, text: str, at: Optional[float] = None) -> None:
        if self.timestamps:
            text = f"{clock(time.time() if at is None else at)} {text}"
        self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._jobs.update(event)
            self._render(event)
            if self.heartbeat and isinstance(event, (JobStarted, NodeStarted)) \
                    and self._beating is None and not self._stop.is_set():
                self._beating = threading.Thread(target=self._beat, name="wfc-heartbeat",
                                                 daemon=True)
                self._beating.start()

    def close(self) -> None:
        """Stop the heartbeat (it also stops by itself when no job runs)."""
        self._stop.set()
        thread = self._beating
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _beat(self) -> None:
        interval = self.heartbeat or DEFAULT_HEARTBEAT
        tick = max(0.05, min(1.0, interval / 4))  # a beat is late by at most a quarter
        while not self._stop.wait(tick):
            with self._lock:
                if not self._jobs.running():
                    self._beating = None  # the next job to start starts another
                    return
                now = time.time()
                for view in self._jobs.due(now, interval):
                    step = f"step {_step_title(view.step)!r}, " if view.step else ""
                    self._line(f"[{view.workflow}] {view.label}: still running ({step}"
                               f"{duration_text(view.elapsed(now))}, silent for "
                               f"{duration_text(view.silent_for(now))})", now)
        with self._lock:
            self._beating = None

    def _render(self, event: Event) -> None:
        wf = event.workflow
        at = getattr(event, "time", None)
        if isinstance(event, WorkflowStarted):
            self._total[event.workflow_id] = len(event.jobs)
            self._done[event.workflow_id] = event.finished_jobs
            verb = self.takeover if event.resumed else "started"
            self._line(f"workflow {wf} {verb}: {event.workflow_id} "
                       f"({plural(len(event.jobs), 'job')})", at)
        elif isinstance(event, JobStarted):
            again = f", attempt {event.attempt}" if event.attempt > 1 else ""
            nodes = f", {event.nodes} nodes" if event.nodes > 1 else ""
            self._line(f"[{wf}] {event.job}: started as {event.actor}{again}{nodes}", at)
        elif isinstance(event, JobOutput):
            if self.show_output:
                who = node_label(event.job, event.node, event.nodes) if event.nodes > 1 \
                    else event.job
                self._line(f"[{wf}] {who} | {event.line}", at)
        elif isinstance(event, NodeStarted):
            self._line(f"[{wf}] {node_label(event.job, event.node, event.nodes)}: started", at)
        elif isinstance(event, NodeFinished):
            detail = _detail(event.exit_code, event.duration)
            why = f": {event.message}" if event.message and event.status != "success" else ""
            self._line(f"[{wf}] {node_label(event.job, event.node, event.nodes)}: "
                       f"{_MARK.get(event.status, event.status)}{detail}{why}", at)
        elif isinstance(event, JobFinished):
            done = self._done.get(event.workflow_id, 0) + 1
            self._done[event.workflow_id] = done
            total = self._total.get(event.workflow_id)
            count = f" [{done}/{total}]" if total else ""
            detail = _detail(event.exit_code, event.duration)
            why = f": {event.message}" if event.message and event.status != "success" else ""
            mark = _MARK.get(event.status, event.status)
            if event.approved_by:
                mark = f"approved by {event.approved_by}"
            self._line(f"[{wf}] {event.job}: {mark}{detail}{count}{why}", at)
        elif isinstance(event, ApprovalRequested):
            hint = ""
            if self.approve_hint:
                hint = "; approve with: " + self.approve_hint.format(id=event.workflow_id,
                                                                      job=event.job)
            self._line(f"[{wf}] {event.job}: waiting for approval{hint}", at)
        elif isinstance(event, WorkflowOnHold):
            self._line(f"workflow {wf}: on_hold (waiting for {', '.join(event.approvals)}): "
                       f"{event.workflow_id}", at)
        elif isinstance(event, WorkflowFinished):
            self._line(f"workflow {wf}: {event.status}: {event.workflow_id}", at)


class StepTimings:
    """An event callback keeping the steps of each finished job (:attr:`JobFinished.steps`)
    for the summary after a run: the run store does not keep steps, so ``status`` cannot
    show them later."""

    def __init__(self) -> None:
        self._steps: Dict[str, Dict[str, Tuple[StepResult, ...]]] = {}
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if isinstance(event, JobFinished) and event.steps:
            with self._lock:
                self._steps.setdefault(event.workflow_id, {})[event.job] = event.steps

    def of(self, workflow_id: str) -> Dict[str, Tuple[StepResult, ...]]:
        """``{job: steps}`` of one workflow run (jobs seen finishing in this process)."""
        with self._lock:
            return dict(self._steps.get(workflow_id, {}))


def _detail(exit_code: Optional[int], duration: Optional[float]) -> str:
    bits = []
    if exit_code is not None:
        bits.append(f"exit {exit_code}")
    if duration is not None:
        bits.append(duration_text(duration))
    return f" ({', '.join(bits)})" if bits else ""


# -- finished picture ------------------------------------------------------------------------

def workflow_object(record: WorkflowRunRecord, *, version: bool = False) -> Dict[str, Any]:
    """The JSON object of one workflow run: ``{"id", "name", "pipeline", "status",
    "rerun_of", "jobs": {NAME: {"status", "exit_code", ["message"], ["nodes"]}}}`` (jobs in
    plan order; ``message`` says why a job failed, was refused or did not run, when there is
    a reason; ``nodes`` lists ``{"index", "status", "exit_code", "duration", ["message"]}``
    for a job that ran with ``parallelism`` > 1)."""
    data: Dict[str, Any] = {"version": RUN_JSON_VERSION} if version else {}
    data.update({
        "id": record.id,
        "name": record.workflow,
        "pipeline": record.pipeline_id,
        "status": record.status,
        "rerun_of": record.rerun_of,
        "jobs": {name: _job_object(job) for name, job in record.jobs.items()},
    })
    return data


def _job_object(job: JobRecord) -> Dict[str, Any]:
    data: Dict[str, Any] = {"status": job.status, "exit_code": job.exit_code}
    if job.message:
        data["message"] = job.message
    if job.nodes:
        data["nodes"] = [_node_object(n) for n in job.nodes]
    return data


def _node_object(node: NodeRecord) -> Dict[str, Any]:
    data: Dict[str, Any] = {"index": node.index, "status": node.status,
                            "exit_code": node.exit_code, "duration": node.duration}
    if node.message:
        data["message"] = node.message
    return data


def run_document(pipeline_id: str, records: Iterable[WorkflowRunRecord]) -> Dict[str, Any]:
    """``workflowcore run --format json``: ``{"version", "pipeline", "workflows": [...]}``."""
    return {"version": RUN_JSON_VERSION, "pipeline": pipeline_id,
            "workflows": [workflow_object(r) for r in records]}


def workflows_document(records: Iterable[WorkflowRunRecord]) -> Dict[str, Any]:
    """``workflowcore status --format json`` without an id: every workflow run."""
    return {"version": RUN_JSON_VERSION, "workflows": [workflow_object(r) for r in records]}


def format_workflow_text(record: WorkflowRunRecord,
                         steps: Optional[Mapping[str, Sequence[StepResult]]] = None) -> str:
    """A workflow run as a small table: what triggered it and when it ran, then one line
    per job with status, exit code, time, actor and why it did not succeed; under a
    parallel job, one line per node; under a job whose ``steps`` are given (the summary
    after ``run``: the store does not keep them), one line per step with its time."""
    lines = [f"workflow {record.workflow}: {record.status}  (id {record.id}"
             + (f", rerun of {record.rerun_of}" if record.rerun_of else "") + ")"]
    trigger = _trigger_text(record)
    if trigger:
        lines.append(f"  trigger: {trigger}")
    when = _times_text(record)
    if when:
        lines.append(f"  {when}")
    width = max((len(n) for n in record.jobs), default=0)
    for name, job in record.jobs.items():
        bits: List[str] = [f"  {name.ljust(width)}  {job.status:<12}"]
        if job.exit_code is not None:
            bits.append(f"exit {job.exit_code}")
        if job.duration is not None:
            bits.append(duration_text(job.duration))
        if job.actor and job.status not in ("blocked", "queued", "not_run"):
            bits.append(f"as {job.actor}")
        if job.kept_from:
            bits.append(f"kept from {job.kept_from}")
        elif job.message and job.status != "success":
            bits.append(f"- {job.message}")
        lines.append("  ".join(bits).rstrip())
        for node in job.nodes:
            label = f"[{node.index}/{len(job.nodes)}]"
            row: List[str] = [f"    {label.ljust(width - 2)}  {node.status:<12}"]
            if node.exit_code is not None:
                row.append(f"exit {node.exit_code}")
            if node.duration is not None:
                row.append(duration_text(node.duration))
            if node.message and node.status != "success":
                row.append(f"- {node.message}")
            lines.append("  ".join(row).rstrip())
        lines += _step_lines((steps or {}).get(name, ()))
    return "\n".join(lines) + "\n"


_STEP_NAME_WIDTH = 48
_TERMINAL = frozenset(s.value for s in WorkflowStatus if s.is_terminal)


def _step_lines(steps: Sequence[StepResult]) -> List[str]:
    """``      Run tests     4.2s`` per step; a step that did not succeed says so."""
    names = [_step_title(s.name) for s in steps]
    width = max((len(n) for n in names), default=0)
    out: List[str] = []
    for name, step in zip(names, steps):
        row = [f"      {name.ljust(width)}"]
        if step.status != "skipped":
            row.append(f"{duration_text(step.duration):>7}")
        if step.status != "success":
            row.append(step.status if step.exit_code is None
                       else f"{step.status} (exit {step.exit_code})")
        out.append("  ".join(row).rstrip())
    return out


def _step_title(name: str) -> str:
    """A step's first line, cut to fit a summary column (a ``run`` step without a name is
    named by its command)."""
    first = name.strip().splitlines()[0] if name.strip() else name
    return first if len(first) <= _STEP_NAME_WIDTH else first[:_STEP_NAME_WIDTH - 1] + "…"


def _trigger_text(record: WorkflowRunRecord) -> str:
    """``branch 'main' at 1a2b3c4d5e6f (push)``: what the run was started for (``""`` when
    the run was recorded without a trigger, as a library host may do)."""
    trigger = record.trigger
    if trigger.get("tag"):
        text = f"tag '{trigger['tag']}'"
    elif trigger.get("branch"):
        text = f"branch '{trigger['branch']}'"
    else:
        text = ""
    revision = record.settings.get("revision")
    if revision:
        text += (" at " if text else "commit ") + str(revision)[:12]
    if text and trigger.get("event"):
        text += f" ({trigger['event']})"
    parameters = trigger.get("parameters")
    if text and isinstance(parameters, Mapping) and parameters:
        text += ", parameters " + ", ".join(f"{k}={v}" for k, v in parameters.items())
    return text


def _times_text(record: WorkflowRunRecord) -> str:
    """``started 2024-05-01 12:03:04, finished 12:05:10 (2m06s)`` in local time; a run
    still going (or on hold) says when it was last updated instead."""
    if not record.created_at:
        return ""
    start = record.created_at
    text = f"started {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(start))}"
    ends = [j.finished_at for j in record.jobs.values() if j.finished_at is not None]
    finished = record.status in _TERMINAL
    end = max(ends) if finished and ends else record.updated_at
    if not end or end < start:
        return text
    same_day = time.localtime(start)[:3] == time.localtime(end)[:3]
    shown = time.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S",
                          time.localtime(end))
    verb = "finished" if finished else "last update"
    return f"{text}, {verb} {shown} ({duration_text(end - start)})" if finished else \
        f"{text}, {verb} {shown}"


def format_node_log_text(record: WorkflowRunRecord, job: str, node: int,
                         log: Optional[str]) -> str:
    """The stored (masked) log of one node of a parallel job, under its header (node 0 of
    a job without parallelism is the job: its usual header)."""
    nodes = record.jobs[job].nodes
    if node < len(nodes):
        out = [f"==> {node_label(job, node, len(nodes))} ({nodes[node].status})"]
    else:
        out = [f"==> {job} ({record.jobs[job].status})"]
    if log is None:
        out.append("(no log)")
    elif log:
        out.append(log.rstrip("\n"))
    return "\n".join(out) + "\n"


def format_logs_text(record: WorkflowRunRecord, logs: Mapping[str, str],
                     jobs: Optional[Iterable[str]] = None) -> str:
    """The stored (masked) logs of ``jobs`` (default: every job), each under a header."""
    out: List[str] = []
    for name in (list(jobs) if jobs is not None else list(record.jobs)):
        job = record.jobs[name]
        out.append(f"==> {name} ({job.status})")
        text = logs.get(name)
        if text is None:
            out.append("(no log)")
        elif text:
            out.append(text.rstrip("\n"))
    return "\n".join(out) + "\n"
