"""The Dask executor on a real cluster of worker processes: overhead, parallelism, transfers.

One cluster of two worker processes × two threads (``SpecCluster`` with ``Nanny`` workers,
like ``LocalCluster``, but each worker declares a resource of its own so jobs can be pinned
to one of them), and three measurements, each against a local baseline taken in the same run:

1. **Per-job overhead**: ``--jobs`` jobs of one ``run: true`` step, run one at a time by the
   real Runner (SQLite state), with the Dask executor and with the local subprocess executor;
   the difference per job must stay ≤ 30 ms (the script exits 1 otherwise).
2. **Parallel efficiency**: 8 × ``sleep 2`` jobs on the 4 slots; the ideal is
   ``8 / 4 × 2 s``; ``wall ÷ ideal`` must stay ≤ 1.15.
3. **Layer transfer**: a job pinned to worker A persists a ``--mb`` MB tree (files of mixed
   sizes, incompressible); a job pinned to worker B attaches it (the bytes move worker to
   worker). Reported in MB/s for each side (A: persist, hand over, import into the run's
   store on this machine; B: transfer and unpack), against a local ``tar -cf`` + ``tar -xf``
   of the same tree.

    .venv/bin/python benchmarks/bench_dask.py [--jobs 40] [--mb 64]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from distributed import Client, Nanny, Scheduler, SpecCluster

from workflowcore.config import load
from workflowcore.planning import Trigger, plan
from workflowcore.planning.plan import PlannedWorkflow
from workflowcore.runtime.events import Event, JobFinished, JobStarted
from workflowcore.runtime.executor import Executor
from workflowcore.runtime.executors import SubprocessExecutor
from workflowcore.runtime.executors.dask import DaskExecutor
from workflowcore.runtime.runner import Runner
from workflowcore.runtime.stores import FileSystemWorkspaceStore, SQLiteRunStore

OVERHEAD_BUDGET_MS = 30.0
RATIO_BUDGET = 1.15
SLOTS = 4  # 2 workers x 2 threads


def planned(config: str) -> PlannedWorkflow:
    [workflow] = plan(load(config, "config.yml"), Trigger(branch="main")).workflows
    return workflow


def independent(n: int, command: str) -> str:
    lines = ["version: 2.1", "jobs:", "  j:", "    docker: [{image: cimg/base:stable}]",
             f"    steps: [{{run: {command!r}}}]", "workflows:", "  w:", "    jobs:"]
    lines += [f"      - j: {{name: j{i}}}" for i in range(n)]
    return "\n".join(lines) + "\n"


TRANSFER = """
version: 2.1
jobs:
  produce:
    docker: [{image: cimg/base:stable}]
    resource_class: pin-a
    steps:
      - run: cp -r "@DATA@" ~/data
      - persist_to_workspace: {root: ~/data, paths: [.]}
  consume:
    docker: [{image: cimg/base:stable}]
    resource_class: pin-b
    steps:
      - attach_workspace: {at: ~/got}
      - run: du -sm ~/got | cut -f1
workflows:
  w:
    jobs: [produce, {consume: {requires: [produce]}}]
