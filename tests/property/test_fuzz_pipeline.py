"""A bounded run of the round-trip fuzzer (issue 10, benchmarks/fuzz.py).

The same mutation strategy (``benchmarks.fuzz.cases``) and per-input check
(``benchmarks.fuzz.check``: load never raises; a clean config compiles, processes to a
config that validates clean and re-processes to itself, and plans for branch ``main`` and
tag ``v1.0.0`` raising nothing but ``ConfigError``) on a few hundred mutated corpus
configs. Findings the fuzzer already reported and that are not fixed yet
(``benchmarks.fuzz.KNOWN``) are tolerated here and pinned below by strict-xfail regression
tests, so fixing one turns its test into an XPASS failure: then drop the ``xfail`` and the
``KNOWN`` entry. The long run is ``.venv/bin/python -m benchmarks.fuzz --minutes 4``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflowcore.config import load

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a directory of the project, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks.fuzz import (  # noqa: E402
    KNOWN,
    Case,
    Seed,
    cases,
    check,
    known_as,
    load_seeds,
)
from tests.conftest import shared_dir  # noqa: E402


def _seeds() -> tuple[List[Seed], str]:
    try:
        return load_seeds(shared_dir()), ""
    except RuntimeError as exc:  # ../shared is not there
        return [], str(exc)


SEEDS, MISSING = _seeds()
#: Per input; generous for a loaded 2-core CI machine (the fuzzer uses 5 s).
TIME_LIMIT = 10.0


@pytest.mark.skipif(not SEEDS, reason=f"no fuzz seeds: {MISSING}")
@settings(max_examples=200, deadline=None, print_blob=True, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(cases(SEEDS, bomb_depth=12) if SEEDS else st.nothing())
def test_round_trip_never_breaks(case: Case) -> None:
    finding = check(case.input, TIME_LIMIT)
    if finding is None or known_as(finding, case.input) is not None:
        return
    pytest.fail(f"{case!r}\n{finding.report()}", pytrace=False)


# -- regression tests for the findings -------------------------------------------------

JOB = "{docker: [{image: x}], steps: [checkout]}"


def _finding(text: str) -> str:
    f = check(text, TIME_LIMIT)
    return "" if f is None else f.report(text)


def test_fuzz_finding_repeated_job_requiring_its_own_name_is_the_other_one() -> None:
    """FUZZ FINDING (fixed): ``a`` invoked twice, the second requiring ``a``. load counts
    "1 other job" and accepts it; process numbered them ``a-1``/``a-2`` but left
    ``requires: [a]``, which the processed config refuses (requires-unknown) and plan()
    raised PlanError on. compile/_workflows.py resolve_requires now leaves the job itself
    out, as the check does."""
    text = ("version: 2.1\njobs:\n  a: " + JOB + "\nworkflows:\n  w:\n    jobs:\n"
            "      - a\n      - a:\n          requires: [a]\n")
    assert _finding(text) == ""


def test_fuzz_finding_repeated_jobs_requiring_each_other_is_a_cycle_at_load() -> None:
    """FUZZ FINDING (fixed): both ``a`` invocations require ``a``: ``a-1 -> a-2 -> a-1``.
    load said nothing (checks/requires.py left repeated invocations out of the graph);
    now it reports requires-cycle, as validating the processed config does."""
    text = ("version: 2.1\njobs:\n  a: " + JOB + "\nworkflows:\n  w:\n    jobs:\n"
            "      - a: {requires: [a]}\n      - a: {requires: [a]}\n")
    assert _finding(text) == ""


def _known(key: str, text: str, time_limit: float = TIME_LIMIT) -> None:
    f = check(text, time_limit)
    assert f is None or known_as(f, text) != key, f.report(text)


XFAIL = "FUZZ FINDING, not fixed: benchmarks.fuzz.KNOWN[{!r}]: {}"


@pytest.mark.xfail(strict=True, reason=XFAIL.format(
    "requires-unknown-beside-matrix", KNOWN["requires-unknown-beside-matrix"][0]))
@pytest.mark.parametrize("text", [
    "version: 2.1\njobs:\n  test:\n    parameters: {p: {type: string}}\n"
    "    docker: [{image: x}]\n    steps: [checkout]\nworkflows:\n  w:\n    jobs:\n"
    "      - test:\n          name: << matrix.p >>_test\n"
    "          matrix: {parameters: {p: [a]}}\n          requires: [test]\n",
], ids=["matrix-requiring-its-alias"])
def test_fuzz_finding_requires_unknown_beside_a_matrix(text: str) -> None:
    _known("requires-unknown-beside-matrix", text)


def test_fuzz_finding_requires_naming_nothing_beside_a_matrix_is_reported() -> None:
    """FUZZ FINDING (fixed): `requires: [nope]` in a workflow with a matrix invocation.
    The checks cannot expand a matrix, so they stay silent; the compiler now reports
    requires-unknown where the processed workflow names nothing (compile/_workflows.py
    resolve_requires), at the place the checks use, so a workflow without a matrix still
    gets one diagnostic."""
    text = ("version: 2.1\njobs:\n  a:\n    parameters: {p: {type: integer}}\n"
            "    docker: [{image: x}]\n    steps: [checkout]\n  b: " + JOB + "\nworkflows:\n"
            "  w:\n    jobs:\n      - a:\n          matrix: {parameters: {p: [1]}}\n"
            "      - b:\n          requires: [nope]\n")
    r = load(text)
    assert [(d.code, d.line, d.column) for d in r.errors] == [("requires-unknown", 14, 22)]
    assert _finding(text) == ""
    plain = text.replace("      - a:\n          matrix: {parameters: {p: [1]}}\n",
                         "      - a: {p: 1}\n")
    assert [(d.code, d.line) for d in load(plain).diagnostics] == [("requires-unknown", 13)]
    # a matrix of no combination, required by its name: the name names nothing
    no_job = ("version: 2.1\njobs:\n  build: " + JOB + "\n  test: " + JOB + "\nworkflows:\n"
              "  w:\n    jobs:\n      - build:\n          matrix:\n            parameters:\n"
              "              p: []\n      - test:\n          requires: [build]\n")
    assert "requires-unknown" in [d.code for d in load(no_job).errors]
    assert _finding(no_job) == ""


@pytest.mark.xfail(strict=True, reason=XFAIL.format("when-in-2.0", KNOWN["when-in-2.0"][0]))
def test_fuzz_finding_when_on_a_version_2_workflow() -> None:
    _known("when-in-2.0",
           "version: 2\njobs:\n  a: " + JOB + "\nworkflows:\n  version: 2\n  w:\n"
           "    when: x\n    jobs: [a, nope]\n")


def test_fuzz_finding_numbered_name_colliding_with_a_job_is_an_error() -> None:
    """FUZZ FINDING (fixed): `[build, build, build-1]` numbers the two `build`s
    build-1/build-2, and build-1 is also a job's name: load gave only an info, and the
    processed config failed workflow-duplicate-name (plan() raised PlanError). The
    compiler now reports the collision as workflow-duplicate-name (an error)."""
    text = ("version: 2.1\njobs:\n  build: " + JOB + "\n  build-1: " + JOB + "\nworkflows:\n"
            "  w:\n    jobs: [build, build, build-1]\n")
    r = load(text)
    assert [(d.code, d.line, d.column) for d in r.errors] == \
        [("workflow-duplicate-name", 7, 26)]
    assert _finding(text) == ""
    renamed = text.replace("build-1: ", "build-3: ").replace("build, build, build-1",
                                                            "build, build, build-3")
    assert load(renamed).errors == []


@pytest.mark.xfail(strict=True, reason=XFAIL.format("inline-orb-steps-unchecked",
                                                    KNOWN["inline-orb-steps-unchecked"][0]))
def test_fuzz_finding_inline_orb_job_steps() -> None:
    _known("inline-orb-steps-unchecked",
           "version: 2.1\norbs:\n  o:\n    jobs:\n      j:\n        machine: true\n"
           "        steps:\n          - run:\n            command: echo\nworkflows:\n"
           "  w:\n    jobs: [o/j]\n")


@pytest.mark.parametrize(("jobs", "expected"), [
    ("      - a\n      - a:\n          matrix:\n            parameters:\n"
     "              p: [1, 2]\n", [("version-feature", 10, 11)]),
    ("      - a: {name: x}\n      - a: {name: y}\n",
     [("version-feature", 8, 13), ("version-feature", 9, 13)]),
], ids=["matrix", "name"])
def test_fuzz_finding_matrix_or_name_in_a_version_2_config_is_a_version_feature(
        jobs: str, expected: List[tuple[str, int, int]]) -> None:
    """FUZZ FINDING (fixed): `matrix:` or `name:` on a version 2 invocation: load was
    silent (the duplicate-name check read them as 2.1 would), and the 2.0 config, passed
    through unprocessed, repeated the job's name. Both are 2.1 features (R1.1.1): load
    reports them where they are written."""
    text = ("version: 2\njobs:\n  a: " + JOB + "\nworkflows:\n  version: 2\n  w:\n"
            "    jobs:\n" + jobs)
    assert [(d.code, d.line, d.column) for d in load(text).errors] == expected
    assert _finding(text) == ""


def test_pre_and_post_steps_in_a_version_2_config_are_version_features() -> None:
    text = ("version: 2\njobs:\n  a: " + JOB + "\nworkflows:\n  version: 2\n  w:\n"
            "    jobs:\n      - a: {pre-steps: [checkout], post-steps: [checkout]}\n")
    assert [(d.code, d.line, d.column, d.message) for d in load(text).errors] == [
        ("version-feature", 8, 13, "'pre-steps' on a workflow job needs 'version: 2.1' "
                                   "(this config is version 2)"),
        ("version-feature", 8, 36, "'post-steps' on a workflow job needs 'version: 2.1' "
                                   "(this config is version 2)")]
    assert load(text.replace("version: 2\n", "version: 2.1\n", 1)
                .replace("  version: 2\n", "")).errors == []


def test_fuzz_finding_executor_without_docker_machine_or_macos() -> None:
    """FUZZ FINDING (fixed): an executor naming no runtime, used by a job that adds none:
    load was silent and the processed job failed executor-missing. The compiler now
    reports executor-missing at the job's `executor:` (compile/_expand.py)."""
    text = ("version: 2.1\nexecutors:\n  default:\n    working_directory: ~/x\njobs:\n"
            "  a:\n    executor: default\n    steps: [checkout]\nworkflows:\n  w:\n"
            "    jobs: [a]\n")
    r = load(text)
    assert [(d.code, d.line) for d in r.errors] == [("executor-missing", 7)]
    assert _finding(text) == ""
    fixed = text.replace("    working_directory: ~/x\n",
                         "    working_directory: ~/x\n    docker: [{image: x}]\n")
    assert load(fixed).errors == []


