"""Unit tests for the pure scheduler: one test (or table) per rule of docs/scheduling.md."""

from __future__ import annotations

import json
from typing import Iterable, Mapping, Sequence, Union

import pytest

from workflowcore.errors import SchedulerError
from workflowcore.planning.plan import PlannedJob, PlannedWorkflow
from workflowcore.runtime.scheduler import Scheduler, rerun_all, rerun_from_failed
from workflowcore.runtime.status import JobStatus, WorkflowStatus

Requires = Union[Sequence[str], Mapping[str, Union[str, Sequence[str]]]]


def J(name: str, requires: Requires = (), type: str = "build") -> PlannedJob:
    """A planned job; ``requires`` is a list (all ``success``) or ``{name: status(es)}``."""
    if isinstance(requires, Mapping):
        reqs = {
            k: (v,) if isinstance(v, str) else tuple(v)  # "terminal" stays a shorthand
            for k, v in requires.items()
        }
    else:
        reqs = dict.fromkeys(requires, ("success",))
    return PlannedJob(name=name, job=name, type=type, requires=reqs)


def W(*jobs: PlannedJob, runs: bool = True) -> PlannedWorkflow:
    return PlannedWorkflow(name="main", runs=runs, jobs=tuple(jobs))


def drive(s: Scheduler, outcomes: Mapping[str, str] | None = None) -> list[tuple[str, ...]]:
    """Run to quiescence, every job instantly, returning the get_ready batches (graphlib's
    group-by-group check). Jobs not in ``outcomes`` succeed."""
    outcomes = outcomes or {}
    groups = []
    while s.is_active():
        ready = s.get_ready()
        groups.append(ready)
        for job in ready:
            s.start(job)
        for job in ready:
            s.done(job, outcomes.get(job, "success"))
    return groups


def statuses(s: Scheduler, names: Iterable[str]) -> list[str]:
    return [s.status(n).value for n in names]


# ---------------------------------------------------------------- construction / plan checks


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        ((J("a"), J("a")), "job 'a' appears twice in workflow 'main'"),
        ((J("a", ["x"]),), "job 'a' requires 'x', which is not a job of workflow 'main'"),
        (
            (J("b", ["a"]), J("a")),
            "job 'b' requires 'a', which comes after it in the plan; plan jobs must be in "
            "topological order",
        ),
        ((J("a", ["a"]),), "job 'a' requires 'a', which comes after it in the plan"),
        ((J("a"), J("b", {"a": "done"})), "job 'b' requires 'a' with unknown status 'done'"),
        ((J("a"), J("b", {"a": ()})), "job 'b' requires 'a' but accepts no status"),
        ((J("a", type="manual"),), "job 'a' has unknown type 'manual'"),
    ],
)
def test_invalid_plans_are_rejected(jobs: tuple[PlannedJob, ...], message: str) -> None:
    with pytest.raises(SchedulerError, match="^" + _re(message)):
        Scheduler(W(*jobs))


def test_requires_statuses_may_be_a_list_or_a_bare_string() -> None:
    a = PlannedJob(name="a", job="a")
    b = PlannedJob(name="b", job="b", requires={"a": ["failed", "canceled"]})  # type: ignore[dict-item]
    c = PlannedJob(name="c", job="c", requires={"a": "terminal"})  # type: ignore[dict-item]
    s = Scheduler(W(a, b, c))
    drive(s, {"a": "canceled"})
    assert s.statuses() == {"a": "canceled", "b": "success", "c": "success"}


@pytest.mark.parametrize(
    ("accepted", "message"),
    [
        (5, "job 'b' requires 'a' with statuses 5, which is not a tuple"),
        (("success", ["failed"]), "job 'b' requires 'a' with unknown status ['failed']"),
    ],
)
def test_malformed_requires_statuses(accepted: object, message: str) -> None:
    b = PlannedJob(name="b", job="b", requires={"a": accepted})  # type: ignore[dict-item]
    with pytest.raises(SchedulerError, match="^" + _re(message)):
        Scheduler(W(J("a"), b))


def _re(text: str) -> str:
    import re

    return re.escape(text)


def test_scheduler_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a job of workflow"):
        Scheduler(W(J("a"))).status("nope")


def test_every_job_starts_blocked_and_roots_are_queued() -> None:
    s = Scheduler(W(J("a"), J("b", ["a"]), J("c")))
    assert s.statuses() == {"a": "queued", "b": "blocked", "c": "queued"}
    assert list(s.statuses()) == ["a", "b", "c"]  # plan order
    assert s.is_active()
    assert not s.is_finished()


# ---------------------------------------------------------------- ready-set scheduling


