"""Property tests for the scheduler on random DAGs with random outcomes.

Every case fixes, up front, what each job would report (and whether each approval is approved
or rejected). The final statuses are then fully determined by R2.3/R4.3, whatever order the
jobs are driven in, so each test drives the scheduler in a random order and compares with a
tiny reference evaluator written straight from the rules.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

import workflowcore
from workflowcore.planning.plan import TERMINAL_STATUSES, PlannedJob, PlannedWorkflow
from workflowcore.runtime.scheduler import Scheduler, rerun_from_failed
from workflowcore.runtime.status import JobStatus, WorkflowStatus

OUTCOMES = ("success", "failed", "canceled", "unauthorized")
ACCEPTED = (
    ("success",),
    ("success",),
    ("success",),
    ("failed",),
    ("failed", "canceled"),
    ("terminal",),
    ("not_run",),
    ("success", "not_run"),
    ("canceled", "unauthorized"),
)
TYPES = ("build", "build", "build", "approval", "no-op", "release")


@dataclass(frozen=True)
class Case:
    workflow: PlannedWorkflow
    outcome: dict[str, str]  # build-like jobs: what done() reports
    approve: dict[str, bool]  # approvals: approve (True) or reject (False)


@st.composite
def cases(draw: st.DrawFn, max_jobs: int = 18) -> Case:
    n = draw(st.integers(min_value=1, max_value=max_jobs))
    names = [f"j{i}" for i in range(n)]
    jobs = []
    outcome: dict[str, str] = {}
    approve: dict[str, bool] = {}
    for i, name in enumerate(names):
        parents = draw(st.sets(st.integers(0, i - 1), max_size=min(i, 4))) if i else set()
        requires = {names[p]: draw(st.sampled_from(ACCEPTED)) for p in sorted(parents)}
        job_type = draw(st.sampled_from(TYPES))
        jobs.append(PlannedJob(name=name, job=name, type=job_type, requires=requires))
        if job_type == "approval":
            approve[name] = draw(st.booleans())
        elif job_type != "no-op":
            outcome[name] = draw(st.sampled_from(OUTCOMES))
    wf = PlannedWorkflow(name="w", runs=True, jobs=tuple(jobs))
    return Case(wf, outcome, approve)


def accepts(accepted: tuple[str, ...], status: str) -> bool:
    return status in accepted or "terminal" in accepted


def reference(case: Case) -> dict[str, str]:
    """Final statuses straight from R2.3.2/R4.3.3, in plan (topological) order."""
    final: dict[str, str] = {}
    for job in case.workflow.jobs:
        if not all(accepts(acc, final[r]) for r, acc in job.requires.items()):
            final[job.name] = "not_run"
        elif job.type == "approval":
            final[job.name] = "success" if case.approve[job.name] else "canceled"
        elif job.type == "no-op":
            final[job.name] = "success"
        else:
            final[job.name] = case.outcome[job.name]
    return final


def reference_workflow_status(final: dict[str, str]) -> WorkflowStatus:
    values = set(final.values())
    for status in ("canceled", "failed", "unauthorized"):
        if status in values:
            return WorkflowStatus(status)
    return WorkflowStatus.SUCCESS


def assert_requirements_met(s: Scheduler, job: PlannedJob) -> None:
    for req, acc in job.requires.items():
        st_ = s.status(req)
        assert st_.is_terminal, f"{job.name} released while {req} is {st_}"
        assert accepts(acc, st_.value), f"{job.name} released although {req} is {st_}"


def run(
    case: Case,
    rnd: random.Random,
    *,
    on_step: Callable[[Scheduler, list[str]], Scheduler] | None = None,
) -> tuple[Scheduler, list[str]]:
    """Drive ``case`` to the end in a random order; return the scheduler and hand-out log.

    Checks, at every step, the invariants that must hold whatever the order.
    """
    wf = case.workflow
    order = {job.name: i for i, job in enumerate(wf.jobs)}
    s = Scheduler(wf)
    handed: list[str] = []
    inflight: list[str] = []
    steps = 0
    limit = 4 * len(wf.jobs) + 10
    while not s.is_finished():
        steps += 1
        assert steps <= limit, "the run does not end"
        if on_step is not None:
            s = on_step(s, inflight)
        waiting = s.waiting_for_approval()
        for name in waiting:
            assert_requirements_met(s, wf.job(name))
        if not s.is_active() or (waiting and rnd.random() < 0.3):
            assert waiting, "inactive and unfinished, yet no approval is waiting"
            name = rnd.choice(waiting)
            if case.approve[name]:
                s.approve(name, f"approver-of-{name}")
            else:
                s.reject(name)
            continue
        batch = s.get_ready()
        positions = [order[name] for name in batch]
        assert positions == sorted(positions), "a batch is not in plan order"
        for name in batch:
            assert name not in handed, f"{name} handed out twice"
            assert wf.job(name).type not in ("approval", "no-op")
            assert s.status(name) is JobStatus.QUEUED
            assert_requirements_met(s, wf.job(name))
            handed.append(name)
            inflight.append(name)
        if inflight:
            name = inflight.pop(rnd.randrange(len(inflight)))
            if rnd.random() < 0.7:
                s.start(name)
            s.done(name, case.outcome[name])
    assert not s.is_active()
    assert s.get_ready() == ()
    return s, handed


@settings(max_examples=300, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**32 - 1))
def test_random_runs_match_the_rules(case: Case, seed: int) -> None:
    s, handed = run(case, random.Random(seed))
    final = reference(case)
    assert {k: v.value for k, v in s.statuses().items()} == final
    assert all(st_.is_terminal for st_ in s.statuses().values())
    assert s.workflow_status() is reference_workflow_status(final)
    # handed out exactly the build-like jobs whose requirements were met
    assert sorted(handed) == sorted(n for n in case.outcome if final[n] != "not_run")
    # not_run jobs have an unmet requirement, never a missing one
    for job in case.workflow.jobs:
        if final[job.name] == "not_run":
            assert any(not accepts(a, final[r]) for r, a in job.requires.items())


@settings(max_examples=150, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**32 - 1))
def test_snapshot_round_trips_at_every_step(case: Case, seed: int) -> None:
    def round_trip(s: Scheduler, inflight: list[str]) -> Scheduler:
        snap = s.snapshot()
        restored = Scheduler.restore(case.workflow, json.loads(json.dumps(snap)))
        assert restored.snapshot() == snap
        assert restored.workflow_status() is s.workflow_status()
        assert restored.is_active() == s.is_active()
        # jobs queued but not handed out stay ready: move them over untouched
        return restored

    s, _ = run(case, random.Random(seed), on_step=round_trip)
    assert {k: v.value for k, v in s.statuses().items()} == reference(case)


@settings(max_examples=150, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**32 - 1), crash_at=st.integers(0, 40))
def test_resume_after_crash_reaches_the_same_end(case: Case, seed: int, crash_at: int) -> None:
    counter = {"steps": 0}

    def crash(s: Scheduler, inflight: list[str]) -> Scheduler:
        counter["steps"] += 1
        if counter["steps"] != crash_at:
            return s
        resumed = Scheduler.restore(case.workflow, json.loads(json.dumps(s.snapshot())))
        requeued = resumed.requeue_interrupted()
        assert sorted(requeued) == sorted(inflight)
        inflight.clear()  # the workers died with the process
        return resumed

    rnd = random.Random(seed)
    wf = case.workflow
    # run() forbids double hand-out; after a crash the requeued jobs legitimately come again
    s = Scheduler(wf)
    inflight: list[str] = []
    for _ in range(8 * len(wf.jobs) + 20):
        if s.is_finished():
            break
        s = crash(s, inflight)
        if not s.is_active():
            name = rnd.choice(s.waiting_for_approval())
            if case.approve[name]:
                s.approve(name, "x")
            else:
                s.reject(name)
            continue
        inflight.extend(s.get_ready())
        if inflight:
            name = inflight.pop(rnd.randrange(len(inflight)))
            s.done(name, case.outcome[name])
    assert s.is_finished()
    assert {k: v.value for k, v in s.statuses().items()} == reference(case)


@settings(max_examples=150, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**32 - 1), cancel_at=st.integers(1, 30))
def test_cancel_at_any_point_ends_the_run(case: Case, seed: int, cancel_at: int) -> None:
    rnd = random.Random(seed)
    wf = case.workflow
    s = Scheduler(wf)
    inflight: list[str] = []
    before: dict[str, JobStatus] = {}
    for step in range(8 * len(wf.jobs) + 20):
        if s.is_finished():
            break
        if step == cancel_at:
            before = s.statuses()
            running = s.cancel()
            assert sorted(running) == sorted(n for n in inflight if before[n] is JobStatus.RUNNING)
            inflight[:] = running
            assert s.get_ready() == ()
            assert s.waiting_for_approval() == ()
            assert s.workflow_status() is WorkflowStatus.CANCELED
            if s.is_finished():
                break
        if not s.is_active():
            name = rnd.choice(s.waiting_for_approval())
            s.approve(name, "x") if case.approve[name] else s.reject(name)
            continue
        for name in s.get_ready():
            s.start(name)
            inflight.append(name)
        name = inflight.pop(rnd.randrange(len(inflight)))
        s.done(name, "canceled" if before else case.outcome[name])
    assert s.is_finished()
    assert not s.is_active()
    if before:
        assert s.workflow_status() is WorkflowStatus.CANCELED
        for name, old in before.items():
            if old.is_terminal:
                assert s.status(name) is old  # cancel never rewrites history
            else:
                assert s.status(name) is JobStatus.CANCELED


@settings(max_examples=150, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**32 - 1))
def test_rerun_from_failed_only_reruns_what_did_not_succeed(case: Case, seed: int) -> None:
    first, _ = run(case, random.Random(seed))
    first_final = {k: v.value for k, v in first.statuses().items()}
    # second attempt: everything succeeds and every approval is approved
    r = rerun_from_failed(case.workflow, first.snapshot())
    tainted: set[str] = set()
    for job in case.workflow.jobs:
        if first_final[job.name] != "success" or any(req in tainted for req in job.requires):
            tainted.add(job.name)
    for name, status in r.statuses().items():
        if name in tainted:
            assert (
                not status.is_terminal
                or status is JobStatus.SUCCESS
                or (status is JobStatus.NOT_RUN)
            )
        else:
            assert status is JobStatus.SUCCESS
            if name in case.approve:
                assert r.approver(name) == first.approver(name)
    handed: list[str] = []
    rnd = random.Random(seed)
    while not r.is_finished():
        if not r.is_active():
            r.approve(rnd.choice(r.waiting_for_approval()), "again")
            continue
        for name in r.get_ready():
            handed.append(name)
            r.done(name, "success")
    assert set(handed) <= tainted
    assert len(handed) == len(set(handed))
    # kept jobs stay success; the rest follow the rules again, where everything succeeds
    expected: dict[str, str] = {}
    for job in case.workflow.jobs:
        met = all(accepts(a, expected[r]) for r, a in job.requires.items())
        expected[job.name] = "success" if job.name not in tainted or met else "not_run"
    assert {k: v.value for k, v in r.statuses().items()} == expected


def drive_deterministically(wf: PlannedWorkflow, outcome: dict[str, str]) -> list[list[str]]:
    """Hand-out batches of a run where every job reports at once, approvals approved."""
    s = Scheduler(wf)
    log: list[list[str]] = []
    while not s.is_finished():
        for name in s.waiting_for_approval():
            s.approve(name, "a")
        ready = s.get_ready()
        log.append(list(ready))
        for name in ready:
            s.done(name, outcome.get(name, "success"))
    return log


@settings(max_examples=150, deadline=None)
@given(case=cases(max_jobs=25), perm_seed=st.integers(0, 2**32 - 1))
def test_order_does_not_depend_on_requires_order(case: Case, perm_seed: int) -> None:
    """Shuffling how each ``requires`` mapping was built changes nothing observable."""
    rnd = random.Random(perm_seed)
    shuffled_jobs = []
    for job in case.workflow.jobs:
        items = list(job.requires.items())
        rnd.shuffle(items)
        shuffled_jobs.append(
            PlannedJob(name=job.name, job=job.job, type=job.type, requires=dict(items))
        )
    shuffled = PlannedWorkflow(name="w", runs=True, jobs=tuple(shuffled_jobs))
    assert drive_deterministically(case.workflow, case.outcome) == drive_deterministically(
        shuffled, case.outcome
    )


HASH_SEED_SCRIPT = r"""
import json, random
from workflowcore.planning.plan import PlannedJob, PlannedWorkflow
from workflowcore.runtime.scheduler import Scheduler
rnd = random.Random(1234)
names = [f"job-{i}" for i in range(300)]
jobs = []
for i, name in enumerate(names):
    # a set of names: its iteration order depends on PYTHONHASHSEED
    parents = {names[rnd.randrange(i)] for _ in range(rnd.randrange(4))} if i else set()
    accepted = {p: ("success", "failed") if rnd.random() < 0.2 else ("success",)
                for p in sorted(parents)}
    requires = {p: accepted[p] for p in parents}
    kind = "approval" if rnd.random() < 0.05 else "build"
    jobs.append(PlannedJob(name=name, job=name, type=kind, requires=requires))
s = Scheduler(PlannedWorkflow(name="w", runs=True, jobs=tuple(jobs)))
log = []
while not s.is_finished():
    for hold in s.waiting_for_approval():
        s.approve(hold, "a")
    ready = s.get_ready()
    log.append(ready)
    for name in ready:
        s.done(name, "failed" if sum(map(ord, name)) % 7 == 0 else "success")
print(json.dumps([log, s.snapshot(), s.workflow_status().value]))
"""


def test_order_does_not_depend_on_the_hash_seed() -> None:
    src = str(Path(workflowcore.__file__).resolve().parents[1])
    outputs = []
    for seed in ("0", "1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        proc = subprocess.run(
            [sys.executable, "-c", HASH_SEED_SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    log, snapshot, status = json.loads(outputs[0])
    assert sum(len(batch) for batch in log) > 100
    assert status in {"success", "failed"}
    assert set(snapshot["statuses"].values()) <= set(TERMINAL_STATUSES)
