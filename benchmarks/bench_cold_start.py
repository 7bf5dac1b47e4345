"""Cold start of the ``workflowcore`` command, whole process, against check-jsonschema.

    python benchmarks/bench_cold_start.py [--runs N]

Targets (issue 13): ``workflowcore validate`` of a small 2.1 config ≤ 120 ms and ≥ 3x
faster than ``check-jsonschema --builtin-schema vendor.circle-ci`` on the same file;
``--version`` and ``--help`` ≤ 60 ms. Every command is a new process (a pre-commit hook or an
editor's save hook), run N times, interleaved round by round so that both tools see the same
machine load; the median is printed.

Bytecode: an installed package has its ``.pyc`` files (pip compiles them), a source checkout
may not (``PYTHONDONTWRITEBYTECODE``). The runs therefore use a private
``PYTHONPYCACHEPREFIX`` that one warm-up run fills, for both tools alike. The cached Config
schema (``~/.cache/workflowcore``, docs/dev/cold-start.md) is warmed up the same way, as it is
after a user's first run.

check-jsonschema: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _gen import config_2_0

TARGET_VALIDATE_MS = 120.0
TARGET_RATIO = 3.0
TARGET_FLAGS_MS = 60.0


def _tool(name: str) -> Optional[str]:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


def _once(cmd: List[str], env: Dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          check=False)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: "
                         f"{proc.stderr.decode(errors='replace').strip()[:300]}")
    return took * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="runs per command (default: 15)")
    args = ap.parse_args()
    wfc = _tool("workflowcore")
    cjs = _tool("check-jsonschema")
    if wfc is None:
        print("workflowcore command not found: pip install -e . first")
        return 2
    with tempfile.TemporaryDirectory() as d:
        small = Path(d) / "config.yml"
        small.write_text(config_2_0(10, version="2.1"), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(d) / "pycache")
        cmds: Dict[str, List[str]] = {
            "workflowcore --version": [wfc, "--version"],
            "workflowcore --help": [wfc, "--help"],
            "workflowcore validate": [wfc, "validate", str(small)],
        }
        if cjs is not None:
            cmds["check-jsonschema"] = [cjs, "--builtin-schema", "vendor.circle-ci", str(small)]
        for cmd in cmds.values():  # warm-up: bytecode, the schema cache
            _once(cmd, env)
        times: Dict[str, List[float]] = {k: [] for k in cmds}
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                times[name].append(_once(cmd, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"whole process, median of {args.runs} runs, 10-job 2.1 config "
          f"({sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    ok = True
    for name in ("workflowcore --version", "workflowcore --help"):
        hit = med[name] <= TARGET_FLAGS_MS
        ok &= hit
        print(f"  {name:<24} {med[name]:7.1f} ms   target <= {TARGET_FLAGS_MS:.0f} ms "
              f"{'ok' if hit else 'MISSED'}")
    mine = med["workflowcore validate"]
    hit = mine <= TARGET_VALIDATE_MS
    ok &= hit
    print(f"  {'workflowcore validate':<24} {mine:7.1f} ms   target <= "
          f"{TARGET_VALIDATE_MS:.0f} ms {'ok' if hit else 'MISSED'}")
    if "check-jsonschema" in med:
        theirs = med["check-jsonschema"]
        ratio = theirs / mine
        hit = ratio >= TARGET_RATIO
        ok &= hit
        print(f"  {'check-jsonschema':<24} {theirs:7.1f} ms   validate is {ratio:.2f}x as fast "
              f"(target >= {TARGET_RATIO:.0f}x) {'ok' if hit else 'MISSED'}")
        print(f"  ratios to validate: --version {med['workflowcore --version'] / mine:.2f}, "
              f"--help {med['workflowcore --help'] / mine:.2f}, check-jsonschema "
              f"{ratio:.2f}")
    else:
        print("  check-jsonschema not installed (pip install -e '.[bench]'): no comparison")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