def test_fan_out_fan_in_groups() -> None:
    s = Scheduler(
        W(
            J("build"),
            J("lint"),
            J("test-1", ["build"]),
            J("test-2", ["build"]),
            J("test-3", ["build", "lint"]),
            J("deploy", ["test-1", "test-2", "test-3"]),
        )
    )
    assert drive(s) == [
        ("build", "lint"),
        ("test-1", "test-2", "test-3"),
        ("deploy",),
    ]
    assert s.workflow_status() is WorkflowStatus.SUCCESS
    assert s.is_finished()
    assert not s.is_active()


def test_each_job_is_handed_out_once_and_in_plan_order() -> None:
    s = Scheduler(W(J("a"), J("z"), J("m", ["z"]), J("b", ["a"])))
    assert s.get_ready() == ("a", "z")
    assert s.get_ready() == ()
    s.done("a", "success")  # done() without start() is allowed
    s.done("z", "success")
    # b became ready before m, but a call returns plan order
    assert s.get_ready() == ("m", "b")
    assert s.get_ready() == ()


def test_a_job_waits_for_all_its_requirements() -> None:
    s = Scheduler(W(J("a"), J("b"), J("c", ["a", "b"])))
    s.get_ready()
    s.done("a", "success")
    assert s.status("c") is JobStatus.BLOCKED
    assert s.get_ready() == ()
    assert s.is_active()  # b is still out
    s.done("b", "success")
    assert s.get_ready() == ("c",)


def test_start_and_status_progression() -> None:
    s = Scheduler(W(J("a")))
    assert s.status("a") is JobStatus.QUEUED
    s.get_ready()
    assert s.status("a") is JobStatus.QUEUED
    s.start("a")
    assert s.status("a") is JobStatus.RUNNING
    assert s.workflow_status() is WorkflowStatus.RUNNING
    s.done("a", JobStatus.SUCCESS)
    assert s.status("a") is JobStatus.SUCCESS


@pytest.mark.parametrize("job_type", ["release", "lock", "unlock"])
def test_release_lock_unlock_jobs_are_handed_out_like_builds(job_type: str) -> None:
    s = Scheduler(W(J("a", type=job_type), J("b", ["a"])))
    assert drive(s) == [("a",), ("b",)]


def test_no_op_jobs_succeed_without_being_handed_out() -> None:
    s = Scheduler(W(J("a"), J("gate", ["a"], type="no-op"), J("b", ["gate"]), J("n", type="no-op")))
    assert s.status("n") is JobStatus.SUCCESS
    assert drive(s) == [("a",), ("b",)]
    assert s.status("gate") is JobStatus.SUCCESS


def test_no_op_downstream_of_a_failure_is_not_run() -> None:
    s = Scheduler(W(J("a"), J("gate", ["a"], type="no-op"), J("b", ["gate"])))
    drive(s, {"a": "failed"})
    assert statuses(s, ["a", "gate", "b"]) == ["failed", "not_run", "not_run"]


# ---------------------------------------------------------------- failures and not_run


def test_failure_makes_downstream_not_run_transitively() -> None:
    s = Scheduler(
        W(J("build"), J("test", ["build"]), J("deploy", ["test"]), J("lint"), J("docs", ["lint"]))
    )
    assert s.get_ready() == ("build", "lint")
    s.start("build")
    s.start("lint")
    s.done("build", "failed")
    assert statuses(s, ["test", "deploy"]) == ["not_run", "not_run"]
    assert s.workflow_status() is WorkflowStatus.FAILING
    s.done("lint", "success")
    assert drive(s) == [("docs",)]
    assert s.workflow_status() is WorkflowStatus.FAILED


@pytest.mark.parametrize("outcome", ["failed", "canceled", "unauthorized"])
def test_every_non_success_outcome_blocks_a_plain_requirement(outcome: str) -> None:
    s = Scheduler(W(J("a"), J("b", ["a"])))
    drive(s, {"a": outcome})
    assert s.status("b") is JobStatus.NOT_RUN


def test_not_run_waits_for_all_requirements_to_be_terminal() -> None:
    """R4.3.3: a job is decided only when every requirement is terminal, so a cleanup job
    behind it never overlaps work still running upstream of it."""
    s = Scheduler(
        W(J("fast"), J("slow"), J("deploy", ["fast", "slow"]), J("cleanup", {"deploy": "terminal"}))
    )
    s.get_ready()
    s.done("fast", "failed")
    assert s.status("deploy") is JobStatus.BLOCKED
    assert s.get_ready() == ()
    s.done("slow", "success")
    assert s.status("deploy") is JobStatus.NOT_RUN
    assert s.get_ready() == ("cleanup",)


@pytest.mark.parametrize(
    ("release", "rollback"),
    [
        ("failed", "queued"),
        ("canceled", "queued"),
        ("success", "not_run"),
        ("unauthorized", "not_run"),
    ],
)
def test_flexible_requires_rollback_path(release: str, rollback: str) -> None:
    s = Scheduler(
        W(
            J("release"),
            J("rollback", {"release": ["failed", "canceled"]}),
            J("announce", ["release"]),
        )
    )
    s.get_ready()
    s.done("release", release)
    assert s.status("rollback").value == rollback
    assert s.status("announce").value == ("queued" if release == "success" else "not_run")