"""


def run(executor: Executor, workflow: PlannedWorkflow, tmp: Path, *,
        max_parallel: int) -> Tuple[float, Dict[str, float], str]:
    """Wall time, each job's duration (JobStarted to JobFinished), the workflow's status."""
    times: Dict[str, float] = {}
    durations: Dict[str, float] = {}

    def on_event(event: Event) -> None:
        if isinstance(event, JobStarted):
            times[event.job] = time.monotonic()
        elif isinstance(event, JobFinished):
            durations[event.job] = time.monotonic() - times[event.job]

    store = SQLiteRunStore(tmp / "runs.sqlite")
    runner = Runner(executor, store, workspace=FileSystemWorkspaceStore(tmp / "workspace"),
                    max_parallel=max_parallel, on_event=on_event, poll_interval=0.02)
    started = time.monotonic()
    [record] = runner.run([workflow])
    wall = time.monotonic() - started
    store.close()
    return wall, durations, str(record.status)


def make_tree(root: Path, mb: int) -> int:
    """``mb`` MB of incompressible files: many small, some medium, a few large."""
    root.mkdir(parents=True)
    total, target, i = 0, mb * 1024 * 1024, 0
    sizes = [4 * 1024] * 16 + [256 * 1024] * 4 + [4 * 1024 * 1024]
    while total < target:
        size = min(sizes[i % len(sizes)], target - total)
        sub = root / f"d{i % 8}"
        sub.mkdir(exist_ok=True)
        (sub / f"f{i}.bin").write_bytes(os.urandom(size))
        total, i = total + size, i + 1
    return total


def tar_baseline(tree: Path, tmp: Path) -> float:
    archive, out = tmp / "baseline.tar", tmp / "baseline-out"
    out.mkdir()
    started = time.monotonic()
    subprocess.run(["tar", "-cf", str(archive), "-C", str(tree), "."], check=True)
    subprocess.run(["tar", "-xf", str(archive), "-C", str(out)], check=True)
    return time.monotonic() - started


def cluster() -> SpecCluster:
    def worker(pin: str) -> Dict[str, Any]:
        return {"cls": Nanny, "options": {"nthreads": 2, "resources": {pin: 1},
                                          "dashboard_address": None}}

    return SpecCluster(scheduler={"cls": Scheduler, "options": {"dashboard_address": None}},
                       workers={"a": worker("pin-a"), "b": worker("pin-b")})


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=40, help="jobs for the overhead measurement")
    ap.add_argument("--mb", type=int, default=64, help="MB of the transferred layer")
    args = ap.parse_args(argv)
    ok = True
    base = Path(tempfile.mkdtemp(prefix="wfc-bench-dask-"))
    try:
        with cluster() as spec, Client(spec) as client:
            client.wait_for_workers(2)
            executor = DaskExecutor(client)
            # warm-up: each worker imports workflowcore once
            run(executor, planned(independent(4, "true")), base / "warm", max_parallel=4)

            # 1. per-job overhead, one job at a time
            chain = planned(independent(args.jobs, "true"))
            local_wall, _, _ = run(SubprocessExecutor(base / "jobs"), chain, base / "local",
                                   max_parallel=1)
            dask_wall, _, status = run(executor, chain, base / "dask", max_parallel=1)
            per_local = local_wall / args.jobs * 1000
            per_dask = dask_wall / args.jobs * 1000
            overhead = per_dask - per_local
            verdict = "ok" if overhead <= OVERHEAD_BUDGET_MS and status == "success" else "FAIL"
            ok &= verdict == "ok"
            print(f"per-job overhead: local {per_local:.1f} ms/job, dask {per_dask:.1f} ms/job "
                  f"-> +{overhead:.1f} ms/job on Dask (budget {OVERHEAD_BUDGET_MS:g}) "
                  f"[{verdict}]")

            # 2. parallel efficiency: 8 x sleep 2 on 4 slots
            wall, _, status = run(executor, planned(independent(8, "sleep 2")),
                                  base / "parallel", max_parallel=8)
            ideal = 8 / SLOTS * 2.0
            ratio = wall / ideal
            verdict = "ok" if ratio <= RATIO_BUDGET and status == "success" else "FAIL"
            ok &= verdict == "ok"
            print(f"parallel efficiency: 8 x sleep 2 on {SLOTS} slots in {wall:.2f}s, ideal "
                  f"{ideal:.2f}s -> wall/ideal {ratio:.3f} (budget {RATIO_BUDGET}) [{verdict}]")

            # 3. a layer from worker A to worker B
            tree = base / "tree"
            size = make_tree(tree, args.mb) / (1024 * 1024)
            tar_s = tar_baseline(tree, base)
            _, jobs, status = run(executor, planned(TRANSFER.replace("@DATA@", str(tree))),
                                  base / "transfer", max_parallel=2)
            if status != "success":
                ok = False
                print(f"layer transfer: the workflow ended {status} [FAIL]")
            else:
                print(f"layer transfer ({size:.0f} MB): worker A persist + hand over + import "
                      f"{size / jobs['produce']:.0f} MB/s ({jobs['produce']:.2f}s); worker B "
                      f"transfer + attach {size / jobs['consume']:.0f} MB/s "
                      f"({jobs['consume']:.2f}s); local tar -cf + tar -xf "
                      f"{size / tar_s:.0f} MB/s ({tar_s:.2f}s)")
            executor.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
