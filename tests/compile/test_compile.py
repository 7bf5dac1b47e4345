"""The compiler's API: results, origins, limits, lint mode, inputs it must survive."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from workflowcore.config._yaml import parse_yaml
from workflowcore.config.compile import (
    MAX_MATRIX_JOBS,
    CompileResult,
    compile_config,
    to_yaml,
)
from workflowcore.diagnostics import Severity


def compile_text(text: str, **kwargs: Any) -> CompileResult:
    y = parse_yaml(text, "config.yml")
    assert not [d for d in y.diagnostics if d.is_error]
    kwargs.setdefault("orb_dir", "/nonexistent-orb-dir")
    return compile_config(y.data, source_map=y.source_map, **kwargs)


MATRIX = """
version: 2.1
jobs:
  build:
    parameters:
      v: {type: string}
    docker: [{image: cimg/base:stable}]
    steps:
      - checkout
      - run: echo << parameters.v >>
workflows:
  main:
    jobs:
      - build:
          name: build-v<< matrix.v >>
          matrix:
            parameters:
              v: ["1", "2"]
      - build:
          name: last
          v: "3"
          requires: [build]
"""


def test_origins_point_back_to_where_things_were_written() -> None:
    r = compile_text(MATRIX)
    assert r.ok
    assert r.origins[("jobs", "build-v1")] == ("jobs", "build")
    assert r.origins[("workflows", "main", "jobs", 1)] == ("workflows", "main", "jobs", 0)
    assert r.origins[("workflows", "main", "jobs", 2)] == ("workflows", "main", "jobs", 1)
    assert r.origins[("jobs", "last", "steps", 1)] == ("jobs", "build", "steps", 1)
    # the longest mapped prefix answers for deeper locs
    assert r.origin(("jobs", "last", "steps", 1, "run", "command")) == ("jobs", "build", "steps", 1)
    assert r.origin(("nowhere",)) is None
    # requiring the matrix alias requires every member
    assert r.data["workflows"]["main"]["jobs"][2] == {
        "last": {"requires": ["build-v1", "build-v2"]}
    }


def test_input_data_is_never_modified() -> None:
    data = yaml.safe_load(MATRIX)
    before = copy.deepcopy(data)
    compile_config(data)
    compile_config(data, lint=True)
    assert data == before


def test_without_source_map_diagnostics_sit_on_line_one() -> None:
    data = yaml.safe_load(MATRIX.replace('v: "3"', "v: 3"))
    r = compile_config(data)
    (d,) = r.errors
    assert (d.path, d.line, d.column) == ("<string>", 1, 1)
    assert "Type error for argument v" in d.message


@pytest.mark.parametrize("data", [None, [], "text", {"jobs": {}}, {"version": 3}])
def test_unprocessable_input_gives_no_data_and_no_crash(data: Any) -> None:
    r = compile_config(data)
    assert r.data is None
    assert not r.ok


def test_pipeline_parameters_given_but_not_declared() -> None:
    r = compile_text("version: 2.1\njobs: {}\nworkflows: {}\n", parameters={"x": 1})
    assert [d.message for d in r.errors] == ["Unexpected argument(s): x"]


def test_skipped_workflows_say_why_and_drop_their_jobs() -> None:
    text = """
version: 2.1
jobs:
  a: {docker: [{image: x}], steps: [checkout]}
  b: {docker: [{image: x}], steps: [checkout]}
workflows:
  main:
    when: pipeline.git.branch == "main"
    jobs: [a]
  other:
    unless:
      equal: [main, << pipeline.git.branch >>]
    jobs: [b]
"""
    r = compile_text(text, pipeline_values={"pipeline.git.branch": "dev"})
    assert r.skipped_workflows == {"main": 'when: pipeline.git.branch == "main" is false'}
    assert list(r.data["jobs"]) == ["b"]
    r = compile_text(text, pipeline_values={"pipeline.git.branch": "main"})
    assert r.skipped_workflows == {
        "other": "unless: {equal: [main, << pipeline.git.branch >>]} is true"
    }
    r = compile_text(text, lint=True)
    assert r.skipped_workflows == {}
    assert list(r.data["workflows"]) == ["version", "main", "other"]


def test_opaque_orb_jobs_are_listed() -> None:
    text = """
version: 2.1
orbs: {node: circleci/node@5}
workflows:
  main:
    jobs: [node/test, {node/test: {name: again}}]
