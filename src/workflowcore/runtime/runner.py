"""The Runner: drives workflow runs through the pure :class:`Scheduler` with a bounded pool.

::

    with SQLiteRunStore(".workflowcore/runs.sqlite") as store, \\
            SubprocessExecutor(".workflowcore/jobs", source_dir=repo) as executor:
        runner = Runner(executor, store, workspace=FileSystemWorkspaceStore(...),
                        contexts=contexts, max_parallel=4, on_event=print)
        records = runner.run(plan.workflows, actor="alice")
        runner.approve(records[0].id, "hold", actor="bob")

How it runs. One driver thread (the caller's) owns every :class:`Scheduler`; jobs run on a
``ThreadPoolExecutor`` of ``max_parallel`` threads and report back through a queue. The driver
starts a job the moment the scheduler releases it and a slot is free, so a job waits for its
own requirements only, never for a "level" of the graph. The scheduler stays pure: it is only
ever called from the driver thread.

Several workflow runs (the workflows of one pipeline) share one pool.

What the runner decides itself (the scheduler cannot):

* **Actors and contexts** (R5.6, R6.2): a job runs as ``Scheduler.actor_for(job, actor)``
  (the approver after an approval). Its ``context:`` list is resolved for that actor with
  :func:`resolve_contexts`; a context the actor may not use ends the job ``unauthorized``
  without running it, an unknown context ends it ``failed`` (R6.1.4); the scheduler then
  makes the dependents ``not_run``.
* **Masking** (§6.4): every value of every context a job uses (and project variables) goes
  into the job's :class:`Masker`; output lines, logs, messages and events are masked before
  they leave the job, whatever the executor did.
* **Workspaces**: a job's ``upstream_jobs`` are its transitive requirements in plan order
  (R7.4); layers are keyed by the workflow run id. Rerun-from-failed copies the kept jobs'
  layers into the new workflow run (R7.5).
* **Parallelism** (``docs/parallelism.md``): a job with ``parallelism: N`` runs N nodes, each
  one request (``node_index``, ``CIRCLE_NODE_INDEX``) taking one slot of the pool, all
  sharing the job's cancel token. The scheduler only sees the job: it starts when its first
  node gets a slot and ends when its last node does, with
  :func:`~workflowcore.runtime.parallelism.combine_node_results` of them. Each node ending
  is a transition of its own (node record and log); the last one's is the job's. Node K
  persists to its own workspace layer, and downstream jobs attach every node's layer in
  node order.

State. Every transition (run created, job started, job finished with result and log, approval,
cancel, ...) is one :class:`Transition` written to the :class:`RunStore` before the runner acts
on it, so a process killed at any point is resumed by :meth:`Runner.resume` (jobs that were
running are marked and run again; finished ones keep their result, log and workspace layer).

Ownership. A workflow run is driven by one runner at a time: its ``owner`` in the store is
``host:pid:start:token``. A runner takes over a run whose owner process is gone (that is the
resume). While a live owner drives it, :meth:`approve`, :meth:`reject` and :meth:`cancel` post
a request that the owner applies, and wait until the owner lets go.

Orphans. Steps run in process groups of their own, so they outlive a ``kill -9`` of the
runner. Each group an executor starts is recorded in the store (``JobRequest.on_process``)
while its job runs; the runner that takes a run over stops every recorded group of this host
first (SIGTERM, the kill grace, SIGKILL, then waits until it is gone: :func:`stop_orphan_group`),
so a job re-run never overlaps its previous attempt. A group that will not die makes the
takeover fail with :class:`RunBusyError` rather than run the job twice at once.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
import time
import traceback
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from ..errors import ExecutorError, OrbUnavailableError, RunBusyError, SchedulerError
from ..planning.plan import PlannedJob, PlannedWorkflow
from ._process import process_start_time, process_stat, stop_orphan_group
from ._reaper import stop_run_processes
from .contexts import Context, ContextNotFound, Masker, Unauthorized, resolve_contexts
from .environment import builtin_environment, git_builtins, merge_environment
from .events import (
    ApprovalRequested,
    Event,
    EventCallback,
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
from .executor import Executor, JobRequest, JobResult
from .parallelism import (
    NodeArtifacts,
    NodeWorkspace,
    combine_node_results,
    node_layers,
    parallelism_of,
)
from .scheduler import Scheduler, rerun_all, rerun_from_failed
from .status import JobStatus, WorkflowStatus
from .stores.artifacts import ArtifactStore
from .stores.cache import CacheStore
from .stores.runstate import (
    JobRecord,
    NodeRecord,
    ProcessRecord,
    RunRequest,
    RunStore,
    Transition,
    WorkflowRunRecord,
    workflow_to_data,
)
from .stores.timings import TimingsStore
from .stores.workspace import WorkspaceStore

__all__ = ["Runner", "default_owner", "owner_alive"]

_DEFAULT_ACTOR = "local-user"
_NOT_TERMINAL = ("Workflow must be in a terminal state to be rerun: workflow run {id} is "
                 "{status}; wait for it to finish, approve it, or `workflowcore cancel {id}`")


# -- ownership -----------------------------------------------------------------------------

def default_owner() -> str:
    """A fresh owner token for this process: ``host:pid:start:token``. The process start
    time (from ``/proc``, where there is one) tells a reused pid from the original."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start_time(pid)}:{uuid.uuid4().hex[:8]}"


