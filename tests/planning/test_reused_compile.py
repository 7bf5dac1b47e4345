"""plan() reuses the lint compile ``load`` did when nothing in the config can see the
trigger (issue 11, planning speed): the plan must be exactly the one a fresh compile for
the trigger gives. Checked over the real corpus and on generated graphs."""

from __future__ import annotations

from typing import List

import pytest

import workflowcore as wc
from workflowcore.config import load
from workflowcore.planning._api import reusable_compile

from ..compile.test_corpus import NOT_YAML, ROWS
from ..conftest import shared_dir

REAL = [r["file"] for r in ROWS if r["kind"] == "real" and r["file"] not in NOT_YAML]
TRIGGERS = [wc.Trigger(branch="main"), wc.Trigger(branch="feature/x"),
            wc.Trigger(tag="v1.2.3")]


def _reusable() -> List[str]:
    out = []
    for name in REAL:
        r = load((shared_dir() / "corpus" / "real" / name).read_text(encoding="utf-8"), name)
        if not r.errors and reusable_compile(r, TRIGGERS[0]) is not None:
            out.append(name)
    return out


def test_reused_and_fresh_compiles_plan_the_same_over_the_corpus() -> None:
    names = _reusable()
    assert len(names) >= 20, names  # the rule is not so strict that it never applies
    for name in names:
        r = load((shared_dir() / "corpus" / "real" / name).read_text(encoding="utf-8"), name)
        for trigger in TRIGGERS:
            reused = wc.plan(r, trigger)
            fresh = wc.plan(r.data, trigger)  # plain data: always compiled for the trigger
            assert reused.to_dict() == fresh.to_dict(), (name, trigger)
            assert [w.jobs for w in reused.workflows] == [w.jobs for w in fresh.workflows]


@pytest.mark.parametrize("text", [
    "version: 2.1\nparameters: {p: {type: boolean, default: true}}\n",
    "version: 2.1\n# pipeline.git.branch in a comment is enough\n",
    "version: 2.1\norbs: {}\n",
    "version: 2.1\n# when\n",
], ids=["pipeline-parameters", "pipeline-value", "orbs", "when"])
def test_a_config_that_could_see_the_trigger_is_compiled_again(text: str) -> None:
    body = ("jobs:\n  a: {docker: [{image: x}], steps: [checkout]}\n"
            "workflows:\n  w: {jobs: [a]}\n")
    r = load(text + body)
    assert not r.errors
    assert reusable_compile(r, wc.Trigger(branch="main")) is None
    plain = load("version: 2.1\n" + body)
    assert reusable_compile(plain, wc.Trigger(branch="main")) is plain.compiled
    assert reusable_compile(plain, wc.Trigger(branch="main", parameters={"x": 1})) is None
