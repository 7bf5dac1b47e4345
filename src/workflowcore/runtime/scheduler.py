"""A pure, graphlib-shaped scheduler for one planned workflow.

The scheduler decides *what may run next*; it never runs anything. It has no threads, no clock
and no I/O, so the same object can be driven by a thread pool, a process pool, asyncio or a
remote queue (the caller brings the concurrency, as with :class:`graphlib.TopologicalSorter`)::

    scheduler = Scheduler(workflow)
    while scheduler.is_active():
        for job in scheduler.get_ready():
            scheduler.start(job)
            pool.submit(job)
        job, outcome = finished_jobs.get()        # blocks: is_active() guarantees one is due
        scheduler.done(job, outcome)
    if scheduler.waiting_for_approval(): ...      # park until approve()/reject()

Rules implemented (rule ids refer to the shared CircleCI semantics document):

* Every job starts ``blocked``. A job is *resolved* only when **all** of its requirements are
  terminal (R4.3.3): if each ended in a status its ``requires`` entry accepts (R2.3.1) the job
  becomes ``queued`` (build, release, lock, unlock), ``on_hold`` (approval, R5.4) or
  ``success`` (no-op); if any ended outside its accepted set the job ends ``not_run``
  (R2.3.2, R4.3.1), which is itself terminal and cascades like any other status, so
  ``requires: [x: not_run]`` jobs run (R4.3.2). Waiting for *all* requirements, rather than
  marking a job ``not_run`` as soon as one requirement fails, means a ``terminal`` cleanup
  job downstream of it never overlaps work still running upstream of the job it stands for.
* **no-op jobs resolve to ``success`` immediately** and are never handed out: they have no
  steps, so handing them to the runner would only add a round trip (R4.3.3 "no-op→success").
* ``get_ready()`` hands each queued job out exactly once, sorted in plan order within a call.
  Nothing depends on hash order: jobs are kept as integer indices in plan order.
* ``approve(job, actor)`` turns an ``on_hold`` approval into ``success`` and records the
  approver; ``reject(job)`` turns it into ``canceled`` (R5.5). Jobs downstream of an approval
  run as its approver (R5.6, R6.2.2): :meth:`Scheduler.actor_for` returns the approver of the
  most recently approved approval among a job's transitive requirements. (An approval that is
  upstream of another is always approved before it, so "latest" is also "nearest".)
* ``cancel()`` cancels the workflow: every ``blocked``, ``queued`` (handed out or not) and
  ``on_hold`` job becomes ``canceled`` at once; ``running`` jobs are returned so the runner can
  kill them, and keep whatever status their ``done()`` reports.

Activity. ``is_active()`` is true while more work can happen *without a human*: a job is queued
and not yet handed out, or handed out and not yet ``done()``. A workflow whose only non-terminal
jobs are ``on_hold`` approvals (and jobs blocked behind them) is **not** active; it is not
finished either, and ``waiting_for_approval()`` names the approvals. ``is_finished()`` is true
when every job is terminal. So a driver loop ``while is_active()`` always ends, and a
``done()`` is always due while it is active (graphlib's guarantee).

Workflow status (R4.2.1; the open questions of the semantics document decided as follows):

1. A workflow with no jobs, or that does not run for its trigger, is ``not_run``.
2. Once ``cancel()`` was called on an unfinished workflow it is ``canceled`` immediately,
   even while killed jobs still have to report (the outcome is decided; ``is_finished()``
   says when they have).
3. While some job is not terminal: ``failing`` if any job ended ``failed`` or
   ``unauthorized``; else ``on_hold`` if nothing is queued or running and an approval waits;
   else ``running``.
4. When every job is terminal, first match wins: any job ``canceled`` (incl. a rejected
   approval, R5.5) → ``canceled``; any ``failed`` → ``failed``; any ``unauthorized`` →
   ``unauthorized``; else ``success``. So **failed takes precedence over unauthorized** (a
   broken job is the more urgent thing to show; ``unauthorized`` is reported when it is the
   only problem), and a **handled failure still fails the workflow**: a job that ended
   ``failed`` makes the workflow ``failed`` even when a ``requires: [x: failed]`` rollback job
   ran and succeeded. ``not_run`` jobs never fail a workflow.

Misuse raises :class:`workflowcore.errors.SchedulerError` (a ``ValueError``) with a message that
names the job and the rule broken, as graphlib does.

Snapshots and reruns. ``snapshot()`` returns plain JSON-able data; ``Scheduler.restore()``
rebuilds a scheduler from it (validating it against the plan), and ``requeue_interrupted()``
puts jobs that were handed out but never reported back (the process died) in the ready set
again. :func:`rerun_from_failed` keeps every ``success`` that is not downstream of a
non-success job and resets everything else to ``blocked`` (R8.1); :func:`rerun_all` starts
over (R8.2). Both require the previous run to be finished (every job terminal).

Cost. Like graphlib, each job keeps a count of its non-terminal requirements and a list of
its successors, so ``get_ready``/``start``/``done`` cost O(1 + edges touched); nothing scans
all jobs except ``cancel()``, ``statuses()`` and ``snapshot()``.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import SchedulerError
from ..planning.plan import TERMINAL_STATUSES, PlannedWorkflow
from .status import JobStatus, WorkflowStatus

__all__ = ["SNAPSHOT_VERSION", "Scheduler", "rerun_all", "rerun_from_failed"]

#: Version of the dict :meth:`Scheduler.snapshot` writes; bumped on incompatible changes.
SNAPSHOT_VERSION = 1

# Internal status codes. The five terminal ones come first so that a terminal status is
# ``code <= _NOT_RUN`` and ``1 << code`` is its bit in a requirement's accepted-status mask.
_SUCCESS, _FAILED, _CANCELED, _UNAUTHORIZED, _NOT_RUN = 0, 1, 2, 3, 4
_BLOCKED, _QUEUED, _RUNNING, _ON_HOLD = 5, 6, 7, 8

_STATUS_OF_CODE: tuple[JobStatus, ...] = (
    JobStatus.SUCCESS,
    JobStatus.FAILED,
    JobStatus.CANCELED,
    JobStatus.UNAUTHORIZED,
    JobStatus.NOT_RUN,
    JobStatus.BLOCKED,
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.ON_HOLD,
)
_CODE_OF_STATUS: dict[str, int] = {s.value: c for c, s in enumerate(_STATUS_OF_CODE)}
#: What ``done()`` accepts: the outcomes a runner can observe. ``not_run`` is the scheduler's.
_OUTCOME_CODES: dict[str, int] = {
    "success": _SUCCESS,
    "failed": _FAILED,
    "canceled": _CANCELED,
    "unauthorized": _UNAUTHORIZED,
}
_STATUS_BITS: dict[str, int] = {s: 1 << _CODE_OF_STATUS[s] for s in TERMINAL_STATUSES}
_STATUS_BITS["terminal"] = sum(_STATUS_BITS.values())

# Job kinds.
_RUNNABLE, _APPROVAL, _NOOP = 0, 1, 2
_KIND_OF_TYPE: dict[str, int] = {
    "build": _RUNNABLE,
    "release": _RUNNABLE,
    "lock": _RUNNABLE,
    "unlock": _RUNNABLE,
    "approval": _APPROVAL,
    "no-op": _NOOP,
}

# Hand-out phases (kept apart from the status because cancel() may end a handed-out job).
_NOT_HANDED, _HANDED, _STARTED, _REPORTED = 0, 1, 2, 3

#: The statuses a job of each kind can have, by whether it was handed out (restore checks).
_REACHABLE: tuple[tuple[frozenset[int], frozenset[int]], ...] = (
    (
        frozenset({_BLOCKED, _QUEUED, _CANCELED, _NOT_RUN}),
        # a handed-out job is not_run only when the host skipped it (skip()), which it
        # does only for a job whose requirements were met
        frozenset({_QUEUED, _RUNNING, _SUCCESS, _FAILED, _CANCELED, _UNAUTHORIZED, _NOT_RUN}),
    ),
    (frozenset({_BLOCKED, _ON_HOLD, _SUCCESS, _CANCELED, _NOT_RUN}), frozenset()),
    (frozenset({_BLOCKED, _SUCCESS, _CANCELED, _NOT_RUN}), frozenset()),
)

_NOT_TERMINAL_MSG = "Workflow must be in a terminal state to be rerun"


class Scheduler:
    """Decides which jobs of one :class:`PlannedWorkflow` may run, hold, or never run.

    See the module docstring for the rules. Construction validates the plan (unique names,
    known requirements in topological order, known statuses and job types) and resolves the
    root jobs, so ``get_ready()`` can be called at once.
    """

    __slots__ = (
        "_actor_memo",
        "_approval_seq",
        "_approvers",
        "_canceled",
        "_doomed",
        "_index",
        "_kind",
        "_n",
        "_names",
        "_ncode",
        "_next_seq",
        "_nout",
        "_npending",
        "_nterminal",
        "_on_hold",
        "_phase",
        "_preds",
        "_ready",
        "_requeue_allowed",
        "_runs",
        "_status",
        "_succ",
        "_types",
        "_workflow",
    )

    def __init__(self, workflow: PlannedWorkflow) -> None:
        self._setup(workflow)
        self._load([_BLOCKED] * self._n, bytearray(self._n), [], canceled=False)

    # ------------------------------------------------------------------ construction

    def _setup(self, workflow: PlannedWorkflow) -> None:
        """Index the plan: integer ids in plan order, predecessor and successor edge lists."""
        self._workflow = workflow
        names = [j.name for j in workflow.jobs]
        index: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in index:
                raise SchedulerError(
                    f"job {name!r} appears twice in workflow {workflow.name!r}; "
                    "job names must be unique in a workflow"
                )
            index[name] = i
        n = len(names)
        kinds: list[int] = []
        preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        succ: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        masks: dict[tuple[str, ...], int] = {}  # plans repeat a few accepted-status tuples
        for i, job in enumerate(workflow.jobs):
            kind = _KIND_OF_TYPE.get(job.type)
            if kind is None:
                raise SchedulerError(
                    f"job {job.name!r} has unknown type {job.type!r}; expected one of: "
                    + ", ".join(_KIND_OF_TYPE)
                )
            kinds.append(kind)
            for req, accepted in job.requires.items():
                r = index.get(req)
                if r is None:
                    raise SchedulerError(
                        f"job {job.name!r} requires {req!r}, which is not a job of "
                        f"workflow {workflow.name!r}"
                    )
                if r >= i:
                    raise SchedulerError(
                        f"job {job.name!r} requires {req!r}, which comes after it in the plan; "
                        "plan jobs must be in topological order"
                    )
                try:
                    mask = masks[accepted]
                except (KeyError, TypeError):  # TypeError: a list, or a tuple holding one
                    mask = _accepted_mask(job.name, req, accepted)
                    if isinstance(accepted, tuple):
                        masks[accepted] = mask
                preds[i].append((r, mask))
                succ[r].append((i, mask))
        self._n = n
        self._names = names
        self._index = index
        self._kind = kinds
        self._types = [j.type for j in workflow.jobs]
        self._preds = preds
        self._succ = succ
        self._runs = workflow.runs and n > 0

    def _load(
        self,
        status: list[int],
        phase: bytearray,
        approvals: list[tuple[int, str]],
        *,
        canceled: bool,
    ) -> None:
        """Set the state and rebuild every counter from it, then resolve what is resolvable.

        ``status``/``phase`` are consistent per-job states (fresh, restored or reset for a
        rerun). Blocked jobs whose requirements are all terminal are resolved here, which is
        how root jobs become ready and how a snapshot taken mid-cascade is completed.
        """
        n = self._n
        if not self._runs:
            status = [_NOT_RUN] * n
            phase = bytearray(n)
        self._status = status
        self._phase = phase
        self._canceled = canceled
        self._approvers: dict[int, str] = {}
        self._approval_seq: dict[int, int] = {}
        for seq, (i, actor) in enumerate(approvals):
            self._approvers[i] = actor
            self._approval_seq[i] = seq
        self._next_seq = len(approvals)
        self._actor_memo: dict[int, int] = {}
        self._requeue_allowed = False
        ncode = [0] * 5
        npending = [0] * n
        doomed = [False] * n
        ready: list[int] = []
        on_hold: set[int] = set()
        nout = 0
        for i in range(n):
            c = status[i]
            if c <= _NOT_RUN:
                ncode[c] += 1
            elif c == _ON_HOLD:
                on_hold.add(i)
            elif c == _QUEUED and phase[i] == _NOT_HANDED:
                ready.append(i)
            if phase[i] in (_HANDED, _STARTED) and c > _NOT_RUN:
                nout += 1
            for r, mask in self._preds[i]:
                rc = status[r]
                if rc > _NOT_RUN:
                    npending[i] += 1
                elif not mask & (1 << rc):
                    doomed[i] = True
        self._ncode = ncode
        self._nterminal = sum(ncode)
        self._npending = npending
        self._doomed = doomed
        self._ready = ready
        self._on_hold = on_hold
        self._nout = nout
        for i in range(n):
            if status[i] == _BLOCKED and npending[i] == 0:
                self._resolve_blocked(i)

    # ------------------------------------------------------------------ the driver API

    def get_ready(self) -> tuple[str, ...]:
        """Hand out every job that became ``queued`` since the last call, in plan order.

        Each job is handed out exactly once. Approval jobs are never handed out (see
        :meth:`waiting_for_approval`). Returns ``()`` when nothing new is ready.
        """
        self._requeue_allowed = False
        ready = self._ready
        if not ready:
            return ()
        self._ready = []
        ready.sort()
        phase = self._phase
        for i in ready:
            phase[i] = _HANDED
        self._nout += len(ready)
        names = self._names
        return tuple([names[i] for i in ready])

    def start(self, job: str) -> None:
        """Record that a handed-out job started running (``queued`` → ``running``).

        Optional: ``done()`` accepts a handed-out job that was never started. Calling it
        keeps :meth:`status` and :meth:`workflow_status` precise while the job runs.
        """
        self._requeue_allowed = False
        i = self._index_of(job)
        if self._phase[i] != _HANDED or self._status[i] != _QUEUED:
            raise SchedulerError(self._start_misuse(i))
        self._phase[i] = _STARTED
        self._status[i] = _RUNNING

    def done(self, job: str, status: str) -> None:
        """Record the outcome of a handed-out job and resolve what depends on it.

        ``status`` is ``success``, ``failed``, ``canceled`` or ``unauthorized`` (a
        :class:`JobStatus` or its string). Jobs whose requirements are now all terminal become
        ``queued`` (returned by the next :meth:`get_ready`), ``on_hold`` or ``not_run``.
        """
        self._requeue_allowed = False
        i = self._index.get(job, -1) if isinstance(job, str) else -1
        if i < 0:
            raise SchedulerError(self._unknown(job))
        try:
            code = _OUTCOME_CODES[status]
        except (KeyError, TypeError):
            raise SchedulerError(
                f"cannot mark job {job!r} done with status {status!r}; expected one of: "
                + ", ".join(_OUTCOME_CODES)
            ) from None
        p = self._phase[i]
        if (p != _HANDED and p != _STARTED) or self._status[i] <= _NOT_RUN:
            raise SchedulerError(self._done_misuse(i))
        self._phase[i] = _REPORTED
        self._nout -= 1
        self._finish(i, code)

    def skip(self, job: str) -> None:
        """Do not run a job :meth:`get_ready` handed out (and that was not started): it ends
        ``not_run``, and what depends on it resolves as for any ``not_run`` requirement
        (``requires: [x]`` is then ``not_run`` too; ``x: not_run`` or ``terminal`` runs).
        A host uses this for a job it cannot run faithfully, such as one needing an orb
        that is not available offline when told to skip those.
        """
        self._requeue_allowed = False
        i = self._index.get(job, -1) if isinstance(job, str) else -1
        if i < 0:
            raise SchedulerError(self._unknown(job))
        if self._phase[i] != _HANDED or self._status[i] != _QUEUED:
            raise SchedulerError(self._done_misuse(i) if self._phase[i] != _STARTED else
                                 f"job {job!r} was started; report its outcome with done()")
        self._phase[i] = _REPORTED
        self._nout -= 1
        self._finish(i, _NOT_RUN)

    def approve(self, job: str, actor: str) -> None:
        """Approve an ``on_hold`` approval job: it ends ``success``, approved by ``actor``.

        Jobs downstream of it then run as ``actor`` (see :meth:`actor_for`).
        """
        if not isinstance(actor, str) or not actor:
            raise SchedulerError(f"approve({job!r}) needs the approver's name as actor")
        i = self._held_approval(job, "approve")
        self._approvers[i] = actor
        self._approval_seq[i] = self._next_seq
        self._next_seq += 1
        self._finish(i, _SUCCESS)

    def reject(self, job: str) -> None:
        """Cancel an ``on_hold`` approval job: it ends ``canceled``, its downstream ``not_run``,
        and the workflow ends ``canceled`` (R5.5)."""
        i = self._held_approval(job, "reject")
        self._finish(i, _CANCELED)

    def cancel(self) -> tuple[str, ...]:
        """Cancel the workflow; return the jobs still running, which the caller should kill.

        ``blocked``, ``queued`` and ``on_hold`` jobs end ``canceled`` now (a handed-out job
        that was not started can no longer be started). Running jobs keep running here until
        ``done()`` reports them (normally as ``canceled``). Calling it again returns the jobs
        still running; on a finished workflow it does nothing and returns ``()``.
        """
        if self._nterminal == self._n:
            return ()
        self._canceled = True
        self._requeue_allowed = False
        status = self._status
        phase = self._phase
        running: list[int] = []
        ncanceled = 0
        for i in range(self._n):
            c = status[i]
            if c == _RUNNING:
                running.append(i)
            elif c > _NOT_RUN:
                if c == _QUEUED and phase[i] == _HANDED:
                    self._nout -= 1
                status[i] = _CANCELED
                ncanceled += 1
        self._ncode[_CANCELED] += ncanceled
        self._nterminal += ncanceled
        self._ready = []
        self._on_hold.clear()
        return tuple([self._names[i] for i in running])

    # ------------------------------------------------------------------ queries

    def is_active(self) -> bool:
        """True while a job is queued or handed out and not yet done (O(1)).

        Approvals on hold do not count: a workflow waiting only for approvals is neither
        active nor finished.
        """
        return self._nout > 0 or bool(self._ready)

    __bool__ = is_active

    def is_finished(self) -> bool:
        """True when every job is terminal."""
        return self._nterminal == self._n

    def waiting_for_approval(self) -> tuple[str, ...]:
        """The approval jobs currently ``on_hold``, in plan order."""
        return tuple([self._names[i] for i in sorted(self._on_hold)])

    def status(self, job: str) -> JobStatus:
        return _STATUS_OF_CODE[self._status[self._index_of(job)]]

    def statuses(self) -> dict[str, JobStatus]:
        """Every job's status, in plan order."""
        return {name: _STATUS_OF_CODE[c] for name, c in zip(self._names, self._status)}

    def workflow_status(self) -> WorkflowStatus:
        """The workflow's status by the rule in the module docstring (R4.2.1)."""
        if not self._runs:
            return WorkflowStatus.NOT_RUN
        if self._canceled:
            return WorkflowStatus.CANCELED
        ncode = self._ncode
        if self._nterminal < self._n:
            if ncode[_FAILED] or ncode[_UNAUTHORIZED]:
                return WorkflowStatus.FAILING
            if self._on_hold and not self._ready and not self._nout:
                return WorkflowStatus.ON_HOLD
            return WorkflowStatus.RUNNING
        if ncode[_CANCELED]:
            return WorkflowStatus.CANCELED
        if ncode[_FAILED]:
            return WorkflowStatus.FAILED
        if ncode[_UNAUTHORIZED]:
            return WorkflowStatus.UNAUTHORIZED
        return WorkflowStatus.SUCCESS

    def approver(self, job: str) -> str | None:
        """Who approved this approval job, or ``None`` (not an approved approval)."""
        return self._approvers.get(self._index_of(job))

    def actor_for(self, job: str, default_actor: str) -> str:
        """The actor ``job`` runs as: the approver of the most recently approved approval
        among its transitive requirements, else ``default_actor`` (the pipeline's actor).

        The runner checks restricted contexts against this actor (R5.6, R6.2.2).
        """
        best = self._latest_approval(self._index_of(job))
        return default_actor if best < 0 else self._approvers[best]

    @property
    def workflow(self) -> PlannedWorkflow:
        return self._workflow

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> dict[str, Any]:
        """The scheduler's state as plain JSON-able data (see ``docs/scheduling.md``)."""
        names = self._names
        order = sorted(self._approval_seq, key=self._approval_seq.__getitem__)
        return {
            "version": SNAPSHOT_VERSION,
            "workflow": self._workflow.name,
            "statuses": {n: _STATUS_OF_CODE[c].value for n, c in zip(names, self._status)},
            "approvers": [[names[i], self._approvers[i]] for i in order],
            "handed_out": [names[i] for i in range(self._n) if self._phase[i] != _NOT_HANDED],
            "canceled": self._canceled,
        }

    @classmethod
    def restore(cls, workflow: PlannedWorkflow, snapshot: Mapping[str, Any]) -> Scheduler:
        """Rebuild a scheduler from :meth:`snapshot` data taken over the same ``workflow``.

        The snapshot is validated against the plan (same jobs, known statuses, states that
        the scheduler can reach). Jobs that were handed out and not reported stay handed
        out; call :meth:`requeue_interrupted` to run them again after a crash.
        """
        self = cls.__new__(cls)
        self._setup(workflow)
        status, phase, approvals, canceled = self._parse_snapshot(snapshot)
        self._load(status, phase, approvals, canceled=canceled)
        self._requeue_allowed = True
        return self

    def requeue_interrupted(self) -> tuple[str, ...]:
        """Make handed-out, unreported jobs ready again; return them in plan order.

        Only valid on a scheduler fresh from :meth:`restore` (before any other driver call):
        such jobs were queued or running when the process that owned them died. In a
        canceled workflow they end ``canceled`` instead and ``()`` is returned.
        """
        if not self._requeue_allowed:
            raise SchedulerError(
                "requeue_interrupted() must be called on a restored scheduler before "
                "get_ready(), start(), done() or cancel()"
            )
        self._requeue_allowed = False
        status = self._status
        phase = self._phase
        interrupted = [
            i
            for i in range(self._n)
            if phase[i] in (_HANDED, _STARTED) and status[i] in (_QUEUED, _RUNNING)
        ]
        for i in interrupted:
            self._nout -= 1
            if self._canceled:
                phase[i] = _REPORTED
                self._finish(i, _CANCELED)
            else:
                phase[i] = _NOT_HANDED
                status[i] = _QUEUED
                self._ready.append(i)
        if self._canceled:
            return ()
        return tuple([self._names[i] for i in interrupted])

    def _parse_snapshot(
        self, snapshot: Mapping[str, Any]
    ) -> tuple[list[int], bytearray, list[tuple[int, str]], bool]:
        """Turn snapshot data into per-job codes, checking it fits this plan and is reachable."""
        wf = self._workflow.name
        if not isinstance(snapshot, Mapping):
            raise SchedulerError(f"snapshot must be a mapping, not {type(snapshot).__name__}")
        version = snapshot.get("version")
        if version != SNAPSHOT_VERSION:
            raise SchedulerError(
                f"unsupported snapshot version {version!r} (expected {SNAPSHOT_VERSION})"
            )
        if snapshot.get("workflow") != wf:
            raise SchedulerError(
                f"snapshot is of workflow {snapshot.get('workflow')!r}, not {wf!r}"
            )
        raw = snapshot.get("statuses")
        if not isinstance(raw, Mapping):
            raise SchedulerError("snapshot has no 'statuses' mapping")
        unknown = [k for k in raw if k not in self._index]
        if unknown:
            raise SchedulerError(
                f"snapshot names jobs that are not in workflow {wf!r}: "
                + ", ".join(repr(k) for k in unknown)
            )
        missing = [n for n in self._names if n not in raw]
        if missing:
            raise SchedulerError(
                "snapshot lacks the status of: " + ", ".join(repr(k) for k in missing)
            )
        status: list[int] = []
        for name in self._names:
            code = _CODE_OF_STATUS.get(raw[name]) if isinstance(raw[name], str) else None
            if code is None:
                raise SchedulerError(f"snapshot gives job {name!r} unknown status {raw[name]!r}")
            status.append(code)
        phase = bytearray(self._n)
        for name in _str_list(snapshot, "handed_out"):
            i = self._snapshot_job(name, "handed_out")
            phase[i] = (
                _REPORTED
                if status[i] <= _NOT_RUN
                else (_STARTED if status[i] == _RUNNING else _HANDED)
            )
        approvals: list[tuple[int, str]] = []
        raw_approvers = snapshot.get("approvers", [])
        if not isinstance(raw_approvers, list):
            raise SchedulerError("snapshot 'approvers' must be a list of [job, actor] pairs")
        for pair in raw_approvers:
            if (
                not isinstance(pair, (list, tuple))
                or len(pair) != 2
                or not all(isinstance(p, str) for p in pair)
            ):
                raise SchedulerError(f"snapshot approver entry {pair!r} is not a [job, actor] pair")
            i = self._snapshot_job(pair[0], "approvers")
            if self._kind[i] != _APPROVAL or status[i] != _SUCCESS:
                raise SchedulerError(
                    f"snapshot records an approver for {pair[0]!r}, which is not an approved "
                    "approval job"
                )
            approvals.append((i, pair[1]))
        canceled = snapshot.get("canceled", False)
        if not isinstance(canceled, bool):
            raise SchedulerError("snapshot 'canceled' must be true or false")
        if self._runs:
            for i in range(self._n):
                problem = self._unreachable_state(i, status, phase, canceled)
                if problem:
                    raise SchedulerError(
                        f"snapshot is inconsistent: job {self._names[i]!r} {problem}"
                    )
        return status, phase, approvals, canceled

    def _unreachable_state(
        self, i: int, status: list[int], phase: bytearray, canceled: bool
    ) -> str:
        """Why job ``i``'s snapshot state cannot happen, or ``""`` when it can."""
        c = status[i]
        handed = phase[i] != _NOT_HANDED
        name = _STATUS_OF_CODE[c].value
        if c not in _REACHABLE[self._kind[i]][handed]:
            how = "was handed out" if handed else "was never handed out"
            return f"is {name}, which a {self._types[i]} job that {how} cannot be"
        if canceled and c in (_BLOCKED, _QUEUED, _ON_HOLD):
            return f"is {name} in a canceled workflow"
        if c == _CANCELED and self._kind[i] == _RUNNABLE and not handed and not canceled:
            return "is canceled but was never handed out and the workflow was not canceled"
        if c == _BLOCKED or (c == _CANCELED and canceled):
            return ""
        reqs = self._preds[i]
        pending = [r for r, _ in reqs if status[r] > _NOT_RUN]
        if pending:
            return f"is {name} but its requirement {self._names[pending[0]]!r} is not terminal"
        unmet = any(not mask & (1 << status[r]) for r, mask in reqs)
        if c == _NOT_RUN and not unmet and not handed:
            return "is not_run but all its requirements were met"
        if c == _NOT_RUN and unmet and handed:
            return "is not_run (skipped) but one of its requirements was not met"
        if c != _NOT_RUN and unmet:
            return f"is {name} but one of its requirements ended in a status it does not accept"
        return ""

    # ------------------------------------------------------------------ internals

    def _finish(self, i: int, code: int) -> None:
        """Make job ``i`` terminal with ``code`` and resolve what that unblocks, transitively."""
        status = self._status
        succ = self._succ
        npending = self._npending
        doomed = self._doomed
        ncode = self._ncode
        stack = [(i, code)]
        nterm = 0
        while stack:
            i, code = stack.pop()
            status[i] = code
            ncode[code] += 1
            nterm += 1
            bit = 1 << code
            for j, mask in succ[i]:
                if not mask & bit:
                    doomed[j] = True
                n = npending[j] - 1
                npending[j] = n
                if n == 0 and status[j] == _BLOCKED:
                    if doomed[j]:
                        stack.append((j, _NOT_RUN))
                    else:
                        kind = self._kind[j]
                        if kind == _RUNNABLE:
                            status[j] = _QUEUED
                            self._ready.append(j)
                        elif kind == _NOOP:
                            stack.append((j, _SUCCESS))
                        else:
                            status[j] = _ON_HOLD
                            self._on_hold.add(j)
        self._nterminal += nterm

    def _resolve_blocked(self, i: int) -> None:
        """Resolve a blocked job whose requirements are all terminal (used by ``_load``)."""
        if self._doomed[i]:
            self._finish(i, _NOT_RUN)
        elif self._kind[i] == _NOOP:
            self._finish(i, _SUCCESS)
        elif self._kind[i] == _APPROVAL:
            self._status[i] = _ON_HOLD
            self._on_hold.add(i)
        else:
            self._status[i] = _QUEUED
            self._ready.append(i)

    def _latest_approval(self, i: int) -> int:
        """Index of the latest-approved approval among ``i``'s ancestors, or -1.

        Memoised for jobs that are no longer blocked: by then every ancestor approval is
        terminal (resolution needs terminal requirements; ``cancel()`` ends all approvals), so
        the answer cannot change. Iterative, because plans can be thousands of jobs deep.
        """
        memo = self._actor_memo
        if i in memo:
            return memo[i]
        preds = self._preds
        approvers = self._approvers
        seq = self._approval_seq
        computed: dict[int, int] = {}
        stack: list[tuple[int, bool]] = [(i, False)]
        while stack:
            node, expanded = stack.pop()
            if node in memo or node in computed:
                continue
            if not expanded:
                stack.append((node, True))
                stack.extend((r, False) for r, _ in preds[node] if r not in memo)
                continue
            best = -1
            for r, _ in preds[node]:
                cand = r if r in approvers else memo.get(r, computed.get(r, -1))
                if cand >= 0 and (best < 0 or seq[cand] > seq[best]):
                    best = cand
            if self._status[node] == _BLOCKED:
                computed[node] = best
            else:
                memo[node] = best
        return memo[i] if i in memo else computed[i]

    def _index_of(self, job: str) -> int:
        i = self._index.get(job, -1) if isinstance(job, str) else -1
        if i < 0:
            raise SchedulerError(self._unknown(job))
        return i

    def _unknown(self, job: object) -> str:
        return f"job {job!r} is not a job of workflow {self._workflow.name!r}"

    def _held_approval(self, job: str, verb: str) -> int:
        self._requeue_allowed = False
        i = self._index_of(job)
        if self._kind[i] != _APPROVAL:
            raise SchedulerError(
                f"cannot {verb} job {job!r}: it is not an approval job (type: {self._types[i]})"
            )
        if self._status[i] != _ON_HOLD:
            raise SchedulerError(
                f"cannot {verb} approval job {job!r}: it is not on hold "
                f"(status: {_STATUS_OF_CODE[self._status[i]].value})"
            )
        self._on_hold.discard(i)
        return i

    def _start_misuse(self, i: int) -> str:
        name = self._names[i]
        p = self._phase[i]
        st = _STATUS_OF_CODE[self._status[i]].value
        if p == _STARTED:
            return f"job {name!r} was already started"
        if p == _REPORTED:
            return f"job {name!r} was already marked done (status: {st})"
        if p == _HANDED:
            return f"job {name!r} was canceled before it started"
        return self._not_handed(i, st)

    def _done_misuse(self, i: int) -> str:
        name = self._names[i]
        p = self._phase[i]
        st = _STATUS_OF_CODE[self._status[i]].value
        if p == _REPORTED:
            return f"job {name!r} was already marked done (status: {st})"
        if p in (_HANDED, _STARTED):
            return f"job {name!r} was canceled before it started; it needs no done()"
        return self._not_handed(i, st)

    def _not_handed(self, i: int, st: str) -> str:
        name = self._names[i]
        if self._kind[i] == _APPROVAL:
            return f"job {name!r} is an approval job; use approve() or reject() (status: {st})"
        return f"job {name!r} was not handed out by get_ready() (status: {st})"

    def _snapshot_job(self, name: object, key: str) -> int:
        i = self._index.get(name, -1) if isinstance(name, str) else -1
        if i < 0:
            raise SchedulerError(f"snapshot {key!r} names unknown job {name!r}")
        return i


