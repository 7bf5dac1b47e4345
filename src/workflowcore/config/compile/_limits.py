"""Bounds that keep the compiler from hanging on hostile or mistaken input.

An editor compiles on every keystroke, so a config that would expand to millions of steps
(a command calling itself twice at each of 30 levels) must stop early with a diagnostic,
never spin or exhaust memory. The numbers are far above anything a real config reaches.
"""

from __future__ import annotations

__all__ = ["MAX_COMMAND_DEPTH", "MAX_EXPANDED_NODES", "MAX_MATRIX_JOBS", "MAX_ORB_DEPTH"]

#: The compiler's own limit on the jobs one matrix expands to (LS matrix.go).
MAX_MATRIX_JOBS = 10_000
#: Commands nested deeper than this are refused (real configs nest fewer than 10).
MAX_COMMAND_DEPTH = 50
#: Orbs importing orbs deeper than this are refused.
MAX_ORB_DEPTH = 16
#: Steps + jobs + requirement edges the whole compiled config may hold.
MAX_EXPANDED_NODES = 2_000_000
