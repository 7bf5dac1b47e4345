"""What a compile returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Set, Tuple

from ...diagnostics import Diagnostic, Severity

__all__ = ["CompileResult"]


@dataclass
class CompileResult:
    """The processed config and everything found while producing it.

    ``data`` is the processed config as plain data (``version: 2``, ``jobs`` keyed by final
    names, ``workflows``), or ``None`` when the input could not be processed at all. It is
    produced best-effort even when some diagnostics are errors, so editors still get a
    picture; check :attr:`ok` before planning from it. Unchanged subtrees are *shared*
    with the input data: treat ``data`` as read-only.

    ``skipped_workflows`` maps workflows dropped by ``when``/``unless`` to a readable
    reason. ``origins`` maps compiled locs (``("jobs", "build-1")``,
    ``("workflows", "main", "jobs", 3)``, ``("jobs", "build-1", "steps", 4)``) to the loc
    in the source config the part came from; look up the longest prefix of a loc.
    ``opaque_jobs`` names compiled jobs that come from orbs not available offline;
    ``pipeline_parameters`` the bound pipeline parameters (planning evaluates expression
    filters with them).
    """

    data: Any
    diagnostics: List[Diagnostic] = field(default_factory=list)
    skipped_workflows: Dict[str, str] = field(default_factory=dict)
    origins: Dict[Tuple[Any, ...], Tuple[Any, ...]] = field(default_factory=dict)
    opaque_jobs: Set[str] = field(default_factory=set)
    #: The pipeline parameters after binding: given values, else declared defaults (with
    #: ``<< >>`` in defaults rendered), as the compiler evaluated ``when`` and tags with them.
    pipeline_parameters: Dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> List[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> List[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when there is processed data and no error (warnings allowed)."""
        return self.data is not None and not self.errors

    def origin(self, loc: Tuple[Any, ...]) -> Tuple[Any, ...] | None:
        """The source loc of compiled ``loc``, from its longest mapped prefix."""
        for end in range(len(loc), 0, -1):
            src = self.origins.get(tuple(loc[:end]))
            if src is not None:
                return src
        return None