@pytest.mark.parametrize("deploy", ["success", "failed", "canceled", "unauthorized"])
def test_terminal_cleanup_runs_whatever_happened(deploy: str) -> None:
    s = Scheduler(W(J("deploy"), J("cleanup", {"deploy": "terminal"})))
    assert drive(s, {"deploy": deploy}) == [("deploy",), ("cleanup",)]
    assert s.status("cleanup") is JobStatus.SUCCESS


def test_terminal_cleanup_runs_after_a_not_run_job() -> None:
    s = Scheduler(W(J("build"), J("deploy", ["build"]), J("cleanup", {"deploy": "terminal"})))
    assert drive(s, {"build": "failed"}) == [("build",), ("cleanup",)]
    assert s.status("deploy") is JobStatus.NOT_RUN


def test_not_run_chains() -> None:
    s = Scheduler(
        W(
            J("build"),
            J("deploy", ["build"]),
            J("skipped-deploy", {"deploy": "not_run"}),
            J("report", {"skipped-deploy": "success"}),
            J("after-deploy", {"deploy": "success"}),
        )
    )
    drive(s, {"build": "failed"})
    assert s.statuses() == {
        "build": "failed",
        "deploy": "not_run",
        "skipped-deploy": "success",
        "report": "success",
        "after-deploy": "not_run",
    }


def test_not_run_handler_is_itself_not_run_when_the_job_ran() -> None:
    s = Scheduler(W(J("deploy"), J("if-skipped", {"deploy": "not_run"})))
    drive(s)
    assert s.status("if-skipped") is JobStatus.NOT_RUN
    assert s.workflow_status() is WorkflowStatus.SUCCESS


def test_mixed_statuses_on_several_requirements() -> None:
    s = Scheduler(W(J("a"), J("b"), J("c", {"a": "failed", "b": "success"})))
    drive(s, {"a": "failed"})
    assert s.status("c") is JobStatus.SUCCESS


# ---------------------------------------------------------------- approvals


def approval_workflow() -> PlannedWorkflow:
    return W(
        J("build"),
        J("hold", ["build"], type="approval"),
        J("deploy", ["hold"]),
        J("smoke", ["deploy"]),
        J("lint"),
    )


def test_approval_holds_then_approve_releases_downstream() -> None:
    s = Scheduler(approval_workflow())
    assert s.status("hold") is JobStatus.BLOCKED
    assert drive(s) == [("build", "lint")]
    assert s.status("hold") is JobStatus.ON_HOLD
    assert s.waiting_for_approval() == ("hold",)
    assert not s.is_active()
    assert not s.is_finished()
    assert s.workflow_status() is WorkflowStatus.ON_HOLD
    assert s.status("deploy") is JobStatus.BLOCKED

    s.approve("hold", "alice")
    assert s.status("hold") is JobStatus.SUCCESS
    assert s.approver("hold") == "alice"
    assert s.approver("build") is None
    assert s.waiting_for_approval() == ()
    assert s.workflow_status() is WorkflowStatus.RUNNING
    assert drive(s) == [("deploy",), ("smoke",)]
    assert s.workflow_status() is WorkflowStatus.SUCCESS


def test_approval_is_never_handed_out_and_not_done_able() -> None:
    s = Scheduler(W(J("hold", type="approval"), J("a")))
    assert s.get_ready() == ("a",)
    with pytest.raises(
        SchedulerError,
        match=r"^job 'hold' is an approval job; use approve\(\) or reject\(\) \(status: on_hold\)$",
    ):
        s.done("hold", "success")
    with pytest.raises(SchedulerError, match=r"^job 'hold' is an approval job"):
        s.start("hold")


def test_workflow_is_running_not_on_hold_while_other_jobs_run() -> None:
    s = Scheduler(W(J("hold", type="approval"), J("a")))
    s.get_ready()
    s.start("a")
    assert s.workflow_status() is WorkflowStatus.RUNNING
    s.done("a", "success")
    assert s.workflow_status() is WorkflowStatus.ON_HOLD


def test_reject_cancels_the_approval_and_its_downstream() -> None:
    s = Scheduler(approval_workflow())
    drive(s)
    s.reject("hold")
    assert statuses(s, ["hold", "deploy", "smoke"]) == ["canceled", "not_run", "not_run"]
    assert s.is_finished()
    assert s.workflow_status() is WorkflowStatus.CANCELED


