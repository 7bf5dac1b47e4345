"""Golden plans: ``tests/testdata/plans/<case>.yml`` planned for each trigger of ``CASES``
must give exactly ``<case>.<label>.json`` (the JSON contract, version 1).

``seed_*`` cases are examples of the seed document (shared/seed/workflows.md), cleaned and
completed by ``tests/seed.py``; their ``.yml`` must stay identical to that.

After an intended change: ``WFC_UPDATE_PLANS=1 pytest tests/planning/test_golden_plans.py``
rewrites the files; review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workflowcore.config import load
from workflowcore.planning import Trigger, plan
from workflowcore.reporting.plans import plan_json

from ..conftest import TESTDATA
from .test_seed_plans import seed_config

PLANS = TESTDATA / "plans"
UPDATE = os.environ.get("WFC_UPDATE_PLANS") == "1"

SEED_CASES = {"seed_fan_out_fan_in": 94, "seed_approval": 127, "seed_branches": 192,
              "seed_tags": 266}

CASES: dict[str, dict[str, Trigger]] = {
    "d29598": {
        "branch-feature-x": Trigger(branch="feature-x"),
        "branch-master": Trigger(branch="master"),
    },
    "tag_transitive": {
        "tag-v1.0": Trigger(tag="v1.0"),
        "tag-nightly": Trigger(tag="nightly"),
        "branch-main": Trigger(branch="main"),
    },
    "expression_filters": {
        "branch-main": Trigger(branch="main"),
        "branch-main-deploy": Trigger(branch="main", parameters={"deploy": "true"}),
        "branch-feature-1": Trigger(branch="feature-1"),
        "tag-release-1": Trigger(tag="release-1"),
        "tag-v1": Trigger(tag="v1"),
    },
    "flexible_requires": {
        "branch-main": Trigger(branch="main"),
        "branch-dev": Trigger(branch="dev"),
    },
    "matrix_filtered": {
        "branch-main": Trigger(branch="main"),
        "branch-docs-typo": Trigger(branch="docs-typo"),
    },
    "scheduled_when": {
        "branch-main": Trigger(branch="main"),
        "branch-docs-x-release": Trigger(branch="docs-x", parameters={"run-release": True}),
        "schedule-main": Trigger(branch="main", event="schedule"),
        "schedule-dev": Trigger(branch="dev", event="schedule"),
    },
    "implicit": {
        "branch-main": Trigger(branch="main"),
        "tag-v1": Trigger(tag="v1"),
    },
    "seed_fan_out_fan_in": {"branch-main": Trigger(branch="main")},
    "seed_approval": {"branch-main": Trigger(branch="main")},
    "seed_branches": {
        "branch-user-bob": Trigger(branch="user-bob"),
        "branch-main": Trigger(branch="main"),
    },
    "seed_tags": {
        "branch-main": Trigger(branch="main"),
        "tag-config-test-2": Trigger(tag="config-test-2"),
        "tag-v2": Trigger(tag="v2"),
    },
}

GOLDEN = [(case, label) for case, triggers in CASES.items() for label in triggers]


def test_every_golden_file_belongs_to_a_case() -> None:
    expected = {f"{case}.yml" for case in CASES} | {f"{c}.{lbl}.json" for c, lbl in GOLDEN}
    assert {p.name for p in PLANS.iterdir()} == expected


@pytest.mark.parametrize("case", sorted(SEED_CASES))
def test_seed_cases_are_the_seed_examples(case: str) -> None:
    path = PLANS / f"{case}.yml"
    text = seed_config(SEED_CASES[case])
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(("case", "label"), GOLDEN, ids=[f"{c}.{lbl}" for c, lbl in GOLDEN])
def test_golden_plan(case: str, label: str) -> None:
    trigger = CASES[case][label]
    result = load((PLANS / f"{case}.yml").read_text(encoding="utf-8"), f"{case}.yml")
    assert not result.errors, result.errors
    out = plan_json(plan(result, trigger))
    path: Path = PLANS / f"{case}.{label}.json"
    if UPDATE:
        path.write_text(out, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert out == expected
    # the file states its own trigger, so a reader can replay it
    t = json.loads(expected)["trigger"]
    assert (t["branch"], t["tag"], t["event"]) == (trigger.branch, trigger.tag, trigger.event)
