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

from typing import List

import pytest
from benchmarks.fuzz import (
    KNOWN,
    Case,
    Seed,
    cases,
    check,
    known_as,
    load_seeds,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import shared_dir

from workflowcore.config import load


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


@pytest.mark.parametrize(("text", "cycle"), [
    ("version: 2.1\njobs:\n  test:\n    parameters: {p: {type: string}}\n"
     "    docker: [{image: x}]\n    steps: [checkout]\nworkflows:\n  w:\n    jobs:\n"
     "      - test:\n          name: << matrix.p >>_test\n"
     "          matrix: {parameters: {p: [a]}}\n          requires: [test]\n",
     (10, "a_test -> a_test")),
    ("version: 2.1\njobs:\n  test:\n    parameters: {p: {type: string}}\n"
     "    docker: [{image: x}]\n    steps: [checkout]\n  b: " + JOB + "\nworkflows:\n"
     "  w:\n    jobs:\n      - test:\n          matrix: {parameters: {p: [a, b]}}\n"
     "          requires: [b]\n      - b:\n          requires: [test]\n",
     (11, "test -> b -> test")),  # the checks' finding; the compiler's same one is merged
], ids=["matrix-requiring-its-alias", "matrix-and-a-job-requiring-each-other"])
def test_fuzz_finding_a_cycle_through_a_matrix_is_reported_at_load(
        text: str, cycle: tuple[int, str]) -> None:
    """FUZZ FINDING (fixed): requirements in a cycle through a matrix (a matrix job
    requiring its own alias, or a job requiring the alias of a matrix that requires it):
    the checks cannot expand a matrix, the compiler resolved the names without a word, and
    plan() raised CycleError. The compiler now reports requires-cycle for a workflow the
    checks cannot graph (compile/_workflows.py report_cycles)."""
    r = load(text)
    assert [(d.code, d.line) for d in r.errors] == [("requires-cycle", cycle[0])]
    assert cycle[1] in r.errors[0].message
    assert _finding(text) == ""


def test_fuzz_finding_a_job_requiring_itself_behind_when_is_refused_for_a_trigger() -> None:
    """FUZZ FINDING (fixed; from Financial-Times/next-syndication-api's config): a job
    requiring its own name in a workflow behind `when` (load: a latent warning). Compiled
    for a trigger that runs the workflow, the compiler resolved the name to the job itself
    without a word, and plan() raised CycleError instead of refusing the config. A job's
    own name names no *other* job: requires-unknown, from the compiler too."""
    from workflowcore import ConfigError, Trigger, compile, plan

    text = ("version: 2.1\nparameters:\n  go: {type: boolean, default: true}\njobs:\n"
            "  checkout: " + JOB + "\n  b: " + JOB + "\nworkflows:\n  w:\n"
            "    when: << pipeline.parameters.go >>\n    jobs:\n      - checkout:\n"
            "          requires: [checkout]\n      - b:\n"
            "          name: << pipeline.parameters.go >>-b\n")
    r = load(text)
    assert [(d.code, d.line, d.severity.value) for d in r.diagnostics] == \
        [("requires-unknown", 12, "warning")]
    compiled = compile(r, Trigger(branch="main"))
    assert [(d.code, d.line) for d in compiled.errors] == [("requires-unknown", 12)]
    with pytest.raises(ConfigError):
        plan(r, Trigger(branch="main"))
    assert _finding(text) == ""


def test_fuzz_finding_an_ambiguous_requirement_behind_unless_is_refused() -> None:
    """FUZZ FINDING (fixed; from an orb project's config with a line repeated): a job
    invoked twice (numbered `a-1`, `a-2`) and required by its name, in a workflow behind
    `unless` (load: a latent warning). For a trigger that runs the workflow the compiler
    left `requires: [a]` as written without a word, and plan() raised PlanError."""
    from workflowcore import ConfigError, Trigger, compile, plan

    text = ("version: 2.1\nparameters:\n  skip: {type: boolean, default: false}\njobs:\n"
            "  a: " + JOB + "\n  b: " + JOB + "\nworkflows:\n  w:\n"
            "    unless: << pipeline.parameters.skip >>\n    jobs:\n      - a\n      - a\n"
            "      - b:\n          requires: [a]\n")
    r = load(text)
    assert [(d.code, d.line, d.severity.value) for d in r.diagnostics] == \
        [("workflow-duplicate-name", 12, "info"), ("requires-ambiguous", 14, "warning")]
    compiled = compile(r, Trigger(branch="main"))
    assert [(d.code, d.line) for d in compiled.errors] == [("requires-ambiguous", 14)]
    assert "name of 2 other jobs" in compiled.errors[0].message
    with pytest.raises(ConfigError):
        plan(r, Trigger(branch="main"))
    assert _finding(text) == ""


def test_fuzz_finding_a_cycle_behind_when_is_refused_for_a_trigger() -> None:
    """FUZZ FINDING (fixed; angular-cli's config with a `requires` added): jobs requiring
    each other in a cycle, in a workflow behind `when` (load: a latent warning). For a
    trigger that runs the workflow, compile said nothing and plan() raised CycleError."""
    from workflowcore import ConfigError, Trigger, compile, plan

    text = ("version: 2.1\njobs:\n  a: " + JOB + "\n  b: " + JOB + "\nworkflows:\n  w:\n"
            "    when: {not: {equal: [scheduled_pipeline, << pipeline.trigger_source >>]}}\n"
            "    jobs:\n      - a: {requires: [b]}\n      - b: {requires: [a]}\n")
    r = load(text)
    assert [(d.code, d.severity.value) for d in r.diagnostics] == [("requires-cycle", "warning")]
    compiled = compile(r, Trigger(branch="main"))
    assert [(d.code, d.line) for d in compiled.errors] == [("requires-cycle", 9)]
    with pytest.raises(ConfigError):
        plan(r, Trigger(branch="main"))
    assert _finding(text) == ""


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


def test_fuzz_finding_the_body_of_a_several_key_step_is_validated() -> None:
    """FUZZ FINDING (fixed): a step map with several keys (`- run: {...}` beside a sibling
    key) was a MultiKeyStep to the schema, which did not validate the first key's body;
    processing keeps that step alone, and the processed config failed its schema. The
    first key's body is now validated as the step alone (_discriminators._several_key_step)
    and reported as it would be there; the sibling stays a warning."""
    text = ("version: 2.1\njobs:\n  a:\n    docker: [{image: x}]\n    steps:\n"
            "      - run: {command: {a: b}}\n        name: x\nworkflows:\n  w:\n"
            "    jobs: [a]\n")
    r = load(text)
    assert [(d.code, d.line, d.column, d.message) for d in r.errors] == [
        ("schema-type", 6, 24, "jobs.a.steps[0].run.command must be a string, not a mapping")]
    assert [d.code for d in r.warnings] == ["step-extra-keys"]
    assert _finding(text) == ""
    fine = text.replace("{command: {a: b}}", "{command: make}")
    assert [d.code for d in load(fine).diagnostics] == ["step-extra-keys"]
    # a command of the config's own named like a built-in step is its own business
    shadow = ("version: 2.1\ncommands:\n  deploy: {steps: [checkout]}\njobs:\n  a:\n"
              "    docker: [{image: x}]\n    steps:\n      - deploy:\n        name: y\n"
              "workflows:\n  w:\n    jobs: [a]\n")
    assert [d.code for d in load(shadow).errors] == []
    assert [d.code for d in load(shadow.replace("commands:\n  deploy: {steps: [checkout]}\n",
                                                "")).errors] == ["step-empty"]


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


def test_fuzz_finding_inline_orb_job_steps_are_checked() -> None:
    """FUZZ FINDING (fixed): a step inside an inline orb's job was not checked at load
    (`- run:` with `command` as a sibling, null): process emitted a bare `run`, which the
    processed config refuses (step-empty). The steps of inline orbs are now checked for
    their shape as the config's own are (checks/steps.py visit_orb_step)."""
    text = ("version: 2.1\norbs:\n  o:\n    jobs:\n      j:\n        machine: true\n"
            "        steps:\n          - run:\n            command: echo\nworkflows:\n"
            "  w:\n    jobs: [o/j]\n")
    r = load(text)
    assert [(d.code, d.line, d.column) for d in r.errors] == [("step-empty", 8, 13)]
    assert [(d.code, d.line) for d in r.warnings] == [("step-extra-keys", 9)]
    assert _finding(text) == ""
    fixed = text.replace("          - run:\n            command: echo\n",
                         "          - run:\n              command: echo\n")
    assert load(fixed).diagnostics == []


def test_fuzz_finding_an_inline_orb_job_that_says_nowhere_to_run() -> None:
    """FUZZ FINDING (fixed): an inline orb's `job: {}`, used by a workflow: load said
    nothing and the processed job failed executor-missing. The compiler now says it for an
    orb's job (the checks look at the config's own jobs)."""
    text = ("version: 2.1\norbs:\n  local:\n    jobs:\n      job: {}\nworkflows:\n"
            "  w:\n    jobs: [local/job]\n")
    r = load(text)
    assert [(d.code, d.line, d.column) for d in r.errors] == [("executor-missing", 5, 12)]
    assert "of orb 'local' does not say where it runs" in r.errors[0].message
    assert _finding(text) == ""
    fixed = text.replace("job: {}", "job: {machine: true, steps: [checkout]}")
    assert load(fixed).errors == []


def test_fuzz_finding_an_executor_key_without_a_value_names_no_executor() -> None:
    """FUZZ FINDING (fixed; coinbase/rosetta-cli's config with a line dropped): `executor:`
    with no value passed load, and the processed job (the key gone) failed
    executor-missing."""
    text = ("version: 2.1\njobs:\n  test:\n    executor:\n    steps: [checkout]\n"
            "workflows:\n  w:\n    jobs: [test]\n")
    assert [(d.code, d.line) for d in load(text).errors] == [("executor-missing", 3)]
    assert _finding(text) == ""


def test_fuzz_finding_a_run_steps_when_rendered_from_a_parameter_is_checked() -> None:
    """FUZZ FINDING (fixed): a command's `run` step with `when: ... << parameters.x >>`
    (a template, which the schema accepts) rendered to no step condition, and the
    processed config refused it (schema-value)."""
    text = ("version: 2.1\ncommands:\n  c:\n    parameters: {w: {type: string}}\n"
            "    steps:\n      - run: {command: make, when: << parameters.w >>}\n"
            "jobs:\n  a:\n    docker: [{image: x}]\n    steps: [{c: {w: sometimes}}]\n"
            "workflows:\n  w:\n    jobs: [a]\n")
    r = load(text)
    assert [(d.code, d.line) for d in r.errors] == [("schema-value", 6)]
    assert "renders to 'sometimes'" in r.errors[0].message
    assert _finding(text) == ""
    assert load(text.replace("w: sometimes", "w: always")).errors == []


def test_an_inline_orb_step_naming_its_own_command_is_left_to_the_compiler() -> None:
    text = ("version: 2.1\norbs:\n  o:\n    commands:\n      hi:\n"
            "        steps: [{run: echo hi}]\n    jobs:\n      j:\n        machine: true\n"
            "        steps: [hi, nope]\nworkflows:\n  w:\n    jobs: [o/j]\n")
    assert [(d.code, d.message) for d in load(text).errors] == [
        ("command-undefined", "Cannot find a definition for command named nope (in job "
                              "'o/j' invoked at 13:12)")]  # the compiler's, once: `hi` is found


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


def test_fuzz_finding_a_type_rendered_for_a_trigger_is_checked() -> None:
    """FUZZ FINDING (fixed): `type: << pipeline.git.branch >>` on a workflow job compiled
    for a branch without a word, and the processed config failed approval-type-invalid.
    The compiler now checks what a templated `type` renders to (compile/_workflows.py
    _rendered_type); load (no trigger) cannot know it and stays silent."""
    from workflowcore import Trigger, compile

    text = ("version: 2.1\njobs:\n  build: " + JOB + "\nworkflows:\n  w:\n    jobs:\n"
            "      - build\n      - build:\n          name: deploy\n"
            "          type: << pipeline.git.branch >>\n")
    r = load(text)
    assert r.errors == []
    compiled = compile(r, Trigger(branch="main"))
    assert [(d.code, d.line, d.column) for d in compiled.errors] == \
        [("approval-type-invalid", 10, 17)]
    assert "renders to 'main' for this trigger" in compiled.errors[0].message
    assert _finding(text) == ""
    approval = text.replace("<< pipeline.git.branch >>", "<< pipeline.parameters.t >>")
    approval = approval.replace("jobs:\n  build", "parameters:\n  t: {type: string, default: "
                                "approval}\njobs:\n  build", 1)
    assert compile(load(approval), Trigger(branch="main")).errors == []


def test_fuzz_finding_a_required_key_that_renders_empty_is_step_empty() -> None:
    """FUZZ FINDING (fixed; electron's config with `at: << pipeline.git.tag >>`): a step's
    required key written with a template renders empty for a branch, and the processed
    config refused the step (step-empty) while compile said nothing. As for `run` below."""
    from workflowcore import Trigger, compile

    text = ("version: 2.1\njobs:\n  a:\n    docker: [{image: x}]\n    steps:\n"
            "      - attach_workspace: {at: << pipeline.git.tag >>}\n"
            "      - save_cache: {key: k, paths: [<< pipeline.git.tag >>]}\n"
            "workflows:\n  w:\n    jobs: [a]\n")
    r = load(text)
    assert r.errors == []
    errors = compile(r, Trigger(branch="main")).errors
    assert [(d.code, d.line, d.column) for d in errors] == [("step-empty", 6, 32)]
    assert "at renders empty for this trigger" in errors[0].message
    assert compile(r, Trigger(tag="v1")).errors == []
    assert _finding(text) == ""


def test_fuzz_finding_a_name_of_look_alike_spaces_survives_printing() -> None:
    """FUZZ FINDING (fixed): a job renamed `name: "\u200b"` was printed bare, and a
    zero-width space at the start of a line reads as indentation: the processed config
    could not be read back (yaml-invisible-indent). Such strings are printed quoted."""
    from workflowcore import to_yaml

    data = {"version": 2, "jobs": {"\u200b": {"docker": [{"image": "x"}],
                                               "steps": ["checkout"]},
                                   "a\u00a0b": {"docker": [{"image": "x"}],
                                                 "steps": [{"run": {"command": "echo\u2003x"}}]}},
            "workflows": {"version": 2, "w": {"jobs": ["\u200b", "a\u00a0b"]}}}
    text = to_yaml(data)
    assert '  "\u200b":' in text
    back = load(text)
    assert back.errors == [] and back.data == data


def test_fuzz_finding_an_orb_imported_by_a_pipeline_value_is_said_to_be_opaque() -> None:
    """FUZZ FINDING (fixed): `win: circleci/windows@<< pipeline.trigger_source >>` cannot
    be resolved without a trigger; lint mode left it opaque without a word, and the
    processed config named `win/default` with no orb declared. Now an orb-unavailable
    warning says why (and a trigger resolves it)."""
    text = ("version: 2.1\norbs:\n  win: circleci/windows@<< pipeline.trigger_source >>\n"
            "jobs:\n  build:\n    executor: {name: win/default}\n    steps: [checkout]\n"
            "workflows:\n  w:\n    jobs: [build]\n")
    r = load(text)
    assert [(d.code, d.line, d.severity.value) for d in r.diagnostics] == \
        [("orb-unavailable", 3, "warning")]
    assert "known only when a pipeline runs" in r.diagnostics[0].message
    assert _finding(text) == ""


def test_fuzz_finding_in_a_version_2_config_a_template_is_text() -> None:
    """FUZZ FINDING (fixed): a 2.0 workflow entry named `<< pipeline.git.branch >>` made the
    checks treat the workflow as one they cannot graph (as in 2.1, where the name is
    compiled), so `requires: [node9]` naming nothing went unreported and plan() raised
    PlanError. A 2.0 config is not processed: `<<` there is literal text."""
    text = ("version: 2\njobs:\n  a: " + JOB + "\nworkflows:\n  version: 2\n  w:\n"
            "    jobs:\n      - << pipeline.git.branch >>\n      - a:\n"
            "          requires: [nope]\n")
    assert [(d.code, d.line) for d in load(text).errors] == \
        [("job-undefined", 8), ("requires-unknown", 10)]
    assert _finding(text) == ""


def test_fuzz_finding_an_unused_job_without_steps_round_trips() -> None:
    """FUZZ FINDING (fixed): an unused job with neither steps nor an executor is a warning,
    and its processed form (`steps: []`, as CircleCI prints it) was an executor-missing
    error. executor-missing now follows whether CircleCI compiles the job."""
    text = "version: 2.1\njobs:\n  setup: {}\n"
    assert load(text).errors == []
    processed = "version: 2\njobs:\n  setup:\n    steps: []\n"
    r = load(processed)
    assert r.errors == [] and "executor-missing" in [d.code for d in r.warnings]
    used = processed.replace("setup:", "build:")
    assert [d.code for d in load(used).errors] == ["executor-missing"]
    assert _finding(text) == ""


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
