"""One finding, one diagnostic: merging what the checks and the compiler report.

The semantic checks (on the data as written) and the lint-mode compiler (on what CircleCI
would compile) overlap: both find an undefined command or executor. Each layer has its own
view of whether the code is compiled at all (an unused job, a workflow behind ``when``), so
the same finding can come out of both, once as an error and once as a warning. Here the two
lists become one: a compiler diagnostic with the same code at the same place as a check's is
the same finding. The less severe of the two is kept — a layer that knows the code is never
compiled outranks one that does not (issue 9: false errors come first) — and between equals
the check's, which carries the did-you-mean hint.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

from ..diagnostics import Diagnostic, Severity

__all__ = ["merge_compiled"]

_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def merge_compiled(
    checked: Sequence[Diagnostic], compiled: Sequence[Diagnostic]
) -> Tuple[List[Diagnostic], List[Diagnostic]]:
    """``(checked, extra)``: the checks' diagnostics (a finding the compiler reports less
    severely takes the compiler's diagnostic) and the compiler's diagnostics that are new.

    A compiler *error* where the checks already report an error (another code) is dropped
    as well: it is a consequence of the same mistake, seen from the other layer.
    """
    out = list(checked)
    index = {(d.line, d.column, d.code): i for i, d in enumerate(out)}
    errors_at = {(d.line, d.column) for d in out if d.is_error}
    extra: List[Diagnostic] = []
    for d in compiled:
        i = index.get((d.line, d.column, d.code))
        if i is not None:
            if _RANK[d.severity] > _RANK[out[i].severity]:
                out[i] = d
            continue
        if d.is_error and (d.line, d.column) in errors_at:
            continue
        extra.append(d)
    return out, extra