def test_rejected_approval_can_trigger_a_canceled_handler() -> None:
    s = Scheduler(W(J("hold", type="approval"), J("on-reject", {"hold": "canceled"})))
    s.reject("hold")
    assert s.get_ready() == ("on-reject",)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s: s.approve("build", "bob"),
            "cannot approve job 'build': it is not an approval job (type: build)",
        ),
        (
            lambda s: s.reject("build"),
            "cannot reject job 'build': it is not an approval job (type: build)",
        ),
        (
            lambda s: s.approve("hold", "bob"),
            "cannot approve approval job 'hold': it is not on hold (status: blocked)",
        ),
        (lambda s: s.approve("hold", ""), "approve('hold') needs the approver's name as actor"),
        (lambda s: s.approve("nope", "bob"), "job 'nope' is not a job of workflow 'main'"),
    ],
)
def test_approval_misuse(call: object, message: str) -> None:
    s = Scheduler(approval_workflow())
    with pytest.raises(SchedulerError, match="^" + _re(message) + "$"):
        call(s)  # type: ignore[operator]


def test_approving_twice_is_an_error() -> None:
    s = Scheduler(W(J("hold", type="approval")))
    s.approve("hold", "alice")
    with pytest.raises(
        SchedulerError,
        match=r"^cannot approve approval job 'hold': it is not on hold \(status: success\)$",
    ):
        s.approve("hold", "bob")
    assert s.approver("hold") == "alice"


def test_actor_for_is_the_approver_of_the_nearest_upstream_approval() -> None:
    s = Scheduler(
        W(
            J("build"),
            J("hold-staging", ["build"], type="approval"),
            J("staging", ["hold-staging"]),
            J("hold-prod", ["staging"], type="approval"),
            J("prod", ["hold-prod"]),
            J("verify", ["prod"]),
        )
    )
    assert s.actor_for("prod", "pusher") == "pusher"  # nothing approved yet
    drive(s)
    s.approve("hold-staging", "alice")
    drive(s)
    s.approve("hold-prod", "bob")
    drive(s)
    assert s.actor_for("build", "pusher") == "pusher"
    assert s.actor_for("hold-staging", "pusher") == "pusher"
    assert s.actor_for("staging", "pusher") == "alice"
    assert s.actor_for("hold-prod", "pusher") == "alice"
    assert s.actor_for("prod", "pusher") == "bob"
    assert s.actor_for("verify", "pusher") == "bob"


def test_actor_for_takes_the_latest_of_parallel_approvals() -> None:
    s = Scheduler(
        W(
            J("hold-a", type="approval"),
            J("hold-b", type="approval"),
            J("deploy", ["hold-a", "hold-b"]),
        )
    )
    assert s.actor_for("deploy", "pusher") == "pusher"
    s.approve("hold-a", "alice")
    assert s.actor_for("deploy", "pusher") == "alice"  # blocked: not memoised yet
    s.approve("hold-b", "bob")
    assert s.actor_for("deploy", "pusher") == "bob"
    assert s.get_ready() == ("deploy",)


def test_actor_for_ignores_rejected_approvals() -> None:
    s = Scheduler(W(J("hold", type="approval"), J("after", {"hold": "terminal"})))
    s.reject("hold")
    assert s.actor_for("after", "pusher") == "pusher"


def test_actor_for_handles_deep_chains() -> None:
    jobs = [J("hold", type="approval")] + [
        J(f"j{i}", [f"j{i - 1}" if i else "hold"]) for i in range(3000)
    ]
    s = Scheduler(W(*jobs))
    s.approve("hold", "carol")
    assert s.actor_for("j2999", "pusher") == "carol"


# ---------------------------------------------------------------- cancel


def test_cancel_cancels_everything_not_running() -> None:
    s = Scheduler(
        W(
            J("a"),
            J("b"),
            J("c"),
            J("hold", type="approval"),
            J("d", ["a"]),
        )
    )
    assert s.get_ready() == ("a", "b", "c")
    s.start("a")
    s.start("b")
    s.done("b", "success")
    assert s.cancel() == ("a",)
    assert s.statuses() == {
        "a": "running",
        "b": "success",
        "c": "canceled",  # handed out but never started
        "hold": "canceled",
        "d": "canceled",
    }
    assert s.workflow_status() is WorkflowStatus.CANCELED
    assert s.is_active()  # a still has to report
    assert not s.is_finished()
    assert s.waiting_for_approval() == ()
    assert s.cancel() == ("a",)  # idempotent: still running
    with pytest.raises(SchedulerError, match=r"^job 'c' was canceled before it started$"):
        s.start("c")
    with pytest.raises(
        SchedulerError, match=r"^job 'c' was canceled before it started; it needs no done\(\)$"
    ):
        s.done("c", "canceled")
    s.done("a", "canceled")
    assert s.status("a") is JobStatus.CANCELED
    assert s.get_ready() == ()
    assert not s.is_active()
    assert s.is_finished()
    assert s.workflow_status() is WorkflowStatus.CANCELED
    assert s.cancel() == ()


