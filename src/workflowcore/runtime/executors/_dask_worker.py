"""What runs on a Dask worker for one job: :func:`run_job`, the task the client submits.

The job runs with the worker's own :class:`~workflowcore.runtime.executors.SubprocessExecutor`
against the stand-in stores of ``_dask_stores.py``, in the worker's local directory (nothing
is assumed about the client's filesystem). Around it, four conversations with the client,
all through Dask:

* **output**: every line (already masked by the step interpreter: secrets never leave the
  worker in clear) goes to the client as a numbered batch on the executor's event topic
  (``Worker.log_event``, fire-and-forget on the worker's batched stream); the result holds
  every line too, so the client fills any gap and nothing is lost or shown twice;
* **questions** (``ask``): a batch on the same topic; the client answers in a Dask
  ``Variable`` named for the question, with a value or a Future (a cache's bytes, moved from
  whichever worker holds them);
* **cancel**: a Dask ``Event`` the client sets; a watcher thread waits on it and also stops
  the job when its task is released (the client died or gave the job up), so remote process
  groups never outlive the run;
* **attempts**: a worker that dies mid-job makes Dask run the task again elsewhere. Each
  attempt marks a Dask ``Event`` first; one beyond ``max_attempts`` refuses to run and says
  so, so a job runs at most ``1 + retries`` times whatever the scheduler's
  ``allowed-failures``.

What the job produced goes back as data: a new workspace layer and saved caches are
*scattered* on this worker (no recompute recipe: losing the worker loses the data, never
re-runs the job) and handed to the client through Variables, so a downstream job on another
worker gets the bytes from this worker directly; artifacts and timings ride in the result.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from distributed import Event, Future, Variable, get_client, get_worker
from distributed.worker import thread_state

from ...errors import ExecutorError, StoreError
from .._fs import path_component, remove_tree
from ..executor import Executor, JobRequest
from ..parallelism import NodeArtifacts
from ..stores.artifacts import FileSystemArtifactStore
from ..stores.cache import FileSystemCacheStore
from ..stores.workspace import NodeWorkspace, node_key
from ._dask_source import SourcePayload, materialize
from ._dask_stores import (
    ShippedTimings,
    WorkerCaches,
    WorkerWorkspace,
    pack_artifacts,
    timing_rows,
    timings_from_rows,
)
from .subprocess import SubprocessExecutor

__all__ = ["attempt_event", "cancel_event", "remove_session", "run_job", "session_dir"]

#: a batch of output goes out once it is this old (seconds) or this long (lines)
_FLUSH_AGE = 0.05
_FLUSH_LINES = 200
#: how long the watcher waits on the cancel event between checks of the task's state
_WATCH = 0.25
#: how long a question to the client may stay unanswered (a client that went away
#: releases the task, which cancels the job long before)
_ASK_TIMEOUT = 600.0


def attempt_event(prefix: str, attempt: int) -> str:
    return f"{prefix}-attempt-{attempt}"


def cancel_event(prefix: str) -> str:
    return f"{prefix}-cancel"


def session_dir(session: str, worker: Any = None) -> Path:
    """This worker's directory for one client session (jobs, mirrors, scratch)."""
    worker = worker or get_worker()
    return Path(worker.local_directory) / "workflowcore" / path_component(session)


def remove_session(session: str, dask_worker: Any = None) -> None:
    """Run on every worker (``Client.run`` passes ``dask_worker``) when the executor
    closes: the session's files go with it."""
    remove_tree(session_dir(session, dask_worker))


def _clean_line(line: str) -> str:
    """Lines travel as msgpack: a stray surrogate (undecodable output) becomes U+FFFD."""
    if line.isascii():
        return line
    return line.encode("utf-8", "replace").decode("utf-8")


