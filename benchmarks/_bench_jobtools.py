"""What a call of the in-job ``circleci`` tool costs (docs/jobtools.md).

Jobs call ``circleci tests glob``/``split`` inside their steps, often several times; the
local stand-in is a Python script started as ``python -IS`` (no site-packages, no
workflowcore import), so a call should cost about an interpreter start. Measured, each
``calls`` times, in one run and against baselines taken in the same run:

* ``true`` and ``sh -c :`` spawned with ``subprocess.run`` (the cheapest process);
* ``circleci tests split`` of 200 test file names from stdin (by name, and by timings with a
  200-test timings file as the step interpreter exports it);
* ``circleci tests glob "**/*_test.py"`` over a tree holding 200 such files among others.

Budget: :data:`BUDGET_MS` per call (median). ``measure_circleci_overhead`` returns the
figures; run the file to print them (exit 1 over budget)::

    .venv/bin/python benchmarks/_bench_jobtools.py [--calls 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from workflowcore.runtime.jobtools import TIMINGS_ENV, install_tools

BUDGET_MS = 50.0
NAMES = 200


def _median_ms(calls: int, fn: Callable[[], None]) -> float:
    fn()  # warm the page cache and the interpreter's files
    times: List[float] = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def _runner(argv: Sequence[str], *, cwd: Path, env: Dict[str, str],
            stdin: Optional[str] = None) -> Callable[[], None]:
    def call() -> None:
        proc = subprocess.run(list(argv), input=stdin, cwd=cwd, env=env, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr}")
    return call


def measure_circleci_overhead(calls: int = 20) -> Dict[str, float]:
    """Median milliseconds per call of each measured command, the baselines, and the
    ratio of the slowest ``circleci`` call to ``sh -c :`` (keys ending in ``_ms`` are
    times; ``budget_ms`` is :data:`BUDGET_MS`)."""
    tmp = Path(tempfile.mkdtemp(prefix="wfc-bench-jobtools-"))
    try:
        bin_dir = tmp / "bin"
        install_tools(bin_dir)
        work = tmp / "work"
        for i in range(NAMES):
            target = work / "tests" / f"pkg{i % 10}" / f"case{i:03d}_test.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("# test\n")
            (target.parent / f"helper{i:03d}.py").write_text("# not a test\n")
        names = sorted(str(p.relative_to(work)) for p in work.rglob("*_test.py"))
        timings = tmp / "timings.json"
        timings.write_text(json.dumps({"format": 1, "job": "bench", "tests": [
            [name, "", "t", 0.5 + (i % 7)] for i, name in enumerate(names)]}))
        env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
               "CIRCLE_NODE_INDEX": "1", "CIRCLE_NODE_TOTAL": "4", TIMINGS_ENV: str(timings)}
        stdin = "\n".join(names) + "\n"
        circleci = str(bin_dir / "circleci")
        results = {
            "true_ms": _median_ms(calls, _runner(["true"], cwd=work, env=env)),
            "sh_ms": _median_ms(calls, _runner(["/bin/sh", "-c", ":"], cwd=work, env=env)),
            "python_ms": _median_ms(calls, _runner([sys.executable, "-IS", "-c", "pass"],
                                                   cwd=work, env=env)),
            "split_name_ms": _median_ms(calls, _runner(
                [circleci, "tests", "split"], cwd=work, env=env, stdin=stdin)),
            "split_timings_ms": _median_ms(calls, _runner(
                [circleci, "tests", "split", "--split-by=timings"], cwd=work, env=env,
                stdin=stdin)),
            "glob_ms": _median_ms(calls, _runner(
                [circleci, "tests", "glob", "tests/**/*_test.py"], cwd=work, env=env)),
        }
        slowest = max(results["split_name_ms"], results["split_timings_ms"],
                      results["glob_ms"])
        results["ratio_to_sh"] = slowest / results["sh_ms"]
        results["budget_ms"] = BUDGET_MS
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: Dict[str, float], calls: int) -> bool:
    """Print the figures; True when every ``circleci`` call is within the budget."""
    print(f"in-job `circleci` tool: median of {calls} calls, {NAMES} test files")
    rows = [("spawn `true`", "true_ms"), ("spawn `sh -c :`", "sh_ms"),
            ("python -IS -c pass", "python_ms"),
            ("circleci tests split (by name)", "split_name_ms"),
            ("circleci tests split --split-by=timings", "split_timings_ms"),
            ("circleci tests glob tests/**/*_test.py", "glob_ms")]
    for label, key in rows:
        extra = (f"  ({results[key] / results['sh_ms']:.1f}x sh)"
                 if key.startswith(("split", "glob")) else "")
        print(f"  {label:<40}: {results[key]:8.2f} ms/call{extra}")
    ok = all(results[k] <= BUDGET_MS for k in ("split_name_ms", "split_timings_ms", "glob_ms"))
    print(f"  budget {BUDGET_MS:.0f} ms/call: {'OK' if ok else 'EXCEEDED'} "
          f"(slowest / sh = {results['ratio_to_sh']:.1f}x)")
    return ok


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="calls of each command")
    args = parser.parse_args(argv)
    return 0 if report(measure_circleci_overhead(args.calls), args.calls) else 1


if __name__ == "__main__":
    raise SystemExit(main())
