"""Views of workflow runs: live progress lines from runner events, and the finished picture.

* :class:`ProgressPrinter` is an event callback (``Runner(on_event=ProgressPrinter(sys.stdout))``)
  that writes one plain-text line per event as it happens and flushes, so a person or a pipe
  sees progress live. It keeps a per-workflow count of finished jobs (``[3/7]``).
* :func:`workflow_object` / :func:`run_document` / :func:`workflows_document` build the JSON
  forms of ``workflowcore run/status/...`` (a versioned public contract, ``docs/running.md``).
* :func:`format_workflow_text` and :func:`format_logs_text` are the text forms.

Everything here only reads events and records; all strings in them are already masked.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, List, Mapping, Optional, TextIO

from ..runtime.events import (
    ApprovalRequested,
    Event,
    JobFinished,
    JobOutput,
    JobStarted,
    WorkflowFinished,
    WorkflowOnHold,
    WorkflowStarted,
)
from ..runtime.stores.runstate import WorkflowRunRecord

__all__ = [
    "RUN_JSON_VERSION",
    "ProgressPrinter",
    "format_logs_text",
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


def _duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s"


class ProgressPrinter:
    """Writes runner events to ``stream`` as they come, one line each.

    ``show_output`` prints every job output line (``name | line``); ``approve_hint`` is a
    template with ``{id}`` and ``{job}`` shown when an approval waits (the CLI passes its own
    command line). Safe to call from several threads.
    """

    def __init__(self, stream: TextIO, *, show_output: bool = True,
                 approve_hint: Optional[str] = None) -> None:
        self.stream = stream
        self.show_output = show_output
        self.approve_hint = approve_hint
        self._lock = threading.Lock()
        self._total: Dict[str, int] = {}
        self._done: Dict[str, int] = {}

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._render(event)

    def _render(self, event: Event) -> None:
        wf = event.workflow
        if isinstance(event, WorkflowStarted):
            self._total[event.workflow_id] = len(event.jobs)
            self._done[event.workflow_id] = event.finished_jobs
            verb = "resumed" if event.resumed else "started"
            self._line(f"workflow {wf} {verb}: {event.workflow_id} ({len(event.jobs)} jobs)")
        elif isinstance(event, JobStarted):
            again = f", attempt {event.attempt}" if event.attempt > 1 else ""
            self._line(f"[{wf}] {event.job}: started as {event.actor}{again}")
        elif isinstance(event, JobOutput):
            if self.show_output:
                self._line(f"[{wf}] {event.job} | {event.line}")
        elif isinstance(event, JobFinished):
            done = self._done.get(event.workflow_id, 0) + 1
            self._done[event.workflow_id] = done
            total = self._total.get(event.workflow_id)
            count = f" [{done}/{total}]" if total else ""
            bits = []
            if event.exit_code is not None:
                bits.append(f"exit {event.exit_code}")
            if event.duration is not None:
                bits.append(_duration(event.duration))
            detail = f" ({', '.join(bits)})" if bits else ""
            why = f": {event.message}" if event.message and event.status != "success" else ""
            mark = _MARK.get(event.status, event.status)
            if event.approved_by:
                mark = f"approved by {event.approved_by}"
            self._line(f"[{wf}] {event.job}: {mark}{detail}{count}{why}")
        elif isinstance(event, ApprovalRequested):
            hint = ""
            if self.approve_hint:
                hint = "; approve with: " + self.approve_hint.format(id=event.workflow_id,
                                                                      job=event.job)
            self._line(f"[{wf}] {event.job}: waiting for approval{hint}")
        elif isinstance(event, WorkflowOnHold):
            self._line(f"workflow {wf}: on_hold (waiting for {', '.join(event.approvals)}): "
                       f"{event.workflow_id}")
        elif isinstance(event, WorkflowFinished):
            self._line(f"workflow {wf}: {event.status}: {event.workflow_id}")


# -- finished picture ------------------------------------------------------------------------

def workflow_object(record: WorkflowRunRecord, *, version: bool = False) -> Dict[str, Any]:
    """The JSON object of one workflow run: ``{"id", "name", "pipeline", "status",
    "rerun_of", "jobs": {NAME: {"status", "exit_code", ["message"]}}}`` (jobs in plan order;
    ``message`` says why a job failed, was refused or did not run, when there is a reason)."""
    data: Dict[str, Any] = {"version": RUN_JSON_VERSION} if version else {}
    data.update({
        "id": record.id,
        "name": record.workflow,
        "pipeline": record.pipeline_id,
        "status": record.status,
        "rerun_of": record.rerun_of,
        "jobs": {name: {"status": job.status, "exit_code": job.exit_code,
                        **({"message": job.message} if job.message else {})}
                 for name, job in record.jobs.items()},
    })
    return data


def run_document(pipeline_id: str, records: Iterable[WorkflowRunRecord]) -> Dict[str, Any]:
    """``workflowcore run --format json``: ``{"version", "pipeline", "workflows": [...]}``."""
    return {"version": RUN_JSON_VERSION, "pipeline": pipeline_id,
            "workflows": [workflow_object(r) for r in records]}


def workflows_document(records: Iterable[WorkflowRunRecord]) -> Dict[str, Any]:
    """``workflowcore status --format json`` without an id: every workflow run."""
    return {"version": RUN_JSON_VERSION, "workflows": [workflow_object(r) for r in records]}


def format_workflow_text(record: WorkflowRunRecord) -> str:
    """A workflow run as a small table: one line per job with status, exit code, time,
    actor and why it did not succeed."""
    lines = [f"workflow {record.workflow}: {record.status}  (id {record.id}"
             + (f", rerun of {record.rerun_of}" if record.rerun_of else "") + ")"]
    width = max((len(n) for n in record.jobs), default=0)
    for name, job in record.jobs.items():
        bits: List[str] = [f"  {name.ljust(width)}  {job.status:<12}"]
        if job.exit_code is not None:
            bits.append(f"exit {job.exit_code}")
        if job.duration is not None:
            bits.append(_duration(job.duration))
        if job.actor and job.status not in ("blocked", "queued", "not_run"):
            bits.append(f"as {job.actor}")
        if job.kept_from:
            bits.append(f"kept from {job.kept_from}")
        elif job.message and job.status != "success":
            bits.append(f"- {job.message}")
        lines.append("  ".join(bits).rstrip())
    return "\n".join(lines) + "\n"


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