def test_a_running_job_may_still_succeed_after_cancel() -> None:
    s = Scheduler(W(J("a"), J("b", ["a"])))
    s.get_ready()
    s.start("a")
    assert s.cancel() == ("a",)
    s.done("a", "success")
    assert s.statuses() == {"a": "success", "b": "canceled"}
    assert s.workflow_status() is WorkflowStatus.CANCELED


def test_cancel_on_a_finished_workflow_changes_nothing() -> None:
    s = Scheduler(W(J("a")))
    drive(s)
    assert s.cancel() == ()
    assert s.workflow_status() is WorkflowStatus.SUCCESS


def test_cancel_before_anything_ran() -> None:
    s = Scheduler(W(J("a"), J("b", ["a"])))
    assert s.cancel() == ()
    assert s.get_ready() == ()
    assert s.is_finished()
    assert s.statuses() == {"a": "canceled", "b": "canceled"}


# ---------------------------------------------------------------- driver misuse


def test_done_misuse_messages() -> None:
    s = Scheduler(W(J("a"), J("b", ["a"])))
    with pytest.raises(
        SchedulerError, match=r"^job 'a' was not handed out by get_ready\(\) \(status: queued\)$"
    ):
        s.done("a", "success")
    with pytest.raises(
        SchedulerError, match=r"^job 'b' was not handed out by get_ready\(\) \(status: blocked\)$"
    ):
        s.done("b", "success")
    with pytest.raises(SchedulerError, match=r"^job 'x' is not a job of workflow 'main'$"):
        s.done("x", "success")
    s.get_ready()
    with pytest.raises(
        SchedulerError,
        match=r"^cannot mark job 'a' done with status 'not_run'; expected one of: "
        r"success, failed, canceled, unauthorized$",
    ):
        s.done("a", "not_run")
    with pytest.raises(SchedulerError, match=r"^cannot mark job 'a' done with status 'ok'"):
        s.done("a", "ok")
    with pytest.raises(SchedulerError, match=r"^cannot mark job 'a' done with status"):
        s.done("a", ["success"])  # type: ignore[arg-type]
    s.done("a", "failed")
    with pytest.raises(
        SchedulerError, match=r"^job 'a' was already marked done \(status: failed\)$"
    ):
        s.done("a", "success")
    assert s.status("a") is JobStatus.FAILED


def test_start_misuse_messages() -> None:
    s = Scheduler(W(J("a"), J("b", ["a"])))
    with pytest.raises(
        SchedulerError, match=r"^job 'a' was not handed out by get_ready\(\) \(status: queued\)$"
    ):
        s.start("a")
    s.get_ready()
    s.start("a")
    with pytest.raises(SchedulerError, match=r"^job 'a' was already started$"):
        s.start("a")
    s.done("a", "success")
    with pytest.raises(
        SchedulerError, match=r"^job 'a' was already marked done \(status: success\)$"
    ):
        s.start("a")
    with pytest.raises(SchedulerError, match=r"^job 1 is not a job of workflow 'main'$"):
        s.start(1)  # type: ignore[arg-type]


# ---------------------------------------------------------------- workflow status (R4.2.1)


def finished(outcomes: Mapping[str, str], *extra: PlannedJob) -> Scheduler:
    jobs = [J(name) for name in outcomes]
    s = Scheduler(W(*jobs, *extra))
    drive(s, outcomes)
    assert s.is_finished()
    return s


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ({"a": "success", "b": "success"}, "success"),
        ({"a": "failed", "b": "success"}, "failed"),
        ({"a": "unauthorized", "b": "success"}, "unauthorized"),
        # decision: failed wins over unauthorized
        ({"a": "unauthorized", "b": "failed"}, "failed"),
        # a canceled job makes the workflow canceled, even next to a failure
        ({"a": "canceled", "b": "failed"}, "canceled"),
        ({"a": "canceled", "b": "unauthorized"}, "canceled"),
    ],
)
def test_terminal_workflow_status_table(outcomes: dict[str, str], expected: str) -> None:
    assert finished(outcomes).workflow_status().value == expected


def test_handled_failure_still_fails_the_workflow() -> None:
    s = finished({"release": "failed"}, J("rollback", {"release": "failed"}))
    assert s.status("rollback") is JobStatus.SUCCESS
    assert s.workflow_status() is WorkflowStatus.FAILED


def test_not_run_jobs_do_not_fail_a_workflow() -> None:
    s = finished({"release": "success"}, J("rollback", {"release": "failed"}))
    assert s.status("rollback") is JobStatus.NOT_RUN
    assert s.workflow_status() is WorkflowStatus.SUCCESS


def test_failing_takes_precedence_over_on_hold_and_running() -> None:
    s = Scheduler(W(J("a"), J("b"), J("hold", type="approval")))
    s.get_ready()
    s.done("a", "unauthorized")
    assert s.workflow_status() is WorkflowStatus.FAILING
    s.done("b", "success")
    assert s.workflow_status() is WorkflowStatus.FAILING
    s.approve("hold", "alice")
    assert s.workflow_status() is WorkflowStatus.UNAUTHORIZED
    assert s.workflow_status().is_terminal


