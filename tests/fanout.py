"""The fan-out/fan-in scenario every executor runs (tests/cli, tests/dask): build, three
parallel tests, a merge; each job prints when it started and ended, so a test can tell the
parallel jobs overlapped and the merge waited for all three."""

from __future__ import annotations

__all__ = ["FAN", "job_times"]

FAN = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo "start $(date +%s.%N)"; echo "end $(date +%s.%N)"
  test:
    parameters: {n: {type: integer}}
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo "start $(date +%s.%N)"; sleep 0.6; echo "end $(date +%s.%N)"
  merge:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo "start $(date +%s.%N)"; echo "end $(date +%s.%N)"
workflows:
  fan:
    jobs:
      - build
      - test: {name: t1, n: 1, requires: [build]}
      - test: {name: t2, n: 2, requires: [build]}
      - test: {name: t3, n: 3, requires: [build]}
      - merge: {requires: [t1, t2, t3]}
"""


def job_times(log: str) -> tuple[float, float]:
    found = {line.split()[0]: float(line.split()[1]) for line in log.splitlines()
             if line.startswith(("start ", "end "))}
    return found["start"], found["end"]
