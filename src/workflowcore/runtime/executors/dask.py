"""``DaskExecutor``: runs each job on a Dask ``distributed`` cluster, one task per job.

Nothing of the local design changes: the runner's pure scheduler decides what is ready and
calls :meth:`DaskExecutor.execute` from its threads as for any executor; Dask decides *where*
the job runs::

    from distributed import Client
    with DaskExecutor(Client("tcp://scheduler:8786"), source_dir=repo) as executor:
        runner = Runner(executor, store, workspace=..., caches=..., artifacts=...)

Each job is one Dask task (:func:`~workflowcore.runtime.executors._dask_worker.run_job`) that
runs it with the worker's own subprocess executor. No filesystem is assumed to be shared:

* the project travels once per run as a git bundle plus the uncommitted work
  (``_dask_source.py``), scattered once and cached by each worker that checks out;
* upstream workspace layers are task arguments: a layer produced in this session is Dask
  data on the worker that produced it and moves worker to worker; an older one (a resumed
  run, ``rerun --from-failed``) is read from the run's store and scattered;
* every layer, saved cache, artifact and test timing a job produced is imported into the
  run's stores on this machine before :meth:`execute` returns, so the run state is the same
  as after a local run (``resume``, ``rerun --from-failed``, ``logs``, ``prune`` work as
  locally);
* output lines, masked on the worker, stream to ``JobRequest.on_output`` while the job runs.

``resource_class`` becomes a Dask worker resource (``resource_map`` or the class name itself,
one unit); ``enforce_resources`` ``None`` (default) enforces it only when some worker of the
cluster declares resources at all, so a plain ``LocalCluster`` runs every job. A job whose
resource no worker offers waits, and its output says why and how to start such a worker.

A worker that dies during a job: the job runs once more elsewhere (``retries=1``, the default;
the job's log says so), then fails with :class:`~workflowcore.errors.ExecutorCrashedError`
(the runner records the job failed with that message); docs/distributed.md.
"""

from __future__ import annotations

import io
import os
import queue
import tempfile
import threading
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from distributed import Client, Event, Future, LocalCluster, Variable
from distributed.scheduler import KilledWorker

from ...errors import ExecutorCrashedError, ExecutorError, StoreError
from ..executor import BaseExecutor, JobRequest, JobResult
from ..steps._model import AttachWorkspaceStep, CheckoutStep, normalize_steps
from ..stores._archive import ArchiveWriter, extract_archive
from ..stores.artifacts import Artifact
from ..stores.workspace import node_key
from ._dask_source import SourcePayload, build_payload
from ._dask_stores import timing_rows, timings_from_rows
from ._dask_worker import attempt_event, cancel_event, remove_session, run_job

__all__ = ["DaskExecutor", "connect_executor", "local_cluster_executor"]

#: how a worker runs a job with ``docker:`` images (``DaskExecutor(job_executor=...)``)
JOB_EXECUTORS = ("subprocess", "docker", "auto")
#: how often the waiting loop looks at the job's cancel token and the cluster
_TICK = 0.2
#: how long the client waits for a finished job's handed-over data (layers, caches)
_HANDOVER_TIMEOUT = 120.0


@dataclass
class _Job:
    """One job's mailbox: the topic handler (Dask's event loop) fills it, the runner's thread
    that called :meth:`DaskExecutor.execute` empties it."""

    inbox: queue.Queue[Tuple[str, Any]] = field(default_factory=queue.Queue)
    #: the highest attempt a worker claimed, and whether the cancel event was set: the
    #: markers to drop from the scheduler afterwards
    claimed: int = 0
    cancel_set: bool = False


@dataclass
class _Attempts:
    """What the job's attempts printed, and where they ran."""

    attempt: int = 0
    worker: Optional[str] = None
    delivered: int = 0
    pending: Dict[int, List[str]] = field(default_factory=dict)
    earlier: List[str] = field(default_factory=list)
    workers: List[str] = field(default_factory=list)
    noted: int = 0