def owner_alive(owner: str) -> bool:
    """Whether the process behind an owner token may still be running.

    Only a process on this host can be checked; an owner on another host (a shared state
    directory) is presumed alive, so a run is never driven twice.
    """
    parts = owner.rsplit(":", 3)
    if len(parts) != 4 or not parts[1].isdigit():
        return True
    host, pid_text, start, _ = parts
    if host != socket.gethostname():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    fields = process_stat(pid)
    if fields is None:
        return True  # no /proc: the pid exists, which is all we can tell
    if fields[0] == "Z":  # killed, waiting to be reaped
        return False
    return start == "-" or (len(fields) > 19 and fields[19] == start)


# -- per workflow run state held by the driver ------------------------------------------------

@dataclass
class _Active:
    id: str
    pipeline_id: str
    workflow: PlannedWorkflow
    scheduler: Scheduler
    actor: str
    trigger: Mapping[str, Any]
    settings: Mapping[str, Any]
    jobs: Dict[str, JobRecord]
    written: Dict[str, str]
    emitted: Dict[str, str]
    upstream: Dict[str, Tuple[str, ...]]
    planned: Dict[str, PlannedJob]
    totals: Dict[str, int]
    dirty: Set[str] = field(default_factory=set)
    logs: Dict[str, str] = field(default_factory=dict)
    node_logs: Dict[str, Dict[int, str]] = field(default_factory=dict)
    reset_node_logs: Set[str] = field(default_factory=set)
    prepared: Dict[str, Tuple[str, Dict[str, str], Tuple[str, ...]]] = field(default_factory=dict)
    maskers: Dict[str, Masker] = field(default_factory=dict)
    runs: Dict[str, _JobRun] = field(default_factory=dict)
    #: Results of jobs that just ended, for their JobFinished (test results, artifacts).
    outcomes: Dict[str, JobResult] = field(default_factory=dict)
    #: Node events, emitted by the next commit once what they report is written.
    node_events: List[Event] = field(default_factory=list)
    closed: bool = False

    def masker(self, job: str) -> Masker:
        return self.maskers.get(job) or Masker()


@dataclass
class _JobRun:
    """A job handed to the pool: ``total`` nodes (1 without ``parallelism``) built from one
    template ``request``, sharing its cancel token; ``results`` fills as nodes end."""

    total: int
    request: JobRequest
    builtins: Dict[str, str]
    contexts_env: Mapping[str, str]
    started: float
    node_started: Dict[int, float] = field(default_factory=dict)
    results: Dict[int, JobResult] = field(default_factory=dict)

    @property
    def cancel(self) -> threading.Event:
        return self.request.cancel

    @property
    def done(self) -> bool:
        return len(self.results) == self.total


@dataclass
class _Loop:
    """One driver loop's pool: the jobs it runs report to ``results``."""

    pool: ThreadPoolExecutor
    results: queue.Queue[_Done]
    running: int = 0


@dataclass
class _Done:
    active: _Active
    job: str
    result: Optional[JobResult]
    error: Optional[str]
    lines: List[str]
    node: int = 0


def _totals(workflow: PlannedWorkflow) -> Dict[str, int]:
    """Each job's node count; a bad ``parallelism`` counts 1 here (the job fails with the
    reason when it would start, and so never persists anything)."""
    out: Dict[str, int] = {}
    for job in workflow.jobs:
        try:
            out[job.name] = parallelism_of(job.definition)
        except ValueError:
            out[job.name] = 1
    return out


def _layers(jobs: Sequence[str], totals: Mapping[str, int]) -> Tuple[str, ...]:
    """The workspace layers of ``jobs``, in order: every node's of a parallel job."""
    return tuple(layer for j in jobs for layer in node_layers(j, totals.get(j, 1)))


def _upstream(workflow: PlannedWorkflow) -> Dict[str, Tuple[str, ...]]:
    """Each job's transitive requirements, in plan (= workflow graph) order."""
    index = {j.name: i for i, j in enumerate(workflow.jobs)}
    masks: List[int] = []
    out: Dict[str, Tuple[str, ...]] = {}
    names = [j.name for j in workflow.jobs]
    for job in workflow.jobs:
        mask = 0
        for req in job.requires:
            r = index.get(req)
            if r is not None and r < len(masks):
                mask |= masks[r] | (1 << r)
        masks.append(mask)
        out[job.name] = tuple(names[i] for i in range(len(names)) if mask >> i & 1)
    return out


