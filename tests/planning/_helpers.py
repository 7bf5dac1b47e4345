"""Small helpers shared by the planning tests: plan a YAML text, read a plan back."""

from __future__ import annotations

from typing import Any

from workflowcore.config import load
from workflowcore.planning import Plan, PlannedWorkflow, Trigger, plan

#: A job body every test config can use.
JOB = "{docker: [{image: cimg/base:stable}], steps: [checkout]}"


def jobs(*names: str) -> str:
    """A ``jobs:`` section defining ``names`` with a trivial body."""
    return "jobs:\n" + "".join(f"  {n}: {JOB}\n" for n in names)


def planned(text: str, **trigger: Any) -> Plan:
    """Load ``text`` (it must be free of errors) and plan it for ``Trigger(**trigger)``."""
    r = load(text, "config.yml")
    assert not r.errors, "\n".join(map(str, r.errors))
    return plan(r, Trigger(**trigger))


def only(p: Plan) -> PlannedWorkflow:
    (wf,) = p.workflows
    return wf


def running(wf: PlannedWorkflow) -> list[str]:
    return [j.name for j in wf.jobs]


def reasons(wf: PlannedWorkflow) -> dict[str, str]:
    return {e.name: e.reason for e in wf.excluded}