@pytest.mark.parametrize("workflow", [W(), W(J("a"), runs=False)])
def test_workflow_that_does_not_run_is_not_run(workflow: PlannedWorkflow) -> None:
    s = Scheduler(workflow)
    assert s.workflow_status() is WorkflowStatus.NOT_RUN
    assert s.get_ready() == ()
    assert not s.is_active()
    assert s.is_finished()
    assert all(st is JobStatus.NOT_RUN for st in s.statuses().values())


def test_status_enums_behave_like_their_api_strings() -> None:
    api_spelling: object = "not_run"
    assert api_spelling == JobStatus.NOT_RUN
    assert str(JobStatus.ON_HOLD) == "on_hold"
    assert "success" in {JobStatus.SUCCESS}
    assert json.dumps([JobStatus.FAILED, WorkflowStatus.FAILING]) == '["failed", "failing"]'
    assert {s.value for s in JobStatus if s.is_terminal} == {
        "success",
        "failed",
        "canceled",
        "unauthorized",
        "not_run",
    }
    assert not WorkflowStatus.FAILING.is_terminal
    assert WorkflowStatus.ERROR.is_terminal


# ---------------------------------------------------------------- snapshots


def test_snapshot_is_plain_json_and_round_trips() -> None:
    wf = approval_workflow()
    s = Scheduler(wf)
    s.get_ready()
    s.start("build")
    s.done("build", "success")
    s.approve("hold", "alice")
    s.get_ready()
    s.start("deploy")
    snap = s.snapshot()
    assert snap == {
        "version": 1,
        "workflow": "main",
        "statuses": {
            "build": "success",
            "hold": "success",
            "deploy": "running",
            "smoke": "blocked",
            "lint": "queued",
        },
        "approvers": [["hold", "alice"]],
        "handed_out": ["build", "deploy", "lint"],
        "canceled": False,
    }
    restored = Scheduler.restore(wf, json.loads(json.dumps(snap)))
    assert restored.snapshot() == snap
    assert restored.statuses() == s.statuses()
    assert restored.approver("hold") == "alice"
    assert restored.actor_for("smoke", "pusher") == "alice"
    # both continue identically
    for sched in (s, restored):
        sched.done("deploy", "success")
        sched.done("lint", "success")
        assert drive(sched) == [("smoke",)]
    assert restored.snapshot() == s.snapshot()


def test_restore_keeps_queued_jobs_ready() -> None:
    wf = W(J("a"), J("b", ["a"]))
    s = Scheduler(wf)
    restored = Scheduler.restore(wf, s.snapshot())
    assert restored.get_ready() == ("a",)


def test_requeue_interrupted_after_a_crash() -> None:
    wf = W(J("a"), J("b"), J("c"), J("d", ["a", "b", "c"]))
    s = Scheduler(wf)
    s.get_ready()
    s.start("a")
    s.start("b")
    s.done("b", "success")
    snap = s.snapshot()  # a running, c handed out but not started; then SIGKILL

    resumed = Scheduler.restore(wf, snap)
    assert resumed.is_active()
    assert resumed.requeue_interrupted() == ("a", "c")
    assert resumed.statuses() == {"a": "queued", "b": "success", "c": "queued", "d": "blocked"}
    assert drive(resumed) == [("a", "c"), ("d",)]
    assert resumed.workflow_status() is WorkflowStatus.SUCCESS


def test_requeue_interrupted_in_a_canceled_workflow_cancels_them() -> None:
    wf = W(J("a"), J("b", ["a"]))
    s = Scheduler(wf)
    s.get_ready()
    s.start("a")
    s.cancel()
    resumed = Scheduler.restore(wf, s.snapshot())
    assert resumed.requeue_interrupted() == ()
    assert resumed.statuses() == {"a": "canceled", "b": "canceled"}
    assert resumed.is_finished()
    assert not resumed.is_active()


def test_requeue_interrupted_is_only_for_fresh_restores() -> None:
    wf = W(J("a"))
    s = Scheduler(wf)
    with pytest.raises(
        SchedulerError, match=r"^requeue_interrupted\(\) must be called on a restored"
    ):
        s.requeue_interrupted()
    restored = Scheduler.restore(wf, s.snapshot())
    restored.get_ready()
    with pytest.raises(SchedulerError, match=r"^requeue_interrupted\(\) must be called"):
        restored.requeue_interrupted()


def test_restore_completes_a_cascade_the_snapshot_missed() -> None:
    """A runner may persist a job's outcome before the scheduler's consequences."""
    wf = W(J("a"), J("b", ["a"]), J("c", ["b"]), J("d", {"c": "not_run"}))
    snap = {
        "version": 1,
        "workflow": "main",
        "statuses": {"a": "failed", "b": "blocked", "c": "blocked", "d": "blocked"},
        "approvers": [],
        "handed_out": ["a"],
        "canceled": False,
    }
    s = Scheduler.restore(wf, snap)
    assert s.statuses() == {"a": "failed", "b": "not_run", "c": "not_run", "d": "queued"}
    assert s.get_ready() == ("d",)