class DaskExecutor(BaseExecutor):
    """Run jobs on the Dask cluster of ``client`` (see the module docstring).

    ``source_dir`` is the project ``checkout`` sends (``None``: ``checkout`` fails, as with
    the subprocess executor); ``private_files`` (contexts files) are never sent, ``own_files``
    stay as committed. ``retries``: how many times a job whose worker died is run again.
    ``cluster``: a cluster this executor owns and closes with the client in :meth:`close`;
    ``own_client``: close the client too (it is the caller's otherwise).
    ``job_executor``: how a worker runs a job with ``docker:`` images: ``subprocess`` (the
    default: the same on every worker), ``docker`` (the worker's Docker engine; a worker
    without one fails the job) or ``auto`` (Docker where the worker has an engine).
    """

    def __init__(
        self,
        client: Client,
        source_dir: Union[Path, str, None] = None,
        *,
        private_files: Sequence[Union[Path, str]] = (),
        own_files: Sequence[Union[Path, str]] = (),
        exclude: Sequence[Union[Path, str]] = (),
        committed_only: bool = False,
        keep_job_dirs: bool = False,
        kill_grace: float = 2.0,
        retries: int = 1,
        enforce_resources: Optional[bool] = None,
        resource_map: Optional[Mapping[str, Mapping[str, float]]] = None,
        cluster: Any = None,
        own_client: bool = False,
        job_executor: str = "subprocess",
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries!r}")
        if job_executor not in JOB_EXECUTORS:
            raise ValueError(f"job_executor must be one of {JOB_EXECUTORS}, "
                             f"got {job_executor!r}")
        self.job_executor = job_executor
        self.client = client
        self.cluster = cluster
        self.own_client = own_client or cluster is not None
        self.source_dir = Path(source_dir).absolute() if source_dir is not None else None
        self.private_files = [Path(p).absolute() for p in private_files]
        self.own_files = [Path(p).absolute() for p in own_files]
        self.exclude = [Path(p).absolute() for p in exclude]
        self.committed_only = committed_only
        self.keep_job_dirs = keep_job_dirs
        self.kill_grace = kill_grace
        self.retries = retries
        self.enforce_resources = enforce_resources
        self.resource_map = {k: dict(v) for k, v in (resource_map or {}).items()}
        self.session = uuid.uuid4().hex[:16]
        self._topic = f"workflowcore-{self.session}"
        self._jobs: Dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._source_lock = threading.Lock()
        #: the project as each workflow run checks it out: id -> (Future, payload);
        #: "" is the latest, reused while the project does not change
        self._sources: Dict[str, Tuple[Optional[Future], SourcePayload]] = {}
        #: layers produced in this session, still on the worker that produced them:
        #: (workflow id, layer key) -> Future of the layer's parts
        self._layers: Dict[Tuple[str, str], Future] = {}
        #: caches saved in this session, on the worker that saved them: key -> Future
        self._caches: Dict[str, Future] = {}
        self._closed = False
        client.subscribe_topic(self._topic, self._on_event)

    def __repr__(self) -> str:
        return f"DaskExecutor({self.client.scheduler.address!r}, {str(self.source_dir)!r})"

    # -- the cluster -------------------------------------------------------------------------
    @property
    def slots(self) -> int:
        """How many jobs the cluster runs at once (its workers' threads), at least 1."""
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.client.unsubscribe_topic(self._topic)
            self._layers.clear()
            self._caches.clear()
            self._sources.clear()
            if self.client.status == "running":
                self.client.run(remove_session, self.session)
        except Exception:  # a cluster already gone has nothing left to clean
            pass
        finally:
            if self.own_client:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()

    # -- events from the workers ---------------------------------------------------------------
    def _on_event(self, event: Tuple[float, Any]) -> None:
        """Runs on the client's event loop: hand the message to its job's thread."""
        msg = event[1]
        if not isinstance(msg, dict):
            return
        with self._lock:
            job = self._jobs.get(str(msg.get("t")))
        if job is not None:
            job.inbox.put((str(msg.get("k")), msg))

    # -- executing a job ---------------------------------------------------------------------
    def execute(self, request: JobRequest) -> JobResult:
        if self._closed:
            raise ExecutorError("the Dask executor is closed")
        steps = normalize_steps(request.definition.get("steps"))
        token = uuid.uuid4().hex
        prefix = f"workflowcore-{token}"
        job = _Job()
        with self._lock:
            self._jobs[token] = job
        try:
            source, payload = self._source_future(request.workflow_id) if any(
                isinstance(s, CheckoutStep) for s in steps) else (None, None)
            layers: Dict[str, Future] = {}
            if request.workspace is not None and any(isinstance(s, AttachWorkspaceStep)
                                                     for s in steps):
                layers = self._layer_inputs(request)
            resources, notes = self._resources(request)
            if payload is not None:
                notes.append(_describe(payload))
            spec = self._spec(request, token, prefix, notes)
            return self._run(request, job, spec, source, layers, resources)
        finally:
            with self._lock:
                self._jobs.pop(token, None)
            self._forget_events(prefix, job)

    def _spec(self, request: JobRequest, token: str, prefix: str,
              notes: List[str]) -> Dict[str, Any]:
        timings = None
        if request.timings is not None:
            try:
                timings = timing_rows(request.timings.load(request.job_name))
            except StoreError as exc:
                notes.append(f"warning: the test timings of earlier runs are not available "
                             f"to this job: {exc}")
                timings = []
        return {
            "topic": self._topic, "token": token, "prefix": prefix, "session": self.session,
            "attempt": 1, "max_attempts": 1 + self.retries,
            "run_id": request.run_id, "workflow_id": request.workflow_id,
            "job_name": request.job_name, "job": request.job,
            "definition": dict(request.definition), "environment": dict(request.environment),
            "secrets": list(request.secrets), "upstream_jobs": list(request.upstream_jobs),
            "node_index": request.node_index, "node_total": request.node_total,
            "timeout": request.timeout, "timings": timings,
            "workspace": request.workspace is not None, "caches": request.caches is not None,
            "artifacts": request.artifacts is not None,
            "committed_only": self.committed_only, "keep_job_dirs": self.keep_job_dirs,
            "kill_grace": self.kill_grace, "notes": notes,
            "job_executor": self.job_executor,
        }

    def _run(self, request: JobRequest, job: _Job, spec: Dict[str, Any],
             source: Optional[Future], layers: Dict[str, Future],
             resources: Optional[Dict[str, float]]) -> JobResult:
        seen = _Attempts()
        refetched = False
        while True:
            future = self.client.submit(
                run_job, spec, source, layers, resources=resources, pure=False,
                key=f"workflowcore-{_key_part(request.job_name)}-{spec['token'][:12]}"
                    f"-{spec['attempt']}")
            future.add_done_callback(lambda _f: job.inbox.put(("done", None)))
            inputs = [f for f in (source, *layers.values()) if f is not None]
            ended = self._wait(request, job, future, seen, spec, resources, inputs)
            if ended == "canceled":
                future.cancel()
                return JobResult.canceled(message="the job was canceled before a worker "
                                                  "started it", log="\n".join(seen.earlier))
            if ended == "lost" and not refetched:
                # an input was lost with the worker that held it, before the job started:
                # send them again from this machine (the run's stores hold every layer)
                future.cancel()
                refetched = True
                if source is not None:
                    source = self._source_future(request.workflow_id, fresh=True)[0]
                layers = self._layer_inputs(request, fresh=True) if layers else layers
                continue
            try:
                out = future.result()
            except KilledWorker:
                if seen.attempt < spec["max_attempts"]:
                    nxt = max(seen.attempt, spec["attempt"]) + 1
                    if seen.attempt and nxt <= spec["max_attempts"]:
                        self._retry_note(request, seen, nxt, spec["max_attempts"])
                        spec = {**spec, "attempt": nxt}
                        continue
                raise ExecutorCrashedError(self._crash_message(request, seen)) from None
            except Exception as exc:
                raise ExecutorError(f"the Dask task of job {request.job_name!r} failed: "
                                    f"{type(exc).__name__}: {exc}") from exc
            finally:
                del future
            if out.get("refused"):
                job.claimed = spec["max_attempts"]
                seen.workers.append(str(out.get("worker")))
                raise ExecutorCrashedError(self._crash_message(request, seen))
            job.claimed = max(job.claimed, int(out.get("attempt") or 0))
            self._drain(request, job, seen)
            lines: List[str] = list(out.get("lines") or [])
            self._deliver_rest(request, seen, lines)
            if out.get("error"):
                raise ExecutorError(str(out["error"]))
            result: JobResult = out["result"]
            extra = self._import(request, out)
            for line in extra:
                self._output(request, line)
            log = [*seen.earlier, *lines, *extra]
            return replace(result, log="\n".join(log),
                           artifacts=self._artifacts(request, out, result.artifacts))

    def _wait(self, request: JobRequest, job: _Job, future: Future, seen: _Attempts,
              spec: Dict[str, Any], resources: Optional[Dict[str, float]],
              inputs: Sequence[Future]) -> str:
        """Relay output and questions until the task ends (``done``); ``canceled``: canceled
        before a worker started it (nothing ran); ``lost``: an input is gone before it
        started."""
        cancel_sent = False
        waiting_said = not resources
        while True:
            try:
                kind, msg = job.inbox.get(timeout=_TICK)
            except queue.Empty:
                kind, msg = "", None
            if kind == "done":
                return "done"
            if kind == "start":
                job.claimed = max(job.claimed, int(msg.get("a", 1)))
                self._started(request, seen, msg)
            elif kind == "out":
                self._lines(request, seen, msg)
            elif kind == "ask":
                self._answer(request, msg)
            if request.cancel.is_set() and not cancel_sent:
                if seen.attempt == 0 and not future.done():
                    return "canceled"
                Event(cancel_event(spec["prefix"]), client=self.client).set()
                cancel_sent = job.cancel_set = True
            if self.client.status not in ("running", "connecting"):
                raise ExecutorCrashedError(
                    f"lost the Dask scheduler while job {request.job_name!r} ran "
                    f"(client {self.client.status}); the job's result is unknown")
            if seen.attempt == 0 and any(f.status in ("lost", "error", "cancelled")
                                         for f in inputs):
                return "lost"
            if resources and not waiting_said and seen.attempt == 0:
                waiting_said = True  # said once, right away: a worker may join later
                missing = self._missing_resources(resources)
                if missing:
                    seen.earlier.append(missing)
                    self._output(request, missing)

    # -- output ------------------------------------------------------------------------------
    def _output(self, request: JobRequest, line: str) -> None:
        if request.on_output is not None:
            request.on_output(line)

    def _started(self, request: JobRequest, seen: _Attempts, msg: Mapping[str, Any]) -> None:
        attempt = int(msg.get("a", 1))
        if attempt <= seen.attempt:
            return
        if seen.attempt and seen.noted < attempt:  # Dask ran it again: its worker died
            self._retry_note(request, seen, attempt, 1 + self.retries)
        seen.attempt, seen.worker = attempt, str(msg.get("w"))
        seen.workers.append(seen.worker)
        seen.delivered, seen.pending = 0, {}

    def _retry_note(self, request: JobRequest, seen: _Attempts, attempt: int,
                    total: int) -> None:
        """The lines of the attempt that died stay in the log; then say what happened."""
        line = (f"the Dask worker {seen.worker or '(unknown)'} running this job died "
                f"(infrastructure, not the job); running it again on another worker "
                f"(attempt {attempt} of {total})")
        seen.earlier.append(line)
        self._output(request, line)
        seen.noted = attempt
        seen.delivered, seen.pending = 0, {}

    def _lines(self, request: JobRequest, seen: _Attempts, msg: Mapping[str, Any]) -> None:
        if int(msg.get("a", 1)) != seen.attempt:
            return
        start, lines = int(msg.get("s", 0)), list(msg.get("l") or [])
        seen.pending[start] = lines
        while seen.pending:
            first = min(seen.pending)
            if first > seen.delivered:
                return  # a batch is still on its way
            batch = seen.pending.pop(first)
            for line in batch[seen.delivered - first:]:
                self._output(request, line)
                seen.earlier.append(line)
                seen.delivered += 1

    def _drain(self, request: JobRequest, job: _Job, seen: _Attempts) -> None:
        while True:
            try:
                kind, msg = job.inbox.get_nowait()
            except queue.Empty:
                return
            if kind == "start":
                self._started(request, seen, msg)
            elif kind == "out":
                self._lines(request, seen, msg)

    def _deliver_rest(self, request: JobRequest, seen: _Attempts, lines: List[str]) -> None:
        """The result holds every line of the last attempt: show those the events did not
        bring (they may come late, or never); ``earlier`` keeps only the earlier attempts'
        lines and notes, the result's lines follow them in the log."""
        if seen.delivered:
            del seen.earlier[-seen.delivered:]
        for line in lines[seen.delivered:]:
            self._output(request, line)
        seen.delivered = len(lines)

    # -- questions from the workers -----------------------------------------------------------
    def _answer(self, request: JobRequest, msg: Mapping[str, Any]) -> None:
        name = str(msg.get("v"))
        answer: Any
        try:
            answer = self._answer_for(request, msg)
        except (StoreError, OSError) as exc:
            answer = {"error": str(exc)}
        Variable(name, client=self.client).set(answer)

    def _answer_for(self, request: JobRequest, msg: Mapping[str, Any]) -> Any:
        store = request.caches
        op = msg.get("op")
        if store is None:
            raise StoreError("no cache store is configured for this run")
        if op == "cache-exists":
            return {"value": bool(store.exists(str(msg.get("key"))))}
        if op == "cache-match":
            return {"value": [store.match([str(k)]) for k in msg.get("keys") or []]}
        if op == "cache-open":
            key = str(msg.get("key"))
            held = self._caches.get(key)
            if held is not None and held.status == "finished":
                return held
            with store.open(key) as fh:
                blob = fh.read()
            [future] = self.client.scatter([blob], hash=False, workers=[str(msg.get("w"))]
                                           if msg.get("w") else None)
            return future
        raise StoreError(f"unknown question {op!r} from a worker")

    # -- inputs ------------------------------------------------------------------------------
    def _source_future(self, workflow_id: str, *,
                       fresh: bool = False) -> Tuple[Optional[Future], Optional[SourcePayload]]:
        """The project as it is when ``workflow_id`` first checks out, packed and scattered
        once per workflow run (a later run sees later work, as a local checkout would; an
        unchanged project is not sent again), and again when the worker holding it died.
        ``(None, None)``: no source directory."""
        if self.source_dir is None:
            return None, None
        with self._source_lock:
            current = self._sources.get(workflow_id)
            if current is None:
                payload = build_payload(self.source_dir, private=self.private_files,
                                        exclude=self.exclude, own=self.own_files)
                previous = self._sources.get("")
                if previous is not None and previous[1].digest == payload.digest:
                    current = previous
                else:
                    current = (None, payload)
            future, payload = current
            if future is None or fresh or future.status != "finished":
                [future] = self.client.scatter([payload], hash=False)
            self._sources[workflow_id] = self._sources[""] = (future, payload)
            return future, payload

    def _layer_inputs(self, request: JobRequest, *, fresh: bool = False) -> Dict[str, Future]:
        """The upstream layers the job attaches: this session's where they still are on
        the cluster, else read from the run's store and scattered."""
        out: Dict[str, Future] = {}
        store = request.workspace
        assert store is not None
        for key in request.upstream_jobs:
            held = self._layers.pop((request.workflow_id, key), None) if fresh else \
                self._layers.get((request.workflow_id, key))
            if held is not None and held.status == "finished" and not fresh:
                out[key] = held
                continue
            with tempfile.TemporaryDirectory(prefix="wfc-layer-") as tmp:
                if not store.attach(request.workflow_id, [key], Path(tmp)):
                    continue
                buf = io.BytesIO()
                with ArchiveWriter(buf, StoreError) as writer:
                    writer.add_tree(Path(tmp), ".", what="workspace layer")
            [future] = self.client.scatter([[buf.getvalue()]], hash=False)
            self._layers[(request.workflow_id, key)] = future
            out[key] = future
        return out

    def _resources(self, request: JobRequest) -> Tuple[Optional[Dict[str, float]], List[str]]:
        """The worker resources the job needs, and lines for its log."""
        cls = request.definition.get("resource_class")
        if not cls or self.enforce_resources is False:
            return None, []
        wanted = self.resource_map.get(str(cls)) or {str(cls): 1.0}
        if self.enforce_resources is None:
            workers = self.client.scheduler_info().get("workers", {})
            if not any(w.get("resources") for w in workers.values()):
                return None, [f"resource_class {cls}: not enforced, no worker of the Dask "
                              "cluster declares resources (docs/distributed.md)"]
        return wanted, [f"resource_class {cls}: needs Dask worker resources "
                        + ", ".join(f"{k}={v:g}" for k, v in wanted.items())]

    def _missing_resources(self, wanted: Mapping[str, float]) -> Optional[str]:
        workers = self.client.scheduler_info().get("workers", {})
        for w in workers.values():
            offered = w.get("resources") or {}
            if all(offered.get(k, 0) >= v for k, v in wanted.items()):
                return None
        spec = ",".join(f"{k}={v:g}" for k, v in wanted.items())
        return (f"waiting: no worker of the Dask cluster at {self.client.scheduler.address} "
                f"offers the resources {spec}; start one with `dask worker "
                f"{self.client.scheduler.address} --resources \"{spec}\"` "
                "(or cancel the run)")

    # -- outputs -----------------------------------------------------------------------------
    def _take(self, name: str) -> Future:
        variable = Variable(name, client=self.client)
        future: Future = variable.get(timeout=_HANDOVER_TIMEOUT)
        variable.delete()
        return future

    def _import(self, request: JobRequest, out: Mapping[str, Any]) -> List[str]:
        """Put what the job produced into the run's stores; returns lines for the log."""
        lines: List[str] = []
        if out.get("layer") and request.workspace is not None:
            future = self._take(str(out["layer"]))
            parts: List[bytes] = future.result()
            for part in parts:
                with tempfile.TemporaryDirectory(prefix="wfc-layer-") as tmp:
                    extract_archive(io.BytesIO(part), Path(tmp),
                                    describe=f"the workspace layer of {request.job_name!r}",
                                    error=StoreError)
                    request.workspace.persist(request.workflow_id, request.job_name,
                                              Path(tmp), ["."])
            key = node_key(request.job_name, request.node_index)
            self._layers[(request.workflow_id, key)] = future
        for cache_key, name, _size in out.get("caches") or ():
            future = self._take(str(name))
            blob: bytes = future.result()
            if request.caches is None:
                continue
            if request.caches.save(cache_key, _writer(blob)):
                self._caches[cache_key] = future
            else:
                lines.append(f"cache {cache_key} was saved meanwhile by another job; this "
                             "job's copy was dropped (caches are immutable)")
        timings = out.get("timings")
        if timings and request.timings is not None:
            rows, index, run_id = timings
            try:
                request.timings.record(request.job_name, timings_from_rows(rows),
                                       node_index=index, run_id=run_id)
            except (StoreError, OSError, ValueError) as exc:
                lines.append(f"warning: the test timings of this run were not recorded: {exc}")
        return lines

    def _artifacts(self, request: JobRequest, out: Mapping[str, Any],
                   on_worker: Sequence[Artifact]) -> Tuple[Artifact, ...]:
        """The artifacts as stored in the run's store (paths on this machine)."""
        blob = out.get("artifacts")
        if not blob or request.artifacts is None:
            return ()
        with tempfile.TemporaryDirectory(prefix="wfc-artifacts-") as tmp:
            extract_archive(io.BytesIO(blob), Path(tmp),
                            describe=f"the artifacts of {request.job_name!r}", error=StoreError)
            stored = request.artifacts.store(request.run_id, request.job_name, Path(tmp), ".")
        by_path = {a.path: a for a in stored}
        return tuple(by_path.get(a.path, a) for a in on_worker)

    def _crash_message(self, request: JobRequest, seen: _Attempts) -> str:
        where = ", ".join(dict.fromkeys(w for w in seen.workers if w)) or "unknown"
        runs = 1 + self.retries
        return (f"the Dask worker running job {request.job_name!r} died (worker {where}): an "
                f"infrastructure failure, not the job's; it ran {runs} time"
                f"{'s' if runs != 1 else ''} and is failed (docs/distributed.md)")

    def _forget_events(self, prefix: str, job: _Job) -> None:
        """Drop the job's markers from the scheduler (a cleared event is deleted there):
        the attempts workers claimed (all of them when unsure), the cancel event if set."""
        if self.client.status != "running":
            return
        last = job.claimed if job.claimed else 1 + self.retries
        try:
            for attempt in range(1, last + 1):
                Event(attempt_event(prefix, attempt), client=self.client).clear()
            if job.cancel_set:
                Event(cancel_event(prefix), client=self.client).clear()
        except Exception:  # the scheduler went away: nothing is left to forget
            pass


