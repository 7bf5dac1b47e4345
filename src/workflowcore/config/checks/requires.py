"""[requires-unknown] [requires-ambiguous] [requires-cycle]: the ``requires`` graph of each
workflow, in CircleCI's own wording where it has one.
"""

from __future__ import annotations

from collections import Counter

from ._util import did_you_mean
from .base import Check, Context, Invocation, Loc

__all__ = ["RequiresCheck", "find_cycles"]


def find_cycles(order: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Every elementary cycle found by one iterative DFS, each as ``[a, b, ..., a]``.

    ``order`` fixes the traversal order (config order), so the report is deterministic.
    Each cycle is reported once, rotated to start at its earliest job in ``order``.
    """
    rank = {n: i for i, n in enumerate(order)}
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(order, WHITE)
    cycles: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for start in order:
        if color[start] != WHITE:
            continue
        path: list[str] = [start]
        iters = [iter(edges.get(start, ()))]
        color[start] = GREY
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                color[path.pop()] = BLACK
                iters.pop()
                continue
            if nxt not in color:
                continue
            if color[nxt] == GREY:
                cyc = path[path.index(nxt) :]
                i = min(range(len(cyc)), key=lambda k: rank[cyc[k]])
                cyc = cyc[i:] + cyc[:i]
                if tuple(cyc) not in seen:
                    seen.add(tuple(cyc))
                    cycles.append([*cyc, cyc[0]])
            elif color[nxt] == WHITE:
                color[nxt] = GREY
                path.append(nxt)
                iters.append(iter(edges.get(nxt, ())))
    return cycles


class RequiresCheck(Check):
    codes = ("requires-unknown", "requires-ambiguous", "requires-cycle")

    def visit_workflow(
        self, ctx: Context, name: str, invocations: list[Invocation], loc: Loc
    ) -> None:
        counts: Counter[str] = Counter(inv.alias for inv in invocations)
        # 2.1 numbers repeated invocations (build-1, build-2); those names exist too.
        numbered: dict[str, Invocation] = {}
        if ctx.is_21:
            k: Counter[str] = Counter()
            for inv in invocations:
                if counts[inv.alias] > 1 and inv.matrix is None:
                    k[inv.alias] += 1
                    numbered[f"{inv.alias}-{k[inv.alias]}"] = inv
        # Names a compile step would create that we cannot know here (matrix members,
        # templated names) make an unknown name possibly valid: stay silent then.
        # (A 2.0 config is not processed: `<<` there is text, as the compiler leaves it.)
        opaque = ctx.is_21 and any(inv.matrix is not None or "<<" in inv.name
                                   for inv in invocations)
        by_name = {inv.alias: inv for inv in invocations if counts[inv.alias] == 1}
        by_name.update(numbered)
        # The graph's node of each invocation: its name, or its number for a repeated one.
        node_of = {id(inv): node for node, inv in by_name.items()}
        edges: dict[str, list[str]] = {}
        for inv in invocations:
            me = inv.alias
            for req, rloc in inv.requires():
                if ctx.is_21 and "<<" in req:
                    continue
                n = counts.get(req, 0) - (1 if req == me else 0)
                if req in numbered and req != me:
                    n = 1
                if n == 1:
                    target = req
                    if req == me and req not in numbered:  # the other invocation of my name
                        target = next((k for k, x in numbered.items()
                                       if x.alias == req and x is not inv), req)
                    if id(inv) in node_of:
                        edges.setdefault(node_of[id(inv)], []).append(target)
                    continue
                if n == 0 and opaque and req != me:
                    continue
                code = "requires-unknown" if n == 0 else "requires-ambiguous"
                hint = None
                if n == 0:
                    hint = did_you_mean(req, [a for a in counts if a != me])
                    if hint is None and req in ctx.jobs:
                        hint = (
                            f"'{req}' is defined under 'jobs:' but not invoked in this "
                            f"workflow; add it to workflow '{name}' or remove the "
                            f"requirement"
                        )
                else:
                    hint = (
                        "You can give a job within a workflow an explicit name by adding a name key"
                    )
                sev, note = ctx.workflow_severity(name)
                ctx.report(
                    rloc,
                    code,
                    f"Job '{inv.name}' requires '{req}', which is the name of {n} other "
                    f"jobs in workflow '{name}'{note}",
                    hint=hint,
                    severity=sev,
                )
        order = [node_of[id(inv)] for inv in invocations if id(inv) in node_of]
        sev, note = ctx.workflow_severity(name)
        for cyc in find_cycles(order, edges):
            first = by_name[cyc[0]]
            ctx.report(
                first.ref_loc,
                "requires-cycle",
                f"jobs in workflow '{name}' require each other in a cycle: "
                + " -> ".join(cyc)
                + note,
                severity=sev,
                key=True,
                hint="remove one of these requirements; CircleCI reports this as "
                "'The following jobs are unreachable: " + ", ".join(sorted(set(cyc))) + "'",
            )
