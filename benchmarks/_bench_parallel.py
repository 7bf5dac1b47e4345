"""One job with ``parallelism: N`` against N separate jobs doing the same work.

Both workflows run through the real Runner, the SubprocessExecutor and the SQLite run store
with ``N`` slots, every node/job ``sleep``-ing the same time. A parallel job pays a little
more bookkeeping than N jobs (one transition per node start and end, the combined log), but
its nodes must run side by side like the jobs do: the ratio ``wall(parallel job) ÷ wall(N
jobs)`` must stay ≤ :data:`RATIO_BUDGET`. Each side is the best of ``repeat`` runs, so one
slow process start on a busy machine does not decide it.

    .venv/bin/python benchmarks/_bench_parallel.py [--nodes 4] [--sleep 0.5] [--repeat 3]

``measure_parallel_vs_jobs()`` returns the figures for ``bench_run.py``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from workflowcore.config import load
from workflowcore.planning import Trigger, plan
from workflowcore.planning.plan import PlannedWorkflow
from workflowcore.runtime.executors import SubprocessExecutor
from workflowcore.runtime.runner import Runner
from workflowcore.runtime.stores import FileSystemWorkspaceStore, SQLiteRunStore

RATIO_BUDGET = 1.1


def _planned(text: str) -> PlannedWorkflow:
    [workflow] = plan(load(text, "bench.yml"), Trigger(branch="main")).workflows
    return workflow


def parallel_config(nodes: int, sleep: float) -> str:
    """One job ``p`` with ``parallelism: nodes``."""
    return ("version: 2.1\njobs:\n  p:\n    docker: [{image: cimg/base:stable}]\n"
            f"    parallelism: {nodes}\n    steps:\n      - run: sleep {sleep}\n"
            "workflows:\n  par:\n    jobs: [p]\n")


def jobs_config(nodes: int, sleep: float) -> str:
    """``nodes`` independent invocations of the same one-node job."""
    calls = "\n".join(f"      - s: {{name: j{i}}}" for i in range(nodes))
    return ("version: 2.1\njobs:\n  s:\n    docker: [{image: cimg/base:stable}]\n"
            f"    steps:\n      - run: sleep {sleep}\nworkflows:\n  sep:\n    jobs:\n{calls}\n")


def _wall(tmp: Path, workflow: PlannedWorkflow, slots: int) -> float:
    tmp.mkdir(parents=True)
    with SQLiteRunStore(tmp / "runs.sqlite") as store, \
            SubprocessExecutor(tmp / "jobs", None) as executor:
        runner = Runner(executor, store, workspace=FileSystemWorkspaceStore(tmp / "ws"),
                        max_parallel=slots)
        t0 = time.perf_counter()
        [record] = runner.run([workflow], actor="bench")
        wall = time.perf_counter() - t0
    if record.status != "success":
        raise SystemExit(f"workflow {workflow.name} ended {record.status}")
    return wall


def measure_parallel_vs_jobs(nodes: int = 4, sleep: float = 0.5,
                             repeat: int = 3) -> Dict[str, Any]:
    """Best wall time of one ``parallelism: nodes`` job and of ``nodes`` separate jobs
    (``nodes`` slots each), and their ratio; prints them and returns them as a dict with
    ``ok`` (ratio within :data:`RATIO_BUDGET`)."""
    tmp = Path(tempfile.mkdtemp(prefix="wfc-bench-parallel-"))
    try:
        parallel = _planned(parallel_config(nodes, sleep))
        separate = _planned(jobs_config(nodes, sleep))
        t_par: List[float] = []
        t_sep: List[float] = []
        for i in range(repeat):  # interleaved, so machine load hits both alike
            t_sep.append(_wall(tmp / f"sep-{i}", separate, nodes))
            t_par.append(_wall(tmp / f"par-{i}", parallel, nodes))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best_par, best_sep = min(t_par), min(t_sep)
    ratio = best_par / best_sep
    print(f"parallelism: {nodes} job vs {nodes} jobs (sleep {sleep}s each, {nodes} slots, "
          f"best of {repeat})")
    print(f"  {f'{nodes} separate jobs':<39}: {best_sep:8.3f} s")
    print(f"  {f'one job of {nodes} nodes':<39}: {best_par:8.3f} s")
    print(f"  {'ratio parallel job / separate jobs':<39}: {ratio:8.3f}  "
          f"(budget {RATIO_BUDGET})")
    return {"nodes": nodes, "sleep": sleep, "parallel_job": best_par,
            "separate_jobs": best_sep, "ratio": ratio, "budget": RATIO_BUDGET,
            "ok": ratio <= RATIO_BUDGET}


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--nodes", type=int, default=4, help="parallelism / number of jobs")
    parser.add_argument("--sleep", type=float, default=0.5, help="seconds each node sleeps")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best taken")
    args = parser.parse_args(argv)
    result = measure_parallel_vs_jobs(args.nodes, args.sleep, args.repeat)
    print(f"parallel ratio budget {RATIO_BUDGET}: {'OK' if result['ok'] else 'EXCEEDED'}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