def _describe(payload: SourcePayload) -> str:
    kib = max(1, payload.size // 1024)
    how = ("a git bundle and the uncommitted work" if payload.kind == "git"
           else "a tar of its files")
    return (f"checkout: the project at {payload.origin} on the client came to this worker "
            f"through Dask as {how} ({kib} KiB)")


def _writer(blob: bytes) -> Callable[[IO[bytes]], None]:
    def write(fh: IO[bytes]) -> None:
        fh.write(blob)

    return write


def _key_part(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:60]


def local_cluster_executor(source_dir: Union[Path, str, None], *, workers: Optional[int] = None,
                           threads_per_worker: int = 1, **options: Any) -> DaskExecutor:
    """A :class:`DaskExecutor` on a new ``LocalCluster`` of worker processes (``workers``,
    default the CPU count), which the executor closes with itself."""
    count = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=count, threads_per_worker=threads_per_worker,
                           processes=True, dashboard_address=None)
    try:
        client = Client(cluster)
    except BaseException:
        cluster.close()
        raise
    return DaskExecutor(client, source_dir, cluster=cluster, **options)


def connect_executor(address: str, source_dir: Union[Path, str, None], *,
                     timeout: float = 10.0, **options: Any) -> DaskExecutor:
    """A :class:`DaskExecutor` on the existing cluster of the scheduler at ``address``
    (``tcp://HOST:8786``, or a TLS address with Dask's security configuration); the client
    it opens is closed with it, the cluster is left running."""
    client = Client(address, timeout=timeout)
    return DaskExecutor(client, source_dir, own_client=True, **options)
