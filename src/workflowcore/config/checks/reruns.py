"""[step-auto-rerun]: automatic reruns of a ``run`` step (R1.6.1, R1.6.2).

``auto_rerun_delay`` only means something with ``max_auto_reruns``; it is a number of
seconds (``30s``) or minutes (``2m``) of at most 10 minutes; and a background step cannot
be rerun. The 1–5 range of ``max_auto_reruns`` itself is the schema's (models.py).
"""

from __future__ import annotations

import re

from .base import Check, Context, Step

__all__ = ["RerunsCheck"]

_DELAY = re.compile(r"([1-9][0-9]*)([sm])")  # no leading zeros, as the LS pattern
_MAX_DELAY_S = 600


class RerunsCheck(Check):
    codes = ("step-auto-rerun",)

    def visit_step(self, ctx: Context, step: Step, owner: str) -> None:
        body = step.body
        if step.name != "run" or not isinstance(body, dict):
            return
        reruns, delay = body.get("max_auto_reruns"), body.get("auto_rerun_delay")
        if reruns is None and delay is None:
            return
        if body.get("background") is True:
            key = "max_auto_reruns" if reruns is not None else "auto_rerun_delay"
            ctx.report(
                step.loc + ("run", key),
                "step-auto-rerun",
                "Background steps cannot use max_auto_reruns or auto_rerun_delay fields",
                key=True,
                hint="run the step in the foreground, or drop the rerun settings",
            )
            return
        if delay is None:
            return
        loc = step.loc + ("run", "auto_rerun_delay")
        if reruns is None:
            ctx.report(
                loc,
                "step-auto-rerun",
                "auto_rerun_delay is set without max_auto_reruns: the step is never rerun",
                key=True,
                hint="add 'max_auto_reruns: <1-5>' beside it",
            )
            return
        if isinstance(delay, str) and "<<" in delay:
            return
        m = _DELAY.fullmatch(delay.strip()) if isinstance(delay, str) else None
        seconds = int(m.group(1)) * (60 if m.group(2) == "m" else 1) if m else None
        if seconds is None:
            ctx.report(
                loc,
                "step-auto-rerun",
                f"auto_rerun_delay {delay!r} is not a duration in seconds or minutes",
                hint="write it like '30s' or '2m' (at most 10m)",
            )
        elif seconds > _MAX_DELAY_S:
            ctx.report(
                loc,
                "step-auto-rerun",
                f"auto_rerun_delay {delay!r} is longer than the maximum of 10 minutes",
                hint="use at most '10m' (or '600s')",
            )
