"""How many nodes a job runs as: its ``parallelism`` (``docs/parallelism.md``).

Pure, so the planner's checks (jobs that may share a directory) and the runner (which starts
the nodes, :mod:`workflowcore.runtime.parallelism`) read the value the same way.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

__all__ = ["MAX_PARALLELISM", "parallelism_of"]

#: The most nodes one job may ask for. CircleCI fails a job whose parallelism exceeds the
#: organisation's concurrency ("Job failed due to excessive parallelism"); the highest
#: default concurrency it documents is 200 (Scale plan; Free 30, Performance 80). A bigger
#: value is a typo far more often than a plan, and would start that many process groups.
MAX_PARALLELISM = 200


def parallelism_of(definition: Optional[Mapping[str, Any]]) -> int:
    """The number of nodes of a job: its ``parallelism`` (default 1).

    Raises :class:`ValueError` with a one-line reason for a value that is not a whole number
    from 1 to :data:`MAX_PARALLELISM`. Strings of digits are accepted because a parameter
    template can leave one (the loader already warned about anything else).
    """
    raw = (definition or {}).get("parallelism")
    if raw is None:
        return 1
    value: Optional[int] = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or value < 1:
        raise ValueError(f"parallelism {raw!r} is not a positive whole number; set the job's "
                         f"`parallelism:` to a number from 1 to {MAX_PARALLELISM}")
    if value > MAX_PARALLELISM:
        raise ValueError(f"parallelism {value} is more than {MAX_PARALLELISM} (CircleCI fails "
                         "such a job: \"excessive parallelism\"); lower the job's "
                         "`parallelism:`")
    return value
