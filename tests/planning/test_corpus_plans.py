"""Every real config of the shared corpus plans for branch ``main`` (and for a tag) without
an exception, and every plan is internally consistent: each invocation is either planned or
excluded, jobs come after their requirements, requirements name planned jobs."""

from __future__ import annotations

import csv

import pytest

from workflowcore.config import load_file
from workflowcore.planning import Plan, Trigger, plan
from workflowcore.reporting.plans import PLAN_FORMATS

from ..conftest import TESTDATA, shared_dir

CORPUS = shared_dir() / "corpus" / "real"
with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fh:
    KINDS = {row["file"]: row["kind"] for row in csv.DictReader(fh, delimiter="\t")}
INVALID = {line.split("\t")[0]
           for line in (TESTDATA / "corpus_invalid.tsv").read_text(encoding="utf-8").splitlines()
           if line and not line.startswith("#")}
REAL = sorted(f for f, kind in KINDS.items() if kind == "real" and f not in INVALID)


def check_consistent(p: Plan) -> None:
    for wf in p.workflows:
        placed: set[str] = set()
        for j in wf.jobs:
            assert set(j.requires) <= placed, (wf.name, j.name)
            assert all(j.requires[r] for r in j.requires)
            placed.add(j.name)
        excluded = {e.name for e in wf.excluded}
        assert len(placed) == len(wf.jobs) and not placed & excluded
        assert len(excluded) == len(wf.excluded) and all(e.reason for e in wf.excluded)
        assert wf.runs == bool(wf.jobs)
        assert (wf.reason is None) == wf.runs


def test_the_corpus_has_real_configs() -> None:
    assert len(REAL) >= 150


@pytest.mark.parametrize("name", REAL)
def test_real_config_plans(name: str) -> None:
    result = load_file(CORPUS / name)
    assert not result.errors
    for trigger in (Trigger(branch="main"), Trigger(tag="v1.0.0")):
        p = plan(result, trigger)
        assert p.diagnostics == tuple(d for d in p.diagnostics if not d.is_error)
        check_consistent(p)
        for fmt in PLAN_FORMATS.values():
            assert fmt(p)