def test_fuzz_finding_serial_group_survives_reprocessing() -> None:
    """FUZZ FINDING (fixed): process kept `serial-group` on a workflow job, and processing
    that (version 2) output again dropped it. A 2.0 invocation now keeps the keys a
    processed 2.1 invocation keeps (compile/_compiler.py _reduce, KEPT_KEYS)."""
    text = ("version: 2.1\njobs:\n  build: " + JOB + "\nworkflows:\n  w:\n    jobs:\n"
            "      - build: {serial-group: g}\n")
    assert _finding(text) == ""


@pytest.mark.xfail(strict=True, reason=XFAIL.format("rendered-values-unchecked",
                                                    KNOWN["rendered-values-unchecked"][0]))
@pytest.mark.parametrize("text", [
    "version: 2.1\njobs:\n  build: " + JOB + "\nworkflows:\n  w:\n    jobs:\n      - build\n"
    "      - build:\n          name: deploy\n          type: << pipeline.git.branch >>\n",
], ids=["type-from-branch"])
def test_fuzz_finding_rendered_values_are_not_checked(text: str) -> None:
    _known("rendered-values-unchecked", text)


def test_fuzz_finding_a_run_that_renders_empty_is_step_empty() -> None:
    """FUZZ FINDING (fixed): `run: << pipeline.git.branch >>` compiled for a tag renders an
    empty command, which the processed config refuses (step-empty); compile said nothing.
    Now the compile for a trigger reports step-empty at the template."""
    import workflowcore as wc

    text = ("version: 2.1\njobs:\n  build:\n    docker: [{image: x}]\n    steps:\n"
            "      - run: << pipeline.git.branch >>\nworkflows:\n  w:\n    jobs: [build]\n")
    assert _finding(text) == ""
    r = load(text)
    assert r.errors == []  # no trigger: nothing renders yet
    on_tag = wc.compile(r, wc.Trigger(tag="v1.0.0"))
    assert [(d.code, d.line) for d in on_tag.errors] == [("step-empty", 6)]
    assert wc.compile(r, wc.Trigger(branch="main")).errors == []


