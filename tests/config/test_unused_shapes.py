"""The unused-element check matches templated references (``install-<< parameters.os >>``)
against element names without a regex (checks/unused.py ``_fits``): a regex of ``.*`` per
template backtracked for minutes on a fuzzed step naming sixty templates."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import List

from hypothesis import given, settings
from hypothesis import strategies as st

from workflowcore.config import load
from workflowcore.config.checks.unused import _fits

_TEXT = st.text(alphabet="ab-", max_size=8)


@given(st.lists(_TEXT, min_size=2, max_size=5), _TEXT)
@settings(max_examples=500, deadline=None)
def test_fits_is_the_regex_it_replaces(parts: List[str], name: str) -> None:
    regex = re.compile(".*".join(re.escape(p) for p in parts))
    assert _fits(name, parts) is (regex.fullmatch(name) is not None)


def test_a_templated_command_reference_still_counts_as_using_a_command() -> None:
    text = ("version: 2.1\ncommands:\n  install-macos: {steps: [checkout]}\n"
            "  install-linux: {steps: [checkout]}\n  other: {steps: [checkout]}\n"
            "jobs:\n  a:\n    parameters: {os: {type: string, default: macos}}\n"
            "    docker: [{image: x}]\n    steps: [install-<< parameters.os >>]\n"
            "workflows:\n  w:\n    jobs: [a]\n")
    unused = [d.message for d in load(text).diagnostics if d.code == "command-unused"]
    assert unused == ["command 'other' is never invoked"]


def test_a_step_naming_sixty_templates_loads_at_once() -> None:
    step = "<< parameters.x >>" * 60 + "<< paramet"
    text = (f"commands:\n  c:\n    steps:\n    - '{step}'\n"
            "  php--run-static-analysis:\n    steps: [checkout]\n"
            "workflows:\n  version: 2\n  w:\n    jobs: [x]\n")
    code = ("import sys\nfrom workflowcore.config import load\n"
            "print(len(load(sys.stdin.read()).diagnostics))")
    out = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True,
                         text=True, check=True, timeout=60).stdout  # minutes before the fix
    assert int(out) > 0
