"""Compile time of the offline 2.1 compiler against plain YAML loading, and its growth.

Generates one 2.1 config with ``--invocations`` command invocations (default 200, spread
over jobs, with arguments, nested commands and ``when`` steps) and an N×N matrix job
(default 20×20 = 400 members, each expanding a parameterised executor and commands), then
times in one process:

* ``yaml.load`` with ``CSafeLoader`` of the text (the floor any YAML tool pays),
* ``parse_yaml`` (our loader: plain data + source map),
* ``compile_config`` on the loaded data (the part this benchmark is about),

and prints milliseconds and the compile/YAML ratio. Then it prints compile time for 1×, 4×
and 16× the number of expanded matrix jobs, with µs per expanded job, to show growth is
linear. Each figure is the best of ``--repeat`` runs.

    .venv/bin/python benchmarks/bench_compile.py [--invocations 200] [--matrix 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, List

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from workflowcore.config._yaml import parse_yaml
from workflowcore.config.compile import compile_config

try:
    _LOADER: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _LOADER = yaml.SafeLoader


def generate(invocations: int, matrix: int) -> str:
    """A 2.1 config: commands calling commands, jobs invoking them ``invocations`` times
    in total, and one ``matrix``×``matrix`` matrix job."""
    out: List[str] = [
        "version: 2.1",
        "",
        "parameters:",
        "  deploy:",
        "    type: boolean",
        "    default: false",
        "",
        "executors:",
        "  node:",
        "    parameters:",
        "      tag: {type: string, default: '20.1'}",
        "    docker:",
        "      - image: cimg/node:<< parameters.tag >>",
        "    environment: {CI: 'true'}",
        "",
        "commands:",
    ]
    for c in range(10):
        out += [
            f"  cmd{c}:",
            "    parameters:",
            "      msg: {type: string, default: hello}",
            "      loud: {type: boolean, default: false}",
            "    steps:",
            f"      - run: echo cmd{c} << parameters.msg >>",
            "      - when:",
            "          condition: << parameters.loud >>",
            "          steps:",
            "            - run: echo LOUD << parameters.msg >> on << pipeline.git.branch >>",
            "      - run:",
            f"          name: step {c}",
            "          command: |",
            "            set -e",
            f"            ./scripts/{c}.sh --msg '<< parameters.msg >>'",
        ]
        if c:
            out += [f"      - cmd{c - 1}:", "          msg: nested << parameters.msg >>"]
    out += ["", "jobs:"]
    per_job = 20
    jobs = max(1, invocations // per_job)
    for j in range(jobs):
        out += [
            f"  job{j}:",
            "    parameters:",
            "      n: {type: integer, default: 1}",
            "    executor: {name: node, tag: '18.0'}",
            "    parallelism: << parameters.n >>",
            "    steps:",
            "      - checkout",
        ]
        for k in range(per_job):
            out += [
                f"      - cmd{k % 10}:",
                f"          msg: job{j}-step{k}",
                f"          loud: {'true' if k % 3 == 0 else 'false'}",
            ]
    out += [
        "  grid:",
        "    parameters:",
        "      os: {type: string}",
        "      version: {type: string}",
        "    executor: node",
        "    steps:",
        "      - checkout",
        "      - cmd3:",
        "          msg: << parameters.os >>/<< parameters.version >>",
        "      - run: make test OS=<< parameters.os >> V=<< parameters.version >>",
        "",
        "workflows:",
        "  main:",
        "    jobs:",
    ]
    for j in range(jobs):
        out += [f"      - job{j}:", f"          n: {j % 4 + 1}"]
        if j:
            out += [f"          requires: [job{j - 1}]"]
    values = ", ".join(f'"{i}"' for i in range(matrix))
    oses = ", ".join(f"os{i}" for i in range(matrix))
    out += [
        "      - grid:",
        "          requires: [job0]",
        "          matrix:",
        "            parameters:",
        f"              os: [{oses}]",
        f"              version: [{values}]",
    ]
    return "\n".join(out) + "\n"


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--invocations", type=int, default=200)
    ap.add_argument("--matrix", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    text = generate(args.invocations, args.matrix)
    y = parse_yaml(text, "bench.yml")
    result = compile_config(
        y.data, source_map=y.source_map, pipeline_values={"pipeline.git.branch": "main"}
    )
    assert result.ok, result.diagnostics[:3]
    jobs = len(result.data["jobs"])
    steps = sum(len(j.get("steps", ())) for j in result.data["jobs"].values())
    t_yaml = best(lambda: yaml.load(text, Loader=_LOADER), args.repeat)
    t_parse = best(lambda: parse_yaml(text, "bench.yml"), args.repeat)
    t_compile = best(
        lambda: compile_config(
            y.data, source_map=y.source_map, pipeline_values={"pipeline.git.branch": "main"}
        ),
        args.repeat,
    )
    print(
        f"config: {len(text):,} chars, {args.invocations} command invocations, "
        f"{args.matrix}x{args.matrix} matrix -> {jobs} jobs, {steps:,} steps"
    )
    print(f"  yaml.load (CSafeLoader)  {t_yaml * 1e3:8.2f} ms")
    print(f"  parse_yaml (+positions)  {t_parse * 1e3:8.2f} ms")
    print(
        f"  compile_config           {t_compile * 1e3:8.2f} ms   "
        f"({t_compile / t_yaml:.2f}x yaml.load)"
    )

    print("growth (matrix members = expanded jobs):")
    base = None
    for factor in (1, 4, 16):
        n = args.matrix * {1: 1, 4: 2, 16: 4}[factor]
        t = generate(args.invocations, n)
        yy = parse_yaml(t, "bench.yml")
        ty = best(partial(yaml.load, t, Loader=_LOADER), args.repeat)
        tc = best(partial(compile_config, yy.data, source_map=yy.source_map), args.repeat)
        per = tc / (n * n) * 1e6
        base = base or per
        print(
            f"  {factor:>2}x: {n * n:>6} matrix jobs  compile {tc * 1e3:8.2f} ms  "
            f"({per:6.1f} µs/job, {per / base:4.2f}x)   yaml.load {ty * 1e3:8.2f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
