"""Overhead of :class:`workflowcore.runtime.executors.docker.DockerExecutor` on a real engine.

Measured in the same run, on the same image, against the bare CLI:

* **per-job overhead**: a job with one ``true`` step through the executor against
  ``docker run --rm IMAGE true``, measured alternately so both see the same engine load.
  Two figures: the time until ``execute()`` returns the job's result (image check, container
  start, one ``docker exec``) — what a workflow waits for; the removal runs beside the next
  job — and the full cost including that removal. Budget: result ≤ 1.5× (the script exits 1
  above it; ``--no-gate`` only prints). The full cost cannot get under ≈ 1.4× here: a job
  needs one ``docker exec`` that a bare ``docker run`` does not.
* **per-step cost**: a job with ``--steps`` ``true`` steps against the one-step job, per extra
  step, next to a bare ``docker exec CONTAINER true``.
* **parallel efficiency**: ``--fanout`` jobs that each ``sleep --sleep`` seconds, started
  together (as a fan-out would be), against one such job alone; the same for bare
  ``docker run --rm IMAGE sleep``. 100 % means the fan-out took as long as one job.

Each figure is the median of ``--repeat`` runs. Needs an engine (``DOCKER_HOST``)::

    eval "$(bash scripts/start-docker.sh)"
    .venv/bin/python benchmarks/bench_docker.py [--image busybox:latest] [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from workflowcore.runtime.executor import JobRequest
from workflowcore.runtime.executors.docker import DockerExecutor

BUDGET_RATIO = 1.5


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: page cache, image metadata
    return statistics.median(timed(fn) for _ in range(repeat))


def docker(*args: str) -> None:
    subprocess.run(["docker", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def together(fns: List[Callable[[], object]]) -> float:
    """Wall time of running ``fns`` at once, one thread each."""
    threads = [threading.Thread(target=f) for f in fns]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", default="busybox:latest")
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--fanout", type=int, default=4)
    ap.add_argument("--sleep", type=float, default=2.0)
    ap.add_argument("--no-gate", action="store_true", help="never exit 1 over budget")
    args = ap.parse_args()
    image = args.image
    run_id = f"bench-{uuid.uuid4().hex[:8]}"

    with tempfile.TemporaryDirectory() as tmp, DockerExecutor(tmp, pull="never") as executor:
        engine = executor.check()
        print(f"engine: {engine.cli} {engine.version}, {engine.cpus} CPUs; image {image}")

        def job(steps: List[object], name: str = "job") -> Callable[[], object]:
            def go() -> None:
                result = executor.execute(JobRequest(
                    run_id, "wf", name, {"docker": [{"image": image}], "steps": steps}))
                if not result.ok:
                    raise SystemExit(f"benchmark job failed: {result.message}\n{result.log}")
            return go

        one_job = job([{"run": "true"}])

        def full_job() -> float:
            start = time.perf_counter()
            one_job()
            result_at = time.perf_counter()
            executor.wait_for_removals()
            return result_at - start

        one_job()
        docker("run", "--rm", image, "true")
        bares: List[float] = []
        fulls: List[float] = []
        results: List[float] = []
        for _ in range(args.repeat):  # alternate, so drifting engine load hits both alike
            bares.append(timed(lambda: docker("run", "--rm", image, "true")))
            start = time.perf_counter()
            results.append(full_job())
            fulls.append(time.perf_counter() - start)
        bare, one, latency = (statistics.median(x) for x in (bares, fulls, results))
        ratio = latency / bare
        print(f"\nper-job overhead (median of {args.repeat}, alternating)")
        print(f"  docker run --rm {image} true         {bare * 1000:8.1f} ms")
        print("  DockerExecutor, one `true` step:")
        print(f"    until the job's result             {latency * 1000:8.1f} ms   "
              f"ratio {ratio:.2f}x (budget {BUDGET_RATIO}x)")
        print(f"    full cost, with the removal        {one * 1000:8.1f} ms   "
              f"ratio {one / bare:.2f}x")

        many = median_of(job([{"run": "true"}] * args.steps), max(3, args.repeat // 3))
        per_step = (many - one) / (args.steps - 1)
        cid = subprocess.run(["docker", "run", "-d", "--rm", "-i", image, "cat"], check=True,
                             capture_output=True, text=True).stdout.strip()
        try:
            exec_bare = median_of(lambda: docker("exec", cid, "true"), args.repeat)
        finally:
            docker("rm", "-f", cid)
        print(f"\nper-step cost ({args.steps}-step job vs one step)")
        print(f"  docker exec CONTAINER true        {exec_bare * 1000:8.1f} ms")
        print(f"  DockerExecutor, per extra step    {per_step * 1000:8.1f} ms   "
              f"ratio {per_step / exec_bare:.2f}x")

        sleep = f"sleep {args.sleep:g}"
        single = timed(job([{"run": sleep}], "single"))
        fan = together([job([{"run": sleep}], f"fan-{i}") for i in range(args.fanout)])
        bare_single = timed(lambda: docker("run", "--rm", image, "sh", "-c", sleep))
        bare_fan = together([lambda: docker("run", "--rm", image, "sh", "-c", sleep)
                             for _ in range(args.fanout)])
        print(f"\nparallel efficiency ({args.fanout} jobs of `{sleep}` at once)")
        print(f"  docker run --rm: one {bare_single:6.2f} s, fan-out {bare_fan:6.2f} s   "
              f"efficiency {bare_single / bare_fan:6.1%}")
        print(f"  DockerExecutor:  one {single:6.2f} s, fan-out {fan:6.2f} s   "
              f"efficiency {single / fan:6.1%}   speed-up {args.fanout * single / fan:.2f}x")

        left = executor.cleanup(run_id)
        print(f"\ncontainers left after the benchmark: {left}")
    if ratio > BUDGET_RATIO:
        print(f"OVER BUDGET: {ratio:.2f}x > {BUDGET_RATIO}x")
        return 0 if args.no_gate else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