def _snap(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "version": 1,
        "workflow": "main",
        "statuses": {"build": "success", "hold": "on_hold", "deploy": "blocked"},
        "approvers": [],
        "handed_out": ["build"],
        "canceled": False,
    }
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("snapshot", "message"),
    [
        (_snap(version=2), "unsupported snapshot version 2 (expected 1)"),
        (_snap(workflow="other"), "snapshot is of workflow 'other', not 'main'"),
        (_snap(statuses=None), "snapshot has no 'statuses' mapping"),
        (
            _snap(
                statuses={
                    "build": "success",
                    "hold": "on_hold",
                    "deploy": "blocked",
                    "x": "success",
                }
            ),
            "snapshot names jobs that are not in workflow 'main': 'x'",
        ),
        (
            _snap(statuses={"build": "success", "hold": "on_hold"}),
            "snapshot lacks the status of: 'deploy'",
        ),
        (
            _snap(statuses={"build": "done", "hold": "on_hold", "deploy": "blocked"}),
            "snapshot gives job 'build' unknown status 'done'",
        ),
        (_snap(handed_out=["nope"]), "snapshot 'handed_out' names unknown job 'nope'"),
        (_snap(handed_out="build"), "snapshot 'handed_out' must be a list of job names"),
        (
            _snap(approvers=[["build", "al"]]),
            "snapshot records an approver for 'build', which is not an approved approval job",
        ),
        (
            _snap(approvers=[["hold"]]),
            "snapshot approver entry ['hold'] is not a [job, actor] pair",
        ),
        (_snap(approvers={}), "snapshot 'approvers' must be a list of [job, actor] pairs"),
        (_snap(canceled="no"), "snapshot 'canceled' must be true or false"),
        (
            _snap(handed_out=[]),
            "snapshot is inconsistent: job 'build' is success, which a build job that was never "
            "handed out cannot be",
        ),
        (
            _snap(handed_out=["build", "hold"]),
            "snapshot is inconsistent: job 'hold' is on_hold, which a approval job that was "
            "handed out cannot be",
        ),
        (
            _snap(statuses={"build": "running", "hold": "on_hold", "deploy": "blocked"}),
            "snapshot is inconsistent: job 'hold' is on_hold but its requirement 'build' is "
            "not terminal",
        ),
        (
            _snap(statuses={"build": "failed", "hold": "on_hold", "deploy": "blocked"}),
            "snapshot is inconsistent: job 'hold' is on_hold but one of its requirements ended in "
            "a status it does not accept",
        ),
        (
            _snap(statuses={"build": "success", "hold": "not_run", "deploy": "not_run"}),
            "snapshot is inconsistent: job 'hold' is not_run but all its requirements were met",
        ),
        (
            _snap(canceled=True),
            "snapshot is inconsistent: job 'hold' is on_hold in a canceled workflow",
        ),
        (
            _snap(statuses={"build": "success", "hold": "on_hold", "deploy": "canceled"}),
            "snapshot is inconsistent: job 'deploy' is canceled but was never handed out and the "
            "workflow was not canceled",
        ),
    ],
)
def test_restore_rejects_bad_snapshots(snapshot: dict[str, object], message: str) -> None:
    wf = W(J("build"), J("hold", ["build"], type="approval"), J("deploy", ["hold"]))
    Scheduler.restore(wf, _snap())  # the base snapshot is valid
    with pytest.raises(SchedulerError, match="^" + _re(message) + "$"):
        Scheduler.restore(wf, snapshot)


def test_restore_rejects_a_non_mapping() -> None:
    with pytest.raises(SchedulerError, match=r"^snapshot must be a mapping, not list$"):
        Scheduler.restore(W(J("a")), [])  # type: ignore[arg-type]


# ---------------------------------------------------------------- reruns (R8)


def test_rerun_from_failed_keeps_successes_and_reholds_downstream_approval() -> None:
    wf = W(
        J("build"),
        J("lint"),
        J("test", ["build"]),
        J("hold", ["test"], type="approval"),
        J("deploy", ["hold"]),
        J("docs", ["lint"]),
    )
    s = Scheduler(wf)
    drive(s, {"test": "failed"})
    assert s.workflow_status() is WorkflowStatus.FAILED
    assert statuses(s, ["hold", "deploy"]) == ["not_run", "not_run"]

    r = rerun_from_failed(wf, s.snapshot())
    assert r.statuses() == {
        "build": "success",
        "lint": "success",
        "test": "queued",
        "hold": "blocked",
        "deploy": "blocked",
        "docs": "success",
    }
    assert drive(r) == [("test",)]
    assert r.waiting_for_approval() == ("hold",)
    assert r.workflow_status() is WorkflowStatus.ON_HOLD
    r.approve("hold", "bob")
    assert drive(r) == [("deploy",)]
    assert r.workflow_status() is WorkflowStatus.SUCCESS
    # the rerun's own snapshot restores
    assert Scheduler.restore(wf, r.snapshot()).statuses() == r.statuses()