class _Channel:
    """The worker's side of the conversation with the client, for one attempt."""

    def __init__(self, topic: str, token: str, attempt: int, cancel: threading.Event) -> None:
        self.worker = get_worker()
        self.client = get_client()
        self.topic = topic
        self.token = token
        self.attempt = attempt
        self.cancel = cancel
        self.lines: List[str] = []
        self._sent = 0
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._asked = 0

    def send(self, kind: str, **fields: Any) -> None:
        self.worker.log_event(self.topic, {"t": self.token, "k": kind, "a": self.attempt,
                                           **fields})

    def emit(self, line: str) -> None:
        with self._lock:
            self.lines.append(_clean_line(line))
            if len(self.lines) - self._sent >= _FLUSH_LINES or \
                    time.monotonic() - self._last >= _FLUSH_AGE:
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._sent < len(self.lines):
            self.send("out", s=self._sent, l=self.lines[self._sent:])
            self._sent = len(self.lines)
        self._last = time.monotonic()

    def ask(self, op: str, **args: Any) -> Any:
        """A question to the client (a cache lookup); its answer, or :class:`StoreError`."""
        with self._lock:
            self._asked += 1
            number = self._asked
            self._flush_locked()  # the job's lines so far come first
        name = f"{self.token}-{self.attempt}-ask-{number}"
        self.send("ask", n=number, op=op, v=name, w=self.worker.address, **args)
        variable = Variable(name, client=self.client)
        deadline = time.monotonic() + _ASK_TIMEOUT
        while True:
            if self.cancel.is_set():
                raise StoreError(f"{op}: the job was canceled while waiting for the client")
            try:
                answer = variable.get(timeout=1)
                break
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise StoreError(f"{op}: the client did not answer in "
                                     f"{_ASK_TIMEOUT:g}s") from None
        variable.delete()
        if isinstance(answer, Future):
            return answer.result()
        if isinstance(answer, Mapping) and answer.get("error"):
            raise StoreError(str(answer["error"]))
        return answer.get("value") if isinstance(answer, Mapping) else answer


def _claim_attempt(client: Any, prefix: str, first: int, last: int) -> Optional[int]:
    """Mark and return this run's attempt number, or ``None`` when ``last`` is used up."""
    for attempt in range(first, last + 1):
        event = Event(attempt_event(prefix, attempt), client=client)
        if not event.is_set():
            event.set()
            return attempt
    return None


def _watch(prefix: str, key: Any, cancel: threading.Event, done: threading.Event,
           channel: _Channel) -> None:
    """Set ``cancel`` when the client asks, or when the task is no longer wanted (this
    thread is no task thread: it uses the task's worker and client)."""
    worker = channel.worker
    event = Event(cancel_event(prefix), client=channel.client)
    while not done.is_set():
        try:
            if event.wait(timeout=_WATCH):
                cancel.set()
                return
        except Exception:  # the scheduler is gone: stop the job rather than run blind
            if not done.is_set():
                cancel.set()
            return
        state = worker.state.tasks.get(key)
        if state is None or state.state in ("cancelled", "released", "forgotten"):
            cancel.set()
            return
        channel.flush()


def run_job(spec: Dict[str, Any], source: Optional[SourcePayload],
            layers: Dict[str, List[bytes]]) -> Dict[str, Any]:
    """Run one job (one node of a parallel job) on this worker; see the module docstring."""
    worker = get_worker()
    prefix = spec["prefix"]
    attempt = _claim_attempt(get_client(), prefix, spec["attempt"], spec["max_attempts"])
    if attempt is None:
        return {"refused": True, "worker": worker.address}
    cancel = threading.Event()
    done = threading.Event()
    channel = _Channel(spec["topic"], spec["token"], attempt, cancel)
    channel.send("start", w=worker.address)
    watcher = threading.Thread(target=_watch, name=f"wfc-watch-{spec['token'][:8]}",
                               args=(prefix, thread_state.key, cancel, done, channel),
                               daemon=True)
    watcher.start()
    base = session_dir(spec["session"])
    scratch = base / "scratch" / f"{spec['token']}-{attempt}"
    try:
        return _run(spec, source, layers, attempt, channel, cancel, base, scratch)
    finally:
        done.set()
        # no Event.wait of the watcher may still be pending on the scheduler when the
        # result arrives: a cluster closed right after would log its cancellation as an
        # ERROR with a traceback on the user's terminal
        watcher.join(timeout=_WATCH * 4)
        channel.flush()
        remove_tree(scratch)


