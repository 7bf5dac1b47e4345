"""Planning cost of :func:`workflowcore.planning.plan_compiled` / :func:`workflowcore.plan`
against ``graphlib.TopologicalSorter(...).static_order()`` on the same graph.

Builds one seeded random DAG (default 10,000 jobs, 30,000 edges; edges mostly from the
recent past, some long-range), then times in the same process, best of ``--repeat``:

* ``graphlib``: ``TopologicalSorter(graph)`` + ``list(static_order())`` — the baseline;
* ``plan_compiled`` on 2.0-shaped data built directly as a dict, three ways: jobs listed in
  topological order (as configs are written), the same graph listed in a shuffled order
  (the planner must sort), and with branch filters on half of the root jobs so exclusions
  cascade through the graph;
* ``plan()`` on a 2.1 config text of the same graph, loaded once (load time printed apart):
  of the loaded config (which reuses the compile ``load`` did, nothing in it depending on
  the trigger), of the same data given plain (compiled for the trigger), and of the config
  with a ``pipeline.`` reference in a comment (so compiled again).

Prints milliseconds and the ratio to graphlib. The target is a ratio of at most 5 for
``plan_compiled``; the script exits 1 when it is exceeded so it can gate CI.

    .venv/bin/python benchmarks/bench_plan.py [--jobs 10000] [--edges 30000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable

import graphlib

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _gen import random_dag

from workflowcore.config import load
from workflowcore.planning import Trigger, plan, plan_compiled

TARGET_RATIO = 5.0


JOB_BODY = {"docker": [{"image": "cimg/base:stable"}], "steps": ["checkout"]}


def compiled_data(graph: dict[str, list[str]], order: list[str],
                  filtered: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The processed (2.0-shaped) config the compiler would produce for ``graph``."""
    items: list[Any] = []
    for name in order:
        args: dict[str, Any] = {}
        if graph[name]:
            args["requires"] = graph[name]
        if name in filtered:
            args["filters"] = {"branches": {"only": ["release"]}}
        items.append({name: args} if args else name)
    return {"version": 2, "jobs": dict.fromkeys(graph, JOB_BODY),
            "workflows": {"version": 2, "big": {"jobs": items}}}


def config_text(graph: dict[str, list[str]]) -> str:
    out = ["version: 2.1", "jobs:"]
    for name in graph:
        out += [f"  {name}:", "    docker: [{image: cimg/base:stable}]", "    steps: [checkout]"]
    out += ["workflows:", "  big:", "    jobs:"]
    for name, reqs in graph.items():
        if reqs:
            out.append(f"      - {name}: {{requires: [{', '.join(reqs)}]}}")
        else:
            out.append(f"      - {name}")
    return "\n".join(out) + "\n"


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--edges", type=int, default=30_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)

    graph = random_dag(args.jobs, args.edges, args.seed)
    names = list(graph)
    shuffled = names[:]
    random.Random(args.seed).shuffle(shuffled)
    roots = [n for n in names if not graph[n]]
    filtered = frozenset(random.Random(args.seed).sample(roots, max(1, len(roots) // 2)))
    trigger = Trigger(branch="main")

    in_order = compiled_data(graph, names)
    out_of_order = compiled_data(graph, shuffled)
    with_filters = compiled_data(graph, names, filtered)
    text = config_text(graph)

    t_graphlib = best(lambda: list(graphlib.TopologicalSorter(graph).static_order()),
                      args.repeat)
    t_sorted = best(lambda: plan_compiled(in_order, trigger), args.repeat)
    t_shuffled = best(lambda: plan_compiled(out_of_order, trigger), args.repeat)
    t_filters = best(lambda: plan_compiled(with_filters, trigger), args.repeat)
    t0 = time.perf_counter()
    loaded = load(text, "bench.yml")
    t_load = time.perf_counter() - t0
    assert not loaded.errors, loaded.errors[:3]
    t_plan = best(lambda: plan(loaded, trigger), max(1, args.repeat // 2))
    # the same config given as plain data: compiled for the trigger every time
    t_fresh = best(lambda: plan(loaded.data, trigger), max(1, args.repeat // 2))
    # a pipeline value referenced in a comment: load's compile may not be reused
    dependent = load(text.replace("jobs:", "# pipeline.git.branch\njobs:", 1), "bench.yml")
    t_dependent = best(lambda: plan(dependent, trigger), max(1, args.repeat // 2))

    # the figures are about real plans: check them once
    p = plan_compiled(with_filters, trigger).workflows[0]
    assert len(plan_compiled(in_order, trigger).workflows[0].jobs) == args.jobs
    assert [j.name for j in plan_compiled(out_of_order, trigger).workflows[0].jobs] != \
        shuffled
    assert len(plan(loaded, trigger).workflows[0].jobs) == args.jobs

    edges = sum(len(r) for r in graph.values())
    print(f"graph: {args.jobs} jobs, {edges} edges (seed {args.seed}); best of {args.repeat}")
    print(f"{'graphlib static_order':<38}{t_graphlib * 1e3:9.1f} ms   1.00x")
    rows = [
        ("plan_compiled, config order", t_sorted),
        ("plan_compiled, shuffled listing", t_shuffled),
        (f"plan_compiled, {len(p.excluded)} excluded by filters", t_filters),
        ("plan(loaded): reuses load's compile", t_plan),
        ("plan(data): 2.1 compile + plan", t_fresh),
        ("plan(loaded), trigger-dependent", t_dependent),
    ]
    for label, t in rows:
        print(f"{label:<38}{t * 1e3:9.1f} ms {t / t_graphlib:6.2f}x")
    print(f"{'(load of the 2.1 text, not timed above)':<38}{t_load * 1e3:9.1f} ms")
    worst = max(t_sorted, t_shuffled, t_filters) / t_graphlib
    if worst > TARGET_RATIO:
        print(f"FAIL: plan_compiled is {worst:.2f}x graphlib (target ≤ {TARGET_RATIO}x)")
        return 1
    print(f"ok: plan_compiled ≤ {worst:.2f}x graphlib (target ≤ {TARGET_RATIO}x)")
    if t_plan / t_graphlib > TARGET_RATIO:
        print(f"FAIL: plan() of the loaded config is {t_plan / t_graphlib:.2f}x graphlib "
              f"(target ≤ {TARGET_RATIO}x)")
        return 1
    print(f"ok: plan() of the loaded config {t_plan / t_graphlib:.2f}x graphlib "
          f"(target ≤ {TARGET_RATIO}x; a config that can see the trigger is compiled again: "
          f"{t_dependent / t_graphlib:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
