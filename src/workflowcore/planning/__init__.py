"""Planning: Config + Trigger → Plan (which jobs run, in what order, and why not the others).

Pure functions over data: no I/O, no clock.
"""

from ._api import parameter_problems, plan, typed_parameters
from ._planner import IMPLICIT_WORKFLOW, plan_compiled
from .filters import filter_reason, matches_spec
from .plan import TERMINAL_STATUSES, ExcludedJob, Plan, PlannedJob, PlannedWorkflow
from .trigger import EVENTS, Trigger

__all__ = [
    "EVENTS",
    "IMPLICIT_WORKFLOW",
    "TERMINAL_STATUSES",
    "ExcludedJob",
    "Plan",
    "PlannedJob",
    "PlannedWorkflow",
    "Trigger",
    "filter_reason",
    "matches_spec",
    "parameter_problems",
    "plan",
    "plan_compiled",
    "typed_parameters",
]
