"""Golden diagnostics: ``tests/testdata/err/<case>.yml`` gives exactly ``<case>.out``.

Each ``.out`` holds the canonical lines (``path:line:col: severity: message [code]``) that
``workflowcore validate`` prints for the case. Regenerate after an intended change with
``WFC_UPDATE_GOLDENS=1 pytest tests/config/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workflowcore.config import load_file

from ..conftest import TESTDATA

ERR = TESTDATA / "err"
CASES = sorted(p.stem for p in ERR.glob("*.yml"))


def canonical(case: str) -> str:
    cwd = os.getcwd()
    os.chdir(ERR)
    try:
        result = load_file(Path(f"{case}.yml"))
    finally:
        os.chdir(cwd)
    return "".join(f"{d}\n" for d in result.diagnostics)


def test_every_case_has_an_expected_output() -> None:
    assert len(CASES) >= 20
    assert sorted(p.stem for p in ERR.glob("*.out")) == CASES


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    got = canonical(case)
    out = ERR / f"{case}.out"
    if os.environ.get("WFC_UPDATE_GOLDENS"):
        out.write_text(got, encoding="utf-8")
    assert got == out.read_text(encoding="utf-8")
    # every case demonstrates the code it is named after
    assert f"[{case}]" in got
