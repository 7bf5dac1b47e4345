"""Planning: Config + Trigger → Plan (which jobs run, in what order, and why not the others).

Pure functions over data: no I/O, no clock.
"""

from ._api import parameter_problems, plan, typed_parameters
from ._planner import IMPLICIT_WORKFLOW, plan_compiled
from ._select import Selection, select_jobs
from ._shared_dirs import shared_directories
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
    "Selection",
    "Trigger",
    "filter_reason",
    "matches_spec",
    "parameter_problems",
    "plan",
    "plan_compiled",
    "select_jobs",
    "shared_directories",
    "typed_parameters",
]
