"""Property tests: whatever text or YAML-shaped data arrives, ``load`` returns diagnostics
and never raises."""

from __future__ import annotations

import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflowcore.config import load

YAML_CHARS = string.ascii_letters + string.digits + " \t\n:-[]{},&*!|>'\"#%@`~?<=\u00a0\u200b/\\."

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["build", "test", "deploy", "checkout", "run", "<< parameters.x >>",
                     "/^v.*/", "approval", "terminal", "2.1", "~/project"]),
)
keys = st.sampled_from(["version", "jobs", "workflows", "steps", "docker", "image", "run",
                        "requires", "filters", "branches", "tags", "only", "ignore", "type",
                        "context", "name", "command", "build", "test", "deploy", "matrix",
                        "parameters", "executor", "orbs", "commands", "when", "unless",
                        "persist_to_workspace", "attach_workspace", "<<"]) | st.text(max_size=8)
data = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)


def _check(result) -> None:  # type: ignore[no-untyped-def]
    for d in result.diagnostics:
        assert d.line >= 1 and d.column >= 1 and d.code and d.message
        assert str(d)  # renders


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=YAML_CHARS, max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    _check(load(text, "fuzz.yml"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    _check(load(raw, "fuzz.yml"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, data, max_size=6))
def test_arbitrary_yaml_shaped_data_never_raises(value: dict) -> None:  # type: ignore[type-arg]
    text = yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
    _check(load(text, "fuzz.yml"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(["build", "test", "deploy", "lint", "a", "b"]),
                    st.lists(st.sampled_from(["build", "test", "deploy", "lint", "a", "b",
                                              "zzz"]), max_size=3), min_size=1, max_size=6),
    st.sampled_from(["2", "2.1"]),
)
def test_random_workflow_graphs_never_raise(graph: dict[str, list[str]], version: str) -> None:
    jobs = {n: {"docker": [{"image": "x"}], "steps": ["checkout"]} for n in graph}
    wf_jobs = [{n: {"requires": reqs}} if reqs else n for n, reqs in graph.items()]
    doc = {"version": float(version) if version == "2.1" else 2, "jobs": jobs,
           "workflows": {"version": 2, "main": {"jobs": wf_jobs}}}
    result = load(yaml.safe_dump(doc, sort_keys=False), "g.yml")
    _check(result)
    codes = {d.code for d in result.diagnostics}
    if any(r == n for n, reqs in graph.items() for r in reqs):
        assert "requires-unknown" in codes  # a job requiring itself: "0 other jobs"
