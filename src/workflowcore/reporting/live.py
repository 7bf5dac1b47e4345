"""A live table of the jobs being run, for a person at a terminal (``rich``'s ``Live``).

Plain lines (:class:`~workflowcore.reporting.progress.ProgressPrinter`) suit a pipe or a log
file; on a terminal they scroll past faster than anyone reads them. :class:`LiveTablePrinter`
keeps one table in place instead: a row per job (and per node of a parallel job,
``test[1/3]``) with its state, the step it is in, how long it has run and its last output
line, refreshed a few times a second, so a silent step shows its time growing rather than
nothing. What happened stays above the table as dated lines (a job finished, an approval
waits, a workflow ended), and a failed job's last output lines are shown there with the
command that prints its whole log.

``rich`` is an optional dependency (the ``rich`` extra): this module imports it only when a
printer is made, so neither the core nor ``import workflowcore.reporting.live`` needs it.
"""

from __future__ import annotations

import atexit
import threading
import time
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from .._text import plural
from ..runtime.events import (
    ApprovalRequested,
    Event,
    JobFinished,
    JobOutput,
    WorkflowFinished,
    WorkflowOnHold,
    WorkflowStarted,
)
from .jobviews import JobView, JobViews, duration_text
from .progress import clock

__all__ = ["LiveTablePrinter", "rich_available"]

_STATE = {
    "waiting": ("waiting", "dim"),
    "queued": ("queued", "cyan"),
    "running": ("running", "bold yellow"),
    "on_hold": ("on hold", "magenta"),
    "success": ("ok", "green"),
    "failed": ("FAILED", "bold red"),
    "canceled": ("canceled", "yellow"),
    "unauthorized": ("UNAUTHORIZED", "bold red"),
    "not_run": ("not run", "dim"),
}
#: Rows shown first when the table is taller than the terminal.
_URGENT = ("running", "failed", "unauthorized", "on_hold", "queued")
#: A running job silent for this long shows ``silent 1m00s`` after its last line.
_SILENT_NOTE = 10.0


def rich_available() -> bool:
    """Whether ``rich`` can be imported (the ``rich`` extra is installed)."""
    try:
        import rich.live  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class _Row:
    """A job view as the renderer needs it, copied under the printer's lock (rich renders
    from its own thread)."""

    workflow: str
    job: str
    node: str
    state: str
    step: str
    started: Optional[float]
    duration: Optional[float]
    last_line: str
    last_output: Optional[float]

    @classmethod
    def of(cls, view: JobView) -> _Row:
        node = view.label if view.node is not None else (
            plural(view.nodes, "node") if view.nodes > 1 else "")
        return cls(view.workflow, view.job, node, view.state,
                   (view.step or "") if view.runs_steps else "", view.started, view.duration,
                   view.last_line or "", view.last_output)

    def elapsed(self, now: float) -> Optional[float]:
        if self.state == "running" and self.started is not None:
            return max(now - self.started, 0.0)
        return self.duration


