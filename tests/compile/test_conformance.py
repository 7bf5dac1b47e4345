"""Conformance with CircleCI's configuration reference (issue 9): configs CircleCI documents
as valid compile cleanly and as CircleCI prints them; errors it documents are reported."""

from __future__ import annotations

from pathlib import Path
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


def test_matrix_members_are_named_and_ordered_as_the_reference_prints_them() -> None:
    r = compile_text("""
version: 2.1
jobs:
  build:
    parameters:
      version: {type: string}
      platform: {type: string}
    docker: [{image: cimg/base:current}]
    steps: [{run: echo << parameters.platform >> << parameters.version >>}]
workflows:
  workflow:
    jobs:
      - build:
          matrix:
            parameters:
              version: ["0.1", "0.2", "0.3"]
              platform: ["macos", "windows", "linux"]
""")
    assert r.ok
    names = [next(iter(j)) if isinstance(j, dict) else j
             for j in r.data["workflows"]["workflow"]["jobs"]]
    assert names == [f"build-{p}-{v}" for p in ("macos", "windows", "linux")
                     for v in ("0.1", "0.2", "0.3")]
    assert _steps(r.data, "build-windows-0.2") == [{"run": {"command": "echo windows 0.2"}}]


SHADOW = """
version: 2.1
commands:
  deploy:
    parameters:
      target: {type: string}
    steps:
      - run: echo deploying to << parameters.target >>
jobs:
  build:
    docker: [{image: cimg/base:current}]
    steps:
      - deploy: {target: prod}
workflows:
  main:
    jobs: [build]
"""


def test_a_command_named_like_a_built_in_step_is_the_command() -> None:
    """`commands: {deploy: …}` used as `- deploy: {…}` is checked against the command's
    parameters, not the built-in `deploy` step's schema."""
    loaded = load(SHADOW)
    assert [str(d) for d in loaded.diagnostics if d.is_error] == []
    r = compile_api(loaded, Trigger(branch="main"))
    assert _steps(r.data, "build") == [{"run": {"command": "echo deploying to prod"}}]
    wrong = load(SHADOW.replace("{target: prod}", "{targte: prod}"))
    assert sorted(d.code for d in wrong.diagnostics if d.is_error) == [
        "param-missing", "param-unexpected"]


ORB_ALIASES = """
version: 2.1
orbs:
  o: acme/o@1.0.0
commands:
  my-hello: o/hello
executors:
  my-exec: o/base
jobs:
  build:
    executor: {name: my-exec, tag: "2024.01"}
    steps:
      - my-hello: {who: you}
workflows:
  main:
    jobs: [build]
"""

ORB_FILE = """
version: 2.1
commands:
  hello:
    parameters:
      who: {type: string, default: world}
    steps:
      - run: echo hello << parameters.who >>
executors:
  base:
    parameters:
      tag: {type: string, default: current}
    docker: [{image: "cimg/base:<< parameters.tag >>"}]
"""


def test_commands_and_executors_defined_as_orb_element_references(tmp_path: Path) -> None:
    """"Orb concepts": `commands: {my-hello: o/hello}`, `executors: {my-exec: o/base}`
    stand for the orb's elements; arguments pass through to them."""
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "o@1.0.0.yml").write_text(ORB_FILE)
    r = compile_text(ORB_ALIASES, orb_dir=tmp_path)
    assert [str(d) for d in r.diagnostics] == []
    assert r.data["jobs"]["build"] == {
        "docker": [{"image": "cimg/base:2024.01"}],
        "steps": [{"run": {"command": "echo hello you"}}],
    }
    # The orb not available offline: the step and the executor are kept, under the names
    # they have in the orb.
    r = compile_text(ORB_ALIASES)
    assert [d.code for d in r.diagnostics] == ["orb-unavailable"]
    assert r.data["jobs"]["build"] == {
        "executor": {"name": "o/base", "tag": "2024.01"},
        "steps": [{"o/hello": {"who": "you"}}],
    }


def test_an_alias_to_nothing_or_in_a_cycle_is_reported_at_the_alias() -> None:
    r = compile_text("""
version: 2.1
commands:
  a: b
  b: a
  c: nowhere
jobs:
  build:
    docker: [{image: cimg/base:current}]
    steps: [a, c]
workflows:
  main:
    jobs: [build]
""")
    got = [(d.code, d.line, d.message) for d in r.errors]
    cycle = "Command aliases refer to each other in a cycle: a -> b -> a"
    assert ("command-cycle", 4, cycle) in got
    assert ("command-undefined", 6, "Cannot find a definition for command named nowhere") in got


def test_orb_invalid_reference_names_the_reference_as_written() -> None:
    r = compile_text("""
version: 2.1
orbs:
  o: << pipeline.parameters.w >>
jobs:
  build:
    docker: [{image: cimg/base:current}]
    steps: [checkout]
workflows:
  main:
    jobs: [build]
""")
    bad = [d.message for d in r.errors if d.code == "orb-invalid-reference"]
    assert bad == ["Invalid orb reference '<< pipeline.parameters.w >>' (renders to ''): "
                   "expected namespace/name@version"]


def test_a_job_with_no_steps_is_printed_with_an_empty_step_list() -> None:
    r = compile_text("""
version: 2.1
parameters:
  on: {type: boolean, default: false}
jobs:
  nothing:
    docker: [{image: cimg/base:current}]
  skipped:
    docker: [{image: cimg/base:current}]
    steps:
      - when: {condition: << pipeline.parameters.on >>, steps: [checkout]}
workflows:
  main:
    jobs: [nothing, skipped]
""")
    assert r.data["jobs"]["nothing"]["steps"] == []
    assert r.data["jobs"]["skipped"]["steps"] == []
