"""JUnit XML summaries for ``store_test_results``.

CircleCI accepts a directory (searched recursively for ``*.xml``) or a single file. The
summary counts ``<testcase>`` elements rather than trusting the ``tests=``/``failures=``
attributes, which many reporters get wrong; a file with no test cases falls back to its
top-level suite attributes. Files that are not well-formed XML are reported, not fatal.
The standard library parser does not resolve external entities, and the expat it ships
with limits entity expansion, so a hostile report cannot read files or exhaust memory.

:func:`read_junit` also returns each test case's timing (``file``, ``classname``, ``name``,
``time``): what ``circleci tests split --split-by=timings`` balances on in the job's next
run. CircleCI reads ``file`` from the ``<testcase>`` or its ``<testsuite>`` and ``time``
from the ``<testcase>`` (https://circleci.com/docs/guides/optimize/parallelism-faster-jobs/
"JUnit XML report formatting"); a case without a usable ``time`` has no timing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..executor import TestResultsSummary
from ..stores.timings import TestTiming

__all__ = ["read_junit", "summarize_junit"]

_MAX_FAILED_NAMES = 100


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _int(value: object) -> int:
    try:
        return int(float(str(value)))
    except (TypeError, ValueError):
        return 0


def _seconds(value: Optional[str]) -> Optional[float]:
    """A JUnit ``time`` attribute in seconds (``1,234.5`` too: some reporters group digits);
    ``None`` when missing, not a number, negative or infinite."""
    if value is None:
        return None
    try:
        seconds = float(value.strip().replace(",", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds < float("inf") else None


def _case_file(case: Any, parents: Dict[Any, Any]) -> str:
    """The ``file`` of a test case: its own, else the nearest enclosing suite's."""
    el: Any = case
    while el is not None:
        value = el.get("file")
        if value:
            return str(value)
        el = parents.get(el)
    return ""


def _summarize_file(path: Path) -> Tuple[TestResultsSummary, List[TestTiming]]:
    import xml.etree.ElementTree as ET  # only jobs that store test results pay for it

    root = ET.parse(path).getroot()
    tests = failures = errors = skipped = 0
    failed: list[str] = []
    timings: List[TestTiming] = []
    cases = [el for el in root.iter() if _local(el.tag) == "testcase"]
    parents = {child: parent for parent in root.iter() for child in parent} if cases else {}
    for case in cases:
        seconds = _seconds(case.get("time"))
        if seconds is not None:
            timings.append(TestTiming(_case_file(case, parents), case.get("classname") or "",
                                      case.get("name") or "", seconds))
        tests += 1
        kinds = {_local(child.tag) for child in case}
        label = ".".join(p for p in (case.get("classname"), case.get("name")) if p)
        if "failure" in kinds:
            failures += 1
            failed.append(label)
        elif "error" in kinds:
            errors += 1
            failed.append(label)
        elif "skipped" in kinds:
            skipped += 1
    if not cases:
        suites = [root] if _local(root.tag) == "testsuite" else [
            el for el in root if _local(el.tag) == "testsuite"]
        for suite in suites:
            tests += _int(suite.get("tests"))
            failures += _int(suite.get("failures"))
            errors += _int(suite.get("errors"))
            skipped += _int(suite.get("skipped") or suite.get("disabled"))
    return TestResultsSummary(tests, failures, errors, skipped, (str(path),),
                              tuple(failed[:_MAX_FAILED_NAMES])), timings


def summarize_junit(path: Path) -> Tuple[TestResultsSummary, List[str]]:
    """Summary of every JUnit file at ``path`` and one message per unreadable file."""
    summary, _, problems = read_junit(path)
    return summary, problems


def read_junit(path: Path) -> Tuple[TestResultsSummary, List[TestTiming], List[str]]:
    """Summary and per-test timings of every JUnit file at ``path``, and one message per
    unreadable file."""
    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = []
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames.sort()
            files.extend(Path(dirpath) / f for f in sorted(filenames)
                         if f.lower().endswith(".xml"))
    else:
        return TestResultsSummary(), [], []
    from xml.etree.ElementTree import ParseError

    total = TestResultsSummary()
    timings: List[TestTiming] = []
    problems: list[str] = []
    for f in files:
        try:
            summary, found = _summarize_file(f)
        except (ParseError, OSError) as exc:
            problems.append(f"could not read test results {str(f)!r}: {exc}")
            continue
        total = total + summary
        timings.extend(found)
    return total, timings, problems