class Runner:
    """Runs planned workflows with an :class:`Executor`, keeping state in a :class:`RunStore`.

    ``contexts`` are the contexts jobs may use (``load_contexts_file(...).contexts``);
    ``project_environment`` plays CircleCI's project variables (lowest precedence, masked).
    ``max_parallel`` bounds the jobs running at once, across every workflow run driven
    together (default: the CPU count); each node of a parallel job takes one of them.
    ``on_event`` receives every :mod:`event <workflowcore.runtime.events>`. ``job_timeout``
    bounds each job (seconds).
    ``poll_interval`` is how often a driving runner looks for requests from other processes.
    ``kill_grace``: between SIGTERM and SIGKILL for the process groups a killed owner left.
    A job that needs an orb not available offline (``PlannedJob.unavailable_orbs``) cannot
    run faithfully: :meth:`create` (and so :meth:`run`) refuses its workflow with
    :class:`OrbUnavailableError` unless ``skip_missing_orbs``, with which such jobs end
    ``not_run`` with the reason, and what requires them follows the ``requires`` rules.
    """

    def __init__(
        self,
        executor: Executor,
        store: RunStore,
        *,
        workspace: Optional[WorkspaceStore] = None,
        caches: Optional[CacheStore] = None,
        artifacts: Optional[ArtifactStore] = None,
        contexts: Optional[Mapping[str, Context]] = None,
        project_environment: Optional[Mapping[str, str]] = None,
        max_parallel: Optional[int] = None,
        on_event: Optional[EventCallback] = None,
        job_timeout: Optional[float] = None,
        owner: Optional[str] = None,
        poll_interval: float = 0.2,
        kill_grace: float = 2.0,
        skip_missing_orbs: bool = False,
        timings: Optional[TimingsStore] = None,
    ) -> None:
        if max_parallel is None:
            max_parallel = os.cpu_count() or 1
        if not isinstance(max_parallel, int) or isinstance(max_parallel, bool) \
                or max_parallel < 1:
            raise ValueError(f"max_parallel must be a positive integer, got {max_parallel!r}")
        self.executor = executor
        self.store = store
        self.workspace = workspace
        self.caches = caches
        self.artifacts = artifacts
        self.contexts: Mapping[str, Context] = dict(contexts or {})
        self.project_environment: Mapping[str, str] = dict(project_environment or {})
        self.max_parallel = max_parallel
        self.job_timeout = job_timeout
        self.owner = owner or default_owner()
        self.poll_interval = poll_interval
        self.kill_grace = kill_grace
        self.skip_missing_orbs = skip_missing_orbs
        self.timings = timings  # test timings for `circleci tests split --split-by=timings`
        self._callbacks: List[EventCallback] = [on_event] if on_event is not None else []
        self._emit_lock = threading.RLock()
        self._driving: Set[str] = set()
        self._driving_lock = threading.Lock()
        #: (workflow run id, request, reason) for requests the scheduler refused.
        self.refused: List[Tuple[str, RunRequest, str]] = []

    def __repr__(self) -> str:
        return (f"Runner({self.executor!r}, {self.store!r}, max_parallel={self.max_parallel})")

    # -- events ------------------------------------------------------------------------------
    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Add an event callback; returns a function that removes it."""
        with self._emit_lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._emit_lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def _emit(self, event: Event) -> None:
        with self._emit_lock:
            for callback in list(self._callbacks):
                try:
                    callback(event)
                except Exception:  # a broken display must not break the run
                    self._callbacks.remove(callback)

    # -- public operations -------------------------------------------------------------------
    def create(
        self,
        workflow: PlannedWorkflow,
        *,
        actor: Optional[str] = None,
        pipeline_id: Optional[str] = None,
        trigger: Optional[Mapping[str, Any]] = None,
        config_path: Optional[str] = None,
        settings: Optional[Mapping[str, Any]] = None,
        workflow_id: Optional[str] = None,
    ) -> WorkflowRunRecord:
        """Record a new workflow run (not started: :meth:`drive` runs it).

        :class:`OrbUnavailableError` when jobs of it need orbs that are not available
        offline and the runner was not told to skip them (``skip_missing_orbs``).
        """
        self.check_orbs([workflow])
        run_id = workflow_id or str(uuid.uuid4())
        scheduler = Scheduler(workflow)
        now = time.time()
        record = WorkflowRunRecord(
            id=run_id, pipeline_id=pipeline_id or str(uuid.uuid4()), workflow=workflow.name,
            status=scheduler.workflow_status().value, plan=workflow_to_data(workflow),
            snapshot=scheduler.snapshot(),
            jobs={n: JobRecord(n, s.value) for n, s in scheduler.statuses().items()},
            config_path=config_path, trigger=dict(trigger or {}), actor=actor or _DEFAULT_ACTOR,
            settings={"workspace_id": run_id, **dict(settings or {}),
                      **({"skip_missing_orbs": True} if self.skip_missing_orbs else {})},
            created_at=now, updated_at=now)
        self.store.create(record)
        return record

    def run(
        self,
        workflows: Sequence[PlannedWorkflow],
        *,
        actor: Optional[str] = None,
        pipeline_id: Optional[str] = None,
        trigger: Optional[Mapping[str, Any]] = None,
        config_path: Optional[str] = None,
        settings: Optional[Mapping[str, Any]] = None,
    ) -> List[WorkflowRunRecord]:
        """Create a workflow run for each workflow (one pipeline) and drive them together
        until each is finished or on hold."""
        self.check_orbs(workflows)  # before any of them is recorded
        pipeline_id = pipeline_id or str(uuid.uuid4())
        ids = [self.create(w, actor=actor, pipeline_id=pipeline_id, trigger=trigger,
                           config_path=config_path, settings=settings).id for w in workflows]
        return self._drive(ids, fresh=set(ids))

    def check_orbs(self, workflows: Sequence[PlannedWorkflow]) -> None:
        """:class:`OrbUnavailableError` naming every job (and the orbs it needs) that needs
        an orb not available offline, unless the runner skips such jobs."""
        if self.skip_missing_orbs:
            return
        missing = {j.name: j.unavailable_orbs for w in workflows if w.runs
                   for j in w.jobs if j.unavailable_orbs}
        if missing:
            raise OrbUnavailableError(missing)

    def drive(self, workflow_ids: Sequence[str]) -> List[WorkflowRunRecord]:
        """Take the workflow runs in hand and run them until each is finished or on hold.

        A run whose owner process died is resumed: jobs it was running are marked and run
        again. :class:`RunBusyError` when a live process drives one of them.
        """
        return self._drive(list(workflow_ids), fresh=set())

    def resume(self, workflow_id: str) -> WorkflowRunRecord:
        """Continue a workflow run that was interrupted (or just left): :meth:`drive` one."""
        return self.drive([workflow_id])[0]

    def approve(self, workflow_id: str, job: str, actor: str) -> WorkflowRunRecord:
        """Approve an ``on_hold`` approval job as ``actor`` and run what follows it (as
        ``actor``, R5.6). Raises :class:`SchedulerError` when ``job`` is not an approval
        waiting for approval."""
        record = self.store.get(workflow_id)
        self._check_approval(record, job)
        if not actor:
            raise SchedulerError(f"approve({job!r}) needs the approver's name as actor")
        return self._request(workflow_id, RunRequest("approve", job, actor))

    def reject(self, workflow_id: str, job: str) -> WorkflowRunRecord:
        """Reject (cancel) an ``on_hold`` approval: its downstream jobs end ``not_run`` and
        the workflow ``canceled`` (R5.5)."""
        record = self.store.get(workflow_id)
        self._check_approval(record, job)
        return self._request(workflow_id, RunRequest("reject", job))

    def cancel(self, workflow_id: str) -> WorkflowRunRecord:
        """Cancel a workflow run: running jobs are stopped, the others end ``canceled``.
        A finished workflow run is returned unchanged."""
        record = self.store.get(workflow_id)
        if WorkflowStatus(record.status).is_terminal and record.owner is None:
            return record
        return self._request(workflow_id, RunRequest("cancel"))

    def rerun(self, workflow_id: str, *, from_failed: bool = False,
              actor: Optional[str] = None, settings: Optional[Mapping[str, Any]] = None,
              drive: bool = True) -> WorkflowRunRecord:
        """Start a new workflow run of the same plan (R8): all jobs again, or with
        ``from_failed`` only the jobs that did not succeed and their downstream; kept jobs
        keep their result, log and workspace layer. The previous run must be finished
        (:class:`SchedulerError` otherwise). ``settings`` are merged over the old ones."""
        old = self.store.get(workflow_id)
        workflow = old.planned()
        try:
            previous = Scheduler.restore(workflow, old.snapshot)
        except SchedulerError as exc:
            raise SchedulerError(f"workflow run {workflow_id} cannot be rerun: {exc}") from exc
        if not previous.is_finished():
            raise SchedulerError(_NOT_TERMINAL.format(id=workflow_id, status=old.status))
        scheduler = (rerun_from_failed(workflow, old.snapshot) if from_failed
                     else rerun_all(workflow, old.snapshot))
        new_id = str(uuid.uuid4())
        statuses = scheduler.statuses()
        kept = [n for n, s in statuses.items()
                if s == JobStatus.SUCCESS and old.jobs[n].status == JobStatus.SUCCESS
                and from_failed]
        jobs: Dict[str, JobRecord] = {}
        for name, status in statuses.items():
            if name in kept:
                prev = old.jobs[name]
                jobs[name] = replace(prev, kept_from=prev.kept_from or old.id)
            else:
                jobs[name] = JobRecord(name, status.value)
        new_settings: Dict[str, Any] = {**dict(old.settings), **dict(settings or {})}
        if from_failed:
            new_settings["workspace_id"] = old.settings.get("workspace_id", old.id)
            builds = [n for n in kept if workflow.job(n).definition is not None]
            if self.workspace is not None and builds:
                self.workspace.copy_layers(old.id, new_id, _layers(builds, _totals(workflow)))
        else:
            new_settings["workspace_id"] = new_id
        old_logs = self.store.logs(old.id)
        old_node_logs = {n: self.store.node_logs(old.id, n) for n in kept if old.jobs[n].nodes}
        now = time.time()
        record = WorkflowRunRecord(
            id=new_id, pipeline_id=old.pipeline_id, workflow=old.workflow,
            status=scheduler.workflow_status().value, plan=old.plan,
            snapshot=scheduler.snapshot(), jobs=jobs, config_path=old.config_path,
            trigger=old.trigger, actor=actor or old.actor, rerun_of=old.id,
            settings=new_settings, created_at=now, updated_at=now)
        self.store.create(record, logs={n: old_logs[n] for n in kept if n in old_logs},
                          node_logs=old_node_logs)
        if not drive:
            return record
        return self._drive([new_id], fresh={new_id})[0]

    # -- requests from other processes -------------------------------------------------------
    @staticmethod
    def _check_approval(record: WorkflowRunRecord, job: str) -> None:
        workflow = record.planned()
        try:
            planned = workflow.job(job)
        except KeyError:
            raise SchedulerError(
                f"job {job!r} is not a job of workflow {workflow.name!r} (jobs: "
                + ", ".join(j.name for j in workflow.jobs) + ")") from None
        if planned.type != "approval":
            raise SchedulerError(f"job {job!r} is not an approval job (type: {planned.type})")
        status = record.jobs[job].status
        if status != JobStatus.ON_HOLD:
            raise SchedulerError(f"job {job!r} is not waiting for approval (status: {status})")

    def _request(self, workflow_id: str, request: RunRequest) -> WorkflowRunRecord:
        self.store.post_request(workflow_id, request)
        while True:
            with self._driving_lock:
                busy_here = workflow_id in self._driving
            if not busy_here:
                record = self.store.get(workflow_id)
                if record.owner is None or record.owner == self.owner \
                        or not owner_alive(record.owner):
                    try:
                        return self._drive([workflow_id], fresh=set())[0]
                    except RunBusyError:
                        pass  # another process took it between our read and our claim
            time.sleep(self.poll_interval / 2)

    # -- the driver --------------------------------------------------------------------------
    def _drive(self, ids: List[str], *, fresh: Set[str]) -> List[WorkflowRunRecord]:
        actives: List[_Active] = []
        try:
            for run_id in ids:
                actives.append(self._take(run_id, fresh=run_id in fresh))
        except BaseException:
            for a in actives:
                self._release(a)
            raise
        try:
            self._loop(actives)
        finally:
            for a in actives:
                if not a.closed:
                    self._release(a)
        return [self.store.get(a.id) for a in actives]

    def _take(self, run_id: str, *, fresh: bool) -> _Active:
        with self._driving_lock:
            if run_id in self._driving:
                raise RunBusyError(f"workflow run {run_id} is already being driven by this "
                                   "runner")
            self._driving.add(run_id)
        try:
            record = self.store.get(run_id)
            owner = record.owner
            if owner is not None and owner != self.owner and owner_alive(owner):
                raise RunBusyError(_busy_message(run_id, owner))
            if owner != self.owner and not self.store.claim(run_id, self.owner, owner):
                now = self.store.get(run_id).owner
                raise RunBusyError(_busy_message(run_id, now or "another process"))
            try:
                self._stop_orphans(run_id)
            except RunBusyError:
                self.store.claim(run_id, owner, self.owner)  # leave it as it was
                raise
            workflow = record.planned()
            scheduler = Scheduler.restore(workflow, record.snapshot)
            interrupted = scheduler.requeue_interrupted()
            if owner is not None and owner != self.owner:
                # Taken over from a dead process: an executor that leaves things behind
                # when killed (the Docker executor's service containers) clears them now,
                # before any job of the run starts again.
                cleanup = getattr(self.executor, "cleanup", None)
                if callable(cleanup):
                    cleanup(run_id)
        except BaseException:
            with self._driving_lock:
                self._driving.discard(run_id)
            raise
        active = _Active(
            id=run_id, pipeline_id=record.pipeline_id, workflow=workflow, scheduler=scheduler,
            actor=record.actor or _DEFAULT_ACTOR, trigger=record.trigger,
            settings=record.settings, jobs=dict(record.jobs),
            written={n: j.status for n, j in record.jobs.items()},
            # A fresh run announces every job's first status (queued roots, no-op successes).
            emitted={n: "blocked" if fresh else j.status for n, j in record.jobs.items()},
            upstream={}, planned={j.name: j for j in workflow.jobs}, totals=_totals(workflow))
        active.upstream = {n: _layers(ups, active.totals)
                           for n, ups in _upstream(workflow).items()}
        for job in interrupted:
            active.jobs[job] = replace(
                active.jobs[job],
                message="interrupted: the process running this job stopped; running it again")
            active.dirty.add(job)
        self._emit(WorkflowStarted(
            run_id, workflow.name, record.pipeline_id, tuple(j.name for j in workflow.jobs),
            resumed=not fresh,
            finished_jobs=sum(1 for s in active.emitted.values() if JobStatus(s).is_terminal)))
        if interrupted or any(active.written[n] != s
                              for n, s in scheduler.statuses().items()):
            self._commit(active, "resumed")
        return active

    def _stop_orphans(self, run_id: str) -> None:
        """Stop the process groups a previous owner's jobs left (none are ours: a run this
        runner drives is never taken again), then forget them."""
        stray = stop_run_processes(run_id, grace=self.kill_grace)  # setsid'd, double-forked
        if stray:
            raise RunBusyError(f"workflow run {run_id}: {stray[0]}, left by the process that "
                               "ran it, did not stop after SIGKILL; stop it, then run again")
        records = self.store.processes(run_id)
        if not records:
            return
        host = socket.gethostname()
        stuck = [p for p in records if p.host == host
                 and not stop_orphan_group(p.pgid, p.start, grace=self.kill_grace)]
        if stuck:
            groups = ", ".join(f"{p.pgid} (job {p.job})" for p in stuck)
            raise RunBusyError(
                f"workflow run {run_id}: process group(s) {groups} left by the process that "
                "ran it did not stop after SIGKILL; stop them, then run the command again")
        self.store.clear_processes(run_id)

    def _release(self, active: _Active) -> None:
        active.closed = True
        try:
            self.store.claim(active.id, None, self.owner)
        finally:
            with self._driving_lock:
                self._driving.discard(active.id)

    def _close(self, active: _Active) -> None:
        scheduler = active.scheduler
        status = scheduler.workflow_status()
        self._release(active)
        name = active.workflow.name
        if scheduler.is_finished() or status.is_terminal:
            self._emit(WorkflowFinished(active.id, name, status.value))
        else:
            self._emit(WorkflowOnHold(active.id, name, scheduler.waiting_for_approval()))

    def _loop(self, actives: List[_Active]) -> None:
        # One entry per node: (run, job, node index); node 0 starts the job.
        pending: Deque[Tuple[_Active, str, int]] = deque()
        live = list(actives)
        loop = _Loop(ThreadPoolExecutor(max_workers=self.max_parallel,
                                        thread_name_prefix="wfc-job"), queue.Queue())
        results = loop.results
        try:
            for a in live:
                self._apply_requests(a)
            last_poll = time.monotonic()
            while True:
                for a in live:
                    self._collect(a, pending)
                while pending and loop.running < self.max_parallel:
                    a, job, node = pending.popleft()
                    if node:
                        self._start_node(a, job, node, loop)
                        continue
                    if a.scheduler.status(job) != JobStatus.QUEUED:
                        continue  # canceled while it waited for a slot
                    self._start(a, job, loop)
                for a in live:
                    if not a.scheduler.is_active():
                        self._close(a)
                live = [a for a in live if not a.closed]
                if not live:
                    return
                try:
                    done: Optional[_Done] = results.get(timeout=self.poll_interval)
                except queue.Empty:
                    done = None
                while done is not None:
                    self._finish(done, loop)
                    try:
                        done = results.get_nowait()
                    except queue.Empty:
                        done = None
                now = time.monotonic()
                if now - last_poll >= self.poll_interval:
                    last_poll = now
                    for a in live:
                        self._apply_requests(a)
        except KeyboardInterrupt:
            # Ctrl-C: cancel what we drive, stop the running jobs, record their outcome.
            for a in live:
                if not a.closed:
                    self._cancel_now(a)
            while loop.running:
                try:
                    self._finish(results.get(timeout=60), loop)
                except queue.Empty:  # a job that ignores its cancel: stop waiting
                    break
            for a in live:
                if not a.closed:
                    self._close(a)
            raise
        except BaseException:
            # A bug or a broken store: stop the jobs, record nothing more; the runs stay
            # resumable (what was running is re-run by the next resume).
            for a in live:
                for run in a.runs.values():
                    run.cancel.set()
            raise
        finally:
            loop.pool.shutdown(wait=True)

    def _cancel_now(self, a: _Active) -> None:
        """Cancel the workflow run in the scheduler and stop its running jobs (the nodes of
        a parallel job still waiting for a slot end ``canceled`` without running)."""
        for job in a.scheduler.cancel():
            run = a.runs.get(job)
            if run is None:  # started in the scheduler, never handed to the pool (interrupted)
                a.scheduler.done(job, "canceled")
                continue
            run.cancel.set()
            for node in range(run.total):
                if node not in run.results and node not in run.node_started:
                    run.results[node] = JobResult.canceled(message="canceled before it started")
                    self._node_ended(a, job, node)
            if run.done:
                self._complete(a, job)
        self._commit(a, "canceled")

    # -- steps of the loop -------------------------------------------------------------------
    def _apply_requests(self, a: _Active) -> None:
        for request in self.store.take_requests(a.id):
            scheduler = a.scheduler
            try:
                if request.kind == "approve":
                    scheduler.approve(str(request.job), request.actor or a.actor)
                    event = "approved"
                elif request.kind == "reject":
                    scheduler.reject(str(request.job))
                    event = "rejected"
                else:
                    self._cancel_now(a)
                    continue
            except SchedulerError as exc:
                self.refused.append((a.id, request, str(exc)))
                continue
            self._commit(a, event)

    def _collect(self, a: _Active, pending: Deque[Tuple[_Active, str, int]]) -> None:
        scheduler = a.scheduler
        while True:
            ready = scheduler.get_ready()
            if not ready:
                return
            decided = False
            for job in ready:
                planned = a.planned[job]
                if planned.unavailable_orbs:
                    self._skip_for_orbs(a, job, planned.unavailable_orbs)
                    decided = True
                    continue
                actor = scheduler.actor_for(job, a.actor)
                outcome = resolve_contexts(planned.context, self.contexts, actor)
                if isinstance(outcome, (Unauthorized, ContextNotFound)):
                    scheduler.done(job, outcome.status)
                    a.jobs[job] = replace(a.jobs[job], actor=actor, message=outcome.reason,
                                          exit_code=None)
                    a.dirty.add(job)
                    decided = True
                    continue
                try:
                    total = parallelism_of(planned.definition)
                except ValueError as exc:
                    scheduler.done(job, "failed")
                    a.jobs[job] = replace(a.jobs[job], actor=actor, message=str(exc),
                                          exit_code=None)
                    a.dirty.add(job)
                    decided = True
                    continue
                environment, secrets = outcome
                secrets = secrets + tuple(self.project_environment.values())
                a.prepared[job] = (actor, environment, secrets)
                a.maskers[job] = Masker(secrets)
                a.totals[job] = total
                pending.extend((a, job, node) for node in range(total))
            self._commit(a, "job-decided", write=decided)

    def _skip_for_orbs(self, a: _Active, job: str, orbs: Tuple[str, ...]) -> None:
        """A job needing orbs not available offline never runs: ``not_run`` with the reason
        (skipped as told, or refused when the run was not created to skip them)."""
        told = self.skip_missing_orbs or bool(a.settings.get("skip_missing_orbs"))
        how = "skipped (--skip-missing-orbs)" if told else \
            "not run: put their sources in an orb store (--orb-dir)"
        a.scheduler.skip(job)
        a.jobs[job] = replace(a.jobs[job], exit_code=None,
                              message=f"needs orb(s) not available offline: "
                                      f"{', '.join(orbs)}; {how}")
        a.dirty.add(job)

    def _start(self, a: _Active, job: str, loop: _Loop) -> None:
        """Start a job: record it running (with its nodes), then hand its node 0 to the
        pool; the other nodes of a parallel job follow as slots free up."""
        actor, contexts_env, secrets = a.prepared.pop(job)
        planned = a.planned[job]
        record = a.jobs[job]
        attempt = record.attempts + 1
        total = a.totals.get(job, 1)
        definition = planned.definition or {}
        trigger = a.trigger
        builtins = builtin_environment(
            job=job, workflow_id=a.id, build_num=attempt,
            branch=trigger.get("branch"), tag=trigger.get("tag"),
            sha1=a.settings.get("revision"), project_reponame=a.settings.get("project"),
            working_directory=str(definition.get("working_directory") or "~/project"),
            workflow_job_id=str(uuid.uuid4()),
            workflow_workspace_id=str(a.settings.get("workspace_id") or a.id),
            pipeline_id=a.pipeline_id, username=actor,
            node_total=total, **git_builtins(a.settings, a.id, job, attempt))
        environment = merge_environment(project=self.project_environment,
                                        contexts=contexts_env, builtins=builtins)
        cancel = threading.Event()
        store, host = self.store, socket.gethostname()

        def on_process(pgid: int, start: str) -> None:
            store.add_process(a.id, ProcessRecord(job, pgid, start, host))

        request = JobRequest(
            run_id=a.id, workflow_id=a.id, job_name=job, job=planned.job,
            definition=definition, environment=environment, secrets=secrets,
            upstream_jobs=a.upstream[job], workspace=self.workspace, caches=self.caches,
            artifacts=self.artifacts, cancel=cancel,
            timeout=self.job_timeout, on_process=on_process, node_total=total,
            timings=self.timings)
        a.scheduler.start(job)
        now = time.time()
        nodes: Tuple[NodeRecord, ...] = ()
        if total > 1:
            nodes = (NodeRecord(0, "running", started_at=now),
                     *(NodeRecord(k, "queued") for k in range(1, total)))
            a.reset_node_logs.add(job)  # a job run again drops the last attempt's node logs
        a.jobs[job] = replace(record, actor=actor, started_at=now, finished_at=None,
                              duration=None, exit_code=None, attempts=attempt, nodes=nodes)
        a.dirty.add(job)
        a.runs[job] = _JobRun(total, request, builtins, contexts_env, time.monotonic())
        # Written (and JobStarted emitted) before the job can print its first line.
        self._commit(a, "job-started")
        if planned.definition is None:  # a runnable job always has one; say so if not
            a.runs[job].node_started[0] = time.monotonic()
            loop.results.put(_Done(a, job, None, f"job {job!r} has no definition to run", []))
            loop.running += 1
            return
        self._submit(a, job, 0, loop)

    def _start_node(self, a: _Active, job: str, node: int, loop: _Loop) -> None:
        """Node ``node`` > 0 of a started parallel job got a slot: record it, run it."""
        run = a.runs.get(job)
        if run is None or node in run.results:
            return  # the job never started (canceled first) or the node was canceled
        record = a.jobs[job]
        nodes = list(record.nodes)
        nodes[node] = NodeRecord(node, "running", started_at=time.time())
        a.jobs[job] = replace(record, nodes=tuple(nodes))
        a.dirty.add(job)
        self._commit(a, "node-started")
        self._submit(a, job, node, loop)

    def _submit(self, a: _Active, job: str, node: int, loop: _Loop) -> None:
        """Hand one node to the pool, with its own environment, output and store views."""
        run = a.runs[job]
        request = run.request
        masker = a.masker(job)
        lines: List[str] = []
        emit = self._emit
        workflow_name = a.workflow.name
        total = run.total

        def on_output(line: str) -> None:
            masked = masker(line)
            lines.append(masked)
            emit(JobOutput(a.id, workflow_name, job, masked, node=node, nodes=total))

        if total > 1:
            environment = merge_environment(
                project=self.project_environment, contexts=run.contexts_env,
                builtins={**run.builtins, "CIRCLE_NODE_INDEX": str(node)})
            request = replace(
                request, environment=environment, node_index=node,
                workspace=NodeWorkspace(self.workspace, node) if self.workspace else None,
                artifacts=NodeArtifacts(self.artifacts, node) if self.artifacts else None)
            self._emit(NodeStarted(a.id, workflow_name, job, node, total))
        request = replace(request, on_output=on_output)
        run.node_started[node] = time.monotonic()
        loop.pool.submit(self._execute, a, job, node, request, lines, loop.results)
        loop.running += 1

    def _execute(self, a: _Active, job: str, node: int, request: JobRequest,
                 lines: List[str], results: queue.Queue[_Done]) -> None:
        result: Optional[JobResult] = None
        error: Optional[str] = None
        try:
            result = self.executor.execute(request)
        except ExecutorError as exc:
            error = f"executor error: {exc}"
        except Exception as exc:
            error = (f"the executor raised {type(exc).__name__}: {exc}\n"
                     + traceback.format_exc())
        finally:
            results.put(_Done(a, job, result, error, lines, node))

    def _finish(self, done: _Done, loop: _Loop) -> None:
        """A node came back from the pool: keep its result; the last node ends the job."""
        loop.running -= 1
        a, job, node = done.active, done.job, done.node
        run = a.runs[job]
        elapsed = time.monotonic() - run.node_started.get(node, run.started)
        if done.result is not None:
            result = replace(done.result, log=done.result.log or "\n".join(done.lines),
                             duration=done.result.duration or elapsed)
        else:
            error = done.error or "the job did not report a result"
            result = JobResult.failed(None, message=error.splitlines()[0],
                                      log="\n".join([*done.lines, error]), duration=elapsed)
        run.results[node] = result
        self._node_ended(a, job, node)
        if run.done:
            self._complete(a, job)
        else:
            self._commit(a, "node-finished")

    def _node_ended(self, a: _Active, job: str, node: int) -> None:
        """Record a node's result (in memory; the caller commits) and queue its event. A job
        of one node has no node records: its result is the job's."""
        run = a.runs[job]
        if run.total == 1:
            return
        result = run.results[node]
        masker = a.masker(job)
        message = masker(result.message) if result.message else None
        duration = round(result.duration, 3)
        record = a.jobs[job]
        nodes = list(record.nodes)
        nodes[node] = replace(nodes[node], status=result.status, exit_code=result.exit_code,
                              finished_at=time.time(), duration=duration, message=message)
        a.jobs[job] = replace(record, nodes=tuple(nodes))
        a.dirty.add(job)
        a.node_logs.setdefault(job, {})[node] = masker(result.log)
        a.node_events.append(NodeFinished(a.id, a.workflow.name, job, node, run.total,
                                          result.status, result.exit_code, duration, message))

    def _complete(self, a: _Active, job: str) -> None:
        """Every node of the job ended: the job's result is theirs (one node: its own)."""
        run = a.runs.pop(job)
        masker = a.masker(job)
        if run.total == 1:
            result = run.results[0]
        else:
            result = combine_node_results(
                job, [run.results[k] for k in range(run.total)], canceled=run.cancel.is_set(),
                duration=time.monotonic() - run.started)
        a.scheduler.done(job, result.status)
        a.jobs[job] = replace(a.jobs[job], exit_code=result.exit_code, finished_at=time.time(),
                              duration=round(result.duration, 3),
                              message=masker(result.message) if result.message else None)
        a.dirty.add(job)
        a.logs[job] = masker(result.log)
        a.outcomes[job] = result
        self._commit(a, "job-finished")

    def _commit(self, a: _Active, event: str, *, write: bool = True) -> None:
        """Write what changed since the last write as one transition, then emit events.

        Everything is derived from the scheduler's statuses, so a change that was not written
        (an interrupted commit, or jobs that only became ``queued``, which a resume derives
        again) is picked up by the next write. ``write=False`` only emits. Node events wait
        for a write (they report what the write records) and come before the job events.
        """
        scheduler = a.scheduler
        statuses = scheduler.statuses()
        now = time.time()
        for name, status in statuses.items():
            record = a.jobs[name]
            if record.status == status:
                continue
            updates: Dict[str, Any] = {"status": status.value}
            if status.is_terminal and record.finished_at is None:
                updates["finished_at"] = now
            if status == JobStatus.SUCCESS and a.planned[name].type == "approval":
                updates["actor"] = scheduler.approver(name)
            a.jobs[name] = replace(record, **updates)
        if write:
            rows = [n for n, s in statuses.items() if a.written[n] != s or n in a.dirty]
            logs = {n: a.logs[n] for n in rows if n in a.logs}
            node_logs = {n: a.node_logs[n] for n in rows if n in a.node_logs}
            reset = [n for n in rows if n in a.reset_node_logs]
            self.store.update(a.id, Transition(
                event, scheduler.snapshot(), scheduler.workflow_status().value,
                jobs=[a.jobs[n] for n in rows], logs=logs, at=now, node_logs=node_logs,
                reset_node_logs=reset))
            for n in rows:
                a.written[n] = statuses[n].value
                a.logs.pop(n, None)
                a.node_logs.pop(n, None)
                a.reset_node_logs.discard(n)
            a.dirty.clear()
            events, a.node_events = a.node_events, []
            for node_event in events:
                self._emit(node_event)
        wf = a.workflow.name
        for name, status in statuses.items():
            if a.emitted[name] == status:
                continue
            a.emitted[name] = status.value
            record = a.jobs[name]
            if status == JobStatus.QUEUED:
                self._emit(JobQueued(a.id, wf, name))
            elif status == JobStatus.RUNNING:
                self._emit(JobStarted(a.id, wf, name, record.actor or a.actor,
                                      attempt=record.attempts, nodes=a.totals.get(name, 1)))
            elif status == JobStatus.ON_HOLD:
                self._emit(ApprovalRequested(a.id, wf, name))
            elif status.is_terminal:
                approver = scheduler.approver(name) if a.planned[name].type == "approval" \
                    else None
                outcome = a.outcomes.pop(name, None)
                self._emit(JobFinished(
                    a.id, wf, name, status.value, record.exit_code, record.duration,
                    record.message, approved_by=approver,
                    test_results=outcome.test_results if outcome else None,
                    artifacts=outcome.artifacts if outcome else (),
                    nodes=max(len(record.nodes), 1),
                    # the steps' timings for a summary (their output is in the log)
                    steps=tuple(replace(s, output="") for s in outcome.steps)
                    if outcome and not record.nodes else ()))


def _busy_message(run_id: str, owner: str) -> str:
    parts = owner.rsplit(":", 3)
    who = f"process {parts[1]} on {parts[0]}" if len(parts) == 4 else owner
    return (f"workflow run {run_id} is being run by {who}; wait for it, or stop that "
            "process and run `workflowcore resume` again")