class LiveTablePrinter:
    """An event callback keeping a live table of the jobs on ``console`` (a
    ``rich.console.Console``). ``show_output=False`` (``--quiet``) leaves out the last-line
    column and the failed jobs' excerpts; ``approve_hint`` and ``takeover`` are as for
    :class:`~workflowcore.reporting.progress.ProgressPrinter`. ``live=False`` only keeps the
    state and prints the dated lines (:meth:`table` renders the table on demand).

    The table is shown while a workflow run is being driven and removed when each one has
    finished or is on hold (the summary follows); :meth:`close` removes it earlier (also
    at interpreter exit, so an interrupted run leaves the terminal as it found it).
    """

    def __init__(self, console: Any, *, show_output: bool = True,
                 approve_hint: Optional[str] = None, takeover: str = "resumed",
                 live: bool = True, tail: int = 10, refresh_per_second: float = 4.0) -> None:
        from rich.live import Live  # lazily: rich is an optional extra

        self.console = console
        self.show_output = show_output
        self.approve_hint = approve_hint
        self.takeover = takeover
        self._views = JobViews(tail=tail if show_output else 0)
        self._lock = threading.Lock()
        self._rows: Tuple[_Row, ...] = ()
        self._workflows = 0
        self._live = Live(console=console, get_renderable=self.table, transient=True,
                          refresh_per_second=refresh_per_second) if live else None
        self._showing = False
        self._closed = False

    def __call__(self, event: Event) -> None:
        with self._lock:
            view = self._views.update(event)
            lines = self._history(event, view)
            self._rows = tuple(_Row.of(v) for v in self._views.views())
            self._workflows = len(self._views.workflows)
            active = self._views.active()
        for text, style in lines:
            self._print(text, style)
        if self._live is None or self._closed:
            return
        if active and not self._showing:
            self._showing = True
            atexit.register(self.close)
            self._live.start(refresh=True)
        elif not active and self._showing:
            self._showing = False
            self._live.refresh()  # the last state, for a terminal that keeps it
            self._live.stop()
        elif self._showing and not isinstance(event, JobOutput):
            # a state change shows at once (a short job may end before the next tick);
            # output lines wait for the tick, however many there are
            self._live.refresh()

    def close(self) -> None:
        """Remove the table (idempotent)."""
        self._closed = True
        if self._live is not None and self._showing:
            self._showing = False
            self._live.stop()

    def _print(self, text: str, style: str = "") -> None:
        from rich.text import Text

        self.console.print(Text(text, style=style), soft_wrap=True)

    def _history(self, event: Event, view: Optional[JobView]) -> List[Tuple[str, str]]:
        """The dated lines an event leaves above the table (most events only change it)."""
        at = clock(getattr(event, "time", time.time()))
        wf = event.workflow
        if isinstance(event, WorkflowStarted):
            verb = self.takeover if event.resumed else "started"
            return [(f"{at} workflow {wf} {verb}: {event.workflow_id} "
                     f"({plural(len(event.jobs), 'job')})", "bold")]
        if isinstance(event, JobFinished):
            text, style = _STATE.get(event.status, (event.status, ""))
            if event.approved_by:
                text = f"approved by {event.approved_by}"
            bits = [f"exit {event.exit_code}"] if event.exit_code is not None else []
            if event.duration is not None:
                bits.append(duration_text(event.duration))
            detail = f" ({', '.join(bits)})" if bits else ""
            why = f": {event.message}" if event.message and event.status != "success" else ""
            out = [(f"{at} [{wf}] {event.job}: {text}{detail}{why}", style)]
            if event.status == "failed" and view is not None and self.show_output:
                tails = [view.tail] if view.nodes == 1 else [
                    v.tail for v in self._views.views()
                    if v.workflow_id == event.workflow_id and v.job == event.job
                    and v.node is not None and v.state == "failed"]
                for tail in tails:
                    out += [(f"    | {line}", "dim") for line in tail]
                out.append((f"    full log: workflowcore logs {event.workflow_id} "
                            f"{event.job}", "dim"))
            return out
        if isinstance(event, ApprovalRequested):
            hint = ""
            if self.approve_hint:
                hint = "; approve with: " + self.approve_hint.format(id=event.workflow_id,
                                                                      job=event.job)
            return [(f"{at} [{wf}] {event.job}: waiting for approval{hint}", "magenta")]
        if isinstance(event, WorkflowOnHold):
            return [(f"{at} workflow {wf}: on_hold (waiting for "
                     f"{', '.join(event.approvals)}): {event.workflow_id}", "magenta")]
        if isinstance(event, WorkflowFinished):
            style = "bold green" if event.status == "success" else "bold red"
            return [(f"{at} workflow {wf}: {event.status}: {event.workflow_id}", style)]
        return []

    def table(self) -> Any:
        """The table as it is now: a ``rich.table.Table`` (called by rich's refresh thread
        and by tests; it reads a snapshot, never the printer's lock)."""
        from rich.table import Table
        from rich.text import Text

        rows, now = self._rows, time.time()
        several = self._workflows > 1
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold",
                      expand=False)
        if several:
            table.add_column("workflow", no_wrap=True, max_width=20, overflow="ellipsis")
        table.add_column("job", no_wrap=True, max_width=28, overflow="ellipsis")
        table.add_column("node", no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("elapsed", justify="right", no_wrap=True)
        table.add_column("step", no_wrap=True, max_width=30, overflow="ellipsis")
        if self.show_output:
            table.add_column("last output", no_wrap=True, overflow="ellipsis", ratio=1)
        shown, hidden = _fit(rows, max(int(self.console.size.height) - 4, 5))
        for row in shown:
            state, style = _STATE.get(row.state, (row.state, ""))
            cells: List[Any] = [row.workflow] if several else []
            cells += [row.job, row.node, Text(state, style=style),
                      duration_text(row.elapsed(now)), row.step]
            if self.show_output:
                last = Text(row.last_line)
                since = row.last_output if row.last_output is not None else row.started
                if row.state == "running" and row.step and since is not None \
                        and now - since >= _SILENT_NOTE:
                    last.append(f"  (silent {duration_text(now - since)})", style="dim")
                cells.append(last)
            table.add_row(*cells)
        if hidden:
            counts: dict[str, int] = {}
            for row in hidden:
                name = _STATE.get(row.state, (row.state, ""))[0]
                counts[name] = counts.get(name, 0) + 1
            summary = ", ".join(f"{n} {state}" for state, n in counts.items())
            table.add_row(*([""] if several else []),
                          Text(f"… {plural(len(hidden), 'more row')} ({summary})",
                               style="dim"))
        return table


def _fit(rows: Tuple[_Row, ...], room: int) -> Tuple[List[_Row], List[_Row]]:
    """The rows that fit in ``room`` lines, in order, keeping running, failed, held and
    queued ones first; and the others (one line then says how many)."""
    if len(rows) <= room:
        return list(rows), []
    room -= 1  # the "… N more rows" line
    keep = [i for i, r in enumerate(rows) if r.state in _URGENT][:room]
    keep += [i for i, r in enumerate(rows) if r.state not in _URGENT][:room - len(keep)]
    kept = set(keep)
    return ([r for i, r in enumerate(rows) if i in kept],
            [r for i, r in enumerate(rows) if i not in kept])
