"""Every golden case compiles to its expected processed config and findings."""

from __future__ import annotations

import pytest

from ._golden import cases, check


@pytest.mark.parametrize("case", cases())
def test_golden(case: str) -> None:
    check(case)


def test_there_are_golden_cases() -> None:
    assert len(cases()) >= 30
