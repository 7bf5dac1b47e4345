"""Processed configs are valid configs (issue 9 item 3): for every real config of the
corpus that loads clean, ``process`` output (with and without a trigger) fed back to
``load`` (what ``validate`` runs) has no error.

A config whose orbs are not available offline compiles with *opaque* orb elements, which
``process`` cannot inline (it has no orb source), so its output is not a complete config;
those are listed, not round-tripped (see docs/compile.md, "Round trip")."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional

import pytest

from workflowcore import compile as compile_api
from workflowcore.config import LoadResult, load, to_yaml
from workflowcore.planning import Trigger

from ..conftest import shared_dir
from .test_corpus import NOT_YAML, ROWS

REAL = [r["file"] for r in ROWS if r["kind"] == "real" and r["file"] not in NOT_YAML]


@lru_cache(maxsize=None)
def _loaded(name: str) -> LoadResult:
    path = shared_dir() / "corpus" / "real" / name
    return load(path.read_text(encoding="utf-8"), name)


def _processed(name: str, branch: Optional[str]) -> Optional[Dict[str, Any]]:
    """The processed data, or None when the config is not a round-trip case (it does not
    load clean, fails to compile, or uses orbs not available offline)."""
    loaded = _loaded(name)
    if loaded.errors:
        return None
    result = compile_api(loaded, None if branch is None else Trigger(branch=branch),
                         orb_dir="/nonexistent-orb-dir")
    if result.data is None or result.errors:
        return None
    if any(d.code == "orb-unavailable" for d in result.diagnostics):
        return None
    data: Dict[str, Any] = result.data
    return data


@pytest.mark.parametrize("branch", [None, "main"], ids=["lint", "branch-main"])
@pytest.mark.parametrize("name", REAL)
def test_process_output_validates_clean(name: str, branch: Optional[str]) -> None:
    data = _processed(name, branch)
    if data is None:
        return  # counted by test_most_real_configs_are_round_trip_cases
    text = to_yaml(data)
    back = load(text, "processed.yml")
    assert [str(d) for d in back.errors] == []
    if branch is not None:
        # Processing the processed config again changes nothing: it is a 2.0 config and
        # passes through as it is.
        again = compile_api(back, Trigger(branch=branch))
        assert again.errors == []
        assert to_yaml(again.data) == text


def test_most_real_configs_are_round_trip_cases() -> None:
    cases: List[str] = [n for n in REAL if _processed(n, None) is not None]
    # 92 of the real configs load clean and need no unavailable orb (when this was
    # written); the rest use published orbs, whose sources the compiler does not have.
    assert len(cases) >= 90


def test_a_setup_config_round_trips() -> None:
    """CircleCI refuses `setup: true` in a version 2 config, so processed output has none."""
    src = load("version: 2.1\nsetup: true\njobs:\n  a: {docker: [{image: x}], steps: [checkout]}\n"
               "workflows:\n  w:\n    jobs: [a]\n")
    data = compile_api(src, Trigger(branch="main")).data
    assert data is not None and "setup" not in data
    assert [str(d) for d in load(to_yaml(data)).errors] == []
