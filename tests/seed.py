"""The YAML code blocks of the seed document (copied from a web page), as they stand."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .conftest import shared_dir


@dataclass
class SeedBlock:
    line: int  # line of the opening fence in workflows.md
    text: str

    @property
    def id(self) -> str:
        return f"seed-line{self.line}"


def seed_blocks() -> list[SeedBlock]:
    path = shared_dir() / "seed" / "workflows.md"
    blocks: list[SeedBlock] = []
    start: int | None = None
    body: list[str] = []
    for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if line.startswith("```"):
            if start is None:
                start, body = i, []
            else:
                blocks.append(SeedBlock(start, "\n".join(body) + "\n"))
                start = None
        elif start is not None:
            body.append(line)
    return blocks


def clean(text: str) -> str:
    """What a careful person does to a block copied from a web page."""
    lines = [ln.replace("\u00a0", " ").expandtabs(8).rstrip() for ln in text.split("\n")]
    return "\n".join(lines)


JOB_TEMPLATE = """  {name}:
    docker:
      - image: cimg/base:stable
    steps:
      - run: echo {name}
"""


def complete(text: str, undefined: list[str]) -> str:
    """Add ``version: 2`` and a job definition for every job the block leaves undefined."""
    out = text
    if not re.search(r"^version:", out, re.M):
        out = "version: 2\n" + out
    if undefined:
        out += "jobs:\n" + "".join(JOB_TEMPLATE.format(name=n) for n in undefined)
    return out


