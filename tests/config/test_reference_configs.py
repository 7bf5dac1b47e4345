"""Issue 9 acceptance: every YAML block of CircleCI's configuration reference that is a whole
config validates with no false error.

`tests/testdata/reference/` holds our own rewrites of those examples (same structure and
features, our own names, images and commands): the configuration reference, the reusable
config reference and the pages they send readers to (workflows, orchestration cookbook,
automatic reruns, dynamic config, matrix jobs, serial groups, config overrides). The first
line of each file names the page and section it is derived from. Doc snippets that are not
whole configs were completed the least possible (an executor and steps for each job, the
jobs a workflow names) so that they test the feature the section shows.

Each file must load without an error diagnostic; a 2.1 file must also compile for a push of
`main` without an error, and its processed output must load again without an error (except
when it uses an orb that is not available offline, as `process --allow-missing-orbs` prints
it: a 2.1 config keeping the orb references). The
negative cases at the end are errors the same pages document.

A case marked xfail is a false error still to fix in src/: its reason names the diagnostic
code and the doc source that shows the config valid.

`tests/testdata/reference-disputed/` holds the two doc examples that CircleCI's own pages or
tools contradict; docs/conformance.md records the decision (both stay errors) and
:func:`test_disputed_doc_examples_stay_errors` holds it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import workflowcore as wc
from workflowcore.config.compile._keep_orbs import keep_orb_references

REFERENCE = Path(__file__).resolve().parents[1] / "testdata" / "reference"
FILES = sorted(REFERENCE.glob("*.yml"))


def _version(path: Path) -> str:
    result = wc.load(path.read_text(encoding="utf-8"), path.name)
    return str((result.data or {}).get("version"))


FILES_21 = [path for path in FILES if _version(path) == "2.1"]

# Known false errors of `load` / of `compile` for a push of main (file name -> "code: why it
# is false, doc source"). Empty: every false error found was fixed.
LOAD_XFAIL: dict[str, str] = {}
COMPILE_XFAIL: dict[str, str] = {}


def _params(paths: list[Path], xfails: dict[str, str]) -> list[object]:
    params = []
    for path in paths:
        marks = ()
        if path.name in xfails:
            marks = (pytest.mark.xfail(strict=True, reason=xfails[path.name]),)
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def _errors(diagnostics: list[wc.Diagnostic]) -> list[str]:
    return [str(d) for d in diagnostics if d.severity is wc.Severity.ERROR]


def test_reference_inventory() -> None:
    assert len(FILES) >= 30
    assert len(FILES_21) >= 30
    for path in FILES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and len(first) > 20, f"{path.name}: no source comment"
    stale = (set(LOAD_XFAIL) | set(COMPILE_XFAIL)) - {path.name for path in FILES}
    assert not stale, f"xfail entries for missing files: {sorted(stale)}"


@pytest.mark.parametrize("path", _params(FILES, LOAD_XFAIL))
def test_reference_config_loads_without_errors(path: Path) -> None:
    result = wc.load(path.read_text(encoding="utf-8"), path.name)
    assert result.data is not None
    assert _errors(result.diagnostics) == []


def _compile(path: Path) -> wc.CompileResult:
    return wc.compile(wc.load(path.read_text(encoding="utf-8"), path.name),
                      wc.Trigger(branch="main"))


@pytest.mark.parametrize("path", _params(FILES_21, COMPILE_XFAIL))
def test_reference_config_compiles_without_errors(path: Path) -> None:
    compiled = _compile(path)
    assert compiled.data is not None
    assert _errors(compiled.diagnostics) == []


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in FILES_21])
def test_reference_config_processed_output_loads_without_errors(path: Path) -> None:
    compiled = _compile(path)
    if _errors(compiled.diagnostics):
        pytest.skip("does not compile cleanly: see test_reference_config_compiles_without_errors")
    data = compiled.data
    if compiled.unavailable_orbs:
        # as `process --allow-missing-orbs` prints it: a 2.1 config keeping the references
        data, problems = keep_orb_references(compiled.data, compiled.unavailable_orbs)
        assert problems == []
    processed = wc.to_yaml(data)
    again = wc.load(processed, f"processed-{path.name}")
    assert _errors(again.diagnostics) == [], processed


# --- errors the reference documents -----------------------------------------------------

NEGATIVE = {
    # configuration-reference, "executors" / "jobs": "One executor type should be specified
    # per job. If more than one is set you will receive an error."
    "two-executor-types": ("executor-conflict", "error", """\
        version: 2.1
        jobs:
          build:
            docker:
              - image: cimg/base:2024.02
            macos:
              xcode: "15.4.0"
            steps: [checkout]
        workflows:
          main:
            jobs: [build]
        """),
    # configuration-reference, "requires": dependencies are job names of the workflow.
    "requires-undefined-job": ("requires-unknown", "error", """\
        version: 2.1
        jobs:
          build: {docker: [{image: cimg/base:2024.02}], steps: [checkout]}
          ship: {docker: [{image: cimg/base:2024.02}], steps: [checkout]}
        workflows:
          main:
            jobs:
              - build
              - ship:
                  requires: [verify]
        """),
    # reusing-config, "Enum": a default that is not in the enum list is invalid.
    "enum-default-not-listed": ("param-default-type", "error", """\
        version: 2.1
        commands:
          fetch:
            parameters:
              os:
                type: enum
                default: "solaris"
                enum: ["darwin", "linux"]
            steps:
              - run: echo << parameters.os >>
        jobs:
          build: {docker: [{image: cimg/base:2024.02}], steps: [fetch]}
        workflows:
          main:
            jobs: [build]
        """),
    # reusing-config, "String": an unquoted value YAML reads as a boolean is a type error.
    "unquoted-boolean-for-string": ("param-type", "error", """\
        version: 2.1
        commands:
          say:
            parameters:
              word: {type: string}
            steps:
              - run: echo << parameters.word >>
        jobs:
          build:
            docker: [{image: cimg/base:2024.02}]
            steps:
              - say:
                  word: yes
        workflows:
          main:
            jobs: [build]
        """),
    # configuration-reference, "jobs > parameters": reserved parameter names.
    "reserved-job-parameter": ("param-reserved", "error", """\
        version: 2.1
        jobs:
          build:
            parameters:
              matrix: {type: string, default: x}
            docker: [{image: cimg/base:2024.02}]
            steps: [checkout]
        workflows:
          main:
            jobs: [build]
        """),
    # reusing-config, "The scope of parameters": a command cannot see its caller's parameters.
    "parameter-out-of-scope": ("param-undeclared", "error", """\
        version: 2.1
        commands:
          say:
            steps:
              - run: echo << parameters.word >>
        jobs:
          build:
            parameters:
              word: {type: string, default: hi}
            docker: [{image: cimg/base:2024.02}]
            steps: [say]
        workflows:
          main:
            jobs: [build]
        """),
    # reusing-config, "Invoking the same job multiple times": a repeated job that another
    # job requires must be named explicitly.
    "unnamed-repeat-required": ("requires-ambiguous", "error", """\
        version: 2.1
        jobs:
          ping:
            parameters:
              host: {type: string}
            docker: [{image: cimg/base:2024.02}]
            steps: [{run: ping -c 1 << parameters.host >>}]
          report: {docker: [{image: cimg/base:2024.02}], steps: [checkout]}
        workflows:
          main:
            jobs:
              - ping: {host: a}
              - ping: {host: b}
              - report:
                  requires: [ping]
        """),
    # configuration-reference, "jobs > type": only approval jobs may set type in workflows.
    "non-approval-type-in-workflow": ("approval-type-invalid", "error", """\
        version: 2.1
        jobs:
          build: {docker: [{image: cimg/base:2024.02}], steps: [checkout]}
        workflows:
          main:
            jobs:
              - build:
                  type: no-op
        """),
    # configuration-reference, "Logic statements": logic with an empty list is an error.
    "logic-empty-list": ("schema-invalid", "error", """\
        version: 2.1
        jobs:
          build: {docker: [{image: cimg/base:2024.02}], steps: [checkout]}
        workflows:
          main:
            when:
              and: []
            jobs: [build]
        """),
    # automatic-reruns, "Configuration errors": max_auto_reruns greater than 5.
    "workflow-reruns-above-5": ("schema-value", "error", """\
        version: 2.1
        jobs:
          build: {docker: [{image: cimg/base:2024.02}], steps: [checkout]}
        workflows:
          main:
            max_auto_reruns: 6
            jobs: [build]
        """),
    # automatic-reruns, "Configuration errors": max_auto_reruns at the job level.
    "job-level-reruns": ("schema-unknown-key", "error", """\
        version: 2.1
        jobs:
          build:
            max_auto_reruns: 3
            docker: [{image: cimg/base:2024.02}]
            steps: [checkout]
        workflows:
          main:
            jobs: [build]
        """),
    # configuration-reference, "Automatic step reruns": at most 5 reruns ...
    "step-reruns-above-5": ("schema-value", "error", """\
        version: 2.1
        jobs:
          build:
            docker: [{image: cimg/base:2024.02}]
            steps:
              - run:
                  command: make
                  max_auto_reruns: 6
        workflows:
          main:
            jobs: [build]
        """),
    # ... and a delay of at most 10 minutes.
    "step-rerun-delay-above-10m": ("step-auto-rerun", "error", """\
        version: 2.1
        jobs:
          build:
            docker: [{image: cimg/base:2024.02}]
            steps:
              - run:
                  command: make
                  max_auto_reruns: 2
                  auto_rerun_delay: 11m
        workflows:
          main:
            jobs: [build]
        """),
    # workflows, "Schedule requirements and syntax": a schedule needs cron and filters.
    "schedule-without-filters": ("schema-missing-key", "error", """\
        version: 2.1
        jobs:
          build: {docker: [{image: cimg/base:2024.02}], steps: [checkout]}
        workflows:
          nightly:
            triggers:
              - schedule:
                  cron: "0 0 * * *"
            jobs: [build]
        """),
    # workflows, "Schedule requirements and syntax": a range inside a comma list is shown
    # as invalid cron syntax (workflowcore: a warning, as CircleCI documents it unsupported).
    "cron-range-in-list": ("workflow-cron-unsupported", "warning", """\
        version: 2.1
        jobs:
          build: {docker: [{image: cimg/base:2024.02}], steps: [checkout]}
        workflows:
          nightly:
            triggers:
              - schedule:
                  cron: "5 4 * * 1,3-5,6"
                  filters:
                    branches:
                      only: [main]
            jobs: [build]
        """),
    # configuration-reference, "retention > Common errors": invalid time format ...
    "retention-in-hours": ("job-retention", "error", """\
        version: 2.1
        jobs:
          build:
            docker: [{image: cimg/base:2024.02}]
            retention:
              caches: "12h"
            steps: [checkout]
        workflows:
          main:
            jobs: [build]
        """),
    # ... and a string where a map with `caches` is expected.
    "retention-not-a-map": ("schema-type", "error", """\
        version: 2.1
        jobs:
          build:
            docker: [{image: cimg/base:2024.02}]
            retention: "12h"
            steps: [checkout]
        workflows:
          main:
            jobs: [build]
        """),
}


@pytest.mark.parametrize(("code", "severity", "text"), [
    pytest.param(*case, id=name) for name, case in NEGATIVE.items()
])
def test_documented_error_is_reported(code: str, severity: str, text: str) -> None:
    result = wc.load(textwrap.dedent(text), "config.yml")
    found = [(d.code, d.severity.value) for d in result.diagnostics]
    if result.data is not None and not result.errors:
        compiled = wc.compile(result, wc.Trigger(branch="main"))
        found += [(d.code, d.severity.value) for d in compiled.diagnostics]
    assert (code, severity) in found, found


DISPUTED = Path(__file__).resolve().parents[1] / "testdata" / "reference-disputed"


def test_disputed_doc_examples_stay_errors() -> None:
    """docs/conformance.md, "Disputed examples": `requires: build` (the reference's
    override-with example; its own `requires` table says List, as the language server's
    schema does) and `matches "^f-.*$"` (a docs example; CircleCI-Public/expr raises
    EXPECTED_PATTERN_OPERAND for a right operand that is not a /pattern/)."""
    path = DISPUTED / "configuration-reference-override-with-string-requires.yml"
    result = wc.load(path.read_text(encoding="utf-8"), path.name)
    assert {d.code for d in result.errors} == {"schema-type"}
    assert any("should be a list of job names; got" in d.message for d in result.errors)
    path = DISPUTED / "expressions-matches-string-operand.yml"
    result = wc.load(path.read_text(encoding="utf-8"), path.name)
    assert result.errors == []  # the `when` is only evaluated for a trigger
    compiled = wc.compile(result, wc.Trigger(branch="main"))
    assert [d.code for d in compiled.errors] == ["expr-invalid"]
    assert 'right operand to "matches" operator to be a pattern' in compiled.errors[0].message
