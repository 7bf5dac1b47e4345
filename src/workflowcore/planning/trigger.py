"""What starts a pipeline: a push of a branch or a tag, a schedule, or an API call.

The trigger determines the pipeline values (``pipeline.git.branch``, ``pipeline.git.tag``,
``pipeline.parameters.*``, ...) that filters, ``when`` conditions and ``<< >>`` templates see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import PlanError
from ..expr import pipeline_variables

__all__ = ["EVENTS", "Trigger"]

#: ``push``: a commit or tag pushed; ``schedule``: a legacy ``triggers: schedule`` firing;
#: ``api``: a pipeline started through the API or the UI (also scheduled pipelines).
EVENTS = ("push", "schedule", "api")

#: Pipeline values a trigger sets from its own fields; ``values`` may not override them.
_OWN_VALUES = ("pipeline.git.branch", "pipeline.git.tag")


def _full(key: str) -> str:
    return key if key.startswith("pipeline.") else "pipeline." + key


@dataclass(frozen=True)
class Trigger:
    """One pipeline trigger. A push names exactly one of ``branch`` or ``tag``.

    ``parameters`` are pipeline parameters; :func:`workflowcore.plan` reads a string given
    for a ``boolean`` or ``integer`` parameter by that type (``"false"``, ``"3"``), as a
    command line gives them. ``values`` overrides or adds pipeline values
    (``{"pipeline.git.revision": "abc123"}``), except the branch and tag, which only
    ``branch``/``tag`` set.
    """

    branch: str | None = None
    tag: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict, hash=False)
    event: str = "push"
    values: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.event not in EVENTS:
            raise PlanError(f"unknown trigger event {self.event!r}; use one of {', '.join(EVENTS)}")
        if self.branch is not None and self.tag is not None:
            raise PlanError("a trigger names a branch or a tag, not both (CircleCI runs a tag "
                            "push as its own pipeline, with no branch)")
        if self.branch is None and self.tag is None:
            raise PlanError("a trigger needs a branch or a tag")
        for name, v in (("branch", self.branch), ("tag", self.tag)):
            if v is not None and (not isinstance(v, str) or not v.strip()):
                raise PlanError(f"the {name} name must be a non-empty string")
        if not isinstance(self.parameters, Mapping) or not isinstance(self.values, Mapping):
            raise PlanError("trigger parameters and values must be mappings")
        bad = [k for k in self.parameters if not isinstance(k, str) or not k]
        if bad:
            raise PlanError(f"pipeline parameter names must be non-empty strings, got {bad[0]!r}")
        own = [k for k in self.values if isinstance(k, str) and _full(k) in _OWN_VALUES]
        if own:
            raise PlanError(f"set {_full(own[0])} with the trigger's branch or tag, not in "
                            "its values")
        # Copies: a caller mutating its dict afterwards must not change a frozen trigger.
        object.__setattr__(self, "parameters", dict(self.parameters))
        object.__setattr__(self, "values", dict(self.values))

    @property
    def kind(self) -> str:
        """``"branch"`` or ``"tag"``."""
        return "tag" if self.tag is not None else "branch"

    @property
    def ref(self) -> str:
        """The branch or tag name."""
        return self.tag if self.tag is not None else self.branch  # type: ignore[return-value]

    def pipeline_values(self) -> dict[str, Any]:
        """The built-in pipeline values this trigger defines (any other is null)."""
        source = {"push": "webhook", "schedule": "scheduled_pipeline", "api": "api"}[self.event]
        trigger_type = {"push": "github", "schedule": "schedule", "api": "api"}[self.event]
        vals: dict[str, Any] = {
            "pipeline.git.branch": self.branch,
            "pipeline.git.tag": self.tag,
            "pipeline.event.name": self.event,
            "pipeline.trigger_source": source,
            "pipeline.trigger.type": trigger_type,
            "pipeline.number": 1,
            "pipeline.id": "00000000-0000-0000-0000-000000000000",
            "pipeline.project.type": "github",
        }
        for k, v in self.values.items():
            vals[_full(k)] = v
        return vals

    def variables(self) -> dict[str, Any]:
        """Every variable an expression sees for this trigger: all known pipeline values
        (null unless set) and ``pipeline.parameters.<name>`` for each given parameter.
        Parameters are as given here; :func:`workflowcore.plan` adds declared defaults."""
        return pipeline_variables(self.pipeline_values(), self.parameters)

    def to_dict(self) -> dict[str, Any]:
        return {"branch": self.branch, "tag": self.tag, "event": self.event,
                "parameters": dict(self.parameters)}

    def describe(self) -> str:
        """``branch 'main'`` / ``tag 'v1.0'`` — for messages."""
        return f"{self.kind} '{self.ref}'"
