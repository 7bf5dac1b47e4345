"""The executor contract through MockExecutor, and the result types."""

from __future__ import annotations

import pytest

from workflowcore.errors import ExecutorUnavailableError
from workflowcore.runtime.executor import (
    BaseExecutor,
    Executor,
    JobRequest,
    JobResult,
    StepResult,
    TestResultsSummary,
)
from workflowcore.runtime.executors import MockExecutor, SubprocessExecutor
from workflowcore.runtime.status import JobStatus


def request(name: str = "build") -> JobRequest:
    return JobRequest(run_id="r", workflow_id="w", job_name=name, definition={"steps": []})


def test_handler_return_values() -> None:
    outcomes = {"ok": None, "zero": 0, "fail": 3,
                "explicit": JobResult.failed(exit_code=9, message="nope")}
    ex = MockExecutor(lambda req: outcomes[req.job_name])
    assert ex.execute(request("ok")).status == "success"
    assert ex.execute(request("zero")).ok
    failed = ex.execute(request("fail"))
    assert (failed.status, failed.exit_code, failed.message) == (
        "failed", 3, "exited with code 3")
    assert ex.execute(request("explicit")).exit_code == 9
    assert ex.executed == ["ok", "zero", "fail", "explicit"]


def test_handler_can_stream_output_and_see_the_request() -> None:
    lines: list[str] = []

    def handler(req: JobRequest) -> int:
        assert req.on_output is not None
        req.on_output(f"hello from {req.job_name}")
        return 0

    ex = MockExecutor(handler)
    ex.execute(JobRequest("r", "w", "lint", {"steps": []}, on_output=lines.append))
    assert lines == ["hello from lint"]


def test_bad_handler_results_and_infrastructure_errors() -> None:
    with pytest.raises(TypeError, match="must return a JobResult"):
        MockExecutor(lambda req: "yes").execute(request())  # type: ignore[arg-type,return-value]

    def down(req: JobRequest) -> None:
        raise ExecutorUnavailableError("engine down")

    with pytest.raises(ExecutorUnavailableError):
        MockExecutor(down).execute(request())


def test_lifecycle() -> None:
    with MockExecutor() as ex:
        assert isinstance(ex, Executor)
        assert ex.execute(request()).ok
    assert ex.closed
    assert isinstance(SubprocessExecutor("/tmp/unused-run-dir"), (Executor, BaseExecutor))


def test_result_validation_and_helpers() -> None:
    with pytest.raises(ValueError, match="job status"):
        JobResult("unauthorized")
    with pytest.raises(ValueError, match="step status"):
        StepResult("s", "run", "weird")
    assert JobResult(JobStatus.SUCCESS).status == "success"  # the str enum is accepted
    assert JobResult.canceled().exit_code is None
    assert JobResult.from_exit_code(0).ok
    assert not JobResult.from_exit_code(2).ok
    total = TestResultsSummary(3, 1, 0, 1, ("a.xml",), ("t1",)) + TestResultsSummary(
        2, 0, 1, 0, ("b.xml",), ("t2",))
    assert (total.tests, total.failures, total.errors, total.skipped, total.passed) == (
        5, 1, 1, 1, 2)
    assert JobResult.success(test_results=total).to_dict()["test_results"]["files"] == [
        "a.xml", "b.xml"]


def test_request_from_planned_job() -> None:
    from workflowcore.planning.plan import PlannedJob

    planned = PlannedJob(name="test-1", job="test", definition={"steps": ["checkout"]})
    req = JobRequest.from_planned(planned, run_id="r", workflow_id="w", secrets=["x"])
    assert (req.job_name, req.job_definition_name, req.definition) == (
        "test-1", "test", {"steps": ["checkout"]})
    with pytest.raises(ValueError, match="no definition"):
        JobRequest.from_planned(PlannedJob(name="hold", job="hold", type="approval"),
                                run_id="r", workflow_id="w")
