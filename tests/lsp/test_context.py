"""Where completion thinks the cursor is, on documents that are not valid YAML yet (the
usual state while typing): the path is read from indentation."""

from __future__ import annotations

from typing import Optional, Tuple

import pytest

from workflowcore.lsp.context import Context, context_at

DOC = """\
version: 2.1
jobs:
  build:
    docker:
      - image: cimg/base:2024.01
    steps:
      - checkout
      - run:
          name: x
          comm
      - run: |
          ech
      - chec
    stp
workflows:
  main:
    jobs:
      - build
      - test:
          requires: [bu
          requires:
            - bu
            - build: suc
steps:
- a
- b
"""
LINES = DOC.split("\n")


def _at(line: str, occurrence: int = 1) -> Optional[Context]:
    index = [i for i, text in enumerate(LINES) if text == line][occurrence - 1]
    return context_at(LINES, index, len(line))


@pytest.mark.parametrize(("line", "expected"), [
    ("          comm", (("jobs", "build", "steps", 1, "run"), "key", "comm")),
    ("      - chec", (("jobs", "build", "steps", 3), "item", "chec")),
    ("    stp", (("jobs", "build"), "key", "stp")),
    ("          requires: [bu", (("workflows", "main", "jobs", 1, "test", "requires"),
                                 "flow", "bu")),
    ("            - bu", (("workflows", "main", "jobs", 1, "test", "requires", 0), "item",
                          "bu")),
    ("            - build: suc", (("workflows", "main", "jobs", 1, "test", "requires", 1,
                                   "build"), "value", "suc")),
    ("- b", (("steps", 1), "item", "b")),  # a sequence not indented under its key
])
def test_paths_from_indentation(line: str, expected: Tuple[object, str, str]) -> None:
    ctx = _at(line)
    assert ctx is not None
    assert (ctx.path, ctx.mode, ctx.word) == expected


def test_no_context_inside_a_block_scalar() -> None:
    assert _at("          ech") is None


def test_keys_already_written_are_known() -> None:
    ctx = _at("    stp")
    assert ctx is not None and set(ctx.siblings) == {"docker", "steps"}
