"""One step out of a job's stored log (``workflowcore logs ID JOB --step N|NAME``).

The store keeps a job's log as one text; the step interpreter opens each step that runs
with a ``==> title`` line, so the log splits into steps there (lines before the first
header are the executor's preamble). Steps that did not run have no header, so step ``N``
counts the steps in the log, as a reader scrolling it counts them.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from .jobviews import STEP_HEADER

__all__ = ["StepNotFound", "find_step", "split_steps"]


class StepNotFound(LookupError):
    """No step (or several) matches; the message lists the steps of the log."""


def split_steps(log: str) -> List[Tuple[str, str]]:
    """``[(title, text)]`` for each step of ``log``, ``text`` starting with its header."""
    steps: List[Tuple[str, List[str]]] = []
    for line in log.splitlines():
        if line.startswith(STEP_HEADER):
            steps.append((line[len(STEP_HEADER):], [line]))
        elif steps:
            steps[-1][1].append(line)
    return [(title, "\n".join(lines)) for title, lines in steps]


def find_step(log: str, which: str) -> Tuple[int, str, str]:
    """``(number from 1, title, text)`` of the step ``which`` names: its number in the log
    (``3``), else its exact title, else the one title containing ``which`` (any case).
    :class:`StepNotFound` otherwise, listing the steps."""
    steps = split_steps(log)
    match: Optional[int] = None
    if which.isdigit():
        number = int(which)
        if 1 <= number <= len(steps):
            match = number - 1
    else:
        exact = [i for i, (title, _) in enumerate(steps) if title == which]
        loose = [i for i, (title, _) in enumerate(steps) if which.lower() in title.lower()]
        if exact:
            match = exact[0]
        elif len(loose) == 1:
            match = loose[0]
        elif len(loose) > 1:
            raise StepNotFound(f"{which!r} matches {len(loose)} steps ("
                               + ", ".join(f"{i + 1} {steps[i][0]!r}" for i in loose)
                               + "); give its number")
    if match is None:
        listed = ", ".join(f"{i + 1} {title!r}" for i, (title, _) in enumerate(steps))
        raise StepNotFound(f"no step {which!r} in the log" + (
            f"; its steps: {listed}" if steps else " (no step ran)"))
    title, text = steps[match]
    return match + 1, title, text
