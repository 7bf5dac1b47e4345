"""Semantic checks over a loaded config: one traversal, one rule family per module.

``DEFAULT_CHECKS`` is the single registration list. Each family lists the diagnostic codes it
emits; ``docs/diagnostics.md`` documents every one of them with an input and its exact output.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ...diagnostics import Diagnostic
from ..sourcemap import SourceMap
from .base import Check, Context, walk
from .executors import ExecutorsCheck
from .filters import FiltersCheck
from .jobs import JobsCheck
from .names import NamesCheck
from .requires import RequiresCheck
from .reruns import RerunsCheck
from .steps import StepsCheck
from .truthy import TruthyCheck
from .unused import UnusedCheck
from .version import VersionCheck
from .workflows import WorkflowsCheck

__all__ = ["ALL_CODES", "Check", "Context", "default_checks", "run_checks"]


def default_checks() -> list[Check]:
    """Fresh instances of every check family (checks keep per-run state)."""
    return [
        VersionCheck(),
        NamesCheck(),
        RequiresCheck(),
        FiltersCheck(),
        StepsCheck(),
        ExecutorsCheck(),
        JobsCheck(),
        RerunsCheck(),
        WorkflowsCheck(),
        TruthyCheck(),
        UnusedCheck(),
    ]


ALL_CODES: tuple[str, ...] = tuple(code for c in default_checks() for code in c.codes)


def run_checks(
    data: Mapping[str, Any], source_map: SourceMap, checks: Sequence[Check] | None = None
) -> list[Diagnostic]:
    """Run the checks (default: all) over loaded data in one traversal."""
    return walk(data, source_map, checks if checks is not None else default_checks())