def rerun_from_failed(workflow: PlannedWorkflow, snapshot: Mapping[str, Any]) -> Scheduler:
    """A scheduler for "rerun workflow from failed" (R8.1) of the run ``snapshot`` describes.

    Jobs that ended ``success`` (including approved approvals, with their approver) keep it,
    unless they are downstream of a job that did not succeed: a ``requires: [x: failed]``
    rollback job that ran because ``x`` failed must run again when ``x`` reruns. Every other
    job starts over as ``blocked``, so approvals downstream of a failure go ``on_hold`` again.
    A snapshot with nothing to rerun gives an already finished scheduler.

    Raises :class:`SchedulerError` ("Workflow must be in a terminal state to be rerun")
    unless every job of the snapshot is terminal.
    """
    previous = Scheduler.restore(workflow, snapshot)
    if not previous.is_finished():
        raise SchedulerError(_NOT_TERMINAL_MSG)
    old = previous._status
    reset = [False] * previous._n
    for i in range(previous._n):  # plan order is topological: requirements come first
        reset[i] = old[i] != _SUCCESS or any(reset[r] for r, _ in previous._preds[i])
    status = [_BLOCKED if reset[i] else _SUCCESS for i in range(previous._n)]
    # Kept build jobs count as handed out and reported, so the new run's snapshot restores.
    phase = bytearray(
        _REPORTED if not reset[i] and previous._kind[i] == _RUNNABLE else _NOT_HANDED
        for i in range(previous._n)
    )
    order = sorted(previous._approval_seq, key=previous._approval_seq.__getitem__)
    approvals = [(i, previous._approvers[i]) for i in order if not reset[i]]
    fresh = Scheduler.__new__(Scheduler)
    fresh._setup(workflow)
    fresh._load(status, phase, approvals, canceled=False)
    return fresh


