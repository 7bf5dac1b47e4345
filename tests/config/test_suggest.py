"""Near-miss suggestions (config/_suggest.py): the pre-filter that spares a cold start the
difflib import must never change a suggestion, only skip candidates that cannot win."""

from __future__ import annotations

import difflib
import subprocess
import sys
from typing import List

from hypothesis import given, settings
from hypothesis import strategies as st

from workflowcore.config._suggest import CUTOFF, close_match

KNOWN = ["version", "jobs", "workflows", "orbs", "commands", "executors", "parameters",
         "setup", "requires", "filters", "branches", "steps", "docker", "machine"]


def _reference(word: str, candidates: List[str], cutoff: float) -> str | None:
    names = sorted({c for c in candidates if c != word})
    got = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
    return got[0] if got else None


@given(st.text(alphabet="abcdefgilmnoprstuvwx-_", max_size=12),
       st.lists(st.text(alphabet="abcdefgilmnoprstuvwx", min_size=1, max_size=12),
                max_size=8),
       st.sampled_from([0.6, CUTOFF, 0.8]))
@settings(max_examples=400, deadline=None)
def test_the_prefilter_never_changes_a_suggestion(word: str, extra: List[str],
                                                  cutoff: float) -> None:
    candidates = KNOWN + extra
    assert close_match(word, candidates, cutoff) == _reference(word, candidates, cutoff)


def test_typos_are_still_found() -> None:
    assert close_match("requries", KNOWN) == "requires"
    assert close_match("workflow", KNOWN) == "workflows"
    assert close_match("exectuors", KNOWN, cutoff=0.8) == "executors"
    assert close_match("defaults", KNOWN, cutoff=0.8) is None


def test_an_unknown_name_that_resembles_nothing_does_not_import_difflib() -> None:
    code = ("import sys\nfrom workflowcore.config._suggest import close_match\n"
            "assert close_match('defaults', ['version', 'jobs', 'workflows', 'orbs']) is None\n"
            "print('difflib' in sys.modules)\n"
            "assert close_match('verison', ['version', 'jobs']) == 'version'\n"
            "print('difflib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True"]