def _bomb(depth: int, jobs: int) -> str:
    lines = ["version: 2.1", "refs:", "  l0: &l0 ['<< parameters.x >>', '<< parameters.x >>']"]
    lines += [f"  l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, depth)]
    lines += ["executors:", "  e:", "    docker: [{image: x}]", "    environment:",
              f"      X: *l{depth - 1}", "jobs:"]
    for j in range(jobs):
        lines += [f"  j{j}:", "    executor: e", "    steps: [checkout]"]
    lines += ["workflows:", "  w:", "    jobs: [" + ", ".join(f"j{j}" for j in range(jobs)) + "]"]
    return "\n".join(lines) + "\n"


def test_fuzz_finding_aliased_list_rendered_once_per_distinct_item() -> None:
    """FUZZ FINDING (fixed): an aliased list of 2**17 templates in an executor used by 8
    jobs (925 bytes) took 17 s in load(): rendered once per leaf and job, each
    param-undeclared diagnostic placed with a source-map walk. Now an aliased item is
    rendered once per list (compile/_render.py) and one finding is placed at most
    MAX_SAME_FINDING times (compile/_diag.py), so it is instant."""
    f = check(_bomb(17, 8), 1.0)
    assert f is None or f.kind not in ("slow", "timeout"), f.report(_bomb(17, 8))
