"""Conformance with CircleCI's configuration reference (issue 9): configs CircleCI documents
as valid compile cleanly and as CircleCI prints them; errors it documents are reported."""

from __future__ import annotations

from typing import Any

from workflowcore import compile as compile_api
from workflowcore.config import load
from workflowcore.planning import Trigger

from .test_compile import compile_text

SAY_TAG = """
version: 2.1
commands:
  say:
    parameters:
      what: {type: string}
    steps:
      - run: echo "said <<parameters.what>>"
jobs:
  build:
    docker: [{image: cimg/base:current}]
    steps:
      - say: {what: "<< pipeline.git.tag >>"}
workflows:
  main:
    jobs: [build]
"""


def _steps(data: Any, job: str) -> Any:
    return data["jobs"][job]["steps"]


def test_an_argument_that_renders_empty_is_given_not_missing() -> None:
    """R10.2.6: `pipeline.git.tag` on a branch push is null, rendered as ''; passing it to a
    required string parameter passes ''."""
    r = compile_api(load(SAY_TAG), Trigger(branch="main"))
    assert [str(d) for d in r.errors] == []
    assert _steps(r.data, "build") == [{"run": {"command": 'echo "said "'}}]
    # Inside an expression the value stays null, so `or` still picks the fallback.
    r = compile_text(SAY_TAG.replace('"<< pipeline.git.tag >>"',
                                     '"<< pipeline.git.tag or \\"none\\" >>"'),
                     pipeline_values={"pipeline.git.branch": "main"})
    assert _steps(r.data, "build") == [{"run": {"command": 'echo "said none"'}}]