def _run(spec: Dict[str, Any], source: Optional[SourcePayload],
         layers: Dict[str, List[bytes]], attempt: int, channel: _Channel,
         cancel: threading.Event, base: Path, scratch: Path) -> Dict[str, Any]:
    worker = get_worker()
    scratch.mkdir(parents=True, exist_ok=True)
    source_dir: Optional[Path] = None
    private: List[Path] = []
    own: List[Path] = []
    if source is not None:
        source_dir = materialize(source, base / "sources")
        private = [source_dir / p for p in source.private]
        own = [source_dir / p for p in source.own]
    executor, note = _job_executor(spec, base, source_dir, private, own)
    node, total = spec["node_index"], spec["node_total"]
    workspace = WorkerWorkspace(layers) if spec["workspace"] else None
    caches = WorkerCaches(FileSystemCacheStore(scratch / "cache"), channel.ask) \
        if spec["caches"] else None
    artifacts = FileSystemArtifactStore(scratch / "artifacts") if spec["artifacts"] else None
    timings = ShippedTimings(scratch / "timings", timings_from_rows(spec["timings"])) \
        if spec["timings"] is not None else None
    request = JobRequest(
        run_id=spec["run_id"], workflow_id=spec["workflow_id"], job_name=spec["job_name"],
        job=spec["job"], definition=spec["definition"], environment=spec["environment"],
        secrets=tuple(spec["secrets"]), upstream_jobs=tuple(spec["upstream_jobs"]),
        workspace=(NodeWorkspace(workspace, node) if workspace is not None and total > 1
                   else workspace),
        caches=caches,
        artifacts=(NodeArtifacts(artifacts, node) if artifacts is not None and total > 1
                   else artifacts),
        cancel=cancel, on_output=channel.emit, timeout=spec["timeout"],
        node_index=node, node_total=total, timings=timings)
    for line in spec.get("notes") or ():
        channel.emit(line)
    channel.emit(f"running on Dask worker {worker.address}"
                 + (f" (attempt {attempt})" if attempt > 1 else ""))
    if note:
        channel.emit(note)
    try:
        result = executor.execute(request)
    except ExecutorError as exc:
        return {"attempt": attempt, "worker": worker.address, "error": str(exc),
                "lines": channel.lines}
    finally:
        executor.close()
    out: Dict[str, Any] = {"attempt": attempt, "worker": worker.address, "result": result,
                           "lines": list(channel.lines), "layer": None, "caches": [],
                           "artifacts": None, "timings": None}
    client = channel.client
    key = node_key(spec["job_name"], node)
    if workspace is not None and workspace.persisted.get(key):
        parts = workspace.persisted[key]
        out["layer"] = _hand_over(client, f"{spec['prefix']}-{attempt}-layer", parts)
        out["layer_bytes"] = sum(len(p) for p in parts)
    if caches is not None:
        for i, (cache_key, blob) in enumerate(caches.saved()):
            name = _hand_over(client, f"{spec['prefix']}-{attempt}-cache-{i}", blob)
            out["caches"].append((cache_key, name, len(blob)))
    if result.artifacts:
        out["artifacts"] = pack_artifacts(result.artifacts)
    if timings is not None and timings.recorded is not None:
        tests, index, run_id = timings.recorded
        out["timings"] = (timing_rows(tests), index, run_id)
    return out


#: why this worker process has no usable Docker engine (probed once; "" when it has one)
_docker_probe: Dict[str, str] = {}
_probe_lock = threading.Lock()


def _job_executor(spec: Mapping[str, Any], base: Path, source_dir: Optional[Path],
                  private: List[Path], own: List[Path]) -> Tuple[Executor, Optional[str]]:
    """The worker's own executor for this job, and a line for its log: the Docker executor
    for a ``docker:`` job when the client asked for it (``job_executor`` ``docker``, or
    ``auto`` and this worker has an engine), else the subprocess executor."""
    mode = spec.get("job_executor") or "subprocess"
    note: Optional[str] = None
    if mode != "subprocess" and spec["definition"].get("docker"):
        from .docker import DockerExecutor  # only on workers that run Docker jobs

        with _probe_lock:
            known = _docker_probe.get("reason")
            try:
                if known:
                    raise ExecutorError(known)
                docker = DockerExecutor(base / "docker-jobs", source_dir, private_files=private,
                                        kill_grace=spec["kill_grace"],
                                        check=known is None)
                _docker_probe["reason"] = ""
                return docker, None
            except ExecutorError as exc:
                _docker_probe["reason"] = str(exc)
                if mode == "docker":
                    raise
                note = (f"no Docker engine on this worker ({exc}); the job runs with the "
                        "subprocess executor")
    return SubprocessExecutor(base / "jobs", source_dir, private_files=private,
                              own_files=own, committed_only=spec["committed_only"],
                              keep_job_dirs=spec["keep_job_dirs"],
                              kill_grace=spec["kill_grace"]), note


def _hand_over(client: Any, name: str, data: Any) -> str:
    """Keep ``data`` on this worker as Dask data and name the Variable the client takes it
    from (a Variable keeps it alive between this task's end and the client's taking)."""
    [future] = client.scatter([data], hash=False)
    Variable(name, client=client).set(future)
    return name