def rerun_all(workflow: PlannedWorkflow, snapshot: Mapping[str, Any] | None = None) -> Scheduler:
    """A scheduler for "rerun workflow from start" (R8.2): every job and approval again.

    When the previous run's ``snapshot`` is given it must be finished, as for
    :func:`rerun_from_failed`.
    """
    if snapshot is not None and not Scheduler.restore(workflow, snapshot).is_finished():
        raise SchedulerError(_NOT_TERMINAL_MSG)
    return Scheduler(workflow)


def _accepted_mask(job: str, req: str, accepted: object) -> int:
    """The bit mask of statuses ``job`` accepts from ``req`` (``terminal`` = all five)."""
    if isinstance(accepted, str):
        items: tuple[object, ...] = (accepted,)
    elif isinstance(accepted, (tuple, list)):
        items = tuple(accepted)
    else:
        raise SchedulerError(
            f"job {job!r} requires {req!r} with statuses {accepted!r}, which is not a tuple"
        )
    mask = 0
    for status in items:
        bit = _STATUS_BITS.get(status) if isinstance(status, str) else None
        if bit is None:
            raise SchedulerError(
                f"job {job!r} requires {req!r} with unknown status {status!r}; expected "
                "terminal or one of: " + ", ".join(TERMINAL_STATUSES)
            )
        mask |= bit
    if not mask:
        raise SchedulerError(f"job {job!r} requires {req!r} but accepts no status")
    return mask


def _str_list(snapshot: Mapping[str, Any], key: str) -> list[str]:
    value = snapshot.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SchedulerError(f"snapshot {key!r} must be a list of job names")
    return value
