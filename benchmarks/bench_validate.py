"""Validate time against a bare libyaml load of the same file, in one run.

    python benchmarks/bench_validate.py [--quick]

Targets (issue 2): validate ≤ 1.5x the bare ``yaml.load(..., Loader=CSafeLoader)`` at every
size and ≤ 1.0x at 10,000 jobs. Also: whole-process time of ``workflowcore validate`` on a
small config against ``check-jsonschema --builtin-schema vendor.circle-ci`` on a 2.1 config of
the same size (when check-jsonschema is installed: ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _gen import config_2_0

from workflowcore import load


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    quick = "--quick" in sys.argv
    sizes = (100, 1000) if quick else (100, 1000, 10000)
    print(f"{'jobs':>6} {'bare yaml.load':>15} {'validate':>10} {'ratio':>7}  target")
    worst = 0.0
    for n in sizes:
        text = config_2_0(n)
        repeat = 7 if n <= 1000 else 3
        bare = best_of(lambda t=text: yaml.load(t, Loader=yaml.CSafeLoader), repeat)
        result = load(text, f"gen-{n}.yml")
        assert result.ok, result.diagnostics[:3]
        mine = best_of(lambda t=text, p=f"gen-{n}.yml": load(t, p), repeat)
        ratio = mine / bare
        target = 1.0 if n >= 10000 else 1.5
        worst = max(worst, ratio / target)
        print(f"{n:>6} {bare * 1000:>13.1f}ms {mine * 1000:>8.1f}ms {ratio:>7.2f}  "
              f"<= {target} {'ok' if ratio <= target else 'MISSED'}")
    _process_comparison()
    return 0 if worst <= 1.0 else 1


def _process_comparison() -> None:
    exe = Path(sys.executable).parent
    wfc = shutil.which("workflowcore", path=str(exe)) or shutil.which("workflowcore")
    cjs = shutil.which("check-jsonschema", path=str(exe)) or shutil.which("check-jsonschema")
    with tempfile.TemporaryDirectory() as d:
        small = Path(d) / "config.yml"
        small.write_text(config_2_0(10, version="2.1"))
        runs = 5

        def proc(cmd: list[str]) -> float:
            ts = []
            for _ in range(runs):
                t0 = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               check=False)
                ts.append(time.perf_counter() - t0)
            return statistics.median(ts)

        if wfc is None:
            print("workflowcore command not found: install the project first")
            return
        mine = proc([wfc, "validate", str(small)])
        line = f"whole process, 10-job 2.1 config: workflowcore validate {mine * 1000:.0f}ms"
        if cjs is None:
            print(line + "; check-jsonschema not installed (pip install -e '.[bench]')")
            return
        theirs = proc([cjs, "--builtin-schema", "vendor.circle-ci", str(small)])
        print(line + f", check-jsonschema {theirs * 1000:.0f}ms, ratio {mine / theirs:.2f}")


if __name__ == "__main__":
    sys.exit(main())