"""
    r = compile_text(text)
    assert r.opaque_jobs == {"node/test", "again"}
    assert r.data["jobs"]["again"]["opaque"] is True
    (w,) = r.warnings
    assert w.code == "orb-unavailable"
    assert w.line == 3


def test_exponential_command_expansion_stops_with_a_diagnostic() -> None:
    levels = 40
    cmds = {f"c{i}": {"steps": [f"c{i + 1}", f"c{i + 1}"]} for i in range(levels)}
    cmds[f"c{levels}"] = {"steps": [{"run": "echo leaf"}]}
    data = {
        "version": 2.1,
        "commands": cmds,
        "jobs": {"j": {"docker": [{"image": "x"}], "steps": ["c0"]}},
        "workflows": {"w": {"jobs": ["j"]}},
    }
    start = time.perf_counter()
    r = compile_config(data)
    assert time.perf_counter() - start < 20
    assert r.data is None
    assert [d.code for d in r.errors] == ["config-too-large"]


def test_deep_but_finite_command_nesting_is_bounded() -> None:
    levels = 200
    cmds = {f"c{i}": {"steps": [f"c{i + 1}"]} for i in range(levels)}
    cmds[f"c{levels}"] = {"steps": [{"run": "echo leaf"}]}
    data = {
        "version": 2.1,
        "commands": cmds,
        "jobs": {"j": {"docker": [{"image": "x"}], "steps": ["c0"]}},
        "workflows": {"w": {"jobs": ["j"]}},
    }
    r = compile_config(data)
    assert [d.code for d in r.errors] == ["command-too-deep"]


def test_matrix_limit_is_exact() -> None:
    def config(a: int, b: int) -> dict[str, Any]:
        return {
            "version": 2.1,
            "jobs": {
                "t": {
                    "parameters": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "docker": [{"image": "x"}],
                    "steps": ["checkout"],
                }
            },
            "workflows": {
                "w": {
                    "jobs": [
                        {
                            "t": {
                                "matrix": {"parameters": {"a": list(range(a)), "b": list(range(b))}}
                            }
                        }
                    ]
                }
            },
        }

    ok = compile_config(config(100, 100))
    assert ok.ok
    assert len(ok.data["jobs"]) == MAX_MATRIX_JOBS
    bad = compile_config(config(100, 101))
    assert [d.message for d in bad.errors] == [
        "The t build matrix expands to 10100 jobs. Matrices cannot generate more than 10000 jobs."
    ]


def test_lint_keeps_trigger_dependent_tags_and_reports_structure() -> None:
    r = compile_text(
        """
version: 2.1
jobs:
  build:
    docker: [{image: x}]
    steps:
      - run: echo << pipeline.git.branch >> << pipeline.number >>
      - nope
workflows:
  main:
    jobs: [build]
""",
        lint=True,
    )
    job = r.data["jobs"]["build"]
    assert job["steps"][0] == {
        "run": {"command": "echo << pipeline.git.branch >> << pipeline.number >>"}
    }
    assert [d.code for d in r.errors] == ["command-undefined"]


def test_to_yaml_round_trips_and_never_uses_anchors() -> None:
    r = compile_text(MATRIX)
    text = to_yaml(r.data)
    assert "&" not in text
    assert "*id" not in text
    assert yaml.safe_load(text) == r.data
    assert text.startswith("version: 2\njobs:\n")


def test_diagnostics_in_an_orb_file_point_into_that_file(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "x@1.0.0.yml").write_text(
        "version: 2.1\ncommands:\n  go:\n    steps:\n      - run: echo << parameters.no >>\n"
    )
    r = compile_text(
        """
version: 2.1
orbs: {x: acme/x@1.0}
jobs:
  build:
    docker: [{image: x}]
    steps: [x/go]
workflows:
  main:
    jobs: [build]
""",
        orb_dir=tmp_path,
    )
    (d,) = r.errors
    assert d.path.endswith("x@1.0.0.yml")
    assert (d.line, d.column) == (5, 22)
    assert "invoked at 7:13" in d.message
    # origins never point into orb files: the step maps to the orb's entry in the config
    assert r.origins[("jobs", "build", "steps", 0)] == ("orbs", "x")


def test_orb_importing_itself_is_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "loop@1.0.0.yml").write_text(
        "version: 2.1\norbs: {me: acme/loop@1.0.0}\ncommands: {go: {steps: [me/go]}}\n"
    )
    r = compile_text(
        """
