"""Shared fixtures: where the shared corpus and seed live, and small helpers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = Path(__file__).resolve().parent / "testdata"

# The per-user orb store (docs/orbs.md) is the developer's own: tests never read or write
# it. Each test run gets an empty one (set before anything imports workflowcore, and
# inherited by the `python -m workflowcore` processes tests start).
if not os.environ.get("WFC_KEEP_ORB_STORE"):
    import tempfile

    os.environ["WORKFLOWCORE_ORB_STORE"] = tempfile.mkdtemp(prefix="wfc-orb-store-")
# Job directories of `workflowcore run` live outside the project, under the user's cache
# (issue 12); tests keep them in a temporary directory instead of ~/.cache.
if not os.environ.get("WORKFLOWCORE_JOBS_DIR"):
    import tempfile

    os.environ["WORKFLOWCORE_JOBS_DIR"] = tempfile.mkdtemp(prefix="wfc-jobs-")


def _shared_path() -> Path:
    env = os.environ.get("WFC_SHARED")
    return Path(env) if env else ROOT.parent / "shared"


def _shared_missing() -> str | None:
    """Why the shared test data cannot be used (``None``: it is there)."""
    p = _shared_path()
    if (p / "corpus" / "real").is_dir():
        return None
    return (f"not at {p} (real configs, orbs, projects, seed): clone the project next to "
            "'shared/' or set WFC_SHARED")


def shared_dir() -> Path:
    """``../shared`` beside the project (CI clones the project next to it).

    A newcomer's clone alone has none: the tests that need it are skipped (a module that
    needs it at import is skipped whole), and ``pytest_report_header`` says so in one line.
    ``WFC_REQUIRE_SHARED=1`` (set by scripts/test.sh in CI, where the data is present)
    makes that a failure instead, as ``WFC_REQUIRE_DOCKER`` does for the Docker tests."""
    missing = _shared_missing()
    if missing is not None:
        if os.environ.get("WFC_REQUIRE_SHARED") == "1":
            pytest.fail(f"the shared test data is missing, {missing} (WFC_REQUIRE_SHARED=1)",
                        pytrace=False)
        pytest.skip(_SHARED_SKIP + missing, allow_module_level=True)
    return _shared_path()


def pytest_report_header() -> str | None:
    missing = _shared_missing()
    if missing is None:
        return None
    return f"!!! the shared test data is missing, {missing}: its tests are SKIPPED !!!"


_SHARED_SKIP = "needs the shared test data, "


def _one_place(report: pytest.CollectReport | pytest.TestReport) -> None:
    """Report every skip for the missing shared data at one place (this file), so that
    pytest's summary folds them into ONE line instead of one per test module."""
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3 \
            and str(longrepr[2]).startswith(("Skipped: " + _SHARED_SKIP, _SHARED_SKIP)):
        report.longrepr = (__file__, shared_dir.__code__.co_firstlineno, longrepr[2])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport() -> Iterator[None]:
    outcome = yield
    _one_place(outcome.get_result())  # type: ignore[attr-defined]


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report() -> Iterator[None]:
    outcome = yield
    _one_place(outcome.get_result())  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()
