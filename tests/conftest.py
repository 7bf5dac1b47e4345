"""Shared fixtures: where the shared corpus and seed live, and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

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


def shared_dir() -> Path:
    """``../shared`` beside the project (CI clones the project next to it)."""
    env = os.environ.get("WFC_SHARED")
    p = Path(env) if env else ROOT.parent / "shared"
    if not (p / "corpus" / "real").is_dir():
        raise RuntimeError(
            f"the shared test data is missing at {p}: clone the project next to 'shared/' "
            "or set WFC_SHARED")
    return p


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()