def test_rerun_from_failed_keeps_approved_approvals_with_their_approver() -> None:
    wf = W(J("hold", type="approval"), J("deploy", ["hold"]), J("verify", ["deploy"]))
    s = Scheduler(wf)
    s.approve("hold", "alice")
    drive(s, {"deploy": "unauthorized"})
    r = rerun_from_failed(wf, s.snapshot())
    assert r.statuses() == {"hold": "success", "deploy": "queued", "verify": "blocked"}
    assert r.approver("hold") == "alice"
    assert r.actor_for("deploy", "pusher") == "alice"
    assert r.snapshot()["approvers"] == [["hold", "alice"]]


def test_rerun_from_failed_reruns_successes_downstream_of_a_failure() -> None:
    wf = W(J("release"), J("rollback", {"release": "failed"}), J("final", {"rollback": "terminal"}))
    s = Scheduler(wf)
    drive(s, {"release": "failed"})
    assert s.status("rollback") is JobStatus.SUCCESS
    r = rerun_from_failed(wf, s.snapshot())
    assert r.statuses() == {"release": "queued", "rollback": "blocked", "final": "blocked"}
    drive(r)
    assert r.statuses() == {"release": "success", "rollback": "not_run", "final": "success"}


def test_rerun_from_failed_after_cancel_and_reject() -> None:
    wf = W(J("a"), J("hold", type="approval"), J("b", ["hold"]), J("c", ["a"]))
    s = Scheduler(wf)
    s.get_ready()
    s.done("a", "success")
    s.reject("hold")
    drive(s)
    assert s.workflow_status() is WorkflowStatus.CANCELED
    r = rerun_from_failed(wf, s.snapshot())
    assert r.statuses() == {"a": "success", "hold": "on_hold", "b": "blocked", "c": "success"}


def test_rerun_of_a_successful_workflow_is_already_finished() -> None:
    wf = W(J("a"))
    s = Scheduler(wf)
    drive(s)
    r = rerun_from_failed(wf, s.snapshot())
    assert r.is_finished()
    assert r.workflow_status() is WorkflowStatus.SUCCESS


def test_rerun_requires_a_terminal_workflow() -> None:
    wf = W(J("a"), J("hold", type="approval"))
    s = Scheduler(wf)
    drive(s)  # hold is still on_hold
    with pytest.raises(SchedulerError, match=r"^Workflow must be in a terminal state to be rerun$"):
        rerun_from_failed(wf, s.snapshot())
    with pytest.raises(SchedulerError, match=r"^Workflow must be in a terminal state to be rerun$"):
        rerun_all(wf, s.snapshot())


def test_rerun_all_starts_over() -> None:
    wf = W(J("a"), J("hold", ["a"], type="approval"), J("b", ["hold"]))
    s = Scheduler(wf)
    drive(s)
    s.approve("hold", "alice")
    drive(s)
    for r in (rerun_all(wf), rerun_all(wf, s.snapshot())):
        assert r.statuses() == {"a": "queued", "hold": "blocked", "b": "blocked"}
        assert r.approver("hold") is None


# -- skip: a handed-out job the host does not run (issue 11: unavailable orbs) -------------------

def test_skip_ends_a_job_not_run_and_its_dependents_follow_the_requires_rules() -> None:
    s = Scheduler(W(J("a"), J("b", ["a"]), J("c", {"a": ["not_run"]}), J("d", {"a": "terminal"}),
                    J("e")))
    assert s.get_ready() == ("a", "e")
    s.skip("a")
    assert s.status("a") == "not_run" and s.status("b") == "not_run"
    assert s.get_ready() == ("c", "d")
    for job in ("c", "d", "e"):
        s.start(job)
        s.done(job, "success")
    assert s.is_finished() and s.workflow_status() == "success"
    restored = Scheduler.restore(s.workflow, s.snapshot())
    assert restored.statuses() == s.statuses()


def test_skip_is_only_for_a_handed_out_job_not_yet_started() -> None:
    s = Scheduler(W(J("a"), J("b", ["a"])))
    with pytest.raises(SchedulerError, match=r"^job 'a' was not handed out by get_ready"):
        s.skip("a")
    s.get_ready()
    s.start("a")
    with pytest.raises(SchedulerError, match=r"^job 'a' was started; report its outcome"):
        s.skip("a")
    with pytest.raises(SchedulerError, match=r"^job 'x' is not a job of workflow 'main'$"):
        s.skip("x")
