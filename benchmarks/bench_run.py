"""Running workflows locally: scheduling efficiency, per-job overhead, workspace throughput.

Three measurements in one run, each against a baseline taken in the same process:

1. **Fan-out/fan-in efficiency.** A workflow of ``sleep`` jobs, ``root → W jobs → join → W
   jobs → final`` (each ``--sleep`` seconds), run by the real Runner with the subprocess
   executor and the SQLite run store, with ``W`` parallel slots. The critical path is
   ``5 × sleep``; the ratio ``wall time ÷ critical path`` must stay ≤ 1.15 (the script exits
   1 otherwise), i.e. jobs start as soon as their own requirements are met and the runner,
   the store and the executor add little per level.
2. **Per-job overhead** of ``SubprocessExecutor.execute`` for a job with one ``run: true``
   step, against a bare ``subprocess.run`` of the same shell and command; and of the whole
   Runner (scheduler + SQLite transitions + executor) for a workflow of such jobs run one at
   a time.
3. **Workspace throughput**: ``persist_to_workspace`` + ``attach_workspace`` of a tree
   (``--mb`` MB in files of mixed sizes) through ``FileSystemWorkspaceStore``, in MB/s,
   against a bare ``tar -cf`` + ``tar -xf`` of the same tree.
4. **Parallelism**: one ``parallelism: 4`` job against 4 separate jobs doing the same work
   (``_bench_parallel.py``); wall-time ratio ≤ 1.1.
5. **The in-job ``circleci`` tool**: median ms per ``circleci tests split``/``glob`` call
   against spawning ``sh -c :`` (``_bench_jobtools.py``); ≤ 50 ms per call.

    .venv/bin/python benchmarks/bench_run.py [--width 8] [--sleep 0.5] [--jobs 40] [--mb 64]
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
from typing import Callable, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from workflowcore.config import load
from workflowcore.planning import Trigger, plan
from workflowcore.planning.plan import PlannedWorkflow
from workflowcore.runtime.executor import JobRequest
from workflowcore.runtime.executors import SubprocessExecutor
from workflowcore.runtime.runner import Runner
from workflowcore.runtime.steps import DEFAULT_SHELL
from workflowcore.runtime.stores import FileSystemWorkspaceStore, SQLiteRunStore

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_jobtools import measure_circleci_overhead
from _bench_jobtools import report as report_jobtools
from _bench_parallel import measure_parallel_vs_jobs

RATIO_BUDGET = 1.15


def fan_config(width: int, sleep: float) -> str:
    """``root → w1..wN → join → v1..vN → final``, every job ``sleep``-ing."""
    lines = ["version: 2.1", "jobs:", "  s:", "    docker: [{image: cimg/base:stable}]",
             "    steps:", f"      - run: sleep {sleep}", "workflows:", "  fan:", "    jobs:",
             "      - s: {name: root}"]
    lines += [f"      - s: {{name: w{i}, requires: [root]}}" for i in range(width)]
    lines.append("      - s: {name: join, requires: [" +
                 ", ".join(f"w{i}" for i in range(width)) + "]}")
    lines += [f"      - s: {{name: v{i}, requires: [join]}}" for i in range(width)]
    lines.append("      - s: {name: final, requires: [" +
                 ", ".join(f"v{i}" for i in range(width)) + "]}")
    return "\n".join(lines) + "\n"


def planned(text: str) -> PlannedWorkflow:
    [workflow] = plan(load(text, "bench.yml"), Trigger(branch="main")).workflows
    return workflow


def runner_in(tmp: Path, max_parallel: int) -> Runner:
    store = SQLiteRunStore(tmp / "runs.sqlite")
    return Runner(SubprocessExecutor(tmp / "jobs", None), store,
                  workspace=FileSystemWorkspaceStore(tmp / "workspace"),
                  max_parallel=max_parallel)


def bench_fan(tmp: Path, width: int, sleep: float) -> float:
    workflow = planned(fan_config(width, sleep))
    runner = runner_in(tmp / "fan", width)
    t0 = time.perf_counter()
    [record] = runner.run([workflow], actor="bench")
    wall = time.perf_counter() - t0
    if record.status != "success":
        raise SystemExit(f"the fan-out workflow ended {record.status}")
    critical = 5 * sleep
    print(f"fan-out/fan-in: {len(workflow.jobs)} jobs ({width} wide, 5 levels of "
          f"sleep {sleep}s), {width} slots")
    print(f"  critical path                          : {critical:8.3f} s")
    print(f"  wall time                              : {wall:8.3f} s")
    ratio = wall / critical
    print(f"  ratio wall / critical path             : {ratio:8.3f}  (budget {RATIO_BUDGET})")
    return ratio


def best(repeat: int, fn: Callable[[], None]) -> float:
    times: List[float] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_overhead(tmp: Path, jobs: int) -> None:
    shell = DEFAULT_SHELL.split() if os.path.exists("/bin/bash") else ["/bin/sh", "-e"]
    script = tmp / "true.sh"
    script.write_text("true\n")

    def bare() -> None:
        for _ in range(jobs):
            subprocess.run([*shell, str(script)], check=True)

    executor = SubprocessExecutor(tmp / "overhead", None)
    counter = [0]

    def executed() -> None:
        for _ in range(jobs):
            counter[0] += 1
            result = executor.execute(JobRequest(
                run_id="bench", workflow_id=f"wf-{counter[0]}", job_name="true",
                definition={"steps": [{"run": "true"}]}))
            if not result.ok:
                raise SystemExit(f"the job failed: {result.message}")

    seq = "\n".join(f"      - s: {{name: j{i}}}" for i in range(jobs))
    workflow = planned("version: 2.1\njobs:\n  s:\n    docker: [{image: x}]\n    steps:\n"
                       f"      - run: 'true'\nworkflows:\n  seq:\n    jobs:\n{seq}\n")
    runs = [0]

    def through_runner() -> None:
        runs[0] += 1
        runner = runner_in(tmp / f"runner-{runs[0]}", 1)
        [record] = runner.run([workflow], actor="bench")
        if record.status != "success":
            raise SystemExit(f"the runner workflow ended {record.status}")
        runner.store.close()

    t_bare = best(3, bare) / jobs
    t_exec = best(3, executed) / jobs
    t_runner = best(3, through_runner) / jobs
    print(f"per-job overhead ({jobs} jobs of `run: true`, best of 3)")
    print(f"  bare subprocess.run                    : {t_bare * 1e3:8.2f} ms/job")
    print(f"  SubprocessExecutor.execute             : {t_exec * 1e3:8.2f} ms/job  "
          f"(+{(t_exec - t_bare) * 1e3:.2f} ms, {t_exec / t_bare:.2f}x)")
    print(f"  Runner + SQLite store + executor       : {t_runner * 1e3:8.2f} ms/job  "
          f"(+{(t_runner - t_bare) * 1e3:.2f} ms, {t_runner / t_bare:.2f}x)")


def make_tree(root: Path, megabytes: int) -> int:
    """Files of mixed sizes: a few large, many small (like build output)."""
    root.mkdir(parents=True)
    total = 0
    big = os.urandom(1 << 20)
    n = 0
    while total < megabytes << 20:
        n += 1
        size = (1 << 20) if n % 4 == 0 else 16 << 10
        sub = root / f"dir{n % 16}"
        sub.mkdir(exist_ok=True)
        (sub / f"file{n}.bin").write_bytes(big[:size])
        total += size
    return total


def bench_workspace(tmp: Path, megabytes: int) -> None:
    tree = tmp / "tree"
    size = make_tree(tree, megabytes)
    mb = size / (1 << 20)
    files = sum(1 for p in tree.rglob("*") if p.is_file())
    n = [0]

    def store_roundtrip() -> None:
        n[0] += 1
        store = FileSystemWorkspaceStore(tmp / f"ws-{n[0]}")
        store.persist("run", "job", tree, ["."])
        store.attach("run", ["job"], tmp / f"attached-{n[0]}")

    def tar_roundtrip() -> None:
        n[0] += 1
        archive = tmp / f"bare-{n[0]}.tar"
        dest = tmp / f"bare-{n[0]}"
        dest.mkdir()
        subprocess.run(["tar", "-cf", str(archive), "-C", str(tree), "."], check=True)
        subprocess.run(["tar", "-xf", str(archive), "-C", str(dest)], check=True)

    t_tar = best(3, tar_roundtrip)
    t_store = best(3, store_roundtrip)
    print(f"workspace persist+attach of {mb:.0f} MB in {files} files (best of 3)")
    print(f"  bare tar -cf + tar -xf                 : {mb / t_tar:8.1f} MB/s")
    print(f"  FileSystemWorkspaceStore               : {mb / t_store:8.1f} MB/s  "
          f"({t_store / t_tar:.2f}x the time of tar)")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--width", type=int, default=8, help="jobs per fan-out level")
    parser.add_argument("--sleep", type=float, default=0.5, help="seconds each job sleeps")
    parser.add_argument("--jobs", type=int, default=40, help="jobs for the overhead figures")
    parser.add_argument("--mb", type=int, default=64, help="workspace tree size")
    parser.add_argument("--calls", type=int, default=20,
                        help="calls of the in-job circleci tool for its overhead")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="wfc-bench-run-"))
    try:
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, temp dir {tmp}")
        ratio = bench_fan(tmp, args.width, args.sleep)
        bench_overhead(tmp, args.jobs)
        bench_workspace(tmp, args.mb)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    parallel = measure_parallel_vs_jobs(4, args.sleep)
    tools_ok = report_jobtools(measure_circleci_overhead(args.calls), args.calls)
    ok = ratio <= RATIO_BUDGET
    print(f"fan-out ratio budget {RATIO_BUDGET}: {'OK' if ok else 'EXCEEDED'}")
    print(f"parallelism: 4 ratio budget {parallel['budget']}: "
          f"{'OK' if parallel['ok'] else 'EXCEEDED'}")
    return 0 if ok and parallel["ok"] and tools_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
