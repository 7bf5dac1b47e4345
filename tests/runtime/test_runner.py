"""The Runner driven through MockExecutor: order, concurrency, actors, contexts, masking,
approvals, cancel, resume and reruns."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pytest

from workflowcore.errors import ExecutorUnavailableError, RunBusyError, SchedulerError
from workflowcore.planning.plan import PlannedJob, PlannedWorkflow
from workflowcore.runtime import Runner
from workflowcore.runtime.contexts import Context
from workflowcore.runtime.events import (
    ApprovalRequested,
    Event,
    JobFinished,
    JobOutput,
    JobStarted,
    WorkflowFinished,
    WorkflowOnHold,
    WorkflowStarted,
)
from workflowcore.runtime.executor import JobRequest, JobResult
from workflowcore.runtime.executors import MockExecutor
from workflowcore.runtime.runner import default_owner, owner_alive
from workflowcore.runtime.scheduler import Scheduler
from workflowcore.runtime.stores import (
    FileSystemWorkspaceStore,
    InMemoryRunStore,
    JobRecord,
    SQLiteRunStore,
    Transition,
)

STEPS = {"steps": [{"run": "true"}]}
Handler = Callable[[JobRequest], Any]


def job(name: str, *requires: str, type: str = "build", context: Sequence[str] = (),
        accepts: Tuple[str, ...] = ("success",)) -> PlannedJob:
    return PlannedJob(name, name, type=type, requires=dict.fromkeys(requires, accepts),
                      context=tuple(context),
                      definition=None if type in ("approval", "no-op") else STEPS)


def workflow(*jobs: PlannedJob, name: str = "main") -> PlannedWorkflow:
    return PlannedWorkflow(name, True, jobs=tuple(jobs))


class Recorder:
    def __init__(self) -> None:
        self.events: List[Event] = []
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)

    def kinds(self, job: Optional[str] = None) -> List[str]:
        return [e.kind for e in self.events
                if job is None or getattr(e, "job", None) == job]

    def index(self, kind: type, job: str) -> int:
        for i, e in enumerate(self.events):
            if isinstance(e, kind) and getattr(e, "job", None) == job:
                return i
        raise AssertionError(f"no {kind.__name__} for {job}")


def make(handler: Optional[Handler] = None, **kw: Any) -> Tuple[Runner, MockExecutor, Recorder]:
    rec = Recorder()
    executor = MockExecutor(handler)
    store = kw.pop("store", None) or InMemoryRunStore()
    runner = Runner(executor, store, on_event=rec, poll_interval=0.02, **kw)
    return runner, executor, rec


# -- order and concurrency ----------------------------------------------------------------------

def test_event_order_of_a_chain() -> None:
    def handler(req: JobRequest) -> None:
        assert req.on_output is not None
        req.on_output(f"hello from {req.job_name}")

    runner, executor, rec = make(handler, max_parallel=2)
    [result] = runner.run([workflow(job("a"), job("b", "a"))], actor="alice")
    assert result.status == "success"
    assert rec.kinds() == [
        "workflow-started",
        "job-queued", "job-started", "job-output", "job-finished",
        "job-queued", "job-started", "job-output", "job-finished",
        "workflow-finished",
    ]
    assert [getattr(e, "job", None) for e in rec.events[1:9]] == ["a"] * 4 + ["b"] * 4
    out = rec.events[3]
    assert isinstance(out, JobOutput) and out.line == "hello from a"
    fin = rec.events[4]
    assert isinstance(fin, JobFinished) and (fin.status, fin.exit_code) == ("success", 0)
    assert isinstance(rec.events[-1], WorkflowFinished)
    assert rec.events[-1].status == "success"
    assert executor.executed == ["a", "b"]
    assert {e.workflow_id for e in rec.events} == {result.id}


def test_max_parallel_is_respected() -> None:
    lock = threading.Lock()
    now = [0]
    peak = [0]

    def handler(req: JobRequest) -> None:
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.05)
        with lock:
            now[0] -= 1

    runner, executor, _ = make(handler, max_parallel=2)
    [result] = runner.run([workflow(*(job(f"j{i}") for i in range(6)))])
    assert result.status == "success"
    assert peak[0] == 2
    assert len(executor.executed) == 6


def test_max_parallel_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Runner(MockExecutor(), InMemoryRunStore(), max_parallel=0)


def test_a_job_starts_as_soon_as_its_own_requirements_are_met() -> None:
    """a -> c and a slow b: c must not wait for b (no level-by-level scheduling)."""
    b_done = threading.Event()

    def handler(req: JobRequest) -> None:
        if req.job_name == "b":
            time.sleep(0.4)
            b_done.set()
        if req.job_name == "c":
            assert not b_done.is_set(), "c waited for b"

    runner, _, rec = make(handler, max_parallel=4)
    [result] = runner.run([workflow(job("a"), job("b"), job("c", "a"))])
    assert result.status == "success"
    assert rec.index(JobStarted, "c") < rec.index(JobFinished, "b")
    assert rec.index(JobFinished, "c") < rec.index(JobFinished, "b")


def test_workflows_of_a_pipeline_share_the_pool() -> None:
    lock = threading.Lock()
    now, peak = [0], [0]

    def handler(req: JobRequest) -> None:
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.05)
        with lock:
            now[0] -= 1

    runner, executor, _ = make(handler, max_parallel=3)
    records = runner.run([workflow(job("x"), job("y"), name="one"),
                          workflow(job("x"), job("y"), name="two")], actor="alice")
    assert [r.workflow for r in records] == ["one", "two"]
    assert [r.status for r in records] == ["success", "success"]
    assert records[0].pipeline_id == records[1].pipeline_id
    assert records[0].id != records[1].id
    assert peak[0] == 3
    assert sorted(r.workflow_id for r in executor.requests) == sorted(
        [records[0].id] * 2 + [records[1].id] * 2)


# -- outcomes ---------------------------------------------------------------------------------

def test_failure_makes_dependents_not_run_and_terminal_requirements_run() -> None:
    runner, executor, rec = make(lambda r: 3 if r.job_name == "build" else None)
    wf = workflow(job("build"), job("test", "build"),
                  job("cleanup", "build", accepts=("success", "failed", "canceled",
                                                   "unauthorized", "not_run")))
    [result] = runner.run([wf])
    assert result.status == "failed"
    assert {n: (j.status, j.exit_code) for n, j in result.jobs.items()} == {
        "build": ("failed", 3), "test": ("not_run", None), "cleanup": ("success", 0)}
    assert executor.executed == ["build", "cleanup"]
    fin = [e for e in rec.events if isinstance(e, JobFinished) and e.job == "test"]
    assert [e.status for e in fin] == ["not_run"]


def test_no_op_jobs_succeed_without_the_executor() -> None:
    runner, executor, rec = make()
    [result] = runner.run([workflow(job("a"), job("gate", "a", type="no-op"),
                                    job("b", "gate"))])
    assert result.status == "success"
    assert executor.executed == ["a", "b"]
    assert "job-finished" in rec.kinds("gate") and "job-started" not in rec.kinds("gate")


def test_executor_errors_fail_the_job_not_the_runner() -> None:
    def handler(req: JobRequest) -> None:
        if req.job_name == "infra":
            raise ExecutorUnavailableError("engine down")
        if req.job_name == "bug":
            raise RuntimeError("boom")

    runner, _, _ = make(handler)
    [result] = runner.run([workflow(job("infra"), job("bug"), job("fine"))])
    assert result.status == "failed"
    assert result.jobs["infra"].message == "executor error: engine down"
    assert result.jobs["bug"].message == "the executor raised RuntimeError: boom"
    assert "Traceback" in (runner.store.log(result.id, "bug") or "")
    assert result.jobs["fine"].status == "success"


def test_a_broken_event_callback_is_switched_off() -> None:
    runner, _, rec = make()
    calls = []

    def broken(event: Event) -> None:
        calls.append(event)
        raise ValueError("display broke")

    runner.subscribe(broken)
    [result] = runner.run([workflow(job("a"), job("b", "a"))])
    assert result.status == "success"
    assert len(calls) == 1
    assert rec.kinds()[-1] == "workflow-finished"


def test_unsubscribe() -> None:
    runner, _, _ = make()
    seen: List[Event] = []
    stop = runner.subscribe(seen.append)
    stop()
    runner.run([workflow(job("a"))])
    assert seen == []


def test_requests_carry_environment_upstream_and_stores(tmp_path: Path) -> None:
    ws = FileSystemWorkspaceStore(tmp_path / "ws")
    runner, executor, _ = make(workspace=ws, contexts={
        "shared": Context("shared", {"TOKEN": "tok-123456", "CIRCLE_BRANCH": "evil"})},
        project_environment={"PROJECT_VAR": "pv-abcdef"})
    wf = workflow(job("a"), job("b"), job("c", "b", "a", context=["shared"]), job("d", "c"))
    [result] = runner.run([wf], actor="alice", trigger={"branch": "main", "tag": None},
                          settings={"revision": "abc123", "project": "proj"})
    reqs = {r.job_name: r for r in executor.requests}
    assert reqs["d"].upstream_jobs == ("a", "b", "c")  # transitive, in graph order
    assert reqs["c"].upstream_jobs == ("a", "b")
    env = reqs["c"].environment
    assert env["TOKEN"] == "tok-123456"
    assert env["CIRCLE_BRANCH"] == "main"  # built-ins beat contexts (R6.3)
    assert env["PROJECT_VAR"] == "pv-abcdef"
    assert env["CIRCLE_USERNAME"] == "alice"
    assert env["CIRCLE_SHA1"] == "abc123"
    assert env["CIRCLE_WORKFLOW_ID"] == result.id
    assert env["CIRCLE_JOB"] == "c"
    assert "tok-123456" in reqs["c"].secrets and "pv-abcdef" in reqs["c"].secrets
    assert "TOKEN" not in reqs["a"].environment
    assert reqs["c"].workspace is ws and reqs["c"].workflow_id == result.id


# -- contexts, actors, masking -----------------------------------------------------------------

CONTEXTS = {
    "deploy-keys": Context("deploy-keys", {"KEY": "super-secret-key"}, allow=("bob",)),
    "open": Context("open", {"OPEN": "open-value"}),
}


def test_a_restricted_context_makes_the_job_unauthorized() -> None:
    runner, executor, rec = make(contexts=CONTEXTS)
    wf = workflow(job("build"), job("deploy", "build", context=["open", "deploy-keys"]),
                  job("notify", "deploy"))
    [result] = runner.run([wf], actor="alice")
    assert result.status == "unauthorized"
    assert result.jobs["deploy"].status == "unauthorized"
    assert result.jobs["deploy"].actor == "alice"
    assert "'alice' is not allowed to use context 'deploy-keys'" in str(
        result.jobs["deploy"].message)
    assert result.jobs["notify"].status == "not_run"
    assert executor.executed == ["build"]
    assert rec.kinds("deploy") == ["job-queued", "job-finished"]


def test_an_unknown_context_fails_the_job() -> None:
    runner, executor, _ = make(contexts=CONTEXTS)
    [result] = runner.run([workflow(job("a", context=["missing"]))])
    assert (result.status, result.jobs["a"].status) == ("failed", "failed")
    assert "does not exist" in str(result.jobs["a"].message)
    assert executor.executed == []


def test_after_an_approval_jobs_run_as_the_approver() -> None:
    runner, executor, rec = make(contexts=CONTEXTS)
    wf = workflow(job("build"), job("hold", "build", type="approval"),
                  job("deploy", "hold", context=["deploy-keys"]))
    [held] = runner.run([wf], actor="alice")
    assert held.status == "on_hold"
    assert held.jobs["hold"].status == "on_hold" and held.jobs["deploy"].status == "blocked"
    assert held.owner is None  # parked: nobody drives it
    assert isinstance(rec.events[-1], WorkflowOnHold)
    assert rec.events[-1].approvals == ("hold",)
    assert any(isinstance(e, ApprovalRequested) and e.job == "hold" for e in rec.events)

    done = runner.approve(held.id, "hold", "bob")
    assert done.status == "success"
    assert done.jobs["hold"].actor == "bob"
    resumed = [e for e in rec.events if isinstance(e, WorkflowStarted)][-1]
    assert resumed.resumed and resumed.finished_jobs == 1
    [approved] = [e for e in rec.events if isinstance(e, JobFinished) and e.job == "hold"]
    assert (approved.status, approved.approved_by) == ("success", "bob")
    assert done.jobs["deploy"].actor == "bob"
    assert executor.requests[-1].environment["CIRCLE_USERNAME"] == "bob"
    assert executor.requests[-1].environment["KEY"] == "super-secret-key"


def test_an_approver_outside_the_context_makes_downstream_unauthorized() -> None:
    runner, _, _ = make(contexts=CONTEXTS)
    wf = workflow(job("hold", type="approval"), job("deploy", "hold", context=["deploy-keys"]))
    [held] = runner.run([wf], actor="bob")
    done = runner.approve(held.id, "hold", "carol")
    assert done.jobs["deploy"].status == "unauthorized"
    assert done.status == "unauthorized"


def test_approve_checks_the_job() -> None:
    runner, _, _ = make()
    wf = workflow(job("build"), job("hold", "build", type="approval"),
                  job("hold2", "hold", type="approval"))
    [held] = runner.run([wf])
    with pytest.raises(SchedulerError, match="not a job of workflow"):
        runner.approve(held.id, "nope", "bob")
    with pytest.raises(SchedulerError, match="not an approval job"):
        runner.approve(held.id, "build", "bob")
    with pytest.raises(SchedulerError, match=r"not waiting for approval \(status: blocked\)"):
        runner.approve(held.id, "hold2", "bob")


def test_reject_cancels_the_workflow() -> None:
    runner, executor, _ = make()
    [held] = runner.run([workflow(job("hold", type="approval"), job("deploy", "hold"))])
    done = runner.reject(held.id, "hold")
    assert done.status == "canceled"
    assert {n: j.status for n, j in done.jobs.items()} == {"hold": "canceled",
                                                          "deploy": "not_run"}
    assert executor.executed == []


def test_secrets_are_masked_everywhere() -> None:
    secret = "super-secret-key"

    def handler(req: JobRequest) -> JobResult:
        assert req.on_output is not None
        req.on_output(f"the key is {secret}")
        return JobResult.failed(7, log=f"log with {secret}", message=f"bad {secret}")

    runner, _, rec = make(handler, contexts=CONTEXTS)
    [result] = runner.run([workflow(job("deploy", context=["deploy-keys"]))], actor="bob")
    outputs = [e for e in rec.events if isinstance(e, JobOutput)]
    assert [e.line for e in outputs] == ["the key is ********"]
    assert result.jobs["deploy"].message == "bad ********"
    assert runner.store.log(result.id, "deploy") == "log with ********"
    assert secret not in repr(rec.events) and secret not in repr(runner.store.get(result.id))


# -- cancel --------------------------------------------------------------------------------------

def test_cancel_from_another_thread_stops_running_jobs() -> None:
    started = threading.Event()

    def handler(req: JobRequest) -> JobResult:
        started.set()
        if req.cancel.wait(5):
            return JobResult.canceled()
        return JobResult.success()

    runner, executor, rec = make(handler, max_parallel=1)
    wf = workflow(job("slow"), job("other"), job("after", "slow"))
    out: Dict[str, Any] = {}
    thread = threading.Thread(target=lambda: out.update(r=runner.run([wf])))
    thread.start()
    assert started.wait(5)
    wid = next(e.workflow_id for e in rec.events if isinstance(e, WorkflowStarted))
    t0 = time.monotonic()
    canceled = runner.cancel(wid)
    thread.join(5)
    assert time.monotonic() - t0 < 3
    assert canceled.status == "canceled"
    assert {n: j.status for n, j in canceled.jobs.items()} == {
        "slow": "canceled", "other": "canceled", "after": "canceled"}
    assert executor.executed == ["slow"]  # "other" waited for the single slot
    assert out["r"][0].status == "canceled"
    assert runner.cancel(wid).status == "canceled"  # a finished run: nothing to do


def test_keyboard_interrupt_cancels_and_records() -> None:
    release = threading.Event()

    def handler(req: JobRequest) -> JobResult:
        if req.job_name == "slow":
            return JobResult.canceled() if req.cancel.wait(5) else JobResult.success()
        release.wait(5)
        return JobResult.success()

    runner, _, rec = make(handler, max_parallel=4)

    def interrupt(event: Event) -> None:
        if isinstance(event, JobStarted) and event.job == "second":
            raise KeyboardInterrupt

    runner.subscribe(interrupt)
    with pytest.raises(KeyboardInterrupt):
        runner.run([workflow(job("slow"), job("second"))])
    release.set()
    wid = rec.events[0].workflow_id
    got = runner.store.get(wid)
    assert got.status == "canceled"
    assert got.jobs["slow"].status == "canceled"
    assert got.jobs["second"].status == "canceled"  # interrupted before it was handed over
    assert got.owner is None


# -- resume --------------------------------------------------------------------------------------

def crashed_run(runner: Runner, wf: PlannedWorkflow, dead_owner: str) -> str:
    """What a runner killed while 'b' ran leaves behind: a finished, b running, c blocked."""
    store = runner.store
    rec = runner.create(wf, actor="alice")
    sched = Scheduler(wf)
    sched.get_ready()
    sched.start("a")
    sched.done("a", "success")
    sched.get_ready()
    sched.start("b")
    assert store.claim(rec.id, dead_owner, None)
    store.update(rec.id, Transition(
        "job-finished", sched.snapshot(), "running",
        jobs=[JobRecord("a", "success", 0, "alice", 1.0, 2.0, 1.0, attempts=1),
              JobRecord("b", "running", None, "alice", 2.0, attempts=1)],
        logs={"a": "a's log"}))
    return rec.id


def dead_owner() -> str:
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return default_owner().replace(f":{__import__('os').getpid()}:", f":{proc.pid}:")


def test_owner_tokens() -> None:
    me = default_owner()
    assert owner_alive(me)
    assert not owner_alive(dead_owner())
    assert owner_alive("otherhost:1:2:3")  # cannot check another host: presume alive
    assert owner_alive("garbage")


def test_resume_reruns_interrupted_jobs_and_keeps_finished_ones(tmp_path: Path) -> None:
    runner, executor, rec = make(store=SQLiteRunStore(tmp_path / "runs.sqlite"))
    wf = workflow(job("a"), job("b", "a"), job("c", "b"))
    wid = crashed_run(runner, wf, dead_owner())
    result = runner.resume(wid)
    assert result.status == "success"
    assert executor.executed == ["b", "c"]
    assert result.jobs["a"].attempts == 1 and result.jobs["b"].attempts == 2
    assert runner.store.log(wid, "a") == "a's log"
    started = [e for e in rec.events if isinstance(e, WorkflowStarted)]
    assert [s.resumed for s in started] == [True]
    b_start = [e for e in rec.events if isinstance(e, JobStarted) and e.job == "b"]
    assert [e.attempt for e in b_start] == [2]
    assert [e for e, _ in runner.store.history(wid)][:4] == [
        "created", "job-finished", "resumed", "job-started"]
    assert rec.kinds("b")[:2] == ["job-queued", "job-started"]


def test_a_run_driven_by_a_live_process_is_not_taken() -> None:
    runner, executor, _ = make()
    wf = workflow(job("a"), job("b", "a"), job("c", "b"))
    wid = crashed_run(runner, wf, default_owner())  # "another runner of this process"
    with pytest.raises(RunBusyError, match="is being run by process"):
        runner.resume(wid)
    assert executor.executed == []


def test_cancel_takes_over_a_dead_run_without_running_anything() -> None:
    runner, executor, _ = make()
    wf = workflow(job("a"), job("b", "a"), job("c", "b"))
    wid = crashed_run(runner, wf, dead_owner())
    result = runner.cancel(wid)
    assert result.status == "canceled"
    assert {n: j.status for n, j in result.jobs.items()} == {
        "a": "success", "b": "canceled", "c": "canceled"}
    assert executor.executed == []


# -- reruns --------------------------------------------------------------------------------------

def test_rerun_from_failed_keeps_successes_and_their_workspace(tmp_path: Path) -> None:
    ws = FileSystemWorkspaceStore(tmp_path / "ws")
    broken = [True]
    seen: Dict[str, List[str]] = {}

    def handler(req: JobRequest) -> Optional[int]:
        assert req.workspace is not None
        if req.job_name == "build":
            src = tmp_path / "src"
            src.mkdir(exist_ok=True)
            (src / "out.txt").write_text("built")
            req.workspace.persist(req.workflow_id, "build", src, ["out.txt"])
        if req.job_name == "test":
            dest = tmp_path / "attached" / req.workflow_id
            seen[req.workflow_id] = req.workspace.attach(req.workflow_id, req.upstream_jobs,
                                                         dest)
            assert (dest / "out.txt").read_text() == "built"
            return 1 if broken[0] else 0
        return None

    runner, executor, _ = make(handler, workspace=ws)
    wf = workflow(job("build"), job("lint"), job("test", "build"), job("deploy", "test"))
    [first] = runner.run([wf], actor="alice")
    assert first.status == "failed"
    broken[0] = False
    executor.requests.clear()
    second = runner.rerun(first.id, from_failed=True, actor="bob")
    assert second.status == "success"
    assert second.rerun_of == first.id and second.pipeline_id == first.pipeline_id
    assert executor.executed == ["test", "deploy"]
    assert second.jobs["build"].kept_from == first.id
    assert second.jobs["build"].exit_code == 0
    assert seen[second.id] == ["build"]  # the kept layer, under the new workflow run
    assert second.settings["workspace_id"] == first.id
    assert executor.requests[0].environment["CIRCLE_WORKFLOW_WORKSPACE_ID"] == first.id

    executor.requests.clear()
    third = runner.rerun(second.id, from_failed=False)
    assert third.status == "success"
    assert sorted(executor.executed) == ["build", "deploy", "lint", "test"]
    assert all(j.kept_from is None for j in third.jobs.values())


def test_rerun_of_a_non_terminal_run_is_refused() -> None:
    runner, _, _ = make()
    [held] = runner.run([workflow(job("hold", type="approval"), job("deploy", "hold"))])
    with pytest.raises(SchedulerError, match="must be in a terminal state"):
        runner.rerun(held.id, from_failed=True)
    with pytest.raises(SchedulerError, match="on_hold"):
        runner.rerun(held.id)
    assert len(runner.store.ids()) == 1


def test_rerun_from_failed_asks_again_for_approvals_behind_the_failure() -> None:
    runner, _, _ = make(lambda r: 1 if r.job_name == "build" else None)
    wf = workflow(job("setup"), job("ok", "setup", type="approval"), job("build", "ok"),
                  job("hold", "build", type="approval"), job("deploy", "hold"))
    [held] = runner.run([wf], actor="alice")
    first = runner.approve(held.id, "ok", "carol")
    assert first.status == "failed"
    runner.executor = MockExecutor()
    second = runner.rerun(first.id, from_failed=True)
    assert second.status == "on_hold"
    assert second.jobs["ok"].status == "success" and second.jobs["ok"].actor == "carol"
    assert second.jobs["hold"].status == "on_hold"


def test_progress_printer_renders_a_run() -> None:
    import io

    from workflowcore.reporting.progress import ProgressPrinter

    out = io.StringIO()
    runner, _, _ = make(lambda r: (r.on_output and r.on_output("hi")) or
                        (2 if r.job_name == "b" else None), contexts=CONTEXTS)
    runner.subscribe(ProgressPrinter(out, approve_hint="approve {id} {job}"))
    wf = workflow(job("a"), job("hold", "a", type="approval"), job("b", "hold"),
                  job("c", "b"))
    [held] = runner.run([wf], actor="alice")
    runner.approve(held.id, "hold", "bob")
    stamped = out.getvalue().splitlines()
    assert all(re.match(r"\d\d:\d\d:\d\d ", line) for line in stamped)  # local time first
    lines = [line[9:] for line in stamped]
    assert lines[0] == f"workflow main started: {held.id} (4 jobs)"
    assert "[main] a: started as alice" in lines
    assert "[main] a | hi" in lines
    assert any(line.startswith("[main] a: ok (exit 0") and line.endswith("[1/4]")
               for line in lines)
    assert f"[main] hold: waiting for approval; approve with: approve {held.id} hold" in lines
    assert f"workflow main: on_hold (waiting for hold): {held.id}" in lines
    assert f"workflow main resumed: {held.id} (4 jobs)" in lines
    assert "[main] hold: approved by bob [2/4]" in lines
    assert any(line.startswith("[main] b: FAILED (exit 2") and "[3/4]: exited with code 2"
               in line for line in lines)
    assert "[main] c: not run [4/4]" in lines
    assert lines[-1] == f"workflow main: failed: {held.id}"


def test_taking_over_a_dead_run_asks_the_executor_to_clean_up() -> None:
    """A run whose process died may have left containers behind; the runner that takes it
    over calls ``executor.cleanup(run_id)`` before running anything again."""
    from workflowcore.runtime.runner import Runner as _Runner
    from workflowcore.runtime.stores.runstate import InMemoryRunStore as _Store

    class CleaningExecutor(MockExecutor):
        def __init__(self) -> None:
            super().__init__(lambda r: 0)
            self.cleaned: list[str] = []

        def cleanup(self, run_id: str) -> int:
            self.cleaned.append(run_id)
            return 0

    import socket
    import subprocess
    import sys

    store = _Store()
    wf = PlannedWorkflow("w", True, None, (PlannedJob("a", "a", definition={"steps": []}),))
    record = _Runner(MockExecutor(lambda r: 0), store).create(wf)
    # The owner is a process of this host that has exited (and been reaped): dead.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dead = f"{socket.gethostname()}:{gone}:0:dead"
    assert not owner_alive(dead)
    assert store.claim(record.id, dead, None)
    ex = CleaningExecutor()
    second = _Runner(ex, store, owner="live-host:2:0:y")
    done = second.resume(record.id)
    assert ex.cleaned == [record.id]
    assert done.status == "success"
