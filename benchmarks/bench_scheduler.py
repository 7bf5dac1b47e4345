"""Scheduling overhead of :class:`workflowcore.runtime.scheduler.Scheduler` against graphlib.

Builds one seeded random DAG (default 10,000 jobs, 30,000 edges; every edge goes from an
earlier to a later job, so plan order is topological), then times in the same process:

* ``graphlib.TopologicalSorter``: ``add`` + ``prepare`` + the ``get_ready``/``done`` loop,
* ``graphlib.TopologicalSorter.static_order()`` (its fastest path),
* ``Scheduler``: construction + the ``get_ready`` → ``start`` → ``done(success)`` loop with
  instant completions (the per-job cost a runner pays on top of running the job),

and prints µs per job and the Scheduler/graphlib ratio. Each figure is the best of
``--repeat`` runs. The budget is 20 µs per job for the Scheduler loop; the script exits 1 when
it is exceeded so it can gate CI.

    .venv/bin/python benchmarks/bench_scheduler.py [--jobs 10000] [--edges 30000] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import graphlib

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _gen import random_dag

from workflowcore.planning.plan import PlannedJob, PlannedWorkflow
from workflowcore.runtime.scheduler import Scheduler

BUDGET_US_PER_JOB = 20.0


def to_workflow(graph: dict[str, list[str]]) -> PlannedWorkflow:
    jobs = tuple(
        PlannedJob(name=name, job=name, requires=dict.fromkeys(reqs, ("success",)))
        for name, reqs in graph.items()
    )
    return PlannedWorkflow(name="bench", runs=True, jobs=jobs)


def run_graphlib(graph: dict[str, list[str]]) -> int:
    ts: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name, reqs in graph.items():
        ts.add(name, *reqs)
    ts.prepare()
    count = 0
    while ts.is_active():
        ready = ts.get_ready()
        count += len(ready)
        ts.done(*ready)
    return count


def run_static_order(graph: dict[str, list[str]]) -> int:
    return sum(1 for _ in graphlib.TopologicalSorter(graph).static_order())


def run_scheduler(workflow: PlannedWorkflow) -> int:
    scheduler = Scheduler(workflow)
    count = 0
    while scheduler.is_active():
        for job in scheduler.get_ready():
            scheduler.start(job)
            scheduler.done(job, "success")
            count += 1
    if not scheduler.is_finished():
        raise SystemExit("scheduler did not finish the workflow")
    return count


def best_of(repeat: int, fn: Callable[[], int], expected: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        count = fn()
        elapsed = time.perf_counter() - t0
        if count != expected:
            raise SystemExit(f"{fn} handled {count} jobs, expected {expected}")
        best = min(best, elapsed)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--edges", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    graph = random_dag(args.jobs, args.edges, args.seed)
    workflow = to_workflow(graph)
    n: int = args.jobs
    t_graphlib = best_of(args.repeat, lambda: run_graphlib(graph), n)
    t_static = best_of(args.repeat, lambda: run_static_order(graph), n)
    t_sched = best_of(args.repeat, lambda: run_scheduler(workflow), n)
    t_init = best_of(args.repeat, lambda: len(Scheduler(workflow).statuses()), n)

    def us(t: float) -> float:
        return t / n * 1e6

    print(f"DAG: {n} jobs, {args.edges} edges, seed {args.seed}; best of {args.repeat} runs")
    print(f"graphlib add+prepare+get_ready/done loop : {us(t_graphlib):7.2f} µs/job")
    print(f"graphlib static_order                    : {us(t_static):7.2f} µs/job")
    print(f"Scheduler init+get_ready/start/done loop : {us(t_sched):7.2f} µs/job")
    print(f"  of which Scheduler construction        : {us(t_init):7.2f} µs/job")
    print(f"ratio Scheduler / graphlib loop          : {t_sched / t_graphlib:7.2f}x")
    print(f"ratio Scheduler / static_order           : {t_sched / t_static:7.2f}x")
    ok = us(t_sched) <= BUDGET_US_PER_JOB
    print(f"budget {BUDGET_US_PER_JOB:.0f} µs/job: {'OK' if ok else 'EXCEEDED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
