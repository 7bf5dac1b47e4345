"""The rerun-from-failed scenario every executor runs (tests/cli, tests/dask): `build`
persists a stamp of when it ran, `test` attaches it, prints it and fails (its check script),
`deploy` waits on `test`. A rerun from failed keeps `build` and attaches its layer, so the
stamp `test` prints is the same; a fresh run builds a new one."""

from __future__ import annotations

import re

__all__ = ["RERUN", "printed_stamp"]

RERUN = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: mkdir -p out && date +%s%N > out/stamp && echo built-once
      - persist_to_workspace: {root: out, paths: [stamp]}
  test:
    docker: [{image: cimg/base:stable}]
    steps:
      - checkout
      - attach_workspace: {at: ws}
      - run: echo "stamp $(cat ws/stamp)"
      - run: sh ./check.sh
  deploy:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo deployed}]
workflows:
  w:
    jobs:
      - build
      - test: {requires: [build]}
      - deploy: {requires: [test]}
"""


def printed_stamp(log: str) -> str:
    """The stamp ``test`` printed in its log."""
    [found] = re.findall(r"^stamp (\d+)$", log, re.M)
    return str(found)
