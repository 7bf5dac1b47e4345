"""Bounds that keep the compiler from hanging on hostile or mistaken input.

An editor compiles on every keystroke, so a config that would expand to millions of steps
(a command calling itself twice at each of 30 levels) must stop early with a diagnostic,
never spin or exhaust memory. The numbers are far above anything a real config reaches.
"""

from __future__ import annotations

__all__ = [
    "MAX_COMMAND_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_MATRIX_JOBS",
    "MAX_ORB_DEPTH",
    "MAX_RENDERED_CHARS",
    "MAX_RENDERED_STRING",
    "Abort",
]

#: The compiler's own limit on the jobs one matrix expands to (LS matrix.go).
MAX_MATRIX_JOBS = 10_000
#: Commands nested deeper than this are refused (real configs nest fewer than 10).
MAX_COMMAND_DEPTH = 50
#: Orbs importing orbs deeper than this are refused.
MAX_ORB_DEPTH = 16
#: Steps + jobs + requirement edges the whole compiled config may hold. Steps carried in
#: ``steps`` parameter values count each time they are spliced (issue 10: a steps value
#: doubled through 22 levels of commands).
MAX_EXPANDED_NODES = 2_000_000
#: Characters one rendered template string may hold (``<< parameters.s >><<
#: parameters.s >>`` doubled through 29 levels would be 3 GB).
MAX_RENDERED_STRING = 4 * 1024 * 1024
#: Characters all rendered template strings of one compile may hold together (the YAML
#: loader's own bound on a config's size, so rendering at most doubles what was read).
MAX_RENDERED_CHARS = 32 * 1024 * 1024


class Abort(Exception):
    """A bound is reached; the ``config-too-large`` diagnostic is already recorded."""