version: 2.1
orbs: {l: acme/loop@1}
jobs:
  build: {docker: [{image: x}], steps: [l/go]}
workflows: {main: {jobs: [build]}}
""",
        orb_dir=tmp_path,
    )
    assert "orb-cycle" in {d.code for d in r.diagnostics}


def test_orb_dir_defaults_beside_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "orbs" / "acme").mkdir(parents=True)
    (tmp_path / "orbs" / "acme" / "t@0.1.0.yml").write_text(
        "version: 2.1\ncommands: {hi: {steps: [{run: echo hi}]}}\n"
    )
    cfg = tmp_path / "config.yml"
    cfg.write_text(
        "version: 2.1\norbs: {t: acme/t@0.1}\n"
        "jobs: {b: {docker: [{image: x}], steps: [t/hi]}}\n"
        "workflows: {w: {jobs: [b]}}\n"
    )
    y = parse_yaml(cfg.read_text(), str(cfg))
    r = compile_config(y.data, source_map=y.source_map)
    assert r.ok, r.diagnostics
    assert r.data["jobs"]["b"]["steps"] == [{"run": {"command": "echo hi"}}]


def test_errors_in_disabled_workflows_are_not_reported_unless_linting() -> None:
    text = """
version: 2.1
parameters:
  extra: {type: boolean, default: false}
jobs:
  j:
    parameters: {x: {type: string}}
    docker: [{image: x}]
    steps: [checkout]
workflows:
  maybe:
    when: << pipeline.parameters.extra >>
    jobs: [j]
"""
    assert compile_text(text).ok
    linted = compile_text(text, lint=True)
    assert linted.errors == []
    (w,) = linted.warnings
    assert w.code == "param-missing"
    assert w.severity is Severity.WARNING
    assert "workflow 'maybe' has a when/unless condition" in (w.hint or "")
    assert [d.code for d in compile_text(text, parameters={"extra": True}).errors] == [
        "param-missing"
    ]


def test_compiled_jobs_share_unchanged_subtrees_with_the_input() -> None:
    data = yaml.safe_load(MATRIX)
    r = compile_config(data)
    assert r.data["jobs"]["build-v1"]["docker"] is data["jobs"]["build"]["docker"]
    assert r.data["jobs"]["build-v1"]["steps"][0] is data["jobs"]["build"]["steps"][0]


_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(
        [
            "build",
            "<< parameters.x >>",
            "<< matrix.a >>",
            "<<",
            "checkout",
            "a/b",
            "<< pipeline.git.branch >>",
            "run",
            "steps",
            "when",
            "condition",
        ]
    ),
)
_tree = st.recursive(
    _leaf,
    lambda c: st.one_of(
        st.lists(c, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "steps",
                    "parameters",
                    "jobs",
                    "matrix",
                    "name",
                    "requires",
                    "run",
                    "when",
                    "condition",
                    "x",
                    "a",
                    "executor",
                    "type",
                    "default",
                    "build",
                ]
            ),
            c,
            max_size=4,
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(jobs=_tree, commands=_tree, workflows=_tree, executors=_tree, groups=_tree)
def test_arbitrary_shapes_never_crash(
    jobs: Any, commands: Any, workflows: Any, executors: Any, groups: Any
) -> None:
    data = {
        "version": 2.1,
        "jobs": jobs,
        "commands": commands,
        "workflows": workflows,
        "executors": executors,
        "job-groups": groups,
    }
    for lint in (False, True):
        r = compile_config(data, lint=lint)
        if r.data is not None:
            to_yaml(r.data)


def test_absurdly_deep_data_is_a_diagnostic_not_a_crash() -> None:
    deep: Any = "<< parameters.x >>"
    for _ in range(5000):
        deep = [deep]
    data = {
        "version": 2.1,
        "jobs": {
            "j": {
                "parameters": {"x": {"type": "string", "default": "y"}},
                "docker": [{"image": "x"}],
                "environment": {"A": deep},
                "steps": ["checkout"],
            }
        },
        "workflows": {"w": {"jobs": ["j"]}},
    }
    r = compile_config(data)
    assert r.data is None
    assert [d.code for d in r.errors] == ["config-too-large"]
