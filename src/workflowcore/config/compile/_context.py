"""State shared by one compile: reporting, rendering, the expansion budget."""

from __future__ import annotations

from typing import Any, Dict, Tuple

from ...diagnostics import Severity
from ._diag import Loc, Reporter, Source
from ._limits import MAX_EXPANDED_NODES, Abort
from ._render import Renderer

__all__ = ["Abort", "Ctx"]


class Ctx:
    """Everything the expansion modules share for one compile."""

    def __init__(
        self,
        reporter: Reporter,
        renderer: Renderer,
        config: Source,
        lint: bool,
        variables: Dict[str, Any],
        budget: int = MAX_EXPANDED_NODES,
    ) -> None:
        self.reporter = reporter
        self.renderer = renderer
        self.config = config
        self.lint = lint
        self.variables = variables
        self.origins: Dict[Tuple[Any, ...], Tuple[Any, ...]] = {}
        self._budget = budget
        self._budget_loc: Tuple[Source, Loc] = (config, ())

    def spend(self, n: int, source: Source, loc: Loc) -> None:
        """Count ``n`` expanded nodes; stop the compile when the bound is reached."""
        self._budget -= n
        if self._budget < 0:
            self.reporter.report(
                source,
                loc,
                "config-too-large",
                f"The processed config would hold more than {MAX_EXPANDED_NODES:,} steps, "
                "jobs and requirements; stopping here",
                severity=Severity.ERROR,
                hint="look for commands that invoke each other many times, or very large matrices",
            )
            raise Abort
